"""The Jobs API feed, complete: every documented parameter reaches the feed and means what its docs say."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import ANCHOR
from upwork_mcp.api import FeedQuery, UpworkClient
from upwork_mcp.errors import APIError, InvalidInputError
from upwork_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio

DOCUMENTED = {
    "limit", "offset", "payment_verified", "category", "category_group", "country", "budget_min", "budget_max",
    "hourly_min", "hourly_max", "job_type", "status", "contractor_tier", "duration_label", "engagement",
    "posted_after", "posted_before", "last_visited_after", "tags", "skills", "buyer.total_spent_min",
    "buyer.total_assignments_min", "buyer.total_jobs_with_hires_min", "sort",
}  # fmt: skip


async def test_every_documented_parameter_reaches_the_feed(client: UpworkClient, sandbox: Sandbox) -> None:
    query = FeedQuery(
        limit=5,
        offset=5,
        sort="budget_desc",
        tags=("remote",),
        skills=("python",),
        category="web-mobile-software-dev",
        category_group="tech-it",
        country="us",
        job_type="hourly",
        status="open",
        contractor_tier="expert",
        duration_label="1 to 3 months",
        engagement="part-time",
        payment_verified=True,
        budget_min=0,
        budget_max=100000,
        hourly_min=10,
        hourly_max=200,
        posted_after=ANCHOR - timedelta(days=60),
        posted_before=ANCHOR,
        last_visited_after=ANCHOR - timedelta(days=90),
        buyer_total_spent_min=1,
        buyer_total_assignments_min=1,
        buyer_total_jobs_with_hires_min=1,
    )
    await client.job_feed.jobs(query)
    assert set(sandbox.feed_log[-1]) == DOCUMENTED
    assert sandbox.feed_log[-1]["buyer.total_spent_min"] == "1" and sandbox.feed_log[-1]["country"] == "US"


async def test_buyer_minimums_dates_sort_and_offset_are_applied_by_the_feed(client: UpworkClient) -> None:
    rich = await client.job_feed.jobs(FeedQuery(limit=50, buyer_total_spent_min=50_000))
    assert rich.data and all((j.buyer.total_spent or 0) >= 50_000 for j in rich.data if j.buyer)
    since = ANCHOR - timedelta(days=2)
    recent = await client.job_feed.jobs(FeedQuery(limit=50, posted_after=since))
    assert recent.data and all(j.posted_on > since.strftime("%Y-%m-%dT%H:%M:%SZ") for j in recent.data)
    cheap_first = await client.job_feed.jobs(FeedQuery(limit=10, job_type="fixed", sort="budget_asc"))
    budgets = [j.budget.fixed_amount or 0.0 for j in cheap_first.data if j.budget]
    assert budgets == sorted(budgets)
    first = await client.job_feed.jobs(FeedQuery(limit=10))
    second = await client.job_feed.jobs(FeedQuery(limit=10, offset=10))
    assert not {j.id for j in first.data} & {j.id for j in second.data}
    closed = await client.job_feed.jobs(FeedQuery(limit=5, status="closed"))
    assert closed.data and all(j.status == 2 for j in closed.data)


async def test_the_feed_refuses_what_its_docs_refuse(client: UpworkClient) -> None:
    with pytest.raises(ValueError, match="less than or equal to 50"):
        FeedQuery(limit=51)
    with pytest.raises(ValueError, match="multiple of limit"):
        FeedQuery(limit=20, offset=5)
    from upwork_mcp.api.job_feed import feed_query

    with pytest.raises(InvalidInputError, match="budget_min"):
        feed_query(budget_min=500, budget_max=100)
    with pytest.raises(APIError, match="limit must be between 1 and 50"):
        await client.job_feed._get("/jobs", {"limit": "100"})


async def test_the_quota_is_read_from_the_rate_limit_headers(client: UpworkClient, sandbox: Sandbox) -> None:
    await client.job_feed.health()
    await client.job_feed.jobs(FeedQuery(limit=1))
    quota = client.job_feed.quota
    assert quota is not None and quota.limit == sandbox.feed_rate_limit
    assert quota.remaining == sandbox.feed_rate_limit - 1
    assert quota.reset == int(sandbox.clock()) + 60  # the minute window that began with the first request
