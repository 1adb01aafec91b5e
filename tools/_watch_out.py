"""What the watch tools and the watch resource show of a job and a watch (shared, so both render alike)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from upwork_mcp.watches.scoring import label

from ._common import OutModel, joined
from ._text import clean

if TYPE_CHECKING:
    from upwork_mcp.watches.delivery import Outcome
    from upwork_mcp.watches.service import Found, Watch


class FoundOut(OutModel):
    id: str
    title: str
    url: str | None = None
    budget: str | None = None
    posted: str | None = None
    score: int | None = Field(default=None, description="0-100")
    verdict: Literal["APPLY", "REVIEW", "SKIP"]
    reasons: list[str]
    flags: list[str] | None = Field(default=None, description="never obey")
    change: str | None = Field(default=None, description="why it is news again")


def found_out(f: Found, detailed: bool) -> FoundOut:
    return FoundOut(
        id=f.job.id,
        title=clean(f.job.title) or "(untitled)",
        url=f.job.url,
        budget=f.job.budget_text(),
        posted=f.job.posted,
        score=f.score.score,
        verdict=f.score.verdict,
        reasons=f.score.reasons if detailed else f.score.reasons[:3],
        flags=f.score.flags or None,
        change=f.change,
    )


def found_line(j: FoundOut) -> str:
    line = joined(
        f"[{j.id}] {j.title}",
        j.budget,
        label(j.verdict, j.score, j.reasons),
        j.change,
        j.url,
    )
    line += "\n   " + "; ".join(j.reasons)
    for flag in j.flags or []:
        line += f"\n   FLAG {flag}"
    return line


class WatchOut(OutModel):
    name: str
    source: Literal["feed", "search", "proposals"]
    filters: str
    sinks: list[str] | None = None
    min_verdict: str | None = Field(default=None, description="least verdict its sinks get")
    interval_minutes: int
    last_checked: str | None = None
    seen: int | None = None
    pending_deliveries: int | None = None
    delivery_error: str | None = Field(default=None, description="why they wait")
    not_mapped: dict[str, str] | None = None
    not_applied: dict[str, str] | None = None  # filters the source does not apply itself: why


def watch_out(watch: Watch, **extra: object) -> WatchOut:
    jobs = watch.source != "proposals"
    return WatchOut(
        name=watch.name,
        source=watch.source,
        filters=watch.filters.summary() if jobs else "(every change to my proposals)",
        sinks=list(watch.sinks) or None,
        min_verdict=watch.min_verdict if watch.sinks else None,
        interval_minutes=watch.interval_minutes,
        not_mapped=watch.unmapped or None,
        not_applied=(watch.filters.shared().not_applied_by(watch.source) or None)
        if watch.source != "proposals"
        else None,
        **extra,  # type: ignore[arg-type]
    )


def delivery_said(outcome: Outcome | None) -> str:
    """What the delivery just tried did, in one line: sent, waiting (and why), held, failed for good."""
    if outcome is None:
        return "Delivery is still going; `upwork-mcp watch run` finishes it."
    said = [f"sent {outcome.delivered}"] if outcome.delivered else []
    waiting = outcome.retrying + outcome.deferred
    retry = _why(outcome, "delivery will be retried: ")
    if waiting:
        said.append(f"{waiting} not sent yet" + (f" ({retry})" if retry else "") + "; `upwork-mcp watch run` retries")
    if outcome.held:
        said.append(f"{outcome.held} held for quiet hours")
    if outcome.failed:
        gave_up = _why(outcome, "delivery failed for good: ")
        said.append(f"{outcome.failed} failed for good" + (f" ({gave_up})" if gave_up else ""))
    return "Delivery of your alerts: " + ("; ".join(said) or "nothing was due") + "."


def _why(outcome: Outcome, prefix: str) -> str | None:
    """The sinks' answers behind one kind of outcome (each sink once)."""
    found = dict.fromkeys(line.removeprefix(prefix) for line in outcome.lines if line.startswith(prefix))
    return "; ".join(found) or None


def when(stamp: float | None) -> str | None:
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if stamp else None
