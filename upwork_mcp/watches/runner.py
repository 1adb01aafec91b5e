"""`upwork-mcp watch run`: check every user's watches when due, deliver what is queued, repeat, and say so.

Each round asks the feed once for all due feed watches (`rounds.py`), then checks due search watches one
by one, then each user's due proposals watches (one look at their proposals), then delivers. It prints a
line per round and per delivery as they happen, and a loud line for every watch it skips and why (once,
and again when the reason changes).

The policy guard: a scheduled watch over Upwork's own search runs only when allowed ([search]
allow_scheduled, or --allow-search), at most every min_interval_minutes, and within the daily request
budget. The feed is built for polling but metered: rounds are spaced to stay within the plan's monthly
requests and the quota the feed reports (remembered in the store: a restarted runner waits out a used-up quota).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import anyio
import anyio.to_thread

from .delivery import Deliverer, Outcome, Scope
from .rounds import Member, RoundResult, feed_round, known_quota, spacing
from .service import PROPOSALS_MIN_INTERVAL, CheckReport, Watches, orphaned

TICK = 5.0  # how often a long run looks at the outbox and the schedule


class OneUser:
    """The scope of a single user's watches (the embedded store, or one user in a conversation)."""

    def __init__(self, watches: Watches) -> None:
        self._watches = watches

    def owners(self) -> list[str | None]:
        return [self._watches.store.owner]

    def watches(self, owner: str | None) -> Watches:
        if owner != self._watches.store.owner:
            raise LookupError("not this user's")
        return self._watches


@dataclass
class RunLog:
    rounds: int = 0
    feed_requests: int = 0
    reports: list[CheckReport] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # why a watch was not checked
    errors: list[str] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)


def _clock_text(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%H:%M:%SZ")


def _label(member: Member) -> str:
    return member.label


async def run(
    scope: Scope | Watches,
    deliverer: Deliverer,
    *,
    once: bool,
    allow_search: bool = False,
    say: Callable[[str], None] = print,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
) -> RunLog:
    scope = OneUser(scope) if isinstance(scope, Watches) else scope
    log = RunLog()
    next_feed = await _not_before(scope, clock())
    said: dict[str, str] = {}  # what was last said about each skipped watch
    waiting_said = False
    while True:
        now = clock()
        owners = scope.owners() or [None]
        home = scope.watches(None if None in owners else owners[0])
        config = home.config
        allowed = allow_search or config.search.allow_scheduled
        await anyio.to_thread.run_sync(home.store.prune)
        feed: list[Member] = []
        search: list[Member] = []
        proposals: list[Member] = []
        skips: dict[str, str] = {}
        for owner in owners:
            watches = scope.watches(owner)
            prefix = f"{owner}/" if owner else ""
            entries, broken = await watches.entries()
            for name, why in broken:
                skips[prefix + name] = why
            if any(w.source != "proposals" for w, _ in entries) and await watches.stated_profile() is None:
                for watch, _ in entries:
                    if watch.source != "proposals":
                        skips[prefix + watch.name] = (
                            "no ranking criteria stated yet (Upwork's terms: only the user's own); "
                            "`upwork-mcp watch criteria` shows the starting point"
                        )
                entries = [(w, r) for w, r in entries if w.source == "proposals"]
            known = (
                {s.name for s in await watches.sinks()} if any(w.source == "proposals" for w, _ in entries) else set()
            )
            for watch, row in entries:
                interval = watch.interval_minutes * 60
                if watch.source == "proposals":
                    if not any(s in known for s in watch.sinks):
                        skips[prefix + watch.name] = orphaned(watch)
                        continue
                    interval = max(interval, PROPOSALS_MIN_INTERVAL * 60)
                if watch.source == "search":
                    if not allowed:
                        skips[prefix + watch.name] = (
                            "a scheduled watch over Upwork's search needs --allow-search "
                            "(or [search] allow_scheduled = true)"
                        )
                        continue
                    interval = max(interval, config.search.min_interval_minutes * 60)
                if row.checked is not None and now - row.checked < interval:
                    continue
                {"feed": feed, "search": search, "proposals": proposals}[watch.source].append(
                    Member(watches, watch, row)
                )
        for label, why in skips.items():
            if said.get(label) != why:
                say(f"SKIPPED {label}: {why}")
        said = skips
        log.skipped = [f"{label}: {why}" for label, why in skips.items()]
        if feed and now < next_feed:
            if not waiting_said:
                say(
                    f"feed watches are due; the next feed round waits until {_clock_text(next_feed)} (the plan's quota)"
                )
                waiting_said = True
            feed = []
        if feed or search or proposals:
            waiting_said = False
            log.rounds += 1
            requests = await _round(home, feed, search, proposals, log, say, clock)
            if feed:
                quota = home.client.job_feed.quota or await anyio.to_thread.run_sync(known_quota, home.store)
                gap = spacing(quota, config.feed.monthly_requests, clock())
                next_feed = now + gap
                if gap > TICK:
                    plan = f"plan and quota: one per {gap / 60:.0f} min"
                    say(f"  next feed round not before {_clock_text(next_feed)} ({plan})")
            log.feed_requests += requests
        outcome = await deliverer.deliver_due()
        log.outcomes.append(outcome)
        for line in outcome.lines:
            say(line)
        if once:
            return log
        await sleep(TICK)


async def _not_before(scope: Scope, now: float) -> float:
    """When the first feed round may go: after the reset, if the quota the feed last reported (to any process of
    this store: an earlier run, job_feed_status) was used up."""
    owners = scope.owners() or [None]
    home = scope.watches(None if None in owners else owners[0])
    quota = await anyio.to_thread.run_sync(known_quota, home.store)
    if quota is None or quota.remaining is None or quota.remaining > 0 or quota.reset is None:
        return 0.0
    return float(quota.reset) if quota.reset > now else 0.0


async def _round(
    home: Watches,
    feed: list[Member],
    search: list[Member],
    proposals: list[Member],
    log: RunLog,
    say: Callable[[str], None],
    clock: Callable[[], float],
) -> int:
    """One round: the feed watches together, then each search watch; one line for the round, one per watch."""
    result = RoundResult([], [], 0)
    lines: list[str] = []
    if feed:
        try:
            result = await feed_round(home.client.job_feed, feed)
        except Exception as exc:  # the feed failing is this round's, said, and tried again next round
            why = f"{exc.__class__.__name__}: {exc}"[:300]
            log.errors += [f"{_label(m)}: {why}" for m in feed]
            lines.append(f"  the feed failed; {len(feed)} feed watch(es) wait for the next round: {why}")
    for member in search:
        try:
            report = await member.service.check_search(member.watch, member.row)
        except Exception as exc:  # one watch's failure stops only that watch
            result.errors.append((member, f"{exc.__class__.__name__}: {exc}"[:300]))
            continue
        result.reports.append((member, report))
    by_user: dict[int, list[Member]] = {}
    for member in proposals:  # one look at each user's proposals serves all their due proposals watches
        by_user.setdefault(id(member.service), []).append(member)
    for members in by_user.values():
        by_name = {m.watch.name: m for m in members}
        try:
            reports, failed = await members[0].service.check_proposals([(m.watch, m.row) for m in members])
        except Exception as exc:  # that user's proposals wait for the next round; the others go on
            result.errors += [(m, f"{exc.__class__.__name__}: {exc}"[:300]) for m in members]
            continue
        result.reports += [(by_name[r.watch], r) for r in reports]
        result.errors += [(by_name[name], str(exc)[:300]) for name, exc in failed]
    new = sum(len(r.found) + len(r.changes) for _, r in result.reports)
    queued = sorted({s for _, r in result.reports for s in r.queued})
    say(
        f"round {log.rounds} at {_clock_text(clock())}: {len(feed)} feed watch(es) in {result.requests} feed "
        f"request(s), {len(search)} search watch(es)"
        + (f", {len(proposals)} proposals watch(es)" if proposals else "")
        + f"; {new} new"
        + (f", queued for {', '.join(queued)}" if queued else "")
    )
    for member, report in result.reports:
        log.reports.append(report)
        if report.source == "proposals":
            say(
                f"  {_label(member)}: "
                + (
                    "first check: every proposal recorded, changes reported from the next"
                    if report.first
                    else f"{len(report.changes)} change(s) in your proposals"
                )
                + (f", queued for {', '.join(report.queued)}" if report.queued else "")
            )
            continue
        say(
            f"  {_label(member)}: {len(report.found)} new"
            + (" (first check: the newest few, the rest marked seen)" if report.first else "")
            + (f", queued for {', '.join(report.queued)}" if report.queued else "")
            + (f"; search budget {report.budget[0]}/{report.budget[1]} today" if report.budget else "")
        )
    for member, why in result.errors:
        log.errors.append(f"{_label(member)}: {why}")
        say(f"  {_label(member)}: check failed: {why}")
    for text in lines:
        say(text)
    return result.requests
