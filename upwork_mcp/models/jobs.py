from __future__ import annotations

from typing import Literal

from ._base import APIModel, Money


class JobSkill(APIModel):
    name: str | None = None
    pretty_name: str | None = None


class ClientLocation(APIModel):
    city: str | None = None
    country: str | None = None
    state: str | None = None
    timezone: str | None = None


class JobClient(APIModel):
    total_hires: int | None = None
    total_posted_jobs: int | None = None
    total_reviews: int | None = None
    total_feedback: float | None = None
    verification_status: str | None = None
    total_spent: Money | None = None
    location: ClientLocation | None = None


class JobSearchNode(APIModel):
    id: str
    ciphertext: str | None = None
    title: str | None = None
    description: str | None = None
    created_date_time: str | None = None
    published_date_time: str | None = None
    amount: Money | None = None
    hourly_budget_min: Money | None = None
    hourly_budget_max: Money | None = None
    duration: str | None = None
    duration_label: str | None = None
    engagement: str | None = None
    experience_level: str | None = None
    total_applicants: int | None = None
    category: str | None = None
    subcategory: str | None = None
    skills: list[JobSkill | None] | None = None
    client: JobClient | None = None

    @property
    def is_fixed(self) -> bool:
        """A fixed-price job has amount.rawValue > 0 (hourly jobs carry 0)."""
        return bool(self.amount and (self.amount.amount or 0) > 0)


class LocalFilterReport(APIModel):
    """A filter applied to the returned jobs because Upwork does not apply it (api/job_filters.py)."""

    name: str
    description: str
    why: str
    kept: int = 0  # of the jobs scanned, how many passed this filter on its own
    unstated: int = 0  # of the jobs scanned, how many it left out for stating no figure (no rate, no spend)


class JobSearchPage(APIModel):
    total: int | None = None  # jobs matching: Upwork's count, or None when a filter was applied here
    jobs: list[JobSearchNode]
    offset: int
    next_offset: int | None = None
    warnings: list[str] = []
    # Filters applied here (Upwork ignores them): what each kept of the `scanned` jobs Upwork returned,
    # out of its `upstream_total` before them.
    local: list[LocalFilterReport] = []
    scanned: int | None = None
    upstream_total: int | None = None


class OntologyEntry(APIModel):
    preferred_label: str | None = None


class Classification(APIModel):
    category: OntologyEntry | None = None
    sub_category: OntologyEntry | None = None


class EngagementDuration(APIModel):
    label: str | None = None
    weeks: int | None = None


class HourlyTerms(APIModel):
    hourly_budget_min: float | None = None
    hourly_budget_max: float | None = None
    engagement_duration: EngagementDuration | None = None


class FixedTerms(APIModel):
    amount: Money | None = None
    engagement_duration: EngagementDuration | None = None


class ContractTerms(APIModel):
    contract_type: str | None = None
    hourly_contract_terms: HourlyTerms | None = None
    fixed_price_contract_terms: FixedTerms | None = None


class ScreeningQuestion(APIModel):
    question: str | None = None
    sequence_number: int | None = None


class ProposalRequirement(APIModel):
    cover_letter_required: bool | None = None
    screening_questions: list[ScreeningQuestion] | None = None


class Qualification(APIModel):
    english_proficiency: str | None = None
    rising_talent: bool | None = None
    has_portfolio: bool | None = None
    job_success_score: float | None = None
    hours_worked: int | None = None


class ContractorSelection(APIModel):
    proposal_requirement: ProposalRequirement | None = None
    qualification: Qualification | None = None


class Country(APIModel):
    name: str | None = None
    two_letter_abbreviation: str | None = None


class PaymentVerification(APIModel):
    payment_verified: bool | None = None


class ClientCompany(APIModel):
    country: Country | None = None
    city: str | None = None
    payment_verification: PaymentVerification | None = None


class JobActivity(APIModel):
    invites_sent: int | None = None
    total_hired: int | None = None
    total_invited_to_interview: int | None = None
    total_offered: int | None = None
    last_client_activity: str | None = None


class ActivityStat(APIModel):
    job_activity: JobActivity | None = None


class JobPostingContent(APIModel):
    title: str | None = None
    description: str | None = None


class WorkFlowState(APIModel):
    status: str | None = None


class JobPosting(APIModel):
    id: str
    content: JobPostingContent | None = None
    work_flow_state: WorkFlowState | None = None
    classification: Classification | None = None
    contract_terms: ContractTerms | None = None
    contractor_selection: ContractorSelection | None = None
    client_company_public: ClientCompany | None = None
    activity_stat: ActivityStat | None = None
    # Known only when the job was seen in a search result (Upwork's one-job query has no ciphertext).
    ciphertext: str | None = None


class JobDetails(APIModel):
    """One job with its search node, the only place Upwork gives the client's record (spend, hires, jobs
    posted, reviews, feedback, verification, location): `listing_from` says where the node came from, a
    search of the last 24 hours ("search") or the targeted search made for this job ("lookup"); without
    one, `missing` says why."""

    posting: JobPosting
    listing: JobSearchNode | None = None
    listing_from: Literal["search", "lookup"] | None = None
    missing: str | None = None
