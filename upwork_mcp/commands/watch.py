"""`upwork-mcp watch add|list|preview|check|remove|run|config`: the watch tools, for the terminal and cron."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

import httpx

from ..errors import InvalidInputError
from ..watches.config import default_text
from ..watches.filters import WatchFilters
from ..watches.runner import run
from ..watches.scoring import label
from ..watches.service import Found, Watch, Watches
from ..watches.urls import parse_search_url
from ..world import Engine


def _found(f: Found) -> str:
    s = f.score
    head = " | ".join(
        str(p)
        for p in (
            f.job.title,
            f.job.budget_text(),
            label(s.verdict, s.score, s.reasons),
            f.change,
            f.job.url,
        )
        if p
    )
    lines = [f"  {head}", f"    {'; '.join(s.reasons[:3])}"]
    lines += [f"    FLAG {flag}" for flag in s.flags]
    return "\n".join(lines)


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
            "level": args.level,
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
        raise InvalidInputError(str(exc)) from None


async def command(args: argparse.Namespace, engine: Engine) -> int:
    watches: Watches = engine.watches()
    action = args.watch_command
    if action == "config":
        path = engine.world.settings.resolved_watch_config()
        print(f"# {path} ({'in use' if path.exists() else 'not there yet: these are the defaults'})")
        print(path.read_text(encoding="utf-8") if path.exists() else default_text())
        return 0
    if action == "add":
        filters, unmapped = _filters(args)
        interval = args.interval or (watches.config.search.min_interval_minutes if args.source == "search" else 10)
        watch = await watches.create(Watch(args.name, args.source, filters, tuple(args.sink or ()), interval, unmapped))
        print(f"Watch {watch.name}: {watch.source}, {filters.summary()}, every {watch.interval_minutes} min")
        if unmapped:
            print("Not used from the URL: " + ", ".join(f"{k}={v}" for k, v in unmapped.items()))
        return 0
    if action == "list":
        rows = await watches.all()
        for watch, row in rows:
            checked = (
                datetime.fromtimestamp(row.checked, UTC).strftime("%Y-%m-%d %H:%M UTC") if row.checked else "never"
            )
            sinks = f" -> {', '.join(watch.sinks)}" if watch.sinks else ""
            print(f"{watch.name}: {watch.source}, {watch.filters.summary()}, every {watch.interval_minutes} min, "
                  f"checked {checked}{sinks}")  # fmt: skip
        used, limit = await watches.search_budget()
        print(f"{len(rows)} watches; Upwork search budget today {used}/{limit}")
        return 0
    if action == "remove":
        if not await watches.remove(args.name):
            raise InvalidInputError(f"No watch {args.name!r} (upwork-mcp watch list shows them).")
        print(f"Watch {args.name} removed.")
        return 0
    if action == "preview":
        preview = await watches.preview(args.name)
        ranked = sorted(preview.found, key=lambda f: -(f.score.score or -1))[: args.limit]
        print(f"{args.name}: {len(preview.found)} matching" + (" (from the last check)" if preview.stored else ""))
        for found in ranked:
            print(_found(found))
        return 0
    if action == "check":
        for name in args.names or [w.name for w, _ in await watches.all()]:
            report = await watches.check(name)
            print(
                f"{name}: {len(report.found)} new"
                + (" (first check: newest few; the rest marked seen)" if report.first else "")
            )
            for found in report.found:
                print(_found(found))
        return 0
    # run
    async with httpx.AsyncClient(timeout=10, follow_redirects=False) as http:
        from ..watches.delivery import Deliverer  # only the runner delivers

        deliverer = Deliverer(watches.store, watches.config, http)
        log = await run(watches, deliverer, once=args.once, allow_search=args.allow_search)
    return 1 if log.errors else 0
