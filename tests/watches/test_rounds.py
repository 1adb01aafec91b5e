"""One feed request for many watches: ten feed watches with different filters cost one request per round, and
each still reports exactly what it would have found alone; a quiet round stops at its first page; a watch that
matched nothing keeps up with the round."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.watches.helpers import watching
from upwork_mcp.api.job_feed import FeedQuota
from upwork_mcp.sandbox import Sandbox
from upwork_mcp.sandbox.posting import post_job
from upwork_mcp.watches.filters import WatchFilters
from upwork_mcp.watches.rounds import MONTH, spacing
from upwork_mcp.watches.service import Watch

pytestmark = pytest.mark.anyio
FILTERS: list[dict[str, Any]] = [
    {"q": "python"},
    {"job_type": "fixed"},
    {"job_type": "hourly", "hourly_min": 40},
    {"level": "expert"},
    {"payment_verified": True},
    {"skills": ("Django", "React")},
    {"job_type": "fixed", "budget_min": 800},
    {"client_spend_min": 10_000},
    {"q": "api", "level": "intermediate"},
    {"country": "US"},
]
POSTS: list[dict[str, Any]] = [
    {"title": "Python API for billing", "hourly": (30, 60)},
    {"title": "Logo for a bakery", "budget": 300},
    {"title": "Django and React dashboard", "skills": ["Django", "React"], "hourly": (50, 90)},
    {"title": "Data pipeline in Python", "budget": 2500},
    {"title": "Expert API integration", "budget": 900, "skills": ["REST API"]},
    {"title": "Short writing task", "hourly": (10, 15)},
]


def _watches(prefix: str = "") -> list[Watch]:
    return [Watch(f"{prefix}w{i}", "feed", WatchFilters.model_validate(f)) for i, f in enumerate(FILTERS)]


async def test_ten_feed_watches_share_one_request_and_each_finds_what_it_would_alone(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    together = _watches()
    async with (
        watching(sandbox) as shared,
        watching(sandbox, env={"UPWORK_DATA_DIR": str(tmp_path / "alone")}) as alone,
    ):
        for watch in together:
            await shared.create(watch)
            await alone.create(watch)
        await shared.check_many([w.name for w in together])
        for watch in together:
            await alone.check(watch.name)
        for i in range(3):  # each post copies a different seeded job: clients and levels vary
            for fields in POSTS:
                post_job(sandbox, **{**fields, "title": f"{fields['title']} ({i})"})
        before = len(sandbox.feed_log)
        reports, errors = await shared.check_many([w.name for w in together])
        round_requests = len(sandbox.feed_log) - before
        singles = {w.name: await alone.check(w.name) for w in together}
        before = len(sandbox.feed_log)
        quiet, _ = await shared.check_many([w.name for w in together])
        quiet_requests = len(sandbox.feed_log) - before
    assert not errors and round_requests == 1 and quiet_requests == 1  # one, where ten watches alone made ten
    found = {r.watch: sorted(f.job.id for f in r.found) for r in reports}
    assert found == {name: sorted(f.job.id for f in r.found) for name, r in singles.items()}
    assert len({tuple(v) for v in found.values()}) >= 5  # the filters tell the jobs apart: a real comparison
    assert all(not r.found for r in quiet)


async def test_a_quiet_round_stops_at_the_first_page_an_earlier_round_fetched(sandbox: Sandbox) -> None:
    async with watching(sandbox) as watches:
        await watches.create(Watch("all", "feed", WatchFilters()))
        await watches.check("all")
        for i in range(60):  # more than a page, all within the round's look-back
            post_job(sandbox, title=f"Burst job {i}")
        busy = await watches.check("all")
        quiet = await watches.check("all")
    assert busy.requests == 2 and len(busy.found) == 60
    assert quiet.requests == 1 and not quiet.found


async def test_a_watch_that_matched_nothing_keeps_up_with_the_round(sandbox: Sandbox) -> None:
    async with watching(sandbox) as watches:
        await watches.create(Watch("broad", "feed", WatchFilters()))
        await watches.create(Watch("narrow", "feed", WatchFilters(q="xylophone")))
        await watches.check_many(["broad", "narrow"])
        job = post_job(sandbox, title="Anything at all")
        await watches.check_many(["broad", "narrow"])
        _, narrow = await watches.get("narrow")
    assert narrow.watermark is not None and narrow.watermark.startswith(job["publishedDateTime"][:19])


def test_rounds_are_spaced_to_stay_within_the_plan_and_the_reported_quota() -> None:
    now = 1_800_000_000.0
    assert spacing(None, 1000, now) == pytest.approx(MONTH / 1000)  # about 43 minutes
    assert spacing(FeedQuota(limit=20, remaining=10, reset=int(now + 3600), burst=None), 0, now) == 360
    assert spacing(FeedQuota(limit=20, remaining=0, reset=int(now + 60), burst=None), 0, now) == 60
    assert spacing(None, 0, now) == 0
