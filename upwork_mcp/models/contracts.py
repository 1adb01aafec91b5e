from __future__ import annotations

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


class ContractPage(APIModel):
    contracts: list[Contract]
    offset: int
    next_offset: int | None = None


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
