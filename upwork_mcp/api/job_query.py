"""One vocabulary for job filters, whatever the source: Upwork's search, the Jobs API feed, a watch.

`JobFilters` names each concept once, with one type and one unit (`hourly_min` in USD/hour, `country` as
an ISO-2 code read from a code or a name, `posted_within_days` in days). It is mapped to each source here:
to the search variables Upwork honours (`search_fields`, for `JobSearchFilters`), to the feed's query
parameters (`feed_fields`, for `FeedQuery`), and to the filters applied here to what a source returned
(`local`). `not_applied_by(source)` says which filters a source does not apply itself, and why; every
result built from these filters says so.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .countries import country_code, country_name
from .job_filters import LocalFilter, local_filters
from .jobs import FIXED_USD_MAX, HOURLY_USD_MAX, SPEND_USD_MAX

Source = Literal["search", "feed"]
Level = Literal["entry", "intermediate", "expert"]
MAX_DAYS = 90
Fixed = Annotated[float | None, Field(ge=0, le=FIXED_USD_MAX, allow_inf_nan=False)]  # USD
Hourly = Annotated[float | None, Field(ge=0, le=HOURLY_USD_MAX, allow_inf_nan=False)]  # USD/hour
Spend = Annotated[float | None, Field(ge=0, le=SPEND_USD_MAX, allow_inf_nan=False)]  # USD

# Why a source does not apply a filter itself (it is applied here to what the source returned).
_SEARCH_IGNORES_RATE = "Upwork ignores hourlyRate_eq"
_SEARCH_IGNORES_BUDGET = "Upwork ignores budgetRange_eq"
FEED_RATE = "the feed does not document how it reads a range; checked here against the job's whole range"
_FEED_BOTH = "the feed would require both; here a job passes by the one that fits its type"
_NOT_APPLIED: dict[Source, dict[str, str]] = {
    "search": {
        "hourly_min": _SEARCH_IGNORES_RATE,
        "hourly_max": _SEARCH_IGNORES_RATE,
        "budget_min": _SEARCH_IGNORES_BUDGET,
        "budget_max": _SEARCH_IGNORES_BUDGET,
        "client_spend_min": "Upwork's search has no client-spend filter",
    },
    "feed": {
        "q": "the feed has no keyword parameter",
    },
}


def slug(label: str) -> str:
    """A category name as the feed's slug: "Web, Mobile & Software Dev" -> "web-mobile-software-dev"."""
    return "-".join(re.sub(r"[^a-z0-9]+", " ", label.lower()).split())


class JobFilters(BaseModel):
    """What a person asks of jobs, in one vocabulary for every source."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    q: str | None = Field(default=None, max_length=500)
    skills: tuple[str, ...] = Field(default=(), max_length=30)
    category: str | None = Field(default=None, max_length=100)  # a name, the feed's slug, or Upwork's id
    experience_level: Level | None = None
    job_type: Literal["hourly", "fixed"] | None = None
    hourly_min: Hourly = None  # USD/hour: the job's whole range at or above
    hourly_max: Hourly = None  # USD/hour: the job's whole range at or below
    budget_min: Fixed = None  # USD, fixed price
    budget_max: Fixed = None
    client_spend_min: Spend = None  # USD the client has spent on Upwork
    client_hires_min: int | None = Field(default=None, ge=0, le=1_000_000)
    payment_verified: bool = False  # only clients whose payment method is verified
    country: str | None = None  # the client's country, ISO-2 (a name is read into its code)
    posted_within_days: int | None = Field(default=None, ge=1, le=MAX_DAYS)

    @field_validator("skills", mode="before")
    @classmethod
    def _skills(cls, value: Any) -> Any:
        """A list of skills, or one comma-separated string of them."""
        items = value.split(",") if isinstance(value, str) else value
        if isinstance(items, (list, tuple)):
            return tuple(dict.fromkeys(s.strip() for s in items if isinstance(s, str) and s.strip()))
        return value

    @field_validator("country", mode="before")
    @classmethod
    def _country(cls, value: Any) -> Any:
        return country_code(value) if isinstance(value, str) and value.strip() else None

    @field_validator("q", "category", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return value.strip() or None if isinstance(value, str) else value

    @model_validator(mode="after")
    def _ranges(self) -> JobFilters:
        for name in ("hourly", "budget"):
            lo, hi = getattr(self, f"{name}_min"), getattr(self, f"{name}_max")
            if lo is not None and hi is not None and lo > hi:
                raise ValueError(f"{name}_min ({lo:g}) is above {name}_max ({hi:g}); swap them")
        if self.job_type == "fixed" and (self.hourly_min is not None or self.hourly_max is not None):
            raise ValueError("an hourly rate keeps hourly jobs only; with job_type=fixed nothing would pass")
        if self.job_type == "hourly" and (self.budget_min is not None or self.budget_max is not None):
            raise ValueError("a fixed budget keeps fixed-price jobs only; with job_type=hourly nothing would pass")
        return self

    def given(self) -> list[str]:
        """The filters set, by name."""
        return [k for k, v in self.model_dump().items() if v not in (None, (), "", False)]

    def _both_kinds(self) -> bool:
        return (self.budget_min is not None or self.budget_max is not None) and (
            self.hourly_min is not None or self.hourly_max is not None
        )

    def not_applied_by(self, source: Source) -> dict[str, str]:
        """The filters set that `source` does not apply itself (they are applied here), each with why."""
        why = dict(_NOT_APPLIED[source])
        if source == "feed":
            why |= {"hourly_min": FEED_RATE, "hourly_max": FEED_RATE}
            if self._both_kinds():
                why |= dict.fromkeys(("budget_min", "budget_max", "hourly_min", "hourly_max"), _FEED_BOTH)
        return {name: why[name] for name in self.given() if name in why}

    def local(self, source: Source) -> list[LocalFilter]:
        """The filters applied here to what `source` returned (the ones it does not apply itself)."""
        missing = self.not_applied_by(source)
        reasons = {
            "hourly": missing.get("hourly_min") or missing.get("hourly_max") or "",
            "budget": missing.get("budget_min") or missing.get("budget_max") or "",
            "client_spend_min": missing.get("client_spend_min", ""),
            "q": missing.get("q", ""),
        }
        reasons["budget/hourly"] = reasons["budget"] or reasons["hourly"]
        hourly = "hourly_min" in missing or "hourly_max" in missing
        budget = "budget_min" in missing or "budget_max" in missing
        return local_filters(
            budget_min=self.budget_min if budget else None,
            budget_max=self.budget_max if budget else None,
            hourly_min=self.hourly_min if hourly else None,
            hourly_max=self.hourly_max if hourly else None,
            client_spend_min=self.client_spend_min if "client_spend_min" in missing else None,
            q=self.q if "q" in missing else None,
            why=reasons,
        )

    def search_fields(self, category_ids: tuple[str, ...] = ()) -> dict[str, Any]:
        """Arguments for the engine's `JobSearchFilters` (Upwork's search). `category_ids` are the ids of
        `category` (Upwork's search takes ids only: a name silently finds nothing); budgets, rates and client
        spend go to `JobSearchFilters`, which applies them here."""
        return {
            "query": self.q,
            "skills": self.skills,
            "category_ids": category_ids,
            "job_type": self.job_type,
            "experience_level": self.experience_level,
            "hourly_min": self.hourly_min,
            "hourly_max": self.hourly_max,
            "budget_min": self.budget_min,
            "budget_max": self.budget_max,
            "client_spend_min": self.client_spend_min,
            "client_hires_min": self.client_hires_min,
            "verified_payment_only": self.payment_verified,
            "locations": (country_name(self.country),) if self.country else (),
            "days_posted": self.posted_within_days,
        }

    def feed_fields(self, now: datetime) -> dict[str, Any]:
        """Arguments for the engine's `FeedQuery` (the feed's own parameters); `local("feed")` is the rest."""
        if self.category and self.category.isdigit():
            raise ValueError(
                f"category {self.category!r} is an Upwork category id; the feed takes the category's name "
                "(Web, Mobile & Software Dev) or its slug (web-mobile-software-dev)"
            )
        both = self._both_kinds()
        return {
            "skills": self.skills,
            "category": slug(self.category) if self.category else None,
            "job_type": self.job_type,
            "contractor_tier": self.experience_level,
            "payment_verified": True if self.payment_verified else None,
            "budget_min": None if both else self.budget_min,
            "budget_max": None if both else self.budget_max,
            # sent too, to narrow the page: whatever the feed's reading, the check here is the person's
            "hourly_min": None if both else self.hourly_min,
            "hourly_max": None if both else self.hourly_max,
            "country": self.country,
            "buyer_total_spent_min": self.client_spend_min,
            "buyer_total_assignments_min": self.client_hires_min,
            "posted_after": now - timedelta(days=self.posted_within_days) if self.posted_within_days else None,
        }


def not_applied_line(filters: JobFilters, source: Source) -> str | None:
    """What a result says about the filters its source did not apply itself."""
    missing = filters.not_applied_by(source)
    if not missing:
        return None
    by_why: dict[str, list[str]] = {}
    for name, why in missing.items():
        by_why.setdefault(why, []).append(name)
    who = "Upwork's search" if source == "search" else "the feed"
    return f"Not applied by {who}, applied here: " + "; ".join(f"{', '.join(n)} ({w})" for w, n in by_why.items())
