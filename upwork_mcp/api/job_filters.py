"""Job filters a source does not apply, applied here to the jobs it returned, the same way for every source.

Upwork's search accepts `budgetRange_eq` and `hourlyRate_eq` and silently ignores both, and answers no
job at all for any `workload_eq` (facts page, "Filters that do nothing", live 2026-04 and 2026-08); it has
no client-spend filter. The feed has no keyword parameter, and its `hourly_min`/`hourly_max` are not
documented as a person reads them. So each such filter is a `LocalFilter`, judged on a `JobView` (what
either source says of a job), and the result carries a `LocalFilterReport` per filter: how many jobs it
kept, and how many it left out because they state no figure to judge.

Rates read as a person means them: "at least $50/hour" keeps a job whose whole stated range is at or
above $50 (a "$10-$50/hr" job is left out), "at most $30/hour" one whose range is at or below $30. A job
that states one end of its range is judged by that figure; a job that states no rate never passes a rate
filter and is counted as stating none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from ..models.job_feed import FeedJob
from ..models.jobs import JobSearchNode, LocalFilterReport

Workload = Literal["full_time", "part_time", "as_needed"]
J = TypeVar("J")

# Upwork's engagement texts ("Less than 30 hrs/week", "More than 30 hrs/week", "Hours to be determined",
# older "30+ hrs/week", "10-30 hrs/week"), read as the workload values search_jobs offers.
_WORKLOAD_WORDS: dict[Workload, tuple[str, ...]] = {
    "full_time": ("more than 30", "30+", "full time", "full-time"),
    "part_time": ("less than 30", "less than 10", "10-30", "part time", "part-time"),
    "as_needed": ("to be determined", "as needed", "not sure"),
}


@dataclass(frozen=True)
class JobView:
    """What a source says of one job, in the filters' terms (None: the job does not say)."""

    fixed: bool | None = None
    budget: float | None = None  # fixed price, USD
    rate_low: float | None = None  # hourly range, USD/hour
    rate_high: float | None = None
    engagement: str | None = None
    client_spent: float | None = None
    text: str = ""  # title and description

    @classmethod
    def of_search(cls, job: JobSearchNode) -> JobView:
        client = job.client
        return cls(
            fixed=job.is_fixed,
            budget=job.amount.amount if job.amount and job.is_fixed else None,
            rate_low=job.hourly_budget_min.amount if job.hourly_budget_min else None,
            rate_high=job.hourly_budget_max.amount if job.hourly_budget_max else None,
            engagement=job.engagement,
            client_spent=client.total_spent.amount if client and client.total_spent else None,
            text=f"{job.title or ''} {job.description or ''}",
        )

    @classmethod
    def of_feed(cls, job: FeedJob) -> JobView:
        hourly = job.hourly_budget
        return cls(
            fixed={1: False, 2: True}.get(job.job_type or 0),
            budget=job.budget.fixed_amount if job.budget else None,
            rate_low=hourly.min if hourly else None,
            rate_high=hourly.max if hourly else None,
            engagement=job.engagement,
            client_spent=job.buyer.total_spent if job.buyer else None,
            text=f"{job.title or ''} {job.description or ''}",
        )


@dataclass(frozen=True)
class LocalFilter:
    name: str
    description: str
    why: str
    test: Callable[[JobView], bool]
    # Whether the job states nothing this filter can judge (it then does not pass, and is counted).
    unstated: Callable[[JobView], bool] = lambda _: False


def _amount(value: float | None) -> str:
    return f"${value:,.0f}" if value is not None and value == int(value) else f"${value:,.2f}" if value else ""


def _range(lo: float | None, hi: float | None, unit: str = "") -> str:
    if lo is not None and hi is not None:
        return f"{_amount(lo)}-{_amount(hi)}{unit}"
    return f"at least {_amount(lo)}{unit}" if lo is not None else f"at most {_amount(hi)}{unit}"


def rate_range(job: JobView) -> tuple[float, float] | None:
    """The job's hourly range; one stated end stands for both; None when it states no rate."""
    low = job.rate_low if job.rate_low else None  # Upwork sends 0 for "not stated"
    high = job.rate_high if job.rate_high else None
    if low is None and high is None:
        return None
    return (low if low is not None else high), (high if high is not None else low)  # type: ignore[return-value]


def within(value_low: float, value_high: float, lo: float | None, hi: float | None) -> bool:
    """Whether [value_low, value_high] lies wholly at or above `lo` and at or below `hi`."""
    return (lo is None or value_low >= lo) and (hi is None or value_high <= hi)


def _in_budget(job: JobView, lo: float | None, hi: float | None) -> bool:
    return bool(job.fixed) and bool(job.budget) and within(job.budget or 0, job.budget or 0, lo, hi)


def _in_rate(job: JobView, lo: float | None, hi: float | None) -> bool:
    rates = rate_range(job)
    return job.fixed is False and rates is not None and within(*rates, lo, hi)


def workload_of(engagement: str | None) -> Workload | None:
    """The workload a job's engagement text states (fixed-price jobs state none)."""
    text = (engagement or "").lower()
    return next((w for w, words in _WORKLOAD_WORDS.items() if any(word in text for word in words)), None)


def local_filters(
    *,
    budget_min: float | None = None,
    budget_max: float | None = None,
    hourly_min: float | None = None,
    hourly_max: float | None = None,
    workload: Workload | None = None,
    client_spend_min: float | None = None,
    q: str | None = None,
    why: dict[str, str] | None = None,
) -> list[LocalFilter]:
    """The filters to apply here; `why` says, per filter name, why the source did not apply it. A budget
    means fixed-price jobs and a rate hourly ones; given both, a job passes by whichever fits its type."""
    reasons = why or {}
    out: list[LocalFilter] = []
    budget = budget_min is not None or budget_max is not None
    hourly = hourly_min is not None or hourly_max is not None

    def no_rate(j: JobView) -> bool:
        return j.fixed is False and rate_range(j) is None

    def no_budget(j: JobView) -> bool:
        return bool(j.fixed) and not j.budget

    if budget and hourly:
        out.append(
            LocalFilter(
                "budget/hourly",
                f"fixed budget {_range(budget_min, budget_max)} or rate {_range(hourly_min, hourly_max, '/hr')}",
                reasons.get("budget/hourly", ""),
                lambda j: _in_budget(j, budget_min, budget_max) or _in_rate(j, hourly_min, hourly_max),
                lambda j: no_rate(j) or no_budget(j),
            )
        )
    elif budget:
        out.append(
            LocalFilter(
                "budget",
                f"fixed budget {_range(budget_min, budget_max)}",
                reasons.get("budget", ""),
                lambda j: _in_budget(j, budget_min, budget_max),
                no_budget,
            )
        )
    elif hourly:
        out.append(
            LocalFilter(
                "hourly",
                f"hourly rate {_range(hourly_min, hourly_max, '/hr')} (the job's whole stated range)",
                reasons.get("hourly", ""),
                lambda j: _in_rate(j, hourly_min, hourly_max),
                no_rate,
            )
        )
    if workload is not None:
        out.append(
            LocalFilter(
                "workload",
                f"workload {workload.replace('_', ' ')} (from the job's hours per week)",
                reasons.get("workload", ""),
                lambda j: workload_of(j.engagement) == workload,
            )
        )
    if client_spend_min is not None:
        out.append(
            LocalFilter(
                "client_spend_min",
                f"client spent at least {_amount(client_spend_min)}",
                reasons.get("client_spend_min", ""),
                lambda j: j.client_spent is not None and j.client_spent >= client_spend_min,
                lambda j: j.client_spent is None,
            )
        )
    if q:
        words = q.lower().split()
        out.append(
            LocalFilter(
                "q",
                f"every word of {q!r} in the title or description",
                reasons.get("q", ""),
                lambda j: all(w in j.text.lower() for w in words),
            )
        )
    return out


class Tally(Generic[J]):
    """The filters over every job scanned: which jobs pass them all, how many each kept alone, and how many
    each left out for stating nothing to judge."""

    def __init__(self, filters: list[LocalFilter], view: Callable[[J], JobView]) -> None:
        self.filters = filters
        self.view = view
        self.kept = [0] * len(filters)
        self.unstated = [0] * len(filters)
        self.scanned = 0

    def passes(self, job: J) -> bool:
        self.scanned += 1
        seen = self.view(job)
        results = [f.test(seen) for f in self.filters]
        for i, (f, ok) in enumerate(zip(self.filters, results, strict=True)):
            self.kept[i] += ok
            self.unstated[i] += not ok and f.unstated(seen)
        return all(results)

    def keep(self, jobs: Iterable[J]) -> list[J]:
        return [j for j in jobs if self.passes(j)]

    def reports(self) -> list[LocalFilterReport]:
        return [
            LocalFilterReport(name=f.name, description=f.description, why=f.why, kept=n, unstated=u)
            for f, n, u in zip(self.filters, self.kept, self.unstated, strict=True)
        ]


def report_line(r: LocalFilterReport, scanned: int) -> str:
    """One local filter's report as the tools say it."""
    line = f"{r.description}: kept {r.kept} of {scanned}"
    if r.unstated:
        line += f", {r.unstated} left out for stating no figure"
    return line + (f" ({r.why})" if r.why else "")
