"""What a watch looks for, in one vocabulary for both sources; how each source is asked for it; and the one
local filter (`matches`) that decides whether a job a source returned is one the watch wants.

A source applies some filters itself (`SERVER_SIDE`); the rest are matched here on what it returned. The
feed has no keyword parameter, so `q` is always local there; Upwork's search silently ignores its budget
and rate filters (facts page), so those are local there. Several feed watches share one feed request
(`shared_feed_query`): the loosest query that covers them all, each watch then matched here in full.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from ..api.countries import country_code, country_name
from ..api.job_filters import within
from ..api.job_query import Fixed, Hourly, JobFilters, Spend, slug
from .listing import Listing, Source

Level = Literal["entry", "intermediate", "expert"]
Word = Annotated[str, Field(min_length=1, max_length=100)]
SERVER_SIDE: dict[str, frozenset[str]] = {
    "feed": frozenset(
        {"skills", "category", "job_type", "budget_min", "budget_max", "experience_level", "payment_verified",
         "country", "client_spend_min"}
    ),  # not the rates: the feed does not document how it reads a range, so they are checked here
    "search": frozenset({"q", "skills", "category", "job_type", "experience_level", "payment_verified", "country"}),
}  # fmt: skip
# Names a watch stored under before the job tools shared one vocabulary (read, never written).
_OLD_NAMES = {"level": "experience_level"}


class WatchFilters(BaseModel):
    """A watch's filters, named as every job tool names them (`upwork_mcp.api.job_query.JobFilters`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    q: str | None = Field(default=None, max_length=300)
    skills: tuple[Word, ...] = Field(default=(), max_length=20)
    category: str | None = Field(default=None, max_length=100)
    job_type: Literal["hourly", "fixed"] | None = None
    budget_min: Fixed = None  # the bounds every tool takes (api.job_query)
    budget_max: Fixed = None
    hourly_min: Hourly = None
    hourly_max: Hourly = None
    experience_level: Level | None = None
    payment_verified: bool | None = None
    country: str | None = Field(default=None, max_length=60)
    client_spend_min: Spend = None

    @model_validator(mode="before")
    @classmethod
    def _stored_earlier(cls, data: Any) -> Any:
        """Watches stored before the shared vocabulary: `level` is `experience_level`."""
        if isinstance(data, dict) and any(old in data for old in _OLD_NAMES):
            data = {_OLD_NAMES.get(k, k): v for k, v in data.items()}
        return data

    @field_validator("country", mode="after")
    @classmethod
    def _country(cls, value: str | None, info: ValidationInfo) -> str | None:
        """An ISO-2 code, from a code or an English name (a stored name is read the same way). A watch stored
        before countries were checked keeps a name this server does not know (matched by name), rather than
        failing to load: it was accepted when it was made."""
        if not value:
            return None
        try:
            return country_code(value)
        except ValueError:
            if isinstance(info.context, dict) and info.context.get("stored"):
                return value
            raise

    @classmethod
    def of(cls, filters: JobFilters) -> WatchFilters:
        """A watch's filters from the shared model (the filters a watch has; `given()` names the rest)."""
        fields = filters.model_dump(include=set(cls.model_fields), exclude_none=True)
        if not filters.payment_verified:
            fields.pop("payment_verified", None)
        return cls.model_validate(fields)

    def shared(self) -> JobFilters:
        """The same filters in the shared model (what each source can apply is said from it)."""
        return JobFilters.model_validate(
            {k: v for k, v in self.model_dump().items() if v not in (None, ()) and k != "payment_verified"}
            | {"payment_verified": bool(self.payment_verified)}
        )

    @field_validator("q", "category", "country", "skills", mode="after")
    @classmethod
    def _printable(cls, value: Any) -> Any:
        for text in value if isinstance(value, tuple) else (value,):
            if text is not None and not text.isprintable():
                raise ValueError("must be plain text on one line (no control or invisible characters)")
        return value

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

    def applied_by(self, source: Source) -> frozenset[str]:
        """The filters `source` applies itself when asked with this watch's own query."""
        applied = set(SERVER_SIDE[source])
        if source == "feed" and self.category and self.category.isdigit():
            applied.discard("category")  # the feed takes slugs; an id from Upwork's search cannot go there
        return frozenset(applied)

    def matches(self, job: Listing, applied: frozenset[str] = frozenset()) -> bool:
        """Whether `job` is one this watch wants. Filters in `applied` were applied by the source and are
        trusted; every other filter is checked on the job, and a job that does not show the value fails it."""
        for name, wanted in self.set_items():
            if name in applied:
                continue
            if not _holds(name, wanted, job):
                return False
        return True

    def feed_filters(self) -> dict[str, Any]:
        """The feed's own parameters for this watch (FeedQuery field names), without paging or time."""
        fields: dict[str, Any] = {
            "skills": self.skills,
            "category": slug(self.category) if self.category and not self.category.isdigit() else None,
            "job_type": self.job_type,
            "contractor_tier": self.experience_level,
            "payment_verified": self.payment_verified,
            "budget_min": self.budget_min,
            "budget_max": self.budget_max,
            "hourly_min": self.hourly_min,
            "hourly_max": self.hourly_max,
            "country": self.country,
            "buyer_total_spent_min": self.client_spend_min,
        }
        return {k: v for k, v in fields.items() if v not in (None, ())}

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
            # Sent as the search takes them, though Upwork is seen to ignore both ranges: `matches` checks them.
            "budget_min": int(self.budget_min) if self.budget_min is not None else None,
            "budget_max": int(self.budget_max) if self.budget_max is not None else None,
            "hourly_min": int(self.hourly_min) if self.hourly_min is not None else None,
            "hourly_max": int(self.hourly_max) if self.hourly_max is not None else None,
            "experience_level": self.experience_level,
            "verified_payment_only": bool(self.payment_verified),
            "locations": (country_name(self.country),) if self.country else (),
            "days_posted": days,
            "sort": "recency",
            "offset": offset,
            "limit": limit,
            # One request per page: each is counted against the daily search budget (filters Upwork ignores
            # are applied to that page only, and the next page continues where Upwork's left off).
            "max_scanned": limit,
        }


# The feed's own parameter for each watch filter (FeedQuery field names).
_FEED_NAME = {
    "skills": "skills", "category": "category", "job_type": "job_type", "experience_level": "contractor_tier",
    "payment_verified": "payment_verified", "budget_min": "budget_min", "budget_max": "budget_max",
    "hourly_min": "hourly_min", "hourly_max": "hourly_max", "country": "country",
    "client_spend_min": "buyer_total_spent_min",
}  # fmt: skip
_FLOORS = {"budget_min", "hourly_min", "buyer_total_spent_min"}
_CEILINGS = {"budget_max", "hourly_max"}


def shared_feed_query(watches: list[WatchFilters]) -> tuple[dict[str, Any], list[frozenset[str]]]:
    """The loosest feed query that returns every job any of `watches` wants (one request for all of them),
    and for each watch the filters that query applies exactly as the watch would (trusted, not rechecked).

    A parameter stays only when every watch has it: the same value, the lowest floor, the highest ceiling,
    or (skills, which the feed matches as any-of) all their skills together."""
    own = [w.feed_filters() for w in watches]
    query: dict[str, Any] = {}
    names: set[str] = set().union(*own) if own else set()
    for name in names:
        if not all(name in o for o in own):
            continue
        values = [o[name] for o in own]
        if name == "skills":
            query[name] = tuple(sorted({s for v in values for s in v}, key=str.lower))
        elif name in _FLOORS:
            query[name] = min(values)
        elif name in _CEILINGS:
            query[name] = max(values)
        elif all(v == values[0] for v in values):
            query[name] = values[0]
    applied = []
    for watch, mine in zip(watches, own, strict=True):
        exact = {n for n, feed in _FEED_NAME.items() if feed in mine and query.get(feed) == mine[feed]}
        applied.append(frozenset(exact & watch.applied_by("feed")))
    return query, applied


def _holds(name: str, wanted: Any, job: Listing) -> bool:
    """Whether `job` shows it meets one filter, as the feed applies it (a value the job lacks fails)."""
    if name == "q":
        text = f"{job.title} {job.description}".lower()
        return all(word in text for word in str(wanted).lower().split())
    if name == "skills":
        have = {str(s).lower() for s in (*job.skills, *job.extra.get("tags", ()))}
        return any(str(s).lower() in have for s in wanted)
    if name == "category":
        return str(wanted).isdigit() or (job.category is not None and slug(job.category) == slug(str(wanted)))
    if name == "job_type":
        return bool(job.job_type == wanted)
    if name == "experience_level":
        return bool(job.level == wanted)
    if name == "payment_verified":
        return job.payment_verified is wanted
    if name == "country":  # the feed says a code, Upwork's search a name
        if not job.client_country:
            return False
        if len(str(wanted)) != 2:  # a stored name this server has no code for: compared by name
            return str(job.client_country).casefold() == str(wanted).casefold()
        try:
            return bool(country_code(job.client_country) == wanted)
        except ValueError:
            return False
    if name == "client_spend_min":
        return job.client_spent is not None and job.client_spent >= float(wanted)
    if name in ("budget_min", "budget_max"):
        if job.job_type != "fixed" or job.budget is None:
            return False
        return job.budget >= float(wanted) if name == "budget_min" else job.budget <= float(wanted)
    if name in ("hourly_min", "hourly_max"):  # the job's whole stated range, as a person reads a rate
        low, high = job.hourly_min or job.hourly_max, job.hourly_max or job.hourly_min
        if job.job_type != "hourly" or low is None or high is None:
            return False
        return (
            within(low, high, float(wanted), None) if name == "hourly_min" else within(low, high, None, float(wanted))
        )
    return True
