"""Proposals and offers, as `vendorProposals`/`vendorProposal` and the offer queries answer."""

from __future__ import annotations

from ._base import APIModel, Money, NamedEntity, iso_instant


class RawDate(APIModel):
    raw_value: str | None = None


class ProposalJobContent(APIModel):
    title: str | None = None


class ProposalJob(APIModel):
    id: str | None = None
    content: ProposalJobContent | None = None


class Label(APIModel):
    label: str | None = None


class ProposalTerms(APIModel):
    charge_rate: Money | None = None
    estimated_duration: Label | None = None
    upfront_payment_percent: int | None = None


class ProposalAudit(APIModel):
    created_date_time: RawDate | None = None
    modified_date_time: RawDate | None = None


class Reason(APIModel):
    reason: str | None = None
    description: str | None = None


class ProposalStatus(APIModel):
    status: str | None = None
    reason: Reason | None = None


class Proposal(APIModel):
    id: str
    marketplace_job_posting: ProposalJob | None = None
    terms: ProposalTerms | None = None
    proposal_cover_letter: str | None = None
    audit_details: ProposalAudit | None = None
    status: ProposalStatus | None = None
    organization: NamedEntity | None = None

    @property
    def created(self) -> str | None:
        """When it was sent, ISO 8601 UTC (Upwork sends epoch milliseconds)."""
        audit = self.audit_details
        return iso_instant(audit.created_date_time.raw_value) if audit and audit.created_date_time else None

    @property
    def modified(self) -> str | None:
        audit = self.audit_details
        return iso_instant(audit.modified_date_time.raw_value) if audit and audit.modified_date_time else None


class ProposalPage(APIModel):
    status: str
    total: int | None = None
    proposals: list[Proposal]
    next_cursor: str | None = None


class ProposalOverview(APIModel):
    """Every status bucket read once and merged: each proposal once, counted by its own status.

    Upwork's buckets overlap (Declined, Withdrawn and Hired have answered the same open list; Archived the
    closed ones), so their totals are never added up.
    """

    proposals: list[Proposal]  # newest first by the asked date
    counts: dict[str, int]  # by each proposal's own status.status
    complete: bool  # every bucket was read to its end
    skipped: list[str] = []  # buckets Upwork kept timing out on
    page_size: int  # proposals asked for per bucket


class ProposalDetail(APIModel):
    proposal: Proposal
    room_id: str | None = None


class ProposalRoom(APIModel):
    """A proposal's message room as the room list shows it: who wrote the latest message, and when."""

    room_id: str
    last_from_user: bool | None = None  # the user wrote the latest message (None: unknown)
    last_at: str | None = None
    last_message: str | None = None  # its text (the author's words)
    last_id: str | None = None  # its story id


class ProposalRooms(APIModel):
    """The rooms that belong to proposals (Room.vendorProposal), read from the room list in a few requests.
    `known` is false when the rooms could not be read (no messaging permission, or Room.vendorProposal
    refused); `complete` is false when more rooms exist than were read, so a proposal without a room here
    may still have one."""

    by_proposal: dict[str, ProposalRoom] = {}
    known: bool = True
    complete: bool = True
    scanned: int = 0
    requests: int = 0
    why_unknown: str | None = None


class FixedPriceTerm(APIModel):
    budget: Money | None = None


class OfferHourlyTerms(APIModel):
    rate: Money | None = None
    weekly_hours_limit: int | None = None
    manual_time_allowed: bool | None = None


class OfferTerms(APIModel):
    expected_start_date: str | None = None
    expected_end_date: str | None = None
    fixed_price_term: FixedPriceTerm | None = None
    hourly_terms: OfferHourlyTerms | None = None


class Milestone(APIModel):
    id: str | None = None
    sequence_id: int | None = None
    description: str | None = None
    state: str | None = None
    due_date_time: str | None = None
    deposit_amount: Money | None = None
    paid: Money | None = None


class Offer(APIModel):
    id: str
    title: str | None = None
    description: str | None = None
    type: str | None = None
    state: str | None = None
    message_to_contractor: str | None = None
    client: NamedEntity | None = None
    job: ProposalJob | None = None
    offer_terms: OfferTerms | None = None
    milestones: list[Milestone] = []


class OfferSummary(APIModel):
    """One row of the user's offers (`ContractOfferResult`)."""

    id: str
    title: str | None = None
    type: str | None = None
    state: str | None = None
    start_date_time: str | None = None
    offer_created_date_time: str | None = None
    company: NamedEntity | None = None
    offer: Offer | None = None


class OfferPage(APIModel):
    total: int | None = None
    offers: list[OfferSummary]
    next_cursor: str | None = None


class OfferDetail(APIModel):
    offer: Offer
    room_id: str | None = None
