"""One job as a watch sees it, from either source: the feed's job object or a job-search node.

Unknown stays None (a score treats it as unknown, not as zero). The fingerprint holds what makes a
seen job news again: its budget, and whether it is open.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from ..facts import JOB_URL

if TYPE_CHECKING:
    from ..models.job_feed import FeedJob
    from ..models.jobs import JobPosting, JobSearchNode

Source = Literal["feed", "search"]


@dataclass(frozen=True)
class Listing:
    source: Source
    id: str
    title: str
    url: str | None = None
    description: str = ""
    posted: str | None = None  # ISO 8601, UTC
    job_type: Literal["hourly", "fixed"] | None = None
    budget: float | None = None  # fixed price
    hourly_min: float | None = None
    hourly_max: float | None = None
    level: str | None = None
    category: str | None = None
    skills: tuple[str, ...] = ()
    open: bool = True
    payment_verified: bool | None = None
    client_country: str | None = None
    client_spent: float | None = None
    client_hires: int | None = None
    client_jobs_posted: int | None = None
    client_rating: float | None = None
    client_reviews: int | None = None
    applicants: int | None = None
    interviewing: int | None = None
    invites: int | None = None
    hired: int | None = None
    screening_questions: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def terms(self) -> dict[str, Any]:
        """What makes a seen job news again."""
        return {"budget": self.budget, "hourly": [self.hourly_min, self.hourly_max], "open": self.open}

    def fingerprint(self) -> str:
        return json.dumps(self.terms(), sort_keys=True, separators=(",", ":"))

    def budget_text(self) -> str | None:
        if self.budget:
            return f"${self.budget:,.0f} fixed"
        if self.hourly_min or self.hourly_max:
            return f"${self.hourly_min or 0:,.0f}-{self.hourly_max or 0:,.0f}/hr"
        return None

    def to_json(self) -> str:
        data = asdict(self)
        data["skills"] = list(self.skills)
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Listing:
        data = json.loads(text)
        data["skills"] = tuple(data.get("skills") or ())
        return cls(**data)


def what_changed(old: str, new: Listing) -> str | None:
    """Why a seen job is news again, in words; None when nothing that matters changed."""
    try:
        before = json.loads(old)
    except ValueError:
        return None
    after = new.terms()
    if before == after:
        return None
    if after["open"] and not before.get("open", True):
        return "reopened"
    if not after["open"]:
        return None  # a job that closed is not news
    if before.get("budget") != after["budget"] and after["budget"]:
        was = before.get("budget")
        return f"budget changed from ${was:,.0f} to ${after['budget']:,.0f}" if was else "now a fixed budget"
    if before.get("hourly") != after["hourly"]:
        return f"hourly range changed to ${after['hourly'][0] or 0:,.0f}-{after['hourly'][1] or 0:,.0f}"
    return None


def from_feed(job: FeedJob) -> Listing:
    buyer, activity = job.buyer, job.client_activity
    budget = job.budget.fixed_amount if job.budget and job.budget.fixed_amount else None
    return Listing(
        source="feed",
        id=job.id,
        title=job.title or "(untitled)",
        url=job.url,
        description=job.description or "",
        posted=job.posted_on,
        job_type="hourly" if job.job_type == 1 else "fixed" if job.job_type == 2 else None,
        budget=budget,
        hourly_min=job.hourly_budget.min if job.hourly_budget else None,
        hourly_max=job.hourly_budget.max if job.hourly_budget else None,
        level={1: "entry", 2: "intermediate", 3: "expert"}.get(job.contractor_tier or 0),
        category=job.category.name if job.category else None,
        skills=tuple(job.skills),
        open=job.status != 2,
        payment_verified=buyer.payment_verified if buyer else None,
        client_country=buyer.country if buyer else None,
        client_spent=buyer.total_spent if buyer else None,
        client_hires=buyer.total_assignments if buyer else None,
        applicants=activity.total_applicants if activity else None,
        interviewing=activity.total_invited_to_interview if activity else None,
        invites=activity.invitations_sent if activity else None,
        hired=activity.total_hired if activity else None,
        extra={"jobs_with_hires": buyer.total_jobs_with_hires if buyer else None, "tags": list(job.tags)},
    )


def from_search(job: JobSearchNode) -> Listing:
    client = job.client
    fixed = job.is_fixed
    verified = (
        None if client is None or client.verification_status is None else client.verification_status == "VERIFIED"
    )
    return Listing(
        source="search",
        id=job.id,
        title=job.title or "(untitled)",
        url=JOB_URL.format(ciphertext=job.ciphertext) if job.ciphertext else None,
        description=job.description or "",
        posted=job.published_date_time or job.created_date_time,
        job_type="fixed" if fixed else "hourly",
        budget=job.amount.amount if fixed and job.amount else None,
        hourly_min=None if fixed or not job.hourly_budget_min else job.hourly_budget_min.amount,
        hourly_max=None if fixed or not job.hourly_budget_max else job.hourly_budget_max.amount,
        level={"ENTRY_LEVEL": "entry", "INTERMEDIATE": "intermediate", "EXPERT": "expert"}.get(
            job.experience_level or ""
        ),
        category=job.subcategory or job.category,
        skills=tuple(s.pretty_name or s.name or "" for s in job.skills or [] if s),
        payment_verified=verified,
        client_country=client.location.country if client and client.location else None,
        client_spent=client.total_spent.amount if client and client.total_spent else None,
        client_hires=client.total_hires if client else None,
        client_jobs_posted=client.total_posted_jobs if client else None,
        client_rating=client.total_feedback if client and client.total_reviews else None,
        client_reviews=client.total_reviews if client else None,
        applicants=job.total_applicants,
    )


def from_posting(job: JobPosting, base: Listing | None = None) -> Listing:
    """A full posting (`get_job`'s query) over what a search or watch saw of it (`base`): the posting adds
    activity (interviews, invites, hires) and screening questions; the search adds the client's history."""
    terms = job.contract_terms
    fixed = terms.fixed_price_contract_terms if terms else None
    hourly = terms.hourly_contract_terms if terms else None
    company = job.client_company_public
    activity = job.activity_stat.job_activity if job.activity_stat else None
    selection = job.contractor_selection
    requirement = selection.proposal_requirement if selection else None
    questions = requirement.screening_questions if requirement else None
    content = job.content
    fields: dict[str, Any] = {
        "source": base.source if base else "search",
        "id": job.id,
        "title": (content.title if content else None) or (base.title if base else "(untitled)"),
        "description": (content.description if content else None) or (base.description if base else ""),
        "url": JOB_URL.format(ciphertext=job.ciphertext) if job.ciphertext else (base.url if base else None),
        "open": (job.work_flow_state.status or "ACTIVE").upper() in ("ACTIVE", "OPEN") if job.work_flow_state else True,
        "interviewing": activity.total_invited_to_interview if activity else None,
        "invites": activity.invites_sent if activity else None,
        "hired": activity.total_hired if activity else None,
        "screening_questions": len(questions) if questions is not None else None,
    }
    if fixed and fixed.amount and fixed.amount.amount:
        fields |= {"job_type": "fixed", "budget": fixed.amount.amount}
    elif hourly:
        fields |= {"job_type": "hourly", "hourly_min": hourly.hourly_budget_min}
        fields["hourly_max"] = hourly.hourly_budget_max
    if company:
        if company.payment_verification and company.payment_verification.payment_verified is not None:
            fields["payment_verified"] = company.payment_verification.payment_verified
        if company.country and company.country.name:
            fields["client_country"] = company.country.name
    if base is None:
        return Listing(**fields)
    return replace(base, **{k: v for k, v in fields.items() if v is not None})
