"""Freelancer tools: search profiles, read one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from mcp_types import CallToolResult
from pydantic import Field

from ._app import Ctx, app
from ._common import HourlyUsd, OutModel, ResponseFormat, ToolSpec, compact_money, joined, money, respond
from ._empty import HEAD, by_local, by_upstream, said
from ._text import clean, listing, shorten, untrusted

if TYPE_CHECKING:
    from upwork_mcp.models.freelancers import FreelancerProfile


class FreelancerSummary(OutModel):
    profile_key: str | None = Field(default=None, description="~01 key: pass to get_freelancer_profile")
    name: str | None = None
    title: str | None = None
    rate: str | None = None
    rating: float | None = None
    top_rated: str | None = None
    jobs: int | None = None
    location: str | None = None
    skills: list[str] | None = None
    description: str | None = None


class FreelancerList(OutModel):
    total: int | None = None
    freelancers: list[FreelancerSummary]
    next_cursor: str | None = None
    why_empty: str | None = None  # which filters emptied a search that found nothing
    applied_here: list[str] | None = None  # what each filter applied here kept
    scanned: int | None = None  # with applied_here: the jobs or profiles looked at


async def search_freelancers(
    ctx: Ctx,
    q: Annotated[str | None, Field(description="Keywords: skills, role or domain.", max_length=300)] = None,
    country: Annotated[str | None, Field(description="Country name, e.g. 'Germany'.", max_length=80)] = None,
    hourly_min: HourlyUsd = None,
    hourly_max: HourlyUsd = None,
    limit: Annotated[int, Field(description="Profiles per page.", ge=1, le=50)] = 10,
    cursor: Annotated[str | None, Field(description="A next_cursor.", max_length=64)] = None,
    response_format: ResponseFormat = "concise",
) -> Annotated[CallToolResult, FreelancerList]:
    """Search Upwork freelancer profiles by keywords, country and rate; get_freelancer_profile reads one."""
    page = await app(ctx).client.freelancers.search(
        keyword=q, country=country, first=limit, after=cursor, hourly_min=hourly_min, hourly_max=hourly_max
    )
    detailed = response_format == "detailed"
    people = [
        FreelancerSummary(
            profile_key=f.ciphertext,
            name=clean(f.short_name),
            title=clean(f.title),
            rate=f"{money(f.hourly_rate.amount, f.hourly_rate.currency)}/hr"
            if f.hourly_rate and f.hourly_rate.amount
            else None,
            rating=f.avg_feedback_score,
            top_rated=f.top_rated_status if f.top_rated_status not in (None, "NONE") else None,
            jobs=(f.total_hourly_jobs or 0) + (f.total_fixed_price_jobs or 0),
            location=", ".join(p for p in (f.location.city, f.location.country) if p) if f.location else None,
            skills=[s.preferred_label for s in f.skills or [] if s and s.preferred_label] if detailed else None,
            description=clean(f.description) if detailed else None,
        )
        for f in page.freelancers
    ]
    rated = page.rate_filter
    out = FreelancerList(
        total=page.total,
        freelancers=people,
        next_cursor=page.next_cursor,
        applied_here=[
            f"hourly rate {_rate_range(hourly_min, hourly_max)}: kept {rated.kept} of {rated.scanned}"
            + (f", {rated.unstated} stating no rate left out" if rated.unstated else "")
            + " (Upwork's freelancer search has no rate filter)"
        ]
        if rated
        else None,
        scanned=rated.scanned if rated else None,
    )
    if not people and not cursor and rated and rated.scanned:
        out.why_empty = said(by_local([("hourly_min/max", rated.kept)], rated.scanned, "freelancers"))
    elif not people and not cursor:
        shown = {k: v for k, v in (("q", q), ("country", country)) if v}
        totals: dict[str, int | None] = {}
        if len(shown) > 1:  # one request of one profile per filter left out
            search = app(ctx).client.freelancers.search
            totals["country"] = (await search(keyword=q, first=1)).total
            totals["q"] = (await search(country=country, first=1)).total
        out.why_empty = said(by_upstream(shown, totals, "freelancers"))
    lines = [
        " | ".join(
            str(p)
            for p in (
                f"[{f.profile_key}] {f.name}",
                f.title,
                f.rate,
                f"★{f.rating:.2f}" if f.rating else None,
                f.top_rated,
                f"{f.jobs} jobs",
                f.location,
            )
            if p
        )
        + (f"\n   {', '.join(f.skills or [])}: {shorten(f.description, 300)}" if f.description else "")
        for f in people
    ]
    if rated is not None:
        upstream = rated.upstream_total if rated.upstream_total is not None else "?"
        head = f"{len(people)} freelancers match among {rated.scanned} of Upwork's {upstream} results"
    else:
        head = f"{page.total} freelancers match"
    head += f" (next_cursor: {out.next_cursor})" if out.next_cursor else ""
    if out.applied_here:
        head += "\nApplied here, not by Upwork: " + "; ".join(out.applied_here)
    if out.why_empty:
        head += HEAD + out.why_empty
    text = listing(head, lines, "profiles are written by freelancers")
    return respond(out, text)


def _rate_range(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"{money(lo)}-{money(hi)}/hr"
    return f"at least {money(lo)}/hr" if lo is not None else f"at most {money(hi)}/hr"


class FreelancerDetail(OutModel):
    profile_key: str
    name: str | None = Field(default=None, description="absent when Upwork withholds it")
    title: str | None = None
    rate: str | None = None
    job_success_score: float | None = None
    top_rated: str | None = None
    total_hours: float | None = None
    total_earnings: str | None = None
    rating: float | None = None
    availability: str | None = None
    location: str | None = None
    skills: list[str] = []
    profile_url: str | None = None
    overview: str | None = None


def profile_figures(p: FreelancerProfile) -> dict[str, Any]:
    """A profile's title, rate, availability, job success, badge, rating, hours, earnings and skills, as both
    profile tools (a freelancer's and the user's own) show them."""
    data, agg = p.personal_data, p.aggregates
    return {
        "title": clean(data.title) if data else None,
        "rate": f"{money(data.charge_rate.amount, data.charge_rate.currency)}/hr"
        if data and data.charge_rate and data.charge_rate.amount
        else None,
        "availability": p.availability.name if p.availability else None,
        "job_success_score": agg.job_success_score if agg else None,
        "top_rated": agg.top_rated_status if agg and agg.top_rated_status != "NONE" else None,
        "rating": agg.total_feedback if agg else None,
        "total_hours": agg.total_hours if agg else None,
        "total_earnings": compact_money(agg.total_earnings.amount) if agg and agg.total_earnings else None,
        "skills": p.skill_names(),
    }


async def get_freelancer_profile(
    ctx: Ctx,
    profile_key: Annotated[
        str,
        Field(
            description="The ~01 profile key from search_freelancers, or a profile URL.", min_length=3, max_length=300
        ),
    ],
    response_format: ResponseFormat = "concise",
) -> Annotated[CallToolResult, FreelancerDetail]:
    """Read one freelancer's profile: rate, job success, hours, earnings, availability, skills, overview."""
    p = await app(ctx).client.freelancers.profile(profile_key)
    data = p.personal_data
    overview = data.description if data else None
    out = FreelancerDetail(
        profile_key=p.profile_key,
        name=clean(p.full_name),
        location=p.country_details.name if p.country_details else None,
        profile_url=data.profile_url if data else None,
        overview=clean(overview) if response_format == "detailed" else shorten(overview, 800),
        **profile_figures(p),
    )
    facts = joined(
        f"{out.name or '(name withheld by Upwork)'}: {out.title}",
        out.rate,
        f"JSS {out.job_success_score:.0f}%" if out.job_success_score else None,
        out.top_rated,
        f"{out.total_hours:,.0f} h" if out.total_hours else None,
        f"{out.total_earnings} earned" if out.total_earnings else None,
        out.availability,
        out.location,
    )
    body = f"{facts}\nskills: {', '.join(out.skills)}\n{out.overview or ''}"
    text = (
        joined(f"freelancer [{out.profile_key}]", out.profile_url)
        + "\n"
        + untrusted(body, "profiles are written by the freelancer")
    )
    return respond(out, text)


TOOLS = [
    ToolSpec(
        search_freelancers, "Search Upwork freelancers", read_only=True, needs=("freelancerProfileSearchRecords",)
    ),
    ToolSpec(
        get_freelancer_profile,
        "Get an Upwork freelancer profile",
        read_only=True,
        needs=("freelancerProfileByProfileKey",),
    ),
]
