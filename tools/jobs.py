"""Job tools: search the marketplace, read one job."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Literal

from mcp_types import CallToolResult
from pydantic import Field

from upwork_mcp.api import JobSearchFilters
from upwork_mcp.api._paging import offset_of
from upwork_mcp.api.job_filters import report_line
from upwork_mcp.facts import JOB_URL

from . import _job_filters as jf
from ._app import Ctx, app
from ._common import Cursor, OutModel, ResponseFormat, ToolSpec, ago, compact_money, joined, money, plural, respond
from ._empty import HEAD, EmptyReason, by_local, by_upstream, said
from ._job_out import JobDetail, client_line, job_detail
from ._text import clean, listing, untrusted

if TYPE_CHECKING:  # engine models load with the first call, not at start-up
    from upwork_mcp.api import UpworkClient
    from upwork_mcp.models.jobs import JobSearchNode, JobSearchPage


class ClientSignals(OutModel):
    rating: float | None = Field(default=None, description="average feedback, 0-5")
    total_spent: float | None = None
    hires: int | None = None
    payment_verified: bool | None = None
    country: str | None = None


class JobSummary(OutModel):
    id: str = Field(description="numeric job id: pass to get_job")
    url: str | None = None
    title: str
    type: Literal["fixed", "hourly"]
    budget: str | None = Field(default=None, description="fixed amount, or hourly range")
    posted: str | None = Field(default=None, description="ISO time")
    proposals: int | None = None
    client: ClientSignals
    skills: list[str] | None = None
    description: str | None = None
    category: str | None = None
    experience_level: str | None = None
    duration: str | None = None


class JobSearchResult(OutModel):
    total: int | None = Field(default=None, description="unknown with applied_here")
    jobs: list[JobSummary]
    next_cursor: str | None = None
    warnings: list[str] | None = Field(default=None, description="withheld by Upwork")
    not_applied: dict[str, str] | None = None  # filters the source does not apply itself: why
    applied_here: list[str] | None = None  # what each filter applied here kept
    scanned: int | None = None  # with applied_here: the jobs or profiles looked at
    why_empty: str | None = None  # which filters emptied a search that found nothing


def _budget(job: JobSearchNode) -> str | None:
    if job.is_fixed:
        return money(job.amount.amount if job.amount else None)
    lo = job.hourly_budget_min.amount if job.hourly_budget_min else None
    hi = job.hourly_budget_max.amount if job.hourly_budget_max else None
    if lo is None and hi is None:
        return None
    return f"{money(lo) or '?'}-{money(hi) or '?'}/hr" if lo != hi else f"{money(lo)}/hr"


def _summary(job: JobSearchNode, detailed: bool) -> JobSummary:
    client = job.client
    verified = (
        None if client is None or client.verification_status is None else client.verification_status == "VERIFIED"
    )
    return JobSummary(
        id=job.id,
        url=JOB_URL.format(ciphertext=job.ciphertext) if job.ciphertext else None,
        title=clean(job.title) or "(untitled)",
        type="fixed" if job.is_fixed else "hourly",
        budget=_budget(job),
        posted=job.published_date_time or job.created_date_time,
        proposals=job.total_applicants,
        client=ClientSignals(
            rating=client.total_feedback if client and client.total_reviews else None,
            total_spent=client.total_spent.amount if client and client.total_spent else None,
            hires=client.total_hires if client else None,
            payment_verified=verified,
            country=client.location.country if client and client.location else None,
        ),
        skills=[s.pretty_name or s.name or "" for s in job.skills or [] if s] if detailed else None,
        description=clean(job.description) if detailed else None,
        category=job.subcategory or job.category if detailed else None,
        experience_level=job.experience_level if detailed else None,
        duration=job.duration_label if detailed else None,
    )


def _line(i: int, job: JobSummary) -> str:
    c = job.client
    quality = ", ".join(
        p
        for p in (
            f"★{c.rating:.1f}" if c.rating else "no reviews",
            f"{compact_money(c.total_spent)} spent" if c.total_spent else None,
            plural(c.hires, "hire") if c.hires is not None else None,
            "verified" if c.payment_verified else "unverified" if c.payment_verified is False else None,
            c.country,
        )
        if p
    )
    parts = [
        f"{i}. [{job.id}] {job.title}",
        f"{job.budget or '?'} {job.type}",
        ago(job.posted) or "?",
        f"{job.proposals} proposals" if job.proposals is not None else None,
        f"client {quality}",
        job.url,
    ]
    line = " | ".join(p for p in parts if p)
    if job.description:
        line += (
            f"\n   skills: {', '.join(job.skills or [])}; {job.experience_level or ''}; {job.duration or ''}\n   "
            + job.description.replace("\n", " ")
        )
    return line


# search_jobs' arguments by the engine's names: its filter groups (UPSTREAM_FILTERS) and local filters.
_ARGUMENT = {
    "query": "q",
    "locations": "country",
    "days_posted": "posted_within_days",
    "verified_payment_only": "payment_verified",
    "category_ids": "category",
    "subcategory_ids": "subcategory",
    "durations": "duration",
    "proposals": "proposals_min/max",
    "client_hires": "client_hires_min/max",
    "budget": "budget_min/max",
    "hourly": "hourly_min/max",
    "budget/hourly": "budget_min/max or hourly_min/max",
}


def _range(lo: int | None, hi: int | None) -> str | None:
    return None if lo is None and hi is None else f"{'' if lo is None else lo}-{'' if hi is None else hi}"


async def _why_empty(
    client: UpworkClient, filters: JobSearchFilters, page: JobSearchPage, given: Mapping[str, object]
) -> EmptyReason:
    """Which filters emptied a first page: the ones applied here when Upwork had jobs, else Upwork's own,
    each judged by asking again without it (a one-job request per filter, a few at most)."""
    if page.local and page.upstream_total:
        reason = by_local([(_ARGUMENT.get(r.name, r.name), r.kept) for r in page.local], page.scanned or 0)
        if page.next_offset is not None:
            reason.suggestion += " (Only the first jobs were looked at: next_cursor looks further.)"
        return reason
    shown = {_ARGUMENT.get(g, g): given.get(_ARGUMENT.get(g, g)) for g in filters.upstream()}
    totals = {_ARGUMENT.get(g, g): n for g, n in (await client.jobs.relax(filters)).items()}
    return by_upstream({k: str(v) for k, v in shown.items()}, totals)


async def search_jobs(
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
    subcategory: Annotated[str | None, Field(description="Names or ids, comma-separated.", max_length=300)] = None,
    workload: Annotated[Literal["full_time", "part_time", "as_needed"] | None, Field(description="Hours.")] = None,
    duration: Annotated[
        list[Literal["week", "month", "quarter", "semester", "ongoing"]] | None,
        Field(description="Project lengths, any of them.", max_length=5),
    ] = None,
    proposals_min: Annotated[int | None, Field(description="Proposals so far.", ge=0)] = None,
    proposals_max: Annotated[int | None, Field(description="Proposals so far.", ge=0)] = None,
    client_hires_max: Annotated[int | None, Field(description="Client's past hires at most.", ge=0)] = None,
    timezone: Annotated[str | None, Field(description="Client time zone, e.g. Europe/Berlin.", max_length=60)] = None,
    sort: Annotated[
        Literal["recency", "relevance", "client_rating", "client_total_charge"], Field(description="Order.")
    ] = "recency",
    limit: Annotated[int, Field(description="Per page; over 50 fetches several pages.", ge=1, le=200)] = 10,
    cursor: Cursor = None,
    response_format: ResponseFormat = "concise",
) -> Annotated[CallToolResult, JobSearchResult]:
    """Search open Upwork jobs by keywords, skills, category, pay, level, recency, competition, client;
    get_job reads one."""

    client = app(ctx).client
    shared = jf.job_filters("search_jobs", locals())

    async def ids(refs: str | None, kind: Literal["category", "subcategory"]) -> tuple[str, ...]:
        parts = [refs] if kind == "category" and refs else [p.strip() for p in (refs or "").split(",") if p.strip()]
        return tuple([(await client.categories.resolve(p, kind))[0] for p in parts])

    filters = JobSearchFilters(
        **shared.search_fields(await ids(shared.category, "category")),
        proposals_min=proposals_min,
        proposals_max=proposals_max,
        client_hires_max=client_hires_max,
        subcategory_ids=await ids(subcategory, "subcategory"),
        workload=workload,
        durations=tuple(dict.fromkeys(duration or ())),
        timezone=timezone,
        sort=sort,
        offset=offset_of(cursor),
        limit=limit,
    )

    async def progress(done: int, total: int) -> None:
        await ctx.report_progress(done, total, f"{done} of {total} jobs fetched")

    page = await client.jobs.search(filters, progress=progress)
    given = {
        "q": q,
        "skills": ",".join(shared.skills) or None,
        "category": category,
        "subcategory": subcategory,
        "job_type": job_type,
        "experience_level": experience_level,
        "duration": ",".join(duration or ()),
        "posted_within_days": posted_within_days,
        "proposals_min/max": _range(proposals_min, proposals_max),
        "client_hires_min/max": _range(client_hires_min, client_hires_max),
        "payment_verified": payment_verified or None,
        "country": shared.country,
        "timezone": timezone,
    }
    detailed = response_format == "detailed"
    scanned = page.scanned or 0
    result = JobSearchResult(
        total=page.total,
        jobs=[_summary(j, detailed) for j in page.jobs],
        next_cursor=str(page.next_offset) if page.next_offset is not None else None,
        warnings=page.warnings or None,
        applied_here=[report_line(r, scanned) for r in page.local] or None,
        not_applied=shared.not_applied_by("search") or None,
        scanned=page.scanned if page.local else None,
    )
    first = filters.offset + 1
    if page.local:
        head = (
            f"{len(page.jobs)} jobs match among {scanned} of Upwork's "
            f"{page.upstream_total if page.upstream_total is not None else '?'} results"
        )
        lines = [_line(i + 1, j) for i, j in enumerate(result.jobs)]
    else:
        head = f"{page.total if page.total is not None else '?'} jobs match" + (
            f"; showing {first}-{filters.offset + len(page.jobs)}" if page.jobs else ""
        )
        lines = [_line(first + i, j) for i, j in enumerate(result.jobs)]

    if not page.jobs and filters.offset == 0:
        result.why_empty = said(await _why_empty(client, filters, page, given))
    text = head + (f" (next_cursor: {result.next_cursor})" if result.next_cursor else " (last page)")
    if result.applied_here:
        text += "\nApplied here, not by Upwork: " + "; ".join(result.applied_here)
    if result.why_empty:
        text += HEAD + result.why_empty
    text = listing(text, lines, "job titles and descriptions are written by clients")
    if result.warnings:
        text += "\nWithheld by Upwork: " + "; ".join(result.warnings)
    return respond(result, text)


async def get_job(
    ctx: Ctx,
    job: Annotated[
        str,
        Field(
            description="Any job link, a ~02/~01 ciphertext, or a numeric id.",
            min_length=1,
            max_length=500,
        ),
    ],
    response_format: ResponseFormat = "concise",
) -> Annotated[CallToolResult, JobDetail]:
    """Read one job and its client's record (rating, spend, hires, verification), terms, activity, questions;
    detailed adds skills."""
    detailed = response_format == "detailed"
    out = job_detail(await app(ctx).client.jobs.details(job), detailed)
    a = out.activity
    lines = [
        joined(
            out.title,
            out.status,
            f"{out.budget} {out.type or ''}".strip() if out.budget else out.type,
            out.duration,
            out.category,
            out.experience_level,
        ),
        joined(f"posted {ago(out.posted)}" if out.posted else None, f"{out.proposals} proposals", sep=", ")
        if out.proposals is not None
        else "",
        client_line(out.client),
    ]
    if a:
        lines.append(
            f"activity: {a.invites_sent} invited, {a.interviewing} interviewing, {a.hired} hired, "
            f"client active {ago(a.last_client_activity) or '?'}"
        )
    if out.wants:
        lines.append("wants: " + ", ".join(out.wants))
    if out.skills:
        lines.append("skills: " + ", ".join(out.skills))
    if out.cover_letter_required is not None:
        lines.append("cover letter required" if out.cover_letter_required else "no cover letter required")
    lines.append(out.description or "")
    if out.screening_questions:
        lines.append("Screening questions:\n" + "\n".join(f"- {q}" for q in out.screening_questions))
    head = joined(
        f"job [{out.id}]",
        out.url,
        "(description truncated; response_format=detailed for all of it)" if out.description_truncated else None,
    )
    text = head + "\n" + untrusted("\n".join(line for line in lines if line), "written by the client")
    return respond(out, text)


class SubcategoryOut(OutModel):
    id: str
    name: str | None = None


class CategoryOut(OutModel):
    id: str = Field(description="pass as search_jobs category (the name works too)")
    name: str | None = None
    subcategories: list[SubcategoryOut]


class CategoryList(OutModel):
    categories: list[CategoryOut]


async def list_categories(ctx: Ctx) -> Annotated[CallToolResult, CategoryList]:
    """Upwork's job categories and subcategories, with the ids search_jobs takes."""
    tree = await app(ctx).client.categories.tree()
    out = CategoryList(
        categories=[
            CategoryOut(
                id=c.id,
                name=c.preferred_label,
                subcategories=[SubcategoryOut(id=s.id, name=s.preferred_label) for s in c.subcategories],
            )
            for c in tree
        ]
    )
    lines = [f"{c.name} [{c.id}]: " + ", ".join(f"{s.name} [{s.id}]" for s in c.subcategories) for c in out.categories]
    return respond(out, f"{len(out.categories)} categories\n" + "\n".join(lines))


TOOLS = [
    ToolSpec(search_jobs, "Search Upwork jobs", read_only=True, needs=("marketplaceJobPostingsSearch",)),
    ToolSpec(get_job, "Get an Upwork job", read_only=True, needs=("marketplaceJobPosting",)),
    ToolSpec(list_categories, "List Upwork job categories", read_only=True, needs=("ontologyCategories",)),
]
