"""The Upwork Jobs API feed: GET /health and GET /jobs behind X-API-KEY, in its envelope."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from .state import Sandbox

_TIERS = {"ENTRY_LEVEL": 1, "INTERMEDIATE": 2, "EXPERT": 3}


def envelope(
    box: Sandbox,
    *,
    data: list[dict[str, Any]] | None = None,
    message: str | None = None,
    success: bool = True,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "success": success,
        "data": data or [],
        "count": len(data or []),
        "last_updated": box.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if message is not None:
        body["message"] = message
    return JSONResponse(body, status_code=status, headers=headers)


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def _group(category: str) -> str:
    return (
        "Sales & Marketing"
        if category in ("Writing", "Sales & Marketing")
        else "Tech & IT"
        if category.startswith(("Web", "Data"))
        else "Creative & Support"
    )


def feed_job(job: dict[str, Any]) -> dict[str, Any]:
    client = job["client"]
    spent = client["totalSpent"]
    return {
        "id": f"upwork-{job['id']}",
        "title": job["title"],
        "description": job["description"],
        "job_type": 2 if job["_fixed"] else 1,
        "status": 1 if job["_status"] == "ACTIVE" else 2,
        "contractor_tier": _TIERS[job["_level"]],
        "posted_on": job["_published"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "category": {
            "name": job["category"],
            "slug": _slug(job["category"]),
            "group": _group(job["category"]),
            "group_slug": _slug(_group(job["category"])),
        },
        "budget": {"fixed_amount": float(job["amount"]["rawValue"]), "currency": "USD"} if job["_fixed"] else None,
        "hourly_budget": None
        if job["_fixed"]
        else {"min": float(job["hourlyBudgetMin"]["rawValue"]), "max": float(job["hourlyBudgetMax"]["rawValue"])},
        "buyer": {
            "payment_verified": client["verificationStatus"] == "VERIFIED",
            "country": job["_client_country_code"],
            "city": client["location"]["city"],
            "timezone": client["location"]["timezone"],
            "total_spent": float(spent["rawValue"]) if spent else 0,
            "total_assignments": client["totalHires"],
            "total_jobs_with_hires": min(client["totalHires"], client["totalPostedJobs"]),
        },
        "skills": [s["prettyName"].lower() for s in job["skills"]],
        "tags": job["_tags"],
        "client_activity": {
            "total_applicants": job["totalApplicants"],
            "total_hired": job["_hired"],
            "total_invited_to_interview": job["_interviewing"],
            "unanswered_invites": 0,
            "invitations_sent": job["_invites"],
            "last_buyer_activity": job["_last_activity"],
        },
        "url": f"https://www.upwork.com/jobs/{job['ciphertext']}",
        "last_visited_at": job["_last_activity"],
        "duration_label": job["durationLabel"],
        "engagement": "full-time" if job["_workload"] == "FULL_TIME" else "part-time",
        "is_private": False,
        "privacy_reason": "",
    }


class FeedInputError(ValueError):
    """A query parameter the feed refuses: answered in its validation shape, with the field named."""

    def __init__(self, field: str, message: str, example: str) -> None:
        super().__init__(f"Invalid {field} parameter")
        self.field, self.message, self.example = field, message, example


SORTS = {
    "posted_on_desc": (lambda j: j["posted_on"], True),
    "posted_on_asc": (lambda j: j["posted_on"], False),
    "last_visited_desc": (lambda j: j["last_visited_at"] or "", True),
    "last_visited_asc": (lambda j: j["last_visited_at"] or "", False),
    "budget_desc": (lambda j: _budget_of(j), True),
    "budget_asc": (lambda j: _budget_of(j), False),
}
PARAMETERS = frozenset(
    {
        "limit", "offset", "payment_verified", "category", "category_group", "country", "budget_min",
        "budget_max", "hourly_min", "hourly_max", "job_type", "status", "contractor_tier", "duration_label",
        "engagement", "posted_after", "posted_before", "last_visited_after", "tags", "skills",
        "buyer.total_spent_min", "buyer.total_assignments_min", "buyer.total_jobs_with_hires_min", "sort",
    }
)  # fmt: skip


def _budget_of(job: dict[str, Any]) -> float:
    if job["budget"]:
        return float(job["budget"]["fixed_amount"])
    return float((job["hourly_budget"] or {}).get("max") or 0)


def _number(params: Any, name: str, example: str = "100") -> float | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise FeedInputError(name, "must be a number", example) from None
    if value < 0:
        raise FeedInputError(name, "must not be negative", example)
    return value


def _choice(params: Any, name: str, allowed: set[str]) -> str | None:
    raw: str | None = params.get(name)
    if raw is not None and raw not in allowed:
        raise FeedInputError(name, f"must be one of {', '.join(sorted(allowed))}", sorted(allowed)[0])
    return raw


def _moment(params: Any, name: str) -> str | None:
    """An ISO 8601 time as the feed's own `...Z` text, for comparing."""
    raw = params.get(name)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise FeedInputError(name, "must be an ISO 8601 time", "2026-11-20T08:00:00Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _words(params: Any, name: str) -> set[str]:
    return {t.strip().lower() for t in params.get(name, "").split(",") if t.strip()}


def select(box: Sandbox, params: Any) -> list[dict[str, Any]]:
    unknown = sorted(set(params.keys()) - PARAMETERS - {"webhook"})
    if unknown:
        raise FeedInputError(unknown[0], "is not a parameter of /jobs", "limit")
    limit_raw = params.get("limit", "20")
    if not (limit_raw.isascii() and limit_raw.isdigit()) or not 1 <= int(limit_raw) <= 50:
        raise FeedInputError("limit", "must be between 1 and 50", "20")
    limit = int(limit_raw)
    offset_raw = params.get("offset", "0")
    if not (offset_raw.isascii() and offset_raw.isdigit()) or int(offset_raw) % limit:
        raise FeedInputError("offset", "must be a multiple of limit", str(limit * 2))
    offset = int(offset_raw)
    checks: list[Any] = []
    status = _choice(params, "status", {"1", "2"})
    checks.append(lambda j: j["status"] == int(status or "1"))
    verified = _choice(params, "payment_verified", {"true", "false"})
    if verified is not None:
        checks.append(lambda j: j["buyer"]["payment_verified"] == (verified == "true"))
    for name, key in (("job_type", "job_type"), ("contractor_tier", "contractor_tier")):
        value = _choice(params, name, {"1", "2"} if name == "job_type" else {"1", "2", "3"})
        if value is not None:
            checks.append(lambda j, k=key, v=int(value): j[k] == v)
    for name, path in (("category", "slug"), ("category_group", "group_slug")):
        wanted = params.get(name)
        if wanted:
            checks.append(lambda j, p=path, w=wanted: j["category"][p] == w)
    country = params.get("country")
    if country is not None:
        if not (len(country) == 2 and country.isalpha()):
            raise FeedInputError("country", "must be an ISO 3166-1 alpha-2 code", "US")
        checks.append(lambda j: j["buyer"]["country"] == country.upper())
    for name in ("duration_label", "engagement"):
        wanted = params.get(name)
        if wanted:
            checks.append(lambda j, n=name, w=wanted.lower(): (j[n] or "").lower() == w)
    tags = _words(params, "tags") | _words(params, "skills")  # skills is an alias of tags
    if tags:
        checks.append(lambda j: bool(tags & ({t.lower() for t in j["tags"]} | set(j["skills"]))))
    budget_min, budget_max = _number(params, "budget_min"), _number(params, "budget_max")
    if budget_min is not None:
        checks.append(lambda j: j["budget"] is not None and j["budget"]["fixed_amount"] >= budget_min)
    if budget_max is not None:
        checks.append(lambda j: j["budget"] is not None and j["budget"]["fixed_amount"] <= budget_max)
    hourly_min, hourly_max = _number(params, "hourly_min", "25"), _number(params, "hourly_max", "80")
    if hourly_min is not None:
        checks.append(lambda j: j["hourly_budget"] is not None and j["hourly_budget"]["max"] >= hourly_min)
    if hourly_max is not None:
        checks.append(lambda j: j["hourly_budget"] is not None and j["hourly_budget"]["min"] <= hourly_max)
    for name, field in (
        ("buyer.total_spent_min", "total_spent"),
        ("buyer.total_assignments_min", "total_assignments"),
        ("buyer.total_jobs_with_hires_min", "total_jobs_with_hires"),
    ):
        floor = _number(params, name, "1000")
        if floor is not None:
            checks.append(lambda j, f=field, m=floor: (j["buyer"][f] or 0) >= m)
    after, before = _moment(params, "posted_after"), _moment(params, "posted_before")
    visited = _moment(params, "last_visited_after")
    if after:
        checks.append(lambda j: j["posted_on"] > after)
    if before:
        checks.append(lambda j: j["posted_on"] < before)
    if visited:
        checks.append(lambda j: (j["last_visited_at"] or "") > visited)
    order, descending = SORTS[_choice(params, "sort", set(SORTS)) or "posted_on_desc"]
    found = [item for item in (feed_job(job) for job in box.data.jobs) if all(check(item) for check in checks)]
    found.sort(key=order, reverse=descending)
    return found[offset : offset + limit]


def _authorized(box: Sandbox, request: Request) -> bool:
    return hmac.compare_digest(request.headers.get("x-api-key", ""), box.feed_key)


def _quota_headers(box: Sandbox) -> dict[str, str]:
    """The plan's quota as the feed reports it: this minute's window, and the burst allowance."""
    hits = box.hits("feed:" + box.feed_key, 60.0)
    window_end = int((hits[0] if hits else box.clock()) + 60)
    return {
        "X-RateLimit-Limit": str(box.feed_rate_limit),
        "X-RateLimit-Remaining": str(max(0, box.feed_rate_limit - len(hits))),
        "X-RateLimit-Reset": str(window_end),
        "X-RateLimit-Burst": str(box.feed_rate_limit),
    }


async def health(request: Request) -> JSONResponse:
    box: Sandbox = request.app.state.sandbox
    if not _authorized(box, request):
        return envelope(box, success=False, message="Invalid or missing API key", status=401)
    return envelope(box, message="API is healthy", headers=_quota_headers(box))


async def jobs(request: Request) -> JSONResponse:
    box: Sandbox = request.app.state.sandbox
    if not _authorized(box, request):
        return envelope(box, success=False, message="Invalid or missing API key", status=401)
    box.feed_log.append(dict(request.query_params))
    if box.over_rate("feed:" + box.feed_key, box.feed_rate_limit, 60.0):
        headers = {**_quota_headers(box), "Retry-After": "60"}
        body = {"success": False, "message": "Rate limit exceeded", "retry_after": 60}
        return JSONResponse(body, status_code=429, headers=headers)
    try:
        data = select(box, request.query_params)
    except FeedInputError as exc:
        if exc.message == "must be a number":  # the documented example answers in its envelope
            return envelope(box, success=False, message=str(exc), status=400)
        details = [{"field": exc.field, "message": exc.message, "example": exc.example}]
        return JSONResponse({"success": False, "error": str(exc), "details": details}, status_code=400)
    return envelope(box, data=data, headers=_quota_headers(box))
