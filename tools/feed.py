"""Job feed tools (the Upwork Jobs API): fetch curated jobs, check the feed's health."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Literal

import anyio.to_thread
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult
from pydantic import Field

from upwork_mcp.api._paging import offset_of
from upwork_mcp.api.job_feed import feed_query
from upwork_mcp.api.job_filters import JobView, Tally, report_line
from upwork_mcp.api.job_query import FEED_RATE
from upwork_mcp.facts import FeedSort
from upwork_mcp.watches.rounds import remember_quota

from . import _job_filters as jf
from ._app import Ctx, app
from ._common import Cursor, OutModel, ResponseFormat, ToolSpec, ago, compact_money, joined, money, respond
from ._empty import HEAD, EmptyReason, by_local, said
from ._text import clean, listing, untrusted

if TYPE_CHECKING:
    from upwork_mcp.models.job_feed import FeedJob

FEED_PAGE_MAX = 50  # the feed's documented maximum page


class FeedClient(OutModel):
    country: str | None = None
    city: str | None = None
    timezone: str | None = None
    spent: float | None = None
    hires: int | None = None
    jobs_with_hires: int | None = None
    payment_verified: bool | None = None


class FeedActivity(OutModel):
    applicants: int | None = None
    hired: int | None = None
    interviewing: int | None = None
    invites_sent: int | None = None
    unanswered_invites: int | None = None
    last_client_activity: str | None = None


class FeedJobOut(OutModel):
    id: str
    title: str | None = None
    url: str | None = None
    type: Literal["hourly", "fixed"] | None = None
    budget: str | None = None
    posted: str | None = None
    last_visited: str | None = None
    status: Literal["open", "closed"] | None = None
    level: str | None = None
    category: str | None = None
    duration: str | None = None
    engagement: str | None = None
    private: str | None = Field(default=None, description="why it is private")
    client: FeedClient
    activity: FeedActivity | None = None
    skills: list[str] | None = None
    tags: list[str] | None = None
    description: str | None = None


class FeedResult(OutModel):
    count: int
    jobs: list[FeedJobOut]
    next_cursor: str | None = None
    last_updated: str | None = None
    not_applied: dict[str, str] | None = None  # filters the source does not apply itself: why
    applied_here: list[str] | None = None  # what each filter applied here kept
    scanned: int | None = None  # with applied_here: the jobs or profiles looked at
    why_empty: str | None = None  # which filters emptied a search that found nothing


def _budget(job: FeedJob) -> str | None:
    if job.budget and job.budget.fixed_amount is not None:
        return money(job.budget.fixed_amount, job.budget.currency)
    if job.hourly_budget:
        return f"{money(job.hourly_budget.min) or '?'}-{money(job.hourly_budget.max) or '?'}/hr"
    return None


def feed_job_out(j: FeedJob, detailed: bool) -> FeedJobOut:
    b, a = j.buyer, j.client_activity
    return FeedJobOut(
        id=j.id,
        title=clean(j.title),
        url=j.url,
        type="hourly" if j.job_type == 1 else "fixed" if j.job_type == 2 else None,
        budget=_budget(j),
        posted=j.posted_on,
        last_visited=j.last_visited_at,
        status="open" if j.status == 1 else "closed" if j.status == 2 else None,
        level={1: "entry", 2: "intermediate", 3: "expert"}.get(j.contractor_tier or 0),
        category=j.category.name if j.category else None,
        duration=j.duration_label,
        engagement=j.engagement,
        private=(clean(j.privacy_reason) or "private") if j.is_private else None,
        client=FeedClient(
            country=b.country if b else None,
            city=b.city if b and detailed else None,
            timezone=b.timezone if b and detailed else None,
            spent=b.total_spent if b else None,
            hires=b.total_assignments if b else None,
            jobs_with_hires=b.total_jobs_with_hires if b and detailed else None,
            payment_verified=b.payment_verified if b else None,
        ),
        activity=FeedActivity(
            applicants=a.total_applicants,
            hired=a.total_hired,
            interviewing=a.total_invited_to_interview,
            invites_sent=a.invitations_sent if detailed else None,
            unanswered_invites=a.unanswered_invites if detailed else None,
            last_client_activity=a.last_buyer_activity if detailed else None,
        )
        if a
        else None,
        skills=j.skills if detailed else None,
        tags=j.tags if detailed else None,
        description=clean(j.description) if detailed else None,
    )


def _line(i: int, j: FeedJobOut) -> str:
    c, a = j.client, j.activity
    head = joined(
        f"{i}. {j.title}",
        f"{j.budget} {j.type}" if j.budget else j.type,
        ago(j.posted),
        j.level,
        "CLOSED" if j.status == "closed" else None,
        f"{a.applicants} applicants" if a and a.applicants is not None else None,
        f"{a.hired} hired" if a and a.hired else None,
        f"client {c.country or '?'}, {compact_money(c.spent) or '$0'} spent"
        + (f", {c.hires} hires" if c.hires else "")
        + (", verified" if c.payment_verified else ""),
        j.url,
    )
    return head + (f"\n   {j.description}" if j.description else "")


FeedDate = Annotated[str | None, Field(description="ISO 8601.", max_length=40)]


async def fetch_job_feed(
    ctx: Ctx,
    q: jf.Q = None,
    skills: jf.Skills = None,
    category: jf.Category = None,
    experience_level: jf.ExperienceLevel = None,
    job_type: jf.JobType = None,
    hourly_min: jf.HourlyMin = None,
    hourly_max: jf.HourlyMax = None,
    budget_min: jf.BudgetMin = None,
    budget_max: jf.BudgetMax = None,
    client_spend_min: jf.ClientSpendMin = None,
    client_hires_min: jf.ClientHiresMin = None,
    payment_verified: jf.PaymentVerified = False,
    country: jf.Country = None,
    posted_within_days: jf.PostedWithinDays = None,
    category_group: Annotated[str | None, Field(description="Category group slug.", max_length=80)] = None,
    status: Annotated[Literal["open", "closed"] | None, Field(description="Default: open.")] = None,
    duration: Annotated[str | None, Field(description="e.g. 1 to 3 months.", max_length=40)] = None,
    engagement: Annotated[str | None, Field(description="e.g. full-time, part-time.", max_length=40)] = None,
    posted_before: FeedDate = None,
    last_visited_after: FeedDate = None,
    client_jobs_with_hires_min: Annotated[int | None, Field(description="Client's jobs with hires.", ge=0)] = None,
    sort: Annotated[FeedSort | None, Field(description="Default: posted_on_desc.")] = None,
    limit: Annotated[int, Field(description="Jobs per page.", ge=1, le=FEED_PAGE_MAX)] = 10,
    cursor: Cursor = None,
    response_format: ResponseFormat = "concise",
) -> Annotated[CallToolResult, FeedResult]:
    """Newest jobs from the Upwork Jobs API feed (UPWORK_JOB_FEED_API_KEY), with buyer data."""
    filters = jf.job_filters("fetch_job_feed", locals())
    local = filters.local("feed")
    # With a filter applied here, one full page of the feed is read (one request of the plan's quota), and the
    # cursor is the position of the next job to look at, so a page never skips a match.
    position = offset_of(cursor)
    size = FEED_PAGE_MAX if local else limit
    try:
        fields = filters.feed_fields(datetime.now(UTC))
    except ValueError as exc:
        raise ToolError(f"fetch_job_feed: {exc}.") from None
    query = feed_query(
        limit=size,
        offset=position - position % size,
        sort=sort,
        category_group=category_group,
        status=status,
        duration_label=duration,
        engagement=engagement,
        posted_before=_when(posted_before, "posted_before"),
        last_visited_after=_when(last_visited_after, "last_visited_after"),
        buyer_total_jobs_with_hires_min=client_jobs_with_hires_min,
        **fields,
    )
    envelope = await app(ctx).client.job_feed.jobs(query)
    skip = position - query.offset
    tally: Tally[FeedJob] = Tally(local, JobView.of_feed)
    jobs: list[FeedJob] = []
    next_position: int | None = query.offset + query.limit if len(envelope.data) >= query.limit else None
    for index, job in enumerate(envelope.data[skip:], start=position):
        if tally.passes(job):
            jobs.append(job)
            if len(jobs) == limit:
                if index + 1 < query.offset + len(envelope.data):
                    next_position = index + 1  # the rest of this page comes next
                break
    detailed = response_format == "detailed"
    out_jobs = [feed_job_out(j, detailed) for j in jobs]
    missing = filters.not_applied_by("feed")
    out = FeedResult(
        count=len(out_jobs),
        jobs=out_jobs,
        next_cursor=str(next_position) if next_position is not None else None,
        last_updated=envelope.last_updated,
        not_applied=missing or None,
        applied_here=[report_line(r, tally.scanned) for r in tally.reports()] or None,
        scanned=tally.scanned if local else None,
    )
    lines = [_line(i, j) for i, j in enumerate(out_jobs, position + 1)]
    head = f"{out.count} feed jobs (feed updated {envelope.last_updated})"
    if local:
        head = f"{out.count} feed jobs match among {tally.scanned} it returned (feed updated {envelope.last_updated})"
    if out.next_cursor:
        head += f" (next_cursor: {out.next_cursor})"
    if out.applied_here:
        head += "\nApplied here, not by the feed: " + "; ".join(out.applied_here)
    if not out_jobs and not position:
        sent = {
            **{
                k: _shown(v)
                for k, v in filters.model_dump().items()
                if missing.get(k, FEED_RATE) == FEED_RATE and v not in (None, (), False)  # what the feed was sent
            },
            **{
                k: str(v)
                for k, v in (
                    ("category_group", category_group),
                    ("status", status),
                    ("duration", duration),
                    ("engagement", engagement),
                    ("posted_before", posted_before),
                    ("last_visited_after", last_visited_after),
                    ("client_jobs_with_hires_min", client_jobs_with_hires_min),
                )
                if v is not None
            },
        }
        texts = [f"{j.title} {j.description}" for j in envelope.data[skip:]]
        out.why_empty = said(_why_empty(filters.q if "q" in missing else None, texts, tally, sent))
        head += HEAD + out.why_empty
    text = listing(head, lines, "job titles and descriptions are written by clients")
    return respond(out, text)


# The feed's filters applied here, by the tool's argument names.
_ARGUMENT = {
    "hourly": "hourly_min/max",
    "budget": "budget_min/max",
    "budget/hourly": "budget_min/max or hourly_min/max",
}


def _shown(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}"
    return ",".join(value) if isinstance(value, tuple) else str(value)


def _why_empty(q: str | None, texts: list[str], tally: Tally[FeedJob], sent: dict[str, str]) -> EmptyReason:
    """The feed's page had jobs but the filters applied here kept none (each judged on its own, q word by
    word, for free), or the feed had none for its own filters. Those are not asked about one by one: each
    request spends the plan's quota."""
    if tally.filters and texts:
        kept = [(_ARGUMENT.get(r.name, r.name), r.kept) for r in tally.reports() if r.name != "q"]
        for word in dict.fromkeys((q or "").lower().split()):
            kept.append((f"q word {word!r}", sum(word in t.lower() for t in texts)))
        return by_local(kept, len(texts), "jobs", source="the feed")
    if not sent:
        return EmptyReason(culprits=[], suggestion="The feed listed no job at all; try again later.")
    listed = ", ".join(f"{k}={v}" for k, v in sent.items())
    return EmptyReason(
        culprits=list(sent),
        suggestion=f"The feed has no job matching all of {listed}. Relax one, the narrowest first (not asked "
        "one by one: each feed request counts against the plan's quota).",
    )


def _when(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ToolError(f"{name} {value[:40]!r} is not an ISO 8601 time, e.g. 2026-11-20T08:00:00Z.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class FeedQuotaOut(OutModel):
    limit: int | None = None
    remaining: int | None = None
    resets_at: str | None = None
    burst: int | None = None


class FeedStatus(OutModel):
    healthy: bool
    message: str | None = None
    last_updated: str | None = None
    quota: FeedQuotaOut | None = None


async def job_feed_status(ctx: Ctx) -> Annotated[CallToolResult, FeedStatus]:
    """Whether the Upwork Jobs API feed answers this API key, and the plan's remaining quota."""
    feed = app(ctx).client.job_feed
    envelope = await feed.health()
    q = feed.quota
    if q is not None:  # for `watch run` too: a used-up quota holds its rounds until the reset
        await anyio.to_thread.run_sync(remember_quota, app(ctx).watches.store, q)
    quota = (
        FeedQuotaOut(
            limit=q.limit,
            remaining=q.remaining,
            resets_at=datetime.fromtimestamp(q.reset, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if q.reset else None,
            burst=q.burst,
        )
        if q
        else None
    )
    out = FeedStatus(
        healthy=envelope.success, message=envelope.message, last_updated=envelope.last_updated, quota=quota
    )
    said = untrusted(f"{out.message} (at {out.last_updated})", "the feed's own words")
    plan = f"; quota {quota.remaining}/{quota.limit} left, resets {quota.resets_at}" if quota else ""
    return respond(out, f"feed {'healthy' if out.healthy else 'unhealthy'}{plan}\n{said}")


TOOLS = [
    ToolSpec(fetch_job_feed, "Fetch the Upwork job feed", read_only=True),
    ToolSpec(job_feed_status, "Check the Upwork job feed", read_only=True),
]
