"""`upwork-mcp watch add|list|preview|check|remove|run|config|criteria`: the watch tools, for the terminal and
cron. With UPWORK_DATABASE_URL, `list` and `run` cover every user of the team deployment."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
import httpx

from ..errors import CriteriaNeeded, InvalidInputError
from ..watches import criteria as stated
from ..watches.config import default_text
from ..watches.delivery import Deliverer, change_dict
from ..watches.filters import WatchFilters
from ..watches.runner import run
from ..watches.service import PROPOSALS_MIN_INTERVAL, Found, Watch, Watches
from ..watches.urls import parse_search_url
from ..world import Engine

CLI_ACCEPT = "the starting point you accepted (`upwork-mcp watch {how}`)"
CLI_SET = "your criteria (set with `upwork-mcp watch criteria`)"


def _found(f: Found) -> str:
    s = f.score
    head = " | ".join(str(p) for p in (f.job.title, f.job.budget_text(), s.line(3), f.change, f.job.url) if p)
    return "\n".join([f"  {head}", *[f"    FLAG {flag}" for flag in s.flags]])


def _filters(args: argparse.Namespace) -> tuple[WatchFilters, dict[str, str]]:
    fields: dict[str, Any] = {
        k: v
        for k, v in {
            "q": args.q,
            "skills": tuple(s.strip() for s in (args.skills or "").split(",") if s.strip()),
            "category": args.category,
            "job_type": args.job_type,
            "budget_min": args.budget_min,
            "budget_max": args.budget_max,
            "hourly_min": args.hourly_min,
            "experience_level": args.level,
            "payment_verified": True if args.payment_verified else None,
            "country": args.country,
            "client_spend_min": args.client_spend_min,
        }.items()
        if v not in (None, ())
    }
    unmapped: dict[str, str] = {}
    if args.url:
        parsed = parse_search_url(args.url)
        unmapped = parsed.unmapped
        fields = {**parsed.filters.model_dump(exclude_defaults=True), **fields}
    try:
        return WatchFilters.model_validate(fields), unmapped
    except ValueError as exc:
        raise InvalidInputError(str(exc).replace("\n", " ")) from None


def _words(text: str | None) -> list[str] | None:
    return None if text is None else [w.strip() for w in text.split(",") if w.strip()]


async def _criteria(args: argparse.Namespace, watches: Watches, say: Callable[[str], None]) -> int:
    current = await watches.stated_profile()
    changes = {
        "want": _words(args.want),
        "avoid": _words(args.avoid),
        "rate_floor": args.rate_floor,
        "fixed_floor": args.fixed_floor,
        "exclude_countries": _words(args.exclude_countries),
        "require_verified_payment": args.require_verified_payment,
        "apply_at": args.apply_at,
        "review_at": args.review_at,
    }
    if args.accept:
        profile = await watches.set_criteria(stated.starting_point(), CLI_ACCEPT.format(how="criteria --accept"))
        say(f"Ranking by {profile.origin}: {stated.describe(profile)}")
        return 0
    if all(v is None for v in changes.values()):
        if current is None:
            raise stated.needed()
        say(f"Ranking by {current.origin}: {stated.describe(current)}")
        return 0
    row = await _stored_spec(watches)
    base = row if row is not None else stated.starting_point()
    try:
        spec = stated.stated(base, **changes)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None
    profile = await watches.set_criteria(spec, CLI_SET)
    say(f"Ranking by {profile.origin}: {stated.describe(profile)}")
    return 0


async def _stored_spec(watches: Watches) -> dict[str, Any] | None:
    row = await anyio.to_thread.run_sync(watches.store.criteria)
    return row[0] if row else None


async def _ensure_criteria(watches: Watches, say: Callable[[str], None]) -> None:
    """A person at a terminal may accept the starting point here; anyone else states criteria first."""
    if await watches.stated_profile() is not None:
        return
    exc = stated.needed()
    if not sys.stdin.isatty():
        raise exc
    say(str(exc))
    answer = await anyio.to_thread.run_sync(input, "Rank this watch's jobs by the starting point as it is? [y/N] ")
    if answer.strip().lower() not in ("y", "yes"):
        raise CriteriaNeeded("Not added: no criteria of yours to rank its jobs by.")
    await watches.set_criteria(stated.starting_point(), CLI_ACCEPT.format(how="add"))


def _say(text: str) -> None:
    print(text, flush=True)  # a line as it happens, also into a file or a pipe


async def command(args: argparse.Namespace, engine: Engine) -> int:
    watches: Watches = engine.watches()
    action = args.watch_command
    if action == "config":
        path = engine.world.settings.resolved_watch_config()
        print(f"# {path} ({'in use' if path.exists() else 'not there yet: these are the defaults'})")
        print(path.read_text(encoding="utf-8") if path.exists() else default_text())
        return 0
    if action == "criteria":
        return await _criteria(args, watches, _say)
    if action == "add":
        filters, unmapped = _filters(args)
        floor = {"search": watches.config.search.min_interval_minutes, "proposals": PROPOSALS_MIN_INTERVAL}
        interval = args.interval or floor.get(args.source, 10)
        watch = Watch(args.name, args.source, filters, tuple(args.sink or ()), interval, unmapped, args.min_verdict)
        if watch.source == "proposals":
            return await _add_proposals(watches, watch)
        await _ensure_criteria(watches, _say)
        if watch.source == "feed":
            _say(await watches.feed_cost(watch.interval_minutes))
        watch = await watches.create(watch)
        sinks = f", to {', '.join(watch.sinks)} ({watch.min_verdict or 'APPLY and REVIEW'})" if watch.sinks else ""
        _say(f"Watch {watch.name}: {watch.source}, {filters.summary()}, every {watch.interval_minutes} min{sinks}")
        if unmapped:
            _say("Not used from the URL: " + ", ".join(f"{k}={v}" for k, v in unmapped.items()))
        _say("Checked when `upwork-mcp watch run` is running (or `watch check` now); nothing checks it otherwise.")
        return 0
    if action == "list":
        return await _list(engine)
    if action == "remove":
        if not await watches.remove(args.name):
            raise InvalidInputError(f"No watch {args.name!r} (upwork-mcp watch list shows them).")
        _say(f"Watch {args.name} removed.")
        return 0
    if action == "preview":
        preview = await watches.preview(args.name)
        ranked = sorted(preview.found, key=lambda f: -(f.score.score if f.score.score is not None else -1))
        _say(f"{args.name}: {len(preview.found)} matching" + (" (from the last check)" if preview.stored else ""))
        for found in ranked[: args.limit]:
            _say(_found(found))
        return 0
    if action == "check":
        reports, errors = await watches.check_many(args.names or [w.name for w, _ in await watches.all()])
        for report in reports:
            if report.source == "proposals":
                said = "first check: your proposals recorded" if report.first else f"{len(report.changes)} change(s)"
                queued = f", queued for {', '.join(report.queued)}" if report.queued else ""
                _say(f"{report.watch}: {said}{queued}")
                for change in report.changes:
                    _say(f"  {change_dict(asdict(change))['line']}")
                continue
            _say(
                f"{report.watch}: {len(report.found)} new"
                + (" (first check: newest few; the rest marked seen)" if report.first else "")
            )
            for found in report.found:
                _say(_found(found))
        for name, failure in errors:
            _say(f"{name}: not checked: {failure}")
        return 1 if errors else 0
    return await _run(args, engine)


async def _add_proposals(watches: Watches, watch: Watch) -> int:
    if not watch.sinks:
        raise InvalidInputError(
            "A proposals watch sends changes to sinks: give --sink NAME (upwork-mcp sink list; sink add makes one)."
        )
    watch = await watches.create(watch)
    base = await watches.start_following(watch)
    _say(
        f"Watch {watch.name}: changes to your proposals, every {watch.interval_minutes} min, "
        f"to {', '.join(watch.sinks)} (each change once, also one a conversation or `upwork-mcp call check_proposals` "
        "saw first)"
    )
    _say("Checked when `upwork-mcp watch run` is running (or `watch check` now).")
    if base is None:
        _say("Upwork could not be read now: its first check records your proposals.")
    elif base.first or not base.changes:
        _say(f"It follows your {base.tracked} proposals from now.")
    else:
        _say(f"It follows from now. Since your last look ({len(base.changes)}, not sent):")
        for change in base.changes:
            _say(f"  {change_dict(asdict(change))['line']}")
    return 0


async def _list(engine: Engine) -> int:
    total = 0
    for owner in engine.owners() or [None]:
        watches = engine.watches(owner)
        good, bad = await watches.entries()
        who = f"{owner}/" if owner else ""
        for watch, row in good:
            checked = (
                datetime.fromtimestamp(row.checked, UTC).strftime("%Y-%m-%d %H:%M UTC") if row.checked else "never"
            )
            sinks = f" -> {', '.join(watch.sinks)}" if watch.sinks else ""
            what = watch.filters.summary() if watch.source != "proposals" else "every change"
            _say(f"{who}{watch.name}: {watch.source}, {what}, every {watch.interval_minutes} min, "
                 f"checked {checked}{sinks}")  # fmt: skip
        for name, why in bad:
            _say(f"{who}{name}: BROKEN: {why}")
        total += len(good) + len(bad)
    used, limit = await engine.watches().search_budget()
    _say(f"{total} watch{'' if total == 1 else 'es'}; Upwork search budget today {used}/{limit}")
    return 0


async def _run(args: argparse.Namespace, engine: Engine) -> int:
    # Connecting and the first byte are bounded here; the whole answer by the deliverer's deadline.
    async with httpx.AsyncClient(timeout=httpx.Timeout(10, connect=5), follow_redirects=False) as http:
        deliverer = Deliverer(engine, http)
        owners = engine.owners()
        _say(
            f"watch run: {len(owners)} user(s) with watches; a round when a watch is due, one feed request for all "
            f"due feed watches; deliveries as they happen{'; once' if args.once else ' (Ctrl-C stops)'}"
        )
        log = await run(engine, deliverer, once=args.once, allow_search=args.allow_search, say=_say)
    return 1 if log.errors else 0
