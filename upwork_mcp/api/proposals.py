"""Proposals and offers: what happened to what the freelancer applied for and was offered.

Upwork's proposal listing takes one status per request (`status_eq` is required) and pages of at
most 40; "all" asks for every status at once, concurrently, and merges them newest first. A
proposal's or offer's message room is a second, best-effort request: keys without messaging still
get the proposal.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Literal

from ..errors import APIError, InvalidInputError, NotFoundError
from ..facts import PROPOSAL_STATUSES
from ..models.proposals import Offer, OfferDetail, OfferPage, OfferSummary, Proposal, ProposalDetail, ProposalPage
from ..notes import note
from ._concurrent import both, gather
from ._graphql import GraphQLExecutor
from ._paging import connection_page

MAX_PROPOSAL_PAGE = 40  # Upwork refuses 41 and more ("VJCA-6")
OFFER_STATES = ("Pending", "Active", "Paused", "Ended")  # ContractOfferState
ProposalSort = Literal["created", "modified"]


async def optional_room(gql: GraphQLExecutor, operation: str, item_id: str, tenant_id: str | None) -> str | None:
    """The id of an item's message room, or None when it has none or this key may not read rooms."""
    try:
        result = await gql.run(operation, {"id": item_id}, tenant_id=tenant_id)
    except APIError as exc:
        if not isinstance(exc, NotFoundError):
            note(f"The message room was left out: {exc}")
        return None
    node = next(iter(result.data.values()), None)
    return str(node["id"]) if isinstance(node, dict) and node.get("id") else None


class ProposalsAPI:
    def __init__(self, gql: GraphQLExecutor) -> None:
        self._gql = gql

    async def list(
        self,
        status: str,
        *,
        first: int = 20,
        after: str | None = None,
        sort: ProposalSort = "created",
        job_ids: tuple[str, ...] = (),
        tenant_id: str | None = None,
    ) -> ProposalPage:
        if status not in PROPOSAL_STATUSES:
            raise InvalidInputError(f"status {status!r} is not one of Upwork's: {', '.join(PROPOSAL_STATUSES)}.")
        if not 1 <= first <= MAX_PROPOSAL_PAGE:
            raise InvalidInputError(f"Upwork pages proposals 1 to {MAX_PROPOSAL_PAGE} at a time, not {first}.")
        flt: dict[str, Any] = {"status_eq": status}
        if job_ids:
            flt["jobPostingIds_any"] = list(job_ids)
        pagination: dict[str, Any] = {"first": first}
        if after:
            pagination["after"] = after
        variables = {
            "filter": flt,
            "sort": {"field": "MODIFIEDDATETIME" if sort == "modified" else "CREATEDDATETIME", "sortOrder": "DESC"},
            "pagination": pagination,
        }
        result = await self._gql.run("ListProposals", variables, tenant_id=tenant_id)
        page = connection_page(result.data.get("vendorProposals"), Proposal)
        return ProposalPage(status=status, total=page.total, proposals=page.items, next_cursor=page.next_cursor)

    async def overview(
        self, *, first: int = 20, sort: ProposalSort = "created", tenant_id: str | None = None
    ) -> tuple[ProposalPage, ...]:
        """The first page of every status, requested concurrently (the rate limiter spaces them)."""
        pages = await gather(
            [partial(self.list, status, first=first, sort=sort, tenant_id=tenant_id) for status in PROPOSAL_STATUSES]
        )
        return tuple(pages)

    async def get(self, proposal_id: str, *, tenant_id: str | None = None) -> ProposalDetail:
        result, room = await both(
            partial(self._gql.run, "GetProposal", {"id": proposal_id}, tenant_id=tenant_id),
            partial(optional_room, self._gql, "ProposalRoom", proposal_id, tenant_id),
        )
        node = result.data.get("vendorProposal")
        if not node:
            raise NotFoundError(f"No proposal {proposal_id} is visible to this account. Use list_proposals for ids.")
        return ProposalDetail(proposal=Proposal.model_validate(node), room_id=room)


class OffersAPI:
    def __init__(self, gql: GraphQLExecutor) -> None:
        self._gql = gql

    async def list(
        self,
        *,
        states: tuple[str, ...] = (),
        first: int = 20,
        after: str | None = None,
        tenant_id: str | None = None,
    ) -> OfferPage:
        unknown = [s for s in states if s not in OFFER_STATES]
        if unknown:
            raise InvalidInputError(f"state {unknown[0]!r} is not one of Upwork's: {', '.join(OFFER_STATES)}.")
        pagination: dict[str, Any] = {"first": first}
        if after:
            pagination["after"] = after
        # No sortAttribute: its field names are free text nobody has documented; Upwork's own order stands.
        variables: dict[str, Any] = {"pagination": pagination}
        if states:
            variables["filter"] = {"commonFilter": {"states_any": list(states)}}
        result = await self._gql.run("ListOffers", variables, tenant_id=tenant_id)
        page = connection_page(((result.data.get("user") or {}).get("offer")), OfferSummary)
        return OfferPage(total=page.total, offers=page.items, next_cursor=page.next_cursor)

    async def get(self, offer_id: str, *, tenant_id: str | None = None) -> OfferDetail:
        result, room = await both(
            partial(self._gql.run, "GetOffer", {"id": offer_id}, tenant_id=tenant_id),
            partial(optional_room, self._gql, "OfferRoom", offer_id, tenant_id),
        )
        node = result.data.get("offer")
        if not node:
            raise NotFoundError(f"No offer {offer_id} is visible to this account. Use list_offers for ids.")
        return OfferDetail(offer=Offer.model_validate(node), room_id=room)
