from __future__ import annotations

from typing import Literal

from ._base import APIModel, NamedEntity


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
