from __future__ import annotations

from typing import Literal

from ._base import APIModel, Money, NamedEntity
from .proposals import Milestone, Reason


class ContractOffer(APIModel):
    id: str | None = None
    title: str | None = None


class ContractJob(APIModel):
    id: str | None = None


class Contract(APIModel):
    id: str
    title: str | None = None
    status: str | None = None
    delivery_model: str | None = None
    kind: str | None = None
    create_date: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    offer: ContractOffer | None = None
    job: ContractJob | None = None
    client_organization: NamedEntity | None = None
    freelancer: NamedEntity | None = None


class TalentTerms(APIModel):
    job_type: str | None = None
    hourly_rate: str | None = None
    fixed_amount: str | None = None


class TalentContract(APIModel):
    """A contract as the freelancer's work history shows it."""

    id: str
    title: str | None = None
    status: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    create_date: str | None = None
    client_org_id: str | None = None
    terms: TalentTerms | None = None

    def as_contract(self) -> Contract:
        return Contract(
            id=self.id,
            title=self.title,
            status=self.status,
            start_date=self.start_date,
            end_date=self.end_date,
            create_date=self.create_date,
            client_organization=NamedEntity(id=self.client_org_id) if self.client_org_id else None,
        )


# Where a listing came from: Upwork's contract search, the freelancer's work history, or contracts by id
# (the ids found on message rooms), whichever this key may read.
ContractSource = Literal["vendorContracts", "talentWorkHistory", "contractList"]


class ContractPage(APIModel):
    contracts: list[Contract]
    offset: int
    next_offset: int | None = None
    total: int | None = None
    source: ContractSource = "vendorContracts"


class HourlyLimit(APIModel):
    weekly_limit: str | None = None
    start_date: str | None = None
    end_date: str | None = None


class HourlyTerm(APIModel):
    hourly_rate: Money | None = None
    start_date: str | None = None
    end_date: str | None = None
    manual_time_allowed: bool | None = None


class FixedTerm(APIModel):
    fixed_amount: Money | None = None
    milestones: list[Milestone | None] | None = None


class DetailTerms(APIModel):
    hourly_terms: list[HourlyTerm | None] | None = None
    fixed_price_terms: list[FixedTerm | None] | None = None


class Rating(APIModel):
    score: float | None = None
    comment: str | None = None


class Feedback(APIModel):
    feedback_to_freelancer: Rating | None = None
    feedback_to_client: Rating | None = None


class ContractDetails(APIModel):
    id: str
    title: str | None = None
    status: str | None = None
    delivery_model: str | None = None
    kind: str | None = None
    create_date: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    offer_id: str | None = None
    freelancer: NamedEntity | None = None
    client_organization: NamedEntity | None = None
    hiring_manager: NamedEntity | None = None
    closing_reason: Reason | None = None
    hourly_limits: list[HourlyLimit | None] | None = None
    terms: DetailTerms | None = None
    feedback: Feedback | None = None  # from the work history, where the key can read it

    @property
    def weekly_limit(self) -> str | None:
        """The hourly limit in force: the one without an end date, else the latest."""
        limits = [h for h in self.hourly_limits or [] if h]
        current = [h for h in limits if not h.end_date] or limits
        return current[-1].weekly_limit if current else None
