"""The Upwork Jobs API feed (its documentation): GET /health and GET /jobs with an X-API-KEY header.

Every documented query parameter has a field here (24, named as the feed names them; the `buyer.*`
minimums with a dot). Plans limit requests per minute and month; each answer's `X-RateLimit-*`
headers are kept as the latest known quota.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from .._http import RequestLoop
from ..errors import APIError, ConfigError, InvalidInputError
from ..facts import FeedSort
from ..models.job_feed import FeedEnvelope

SERVICE = "The Upwork Jobs API feed"
FEED_PAGE_MAX = 50  # the feed's documented maximum page


class FeedQuery(BaseModel):
    """Filters the feed applies server-side, named as the feed names them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    limit: int = Field(default=20, ge=1, le=FEED_PAGE_MAX)  # the feed refuses more than 50
    offset: int = Field(default=0, ge=0)
    sort: FeedSort | None = None
    tags: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    category: str | None = None  # slug
    category_group: str | None = None  # slug
    country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$")  # ISO-2
    job_type: Literal["hourly", "fixed"] | None = None
    status: Literal["open", "closed"] | None = None
    contractor_tier: Literal["entry", "intermediate", "expert"] | None = None
    duration_label: str | None = None
    engagement: str | None = None
    payment_verified: bool | None = None
    budget_min: float | None = Field(default=None, ge=0)
    budget_max: float | None = Field(default=None, ge=0)
    hourly_min: float | None = Field(default=None, ge=0)
    hourly_max: float | None = Field(default=None, ge=0)
    posted_after: datetime | None = None
    posted_before: datetime | None = None
    last_visited_after: datetime | None = None
    buyer_total_spent_min: float | None = Field(default=None, ge=0)
    buyer_total_assignments_min: int | None = Field(default=None, ge=0)
    buyer_total_jobs_with_hires_min: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> FeedQuery:
        if self.offset % self.limit:
            raise ValueError(f"offset {self.offset} must be a multiple of limit {self.limit}")
        for name in ("budget", "hourly"):
            lo, hi = getattr(self, f"{name}_min"), getattr(self, f"{name}_max")
            if lo is not None and hi is not None and lo > hi:
                raise ValueError(f"{name}_min ({lo:g}) is above {name}_max ({hi:g})")
        return self

    def to_params(self) -> dict[str, str]:
        params: dict[str, str] = {"limit": str(self.limit)}
        if self.offset:
            params["offset"] = str(self.offset)
        texts = {
            "sort": self.sort,
            "category": self.category,
            "category_group": self.category_group,
            "country": self.country.upper() if self.country else None,
            "duration_label": self.duration_label,
            "engagement": self.engagement,
            "tags": ",".join(self.tags) or None,
            "skills": ",".join(self.skills) or None,
            "job_type": {"hourly": "1", "fixed": "2"}.get(self.job_type or ""),
            "status": {"open": "1", "closed": "2"}.get(self.status or ""),
            "contractor_tier": {"entry": "1", "intermediate": "2", "expert": "3"}.get(self.contractor_tier or ""),
            "payment_verified": None if self.payment_verified is None else str(self.payment_verified).lower(),
        }
        params.update({k: v for k, v in texts.items() if v})
        numbers = {
            "budget_min": self.budget_min,
            "budget_max": self.budget_max,
            "hourly_min": self.hourly_min,
            "hourly_max": self.hourly_max,
            "buyer.total_spent_min": self.buyer_total_spent_min,
            "buyer.total_assignments_min": self.buyer_total_assignments_min,
            "buyer.total_jobs_with_hires_min": self.buyer_total_jobs_with_hires_min,
        }
        params.update({k: f"{v:g}" for k, v in numbers.items() if v is not None})
        for name in ("posted_after", "posted_before", "last_visited_after"):
            moment: datetime | None = getattr(self, name)
            if moment is not None:
                params[name] = moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment.tzinfo else moment.isoformat()
        return params


@dataclass(frozen=True)
class FeedQuota:
    """The plan's quota as the last answer's X-RateLimit-* headers told it."""

    limit: int | None
    remaining: int | None
    reset: int | None  # Unix time
    burst: int | None

    @classmethod
    def from_headers(cls, headers: httpx.Headers) -> FeedQuota | None:
        def number(name: str) -> int | None:
            raw = headers.get(name)
            try:
                return int(float(raw)) if raw is not None else None
            except ValueError:
                return None

        quota = cls(
            number("X-RateLimit-Limit"),
            number("X-RateLimit-Remaining"),
            number("X-RateLimit-Reset"),
            number("X-RateLimit-Burst"),
        )
        return quota if any(v is not None for v in (quota.limit, quota.remaining, quota.reset)) else None


class JobFeedAPI:
    def __init__(self, loop: RequestLoop, base_url: str, api_key: SecretStr | None) -> None:
        self._loop = loop
        self._base = base_url.rstrip("/")
        self._key = api_key
        self.quota: FeedQuota | None = None  # the latest the feed reported

    def _headers(self) -> dict[str, str]:
        if self._key is None:
            raise ConfigError(
                "The job feed needs an API key: set UPWORK_JOB_FEED_API_KEY, or start with --sandbox to try it."
            )
        return {"X-API-KEY": self._key.get_secret_value()}

    async def _get(self, path: str, params: dict[str, str] | None = None) -> FeedEnvelope:
        response = await self._loop.send(
            "GET",
            self._base + path,
            service=SERVICE,
            params=params,
            headers=self._headers(),
            auth_hint="Check UPWORK_JOB_FEED_API_KEY: it must be the key of your Upwork Jobs API plan.",
        )
        self.quota = FeedQuota.from_headers(response.headers) or self.quota
        try:
            envelope = FeedEnvelope.model_validate(response.json())
        except (ValueError, ValidationError) as exc:
            raise APIError(f"{SERVICE} answered with an unexpected body.", status_code=response.status_code) from exc
        if not envelope.success:
            raise APIError(f"{SERVICE} reported a failure: {envelope.message or envelope.error or 'no reason given'}.")
        return envelope

    async def health(self) -> FeedEnvelope:
        return await self._get("/health")

    async def jobs(self, query: FeedQuery) -> FeedEnvelope:
        return await self._get("/jobs", query.to_params())


def feed_query(**fields: object) -> FeedQuery:
    """A FeedQuery from tool or CLI arguments; a bad combination is an InvalidInputError naming it."""
    try:
        return FeedQuery(**fields)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInputError(
            f"{where + ': ' if where else ''}{first['msg'].removeprefix('Value error, ')}."
        ) from None
