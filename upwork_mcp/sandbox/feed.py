"""The Upwork Jobs API feed (seed 004): GET /health and GET /jobs behind X-API-KEY, in its envelope."""

from __future__ import annotations

import hmac
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
        "contractor_tier": _TIERS[job["experienceLevel"]],
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
    pass


def _number(params: Any, name: str) -> float | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise FeedInputError(f"Invalid {name} parameter") from None
    if value < 0:
        raise FeedInputError(f"Invalid {name} parameter")
    return value


def _choice(params: Any, name: str, allowed: set[str]) -> str | None:
    raw: str | None = params.get(name)
    if raw is not None and raw not in allowed:
        raise FeedInputError(f"Invalid {name} parameter")
    return raw


def select(box: Sandbox, params: Any) -> list[dict[str, Any]]:
    limit_raw = params.get("limit", "20")
    if not (limit_raw.isascii() and limit_raw.isdigit()) or not 1 <= int(limit_raw) <= 50:
        raise FeedInputError("Invalid limit parameter")
    budget_min, budget_max = _number(params, "budget_min"), _number(params, "budget_max")
    verified = _choice(params, "payment_verified", {"true", "false"})
    job_type = _choice(params, "job_type", {"1", "2"})
    tier = _choice(params, "contractor_tier", {"1", "2", "3"})
    tags = {t.strip().lower() for t in params.get("tags", "").split(",") if t.strip()}
    skills = {s.strip().lower() for s in params.get("skills", "").split(",") if s.strip()}
    category = params.get("category")
    jobs = sorted(box.data.jobs, key=lambda j: j["_published"], reverse=True)
    out = []
    for job in jobs:
        item = feed_job(job)
        if item["status"] != 1:
            continue
        if verified is not None and item["buyer"]["payment_verified"] != (verified == "true"):
            continue
        if job_type is not None and item["job_type"] != int(job_type):
            continue
        if tier is not None and item["contractor_tier"] != int(tier):
            continue
        if tags and not tags & {t.lower() for t in item["tags"]}:
            continue
        if skills and not skills & set(item["skills"]):
            continue
        if category and category not in (item["category"]["slug"], item["category"]["group_slug"]):
            continue
        budget = item["budget"]["fixed_amount"] if item["budget"] else None
        if budget_min is not None and (budget is None or budget < budget_min):
            continue
        if budget_max is not None and (budget is None or budget > budget_max):
            continue
        out.append(item)
        if len(out) >= int(limit_raw):
            break
    return out


def _authorized(box: Sandbox, request: Request) -> bool:
    return hmac.compare_digest(request.headers.get("x-api-key", ""), box.feed_key)


async def health(request: Request) -> JSONResponse:
    box: Sandbox = request.app.state.sandbox
    if not _authorized(box, request):
        return envelope(box, success=False, message="Invalid or missing API key", status=401)
    return envelope(box, message="API is healthy")


async def jobs(request: Request) -> JSONResponse:
    box: Sandbox = request.app.state.sandbox
    if not _authorized(box, request):
        return envelope(box, success=False, message="Invalid or missing API key", status=401)
    if box.over_rate("feed:" + box.feed_key, box.feed_rate_limit, 60.0):
        return envelope(box, success=False, message="Rate limit exceeded", status=429, headers={"Retry-After": "60"})
    try:
        data = select(box, request.query_params)
    except FeedInputError as exc:
        return envelope(box, success=False, message=str(exc), status=400)
    return envelope(box, data=data)
