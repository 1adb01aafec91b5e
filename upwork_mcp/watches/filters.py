"""What a watch looks for, in one vocabulary for both sources, and how each source is asked for it.

The feed takes most filters server-side; keywords (`q`) it has no parameter for are matched here on
what it returned. Upwork's search takes keywords and categories server-side; the client-spend floor
is matched here. `local_only` names what a source leaves to this side.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .listing import Listing, Source

Level = Literal["entry", "intermediate", "expert"]


def slug(label: str) -> str:
    """A category name as the feed's slug: "Web, Mobile & Software Dev" -> "web-mobile-software-dev"."""
    return "-".join(re.sub(r"[^a-z0-9]+", " ", label.lower()).split())


class WatchFilters(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    q: str | None = Field(default=None, max_length=300)
    skills: tuple[str, ...] = ()
    category: str | None = Field(default=None, max_length=100)
    job_type: Literal["hourly", "fixed"] | None = None
    budget_min: float | None = Field(default=None, ge=0)
    budget_max: float | None = Field(default=None, ge=0)
    hourly_min: float | None = Field(default=None, ge=0)
    hourly_max: float | None = Field(default=None, ge=0)
    level: Level | None = None
    payment_verified: bool | None = None
    country: str | None = Field(default=None, max_length=60)
    client_spend_min: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _ranges(self) -> WatchFilters:
        for name in ("budget", "hourly"):
            lo, hi = getattr(self, f"{name}_min"), getattr(self, f"{name}_max")
            if lo is not None and hi is not None and lo > hi:
                raise ValueError(f"{name}_min ({lo:g}) is above {name}_max ({hi:g})")
        return self

    def summary(self) -> str:
        parts = [f"{k}={v if not isinstance(v, tuple) else ','.join(v)}" for k, v in self.set_items()]
        return " ".join(parts) or "(every new job)"

    def set_items(self) -> list[tuple[str, object]]:
        return [(k, v) for k, v in self.model_dump().items() if v not in (None, (), "")]

    def local_only(self, source: Source) -> list[str]:
        """Filters this side applies to what the source returned."""
        if source == "feed":
            country = self.country
            return [n for n, v in (("q", self.q), ("country", country and len(country) != 2)) if v]
        return ["client_spend_min"] if self.client_spend_min is not None else []

    def matches_locally(self, job: Listing, source: Source) -> bool:
        local = self.local_only(source)
        text = f"{job.title} {job.description}".lower()
        checks = {
            "q": lambda: all(word in text for word in (self.q or "").lower().split()),
            "country": lambda: (job.client_country or "").lower() == (self.country or "").lower(),
            "client_spend_min": lambda: (job.client_spent or 0) >= (self.client_spend_min or 0),
        }
        return all(checks[name]() for name in local)

    def feed_fields(self, since: datetime | None, limit: int, offset: int = 0) -> dict[str, object]:
        """Arguments for the engine's FeedQuery: newest first, since `since` when a check has run."""
        country = self.country if self.country and len(self.country) == 2 else None
        return {
            "limit": limit,
            "offset": offset,
            "sort": "posted_on_desc",
            "skills": self.skills,
            "category": slug(self.category) if self.category and not self.category.isdigit() else None,
            "job_type": self.job_type,
            "contractor_tier": self.level,
            "payment_verified": self.payment_verified,
            "budget_min": self.budget_min,
            "budget_max": self.budget_max,
            "hourly_min": self.hourly_min,
            "hourly_max": self.hourly_max,
            "country": country,
            "buyer_total_spent_min": self.client_spend_min,
            "posted_after": since,
        }

    def search_fields(
        self, category_ids: tuple[str, ...], since: datetime | None, limit: int, offset: int = 0
    ) -> dict[str, object]:
        """Arguments for the engine's JobSearchFilters: by recency, within the days since `since`."""
        days = None
        if since is not None:
            days = max(1, min(90, (datetime.now(since.tzinfo) - since + timedelta(hours=23)).days))
        return {
            "query": self.q,
            "skills": self.skills,
            "category_ids": category_ids,
            "job_type": self.job_type,
            "budget_min": int(self.budget_min) if self.budget_min is not None else None,
            "budget_max": int(self.budget_max) if self.budget_max is not None else None,
            "hourly_min": int(self.hourly_min) if self.hourly_min is not None else None,
            "hourly_max": int(self.hourly_max) if self.hourly_max is not None else None,
            "experience_level": self.level,
            "verified_payment_only": bool(self.payment_verified),
            "locations": (self.country,) if self.country else (),
            "days_posted": days,
            "sort": "recency",
            "offset": offset,
            "limit": limit,
            # One request per page: each is counted against the daily search budget (filters Upwork ignores
            # are applied to that page only, and the next page continues where Upwork's left off).
            "max_scanned": limit,
        }
