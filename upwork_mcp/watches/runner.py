"""`upwork-mcp watch run`: check every watch when it is due, deliver what is queued, repeat.

The policy guard: a scheduled watch over Upwork's own search runs only when allowed ([search]
allow_scheduled, or --allow-search), at most every min_interval_minutes, and within the daily
request budget; the feed, built for polling, needs none of that.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import anyio
import anyio.to_thread

from ..errors import UpworkError
from .delivery import Deliverer, Outcome
from .service import CheckReport, PolicyError, Watches

TICK = 5.0  # how often a long run looks at the outbox and the schedule


@dataclass
class RunLog:
    reports: list[CheckReport] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # why a watch was not checked
    errors: list[str] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)


async def run(
    watches: Watches,
    deliverer: Deliverer,
    *,
    once: bool,
    allow_search: bool = False,
    say: Callable[[str], None] = print,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
) -> RunLog:
    policy = watches.config.search
    allowed = allow_search or policy.allow_scheduled
    log = RunLog()
    while True:
        await anyio.to_thread.run_sync(watches.store.prune)
        for watch, row in await watches.all():
            interval = watch.interval_minutes
            if watch.source == "search":
                if not allowed:
                    log.skipped.append(f"{watch.name}: a scheduled watch over Upwork's search needs --allow-search")
                    continue
                interval = max(interval, policy.min_interval_minutes)
            if row.checked is not None and clock() - row.checked < interval * 60:
                continue
            try:
                report = await watches.check(watch.name)
            except PolicyError as exc:
                log.errors.append(f"{watch.name}: {exc}")
                say(f"{watch.name}: stopped: {exc}")
                continue
            except UpworkError as exc:
                log.errors.append(f"{watch.name}: {exc}")
                say(f"{watch.name}: check failed: {exc}")
                continue
            log.reports.append(report)
            say(
                f"{watch.name}: {len(report.found)} new"
                + (" (first check: the newest few, the rest marked seen)" if report.first else "")
                + (f", queued for {', '.join(report.queued)}" if report.queued else "")
                + (f"; search budget {report.budget[0]}/{report.budget[1]} today" if report.budget else "")
            )
        outcome = await deliverer.deliver_due()
        log.outcomes.append(outcome)
        if outcome.delivered or outcome.retrying or outcome.failed or outcome.held:
            say(
                f"delivered {outcome.delivered}, retrying {outcome.retrying}, failed {outcome.failed}, "
                f"held for quiet hours {outcome.held}"
            )
        for line in log.skipped if once else ():
            say(f"skipped {line}")
        if once:
            return log
        log.skipped.clear()
        await sleep(TICK)
