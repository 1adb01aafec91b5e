"""What get_job (and the job resource) shows of one job: the posting, and its client's record from the search
node (Upwork's one-job query cannot read the client's spend, hires or reviews)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from upwork_mcp.facts import JOB_URL

from ._common import OutModel, compact_money, joined, money, plural
from ._text import clean, shorten

if TYPE_CHECKING:  # engine models load with the first call, not at start-up
    from upwork_mcp.models.jobs import JobDetails, JobPosting


class JobActivityOut(OutModel):
    invites_sent: int | None = None
    hired: int | None = None
    interviewing: int | None = None
    offered: int | None = None
    last_client_activity: str | None = None


class ClientRecord(OutModel):
    rating: float | None = Field(default=None, description="0-5")
    reviews: int | None = None
    total_spent: float | None = Field(default=None, description="USD")
    hires: int | None = None
    jobs_posted: int | None = None
    payment_verified: bool | None = None
    location: str | None = None
    source: str | None = None


class JobDetail(OutModel):
    id: str
    url: str | None = None
    title: str
    status: str | None = None
    type: str | None = None
    budget: str | None = None
    duration: str | None = None
    category: str | None = None
    posted: str | None = None
    proposals: int | None = None
    client: ClientRecord
    activity: JobActivityOut | None = None
    cover_letter_required: bool | None = None
    screening_questions: list[str] | None = None
    description: str | None = None
    description_truncated: bool | None = None
    experience_level: str | None = None
    skills: list[str] | None = None
    wants: list[str] | None = None


_SOURCES = {"search": "a search within 24 h", "lookup": "a search for this job, just now"}


def _client(found: JobDetails, detailed: bool) -> ClientRecord:
    company = found.posting.client_company_public
    listed = found.listing.client if found.listing else None
    place = listed.location if listed else None
    verified = company.payment_verification.payment_verified if company and company.payment_verification else None
    if verified is None and listed and listed.verification_status is not None:
        verified = listed.verification_status == "VERIFIED"
    return ClientRecord(
        rating=listed.total_feedback if listed and listed.total_reviews else None,
        reviews=listed.total_reviews if listed else None,
        total_spent=listed.total_spent.amount if listed and listed.total_spent else None,
        hires=listed.total_hires if listed else None,
        jobs_posted=listed.total_posted_jobs if listed else None,
        payment_verified=verified,
        location=joined(
            (company.city if company else None) or (place.city if place else None),
            (company.country.name if company and company.country else None) or (place.country if place else None),
            place.timezone if place and detailed else None,
            sep=", ",
        )
        or None,
        source=_SOURCES.get(found.listing_from or "") or found.missing,
    )


def job_detail(found: JobDetails | JobPosting, detailed: bool) -> JobDetail:
    from upwork_mcp.models.jobs import JobDetails  # lazy: the engine's models load with the first call

    if not isinstance(found, JobDetails):
        found = JobDetails(posting=found)
    job, listing = found.posting, found.listing
    terms = job.contract_terms
    budget = duration = None
    if terms and terms.fixed_price_contract_terms:
        fixed = terms.fixed_price_contract_terms
        budget = money(fixed.amount.amount if fixed.amount else None)
        duration = fixed.engagement_duration.label if fixed.engagement_duration else None
    elif terms and terms.hourly_contract_terms:
        hourly = terms.hourly_contract_terms
        budget = f"{money(hourly.hourly_budget_min) or '?'}-{money(hourly.hourly_budget_max) or '?'}/hr"
        duration = hourly.engagement_duration.label if hourly.engagement_duration else None
    description = job.content.description if job.content else None
    short = clean(description) if detailed else shorten(description, 1200)
    activity = job.activity_stat.job_activity if job.activity_stat else None
    selection = job.contractor_selection
    requirement = selection.proposal_requirement if selection else None
    wanted = selection.qualification if selection and detailed else None
    classification = job.classification
    cipher = job.ciphertext or (listing.ciphertext if listing else None)
    return JobDetail(
        id=job.id,
        url=JOB_URL.format(ciphertext=cipher) if cipher else None,
        title=clean(job.content.title if job.content else None) or "(untitled)",
        status=job.work_flow_state.status if job.work_flow_state else None,
        type=(terms.contract_type or "").lower() or None if terms else None,
        budget=budget,
        duration=duration,
        category=(
            classification.sub_category.preferred_label if classification and classification.sub_category else None
        ),
        posted=(listing.published_date_time or listing.created_date_time) if listing else None,
        proposals=listing.total_applicants if listing else None,
        client=_client(found, detailed),
        activity=JobActivityOut(
            invites_sent=activity.invites_sent,
            hired=activity.total_hired,
            interviewing=activity.total_invited_to_interview,
            offered=activity.total_offered,
            last_client_activity=activity.last_client_activity,
        )
        if activity
        else None,
        cover_letter_required=requirement.cover_letter_required if requirement else None,
        screening_questions=[clean(q.question) or "" for q in requirement.screening_questions or []]
        if requirement and requirement.screening_questions
        else None,
        description=short,
        description_truncated=True if short != clean(description) else None,
        experience_level=listing.experience_level if listing and detailed else None,
        skills=[s.pretty_name or s.name or "" for s in listing.skills or [] if s] if listing and detailed else None,
        wants=[
            w
            for w in (
                f"English {wanted.english_proficiency}" if wanted.english_proficiency else None,
                f"JSS {wanted.job_success_score:.0f}%+" if wanted.job_success_score else None,
                f"{wanted.hours_worked}+ hours" if wanted.hours_worked else None,
                "a portfolio" if wanted.has_portfolio else None,
                "rising talent welcome" if wanted.rising_talent else None,
            )
            if w
        ]
        or None
        if wanted
        else None,
    )


def client_line(c: ClientRecord) -> str:
    known = c.hires is not None or c.total_spent is not None or c.reviews is not None
    record = joined(
        (f"★{c.rating:.1f} ({plural(c.reviews or 0, 'review')})" if c.rating else "no reviews") if known else None,
        f"{compact_money(c.total_spent) or '$0'} spent" if known else None,
        plural(c.hires, "hire") if c.hires is not None else None,
        plural(c.jobs_posted, "job") + " posted" if c.jobs_posted is not None else None,
        "payment verified" if c.payment_verified else "payment not verified" if c.payment_verified is False else None,
        c.location,
        sep=", ",
    )
    source = f" (from {c.source})" if known else f"; spend and hires unknown: {c.source}" if c.source else ""
    return f"client: {record}{source}"
