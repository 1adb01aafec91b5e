"""Watches end to end on the sandbox: seeding, exactly once (restarts, two runners), re-alerts on real
changes, one request when nothing is new, URL filters, the search budget and the scheduling guard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest

from tests.watches.helpers import feed_watch, watching
from upwork_mcp.errors import InvalidInputError
from upwork_mcp.sandbox import Sandbox
from upwork_mcp.sandbox.posting import change_job, post_job
from upwork_mcp.watches.filters import WatchFilters
from upwork_mcp.watches.service import PolicyError, Watch, Watches
from upwork_mcp.watches.urls import parse_search_url

pytestmark = pytest.mark.anyio


async def test_first_check_seeds_then_nothing_then_each_new_job_once(sandbox: Sandbox) -> None:
    async with watching(sandbox) as watches:
        await watches.create(feed_watch())
        first = await watches.check("all-feed")
        quiet = await watches.check("all-feed")
        posted = [post_job(sandbox, title=f"Fresh job {i}") for i in range(2)]
        fresh = await watches.check("all-feed")
        again = await watches.check("all-feed")
    assert first.first and len(first.found) == 3  # the newest few; the rest marked seen
    assert not quiet.found and quiet.requests == 1 and not quiet.first
    assert {f.job.id for f in fresh.found} == {f"upwork-{j['id']}" for j in posted} and fresh.requests == 1
    assert not again.found


async def test_a_restart_reports_nothing_twice(sandbox: Sandbox) -> None:
    async with watching(sandbox) as watches:
        await watches.create(feed_watch())
        await watches.check("all-feed")
        post_job(sandbox)
        before = await watches.check("all-feed")
    async with watching(sandbox) as restarted:  # a new process: only the store remembers
        after = await restarted.check("all-feed")
        post_job(sandbox)
        next_one = await restarted.check("all-feed")
    assert len(before.found) == 1 and not after.found and len(next_one.found) == 1


async def test_two_runners_at_once_report_each_job_once(sandbox: Sandbox) -> None:
    async with watching(sandbox) as setup:
        await setup.create(feed_watch())
        await setup.check("all-feed")
    posted = {f"upwork-{post_job(sandbox)['id']}" for _ in range(5)}
    reports: list[Any] = []
    async with watching(sandbox) as one, watching(sandbox) as two, anyio.create_task_group() as tg:
        for watches in (one, two, one, two):
            tg.start_soon(lambda w=watches: _collect(w, reports))
    reported = [f.job.id for r in reports for f in r.found]
    assert sorted(reported) == sorted(posted)  # every new job, each exactly once, whichever runner had it


async def _collect(watches: Watches, into: list[Any]) -> None:
    into.append(await watches.check("all-feed"))


async def test_a_real_change_re_alerts_once_and_says_why(sandbox: Sandbox) -> None:
    async with watching(sandbox) as watches:
        await watches.create(feed_watch(job_type="fixed"))
        await watches.check("all-feed")
        job = post_job(sandbox, budget=400)
        await watches.check("all-feed")
        change_job(sandbox, job["id"], budget=900)
        changed = await watches.check("all-feed")
        unchanged = await watches.check("all-feed")
    assert [f.change for f in changed.found] == ["budget changed from $400 to $900"]
    assert not unchanged.found


async def test_local_filters_and_a_pasted_search_url(sandbox: Sandbox) -> None:
    parsed = parse_search_url(
        "https://www.upwork.com/nx/search/jobs/?q=python%20api&amount=500-2000&t=1&contractor_tier=3"
        "&payment_verified=1&proposals=0-4&page=2&sort=recency"
    )
    f = parsed.filters
    assert (f.q, f.budget_min, f.budget_max, f.job_type, f.experience_level, f.payment_verified) == (
        "python api",
        500,
        2000,
        "fixed",
        "expert",
        True,
    )
    assert parsed.unmapped == {"proposals": "0-4"}  # said, not dropped; page and sort change nothing
    with pytest.raises(InvalidInputError, match="job-search URL"):
        parse_search_url("https://example.com/?q=python")
    async with watching(sandbox) as watches:
        await watches.create(Watch("from-url", "search", f, interval_minutes=15, unmapped=parsed.unmapped))
        report = await watches.check("from-url")
    jobs = {j["id"]: j for j in sandbox.data.jobs}
    for found in report.found:
        job = jobs[found.job.id]
        assert job["_fixed"] and 500 <= float(job["amount"]["rawValue"]) <= 2000 and job["_level"] == "EXPERT"


async def test_search_watches_draw_on_a_daily_budget_and_need_a_slow_interval(sandbox: Sandbox, tmp_path: Path) -> None:
    async with watching(sandbox, "[search]\ndaily_budget = 2\n", tmp_path) as watches:
        with pytest.raises(InvalidInputError, match="must be 15 to 1440 minutes"):
            await watches.create(Watch("fast", "search", WatchFilters(q="python"), interval_minutes=5))
        await watches.create(Watch("slow", "search", WatchFilters(q="python"), interval_minutes=15))
        first = await watches.check("slow")
        await watches.check("slow")
        with pytest.raises(PolicyError, match="budget of 2 requests"):
            await watches.check("slow")
    assert first.budget == (1, 2)


def test_a_watch_stored_under_the_old_names_reads_in_the_shared_vocabulary() -> None:
    from upwork_mcp.watches.filters import WatchFilters

    stored = {"q": "api", "level": "expert", "country": "Germany", "hourly_min": 40}  # as saved before
    filters = WatchFilters(**stored)
    assert (filters.experience_level, filters.country) == ("expert", "DE")
    assert filters.summary() == "q=api hourly_min=40.0 experience_level=expert country=DE"
    assert filters.shared().not_applied_by("search") == {"hourly_min": "Upwork ignores hourlyRate_eq"}


def test_a_watch_stored_with_a_country_this_server_has_no_code_for_still_loads_and_matches_by_name() -> None:
    from upwork_mcp.store.watches import WatchRow
    from upwork_mcp.watches.filters import WatchFilters
    from upwork_mcp.watches.listing import Listing
    from upwork_mcp.watches.service import Watch as StoredWatch

    spec = {"source": "feed", "filters": {"q": "api", "country": "Kosovo Region"}, "interval_minutes": 10}
    row = WatchRow("old", spec, created=0.0, updated=0.0, checked=None, watermark=None, seeded=True)
    watch = StoredWatch.from_row(row)  # accepted when it was made: it loads, never refused on a later read
    assert watch.filters.country == "Kosovo Region"
    with pytest.raises(ValueError, match="ISO 3166-1"):
        WatchFilters(country="Kosovo Region")  # a new watch is still told what to give

    def job(country: str) -> Listing:
        return Listing(source="feed", id="1", title="An API job", client_country=country)

    only_country = WatchFilters.model_validate({"country": "Kosovo Region"}, context={"stored": True})
    assert only_country.matches(job("kosovo region")) and not only_country.matches(job("Germany"))


@pytest.mark.parametrize(
    ("field", "too_much"), [("hourly_min", 10_001), ("budget_max", 10_000_001), ("client_spend_min", 1e10 + 1)]
)
def test_a_watch_takes_the_amounts_every_tool_takes(field: str, too_much: float) -> None:
    from pydantic import ValidationError

    from upwork_mcp.watches.filters import WatchFilters

    with pytest.raises(ValidationError, match=field):
        WatchFilters.model_validate({field: too_much})
    assert getattr(WatchFilters.model_validate({field: 100}), field) == 100
