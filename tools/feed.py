"""Job feed tools (the Upwork Jobs API): fetch curated jobs, check the feed's health."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from mcp_types import CallToolResult
from pydantic import Field

from ._common import Ctx, OutModel, ResponseFormat, ToolSpec, ago, app, compact_money, money, respond
from ._text import clean, listing, untrusted

if TYPE_CHECKING:
    from upwork_mcp.models.job_feed import FeedJob

FEED_PAGE_MAX = 50  # the feed's documented maximum page


class FeedJobOut(OutModel):
    id: str
    title: str | None = None
    url: str | None = None
    type: Literal["hourly", "fixed"] | None = None
    budget: str | None = None
    posted: str | None = None
    level: str | None = None
    category: str | None = None
    client_country: str | None = None
    client_spent: float | None = None
    payment_verified: bool | None = None
    applicants: int | None = None
    skills: list[str] | None = None
    tags: list[str] | None = None
    description: str | None = None


class FeedResult(OutModel):
    count: int
    jobs: list[FeedJobOut]
    last_updated: str | None = None
    filtered_locally: list[str] | None = Field(
        default=None, description="filters the feed can't apply, applied by this server to what the feed returned"
    )


def _budget(job: FeedJob) -> str | None:
    if job.budget and job.budget.fixed_amount is not None:
        return money(job.budget.fixed_amount, job.budget.currency)
    if job.hourly_budget:
        return f"{money(job.hourly_budget.min) or '?'}-{money(job.hourly_budget.max) or '?'}/hr"
    return None


async def fetch_job_feed(
    ctx: Ctx,
    q: Annotated[
        str | None,
        Field(
            description="Keywords, all required (applied by this server).",
            max_length=200,
        ),
    ] = None,
    tags: Annotated[str | None, Field(description="Comma-separated feed tags, any of them.", max_length=300)] = None,
    skills: Annotated[str | None, Field(description="Comma-separated skills, any of them.", max_length=300)] = None,
    category: Annotated[
        str | None, Field(description="Category or group slug, e.g. 'web-mobile-software-dev'.", max_length=80)
    ] = None,
    job_type: Annotated[Literal["hourly", "fixed"] | None, Field(description="Contract type.")] = None,
    contractor_tier: Annotated[
        Literal["entry", "intermediate", "expert"] | None, Field(description="Experience level.")
    ] = None,
    payment_verified: Annotated[bool | None, Field(description="Only clients with verified payment.")] = None,
    budget_min: Annotated[float | None, Field(description="Fixed budget at least (USD).", ge=0)] = None,
    budget_max: Annotated[float | None, Field(description="Fixed budget at most (USD).", ge=0)] = None,
    min_client_spend: Annotated[
        float | None, Field(description="Client spend at least, USD (applied by this server).", ge=0)
    ] = None,
    limit: Annotated[int, Field(description="Jobs to return.", ge=1, le=50)] = 10,
    response_format: ResponseFormat = "concise",
) -> Annotated[CallToolResult, FeedResult]:
    """Newest jobs from the Upwork Jobs API feed (needs UPWORK_JOB_FEED_API_KEY), with buyer data search_jobs
    lacks."""
    from upwork_mcp.api import FeedQuery  # lazy: the engine (httpx) loads with the first call

    local = [name for name, value in (("q", q), ("min_client_spend", min_client_spend)) if value]
    query = FeedQuery(
        limit=FEED_PAGE_MAX if local else limit,
        tags=tuple(t.strip() for t in (tags or "").split(",") if t.strip()),
        skills=tuple(s.strip() for s in (skills or "").split(",") if s.strip()),
        category=category,
        job_type=job_type,
        contractor_tier=contractor_tier,
        payment_verified=payment_verified,
        budget_min=budget_min,
        budget_max=budget_max,
    )
    envelope = await app(ctx).client.job_feed.jobs(query)
    jobs = envelope.data
    if q:
        words = q.lower().split()
        jobs = [j for j in jobs if all(w in f"{j.title} {j.description}".lower() for w in words)]
    if min_client_spend:
        jobs = [j for j in jobs if j.buyer and (j.buyer.total_spent or 0) >= min_client_spend]
    jobs = jobs[:limit]
    detailed = response_format == "detailed"
    tiers = {1: "entry", 2: "intermediate", 3: "expert"}
    out_jobs = [
        FeedJobOut(
            id=j.id,
            title=clean(j.title),
            url=j.url,
            type="hourly" if j.job_type == 1 else "fixed" if j.job_type == 2 else None,
            budget=_budget(j),
            posted=j.posted_on,
            level=tiers.get(j.contractor_tier or 0),
            category=j.category.name if j.category else None,
            client_country=j.buyer.country if j.buyer else None,
            client_spent=j.buyer.total_spent if j.buyer else None,
            payment_verified=j.buyer.payment_verified if j.buyer else None,
            applicants=j.client_activity.total_applicants if j.client_activity else None,
            skills=j.skills if detailed else None,
            tags=j.tags if detailed else None,
            description=clean(j.description) if detailed else None,
        )
        for j in jobs
    ]
    out = FeedResult(
        count=len(out_jobs), jobs=out_jobs, last_updated=envelope.last_updated, filtered_locally=local or None
    )
    lines = [
        " | ".join(
            str(p)
            for p in (
                f"{i}. {j.title}",
                f"{j.budget} {j.type}" if j.budget else j.type,
                ago(j.posted),
                j.level,
                f"{j.applicants} applicants" if j.applicants is not None else None,
                f"client {j.client_country or '?'}, {compact_money(j.client_spent) or '$0'} spent"
                + (", verified" if j.payment_verified else ""),
                j.url,
            )
            if p
        )
        + (f"\n   {j.description}" if j.description else "")
        for i, j in enumerate(out_jobs, 1)
    ]
    head = f"{out.count} feed jobs"
    if lines:
        lines.insert(0, f"(feed updated {envelope.last_updated})")
    if local:
        head += f"; {', '.join(local)} applied by this server to the feed's newest {FEED_PAGE_MAX}"
    text = listing(head, lines, "job titles and descriptions are written by clients")
    return respond(out, text)


class FeedStatus(OutModel):
    healthy: bool
    message: str | None = None
    last_updated: str | None = None


async def job_feed_status(ctx: Ctx) -> Annotated[CallToolResult, FeedStatus]:
    """Check that the Upwork Jobs API feed is reachable and the API key works."""
    envelope = await app(ctx).client.job_feed.health()
    out = FeedStatus(healthy=envelope.success, message=envelope.message, last_updated=envelope.last_updated)
    said = untrusted(f"{out.message} (at {out.last_updated})", "the feed's own words")
    return respond(out, f"feed {'healthy' if out.healthy else 'unhealthy'}\n{said}")


TOOLS = [
    ToolSpec(fetch_job_feed, "Fetch the Upwork job feed", read_only=True),
    ToolSpec(job_feed_status, "Check the Upwork job feed", read_only=True),
]
