from __future__ import annotations

from ._base import APIModel


class User(APIModel):
    id: str
    nid: str | None = None
    rid: str | None = None
    name: str | None = None
    email: str | None = None


class Organization(APIModel):
    id: str
    name: str | None = None
    type: str | None = None


class CompanyItem(APIModel):
    title: str | None = None
    organization_id: str | None = None
    organization_rid: str | None = None
    organization_type: str | None = None
    type_title: str | None = None


class Account(APIModel):
    user: User | None = None
    organization: Organization | None = None
    companies: list[CompanyItem] = []
