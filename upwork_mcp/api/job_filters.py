"""Job-search filters Upwork takes but does not apply, applied here to the jobs it returned.

Upwork's search accepts `budgetRange_eq` and `hourlyRate_eq` and silently ignores both, and answers no
job at all for any `workload_eq` (facts page, "Filters that do nothing", live 2026-04 and 2026-08). So the
engine never sends them: each becomes a `LocalFilter` judged on the returned nodes, the way users of the
API do it (budgets and rates by overlap, workload from the job's engagement text), and the result carries
a `LocalFilterReport` per filter so every caller can say the filter was applied locally and how much it kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from ..models.jobs import JobSearchNode, LocalFilterReport

Workload = Literal["full_time", "part_time", "as_needed"]

# Upwork's engagement texts ("Less than 30 hrs/week", "More than 30 hrs/week", "Hours to be determined",
# older "30+ hrs/week", "10-30 hrs/week"), read as the workload values search_jobs offers.
_WORKLOAD_WORDS: dict[Workload, tuple[str, ...]] = {
    "full_time": ("more than 30", "30+", "full time", "full-time"),
    "part_time": ("less than 30", "less than 10", "10-30", "part time", "part-time"),
    "as_needed": ("to be determined", "as needed", "not sure"),
}


@dataclass(frozen=True)
class LocalFilter:
    name: str
    description: str
    why: str
    test: Callable[[JobSearchNode], bool]


def _amount(value: float | None) -> str:
    return f"${value:,.0f}" if value is not None else ""


def _range(lo: int | None, hi: int | None, unit: str = "") -> str:
    if lo is not None and hi is not None:
        return f"{_amount(lo)}-{_amount(hi)}{unit}"
    return f"{_amount(lo)}+{unit}" if lo is not None else f"up to {_amount(hi)}{unit}"


def _overlaps(lo: float | None, hi: float | None, want_lo: int | None, want_hi: int | None) -> bool:
    """Whether the job's range [lo, hi] meets the asked range; a job that states no figure does not."""
    if lo is None and hi is None:
        return False
    low = lo if lo is not None else hi
    high = hi if hi is not None else lo
    assert low is not None and high is not None
    return (want_lo is None or high >= want_lo) and (want_hi is None or low <= want_hi)


def _in_budget(job: JobSearchNode, lo: int | None, hi: int | None) -> bool:
    amount = job.amount.amount if job.amount else None
    return job.is_fixed and _overlaps(amount, amount, lo, hi)


def _in_rate(job: JobSearchNode, lo: int | None, hi: int | None) -> bool:
    low = job.hourly_budget_min.amount if job.hourly_budget_min else None
    high = job.hourly_budget_max.amount if job.hourly_budget_max else None
    return not job.is_fixed and _overlaps(low, high, lo, hi)


def workload_of(engagement: str | None) -> Workload | None:
    """The workload a job's engagement text states (fixed-price jobs state none)."""
    text = (engagement or "").lower()
    return next((w for w, words in _WORKLOAD_WORDS.items() if any(word in text for word in words)), None)


def local_filters(
    *,
    budget_min: int | None = None,
    budget_max: int | None = None,
    hourly_min: int | None = None,
    hourly_max: int | None = None,
    workload: Workload | None = None,
) -> list[LocalFilter]:
    """The filters to apply here. A budget means fixed-price jobs and a rate hourly ones; given both, a job
    passes by whichever fits its type."""
    out: list[LocalFilter] = []
    budget = budget_min is not None or budget_max is not None
    hourly = hourly_min is not None or hourly_max is not None
    if budget and hourly:
        out.append(
            LocalFilter(
                "budget/hourly",
                f"fixed budget {_range(budget_min, budget_max)} or rate {_range(hourly_min, hourly_max, '/hr')}",
                "Upwork ignores budgetRange_eq and hourlyRate_eq",
                lambda j: _in_budget(j, budget_min, budget_max) or _in_rate(j, hourly_min, hourly_max),
            )
        )
    elif budget:
        out.append(
            LocalFilter(
                "budget",
                f"fixed budget {_range(budget_min, budget_max)}",
                "Upwork ignores budgetRange_eq",
                lambda j: _in_budget(j, budget_min, budget_max),
            )
        )
    elif hourly:
        out.append(
            LocalFilter(
                "hourly",
                f"hourly rate {_range(hourly_min, hourly_max, '/hr')} (overlapping the job's range)",
                "Upwork ignores hourlyRate_eq",
                lambda j: _in_rate(j, hourly_min, hourly_max),
            )
        )
    if workload is not None:
        out.append(
            LocalFilter(
                "workload",
                f"workload {workload.replace('_', ' ')} (from the job's hours per week)",
                "Upwork answers no job at all for workload_eq",
                lambda j: workload_of(j.engagement) == workload,
            )
        )
    return out


class Tally:
    """The filters over every job scanned: which jobs pass them all, and how many each kept alone."""

    def __init__(self, filters: list[LocalFilter]) -> None:
        self.filters = filters
        self.kept = [0] * len(filters)
        self.scanned = 0

    def passes(self, job: JobSearchNode) -> bool:
        self.scanned += 1
        results = [f.test(job) for f in self.filters]
        for i, ok in enumerate(results):
            self.kept[i] += ok
        return all(results)

    def keep(self, jobs: Iterable[JobSearchNode]) -> list[JobSearchNode]:
        return [j for j in jobs if self.passes(j)]

    def reports(self) -> list[LocalFilterReport]:
        return [
            LocalFilterReport(name=f.name, description=f.description, why=f.why, kept=n)
            for f, n in zip(self.filters, self.kept, strict=True)
        ]
