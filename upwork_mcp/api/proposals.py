"""Proposals and offers: what happened to what the freelancer applied for and was offered.

Upwork's proposal listing takes one status per request (`status_eq` is required), and its status
buckets overlap (Declined, Withdrawn and Hired have answered the same open list; Archived holds the
closed ones): "all" reads each bucket in turn, keeps each proposal once (by id) and counts it by its
own status, never by adding up bucket totals. Pages above 20 have been refused on some accounts
("VJCA-6"; others allow 40): a refused size is asked again at 20. A bucket on which Upwork keeps timing
out ("Transform timeout") is skipped and the overview says it is incomplete. A proposal's or offer's
message room is a second, best-effort request: keys without messaging still get the proposal. For a
whole list, the rooms come from the room list instead (Room.vendorProposal names the proposal a room
belongs to): one request per 100 rooms, at most ROOM_PAGES, rather than one per proposal.
Offers are asked for newest first by `StartDate`, one of the sort fields Upwork documents.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Literal

from ..errors import APIError, GraphQLError, InvalidInputError, NotFoundError, UpworkError
from ..facts import PROPOSAL_STATUSES
from ..models.proposals import (
    Offer,
    OfferDetail,
    OfferPage,
    OfferSummary,
    Proposal,
    ProposalDetail,
    ProposalOverview,
    ProposalPage,
    ProposalRoom,
    ProposalRooms,
)
from ..notes import note
from ._concurrent import both
from ._graphql import GraphQLExecutor, transient
from ._paging import connection_page

MAX_PROPOSAL_PAGE = 40  # no account takes more ("VJCA-6" from 41)
SAFE_PROPOSAL_PAGE = 20  # some accounts refuse more than this
OFFER_STATES = ("Pending", "Active", "Paused", "Ended")  # ContractOfferState
# Newest first by a sort field Upwork documents for CurrentUser.offer (Team, StartDate, EndDate, ContractName,
# FreelancerName, ClientCompanyName, ClientName, State); without one the order is Upwork's own.
OFFER_SORT = {"field": "StartDate", "sortOrder": "DESC"}
ProposalSort = Literal["created", "modified"]
ROOMS_PAGE = 100  # rooms per request (live: `first: 100` works for rooms)
ROOM_PAGES = 3  # rooms read at most to find the proposals' rooms: 300, most recent first


def _refused_size(exc: GraphQLError) -> bool:
    return any("vjca-6" in str(e.get("message", "")).lower() for e in exc.errors)


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
    def __init__(self, gql: GraphQLExecutor, user_id: Callable[[], Awaitable[str]]) -> None:
        self._gql = gql
        self._user_id = user_id
        self._page_cap = MAX_PROPOSAL_PAGE  # lowered to SAFE_PROPOSAL_PAGE once Upwork refuses a size

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
        pagination: dict[str, Any] = {"first": min(first, self._page_cap)}
        if after:
            pagination["after"] = after
        variables = {
            "filter": flt,
            "sort": {"field": "MODIFIEDDATETIME" if sort == "modified" else "CREATEDDATETIME", "sortOrder": "DESC"},
            "pagination": pagination,
        }
        try:
            result = await self._gql.run("ListProposals", variables, tenant_id=tenant_id)
        except GraphQLError as exc:
            if not _refused_size(exc) or pagination["first"] <= SAFE_PROPOSAL_PAGE:
                raise
            note(f"Upwork refused pages of {pagination['first']} proposals; read {SAFE_PROPOSAL_PAGE} at a time.")
            self._page_cap = SAFE_PROPOSAL_PAGE
            variables["pagination"] = {**pagination, "first": SAFE_PROPOSAL_PAGE}
            result = await self._gql.run("ListProposals", variables, tenant_id=tenant_id)
        page = connection_page(result.data.get("vendorProposals"), Proposal)
        return ProposalPage(status=status, total=page.total, proposals=page.items, next_cursor=page.next_cursor)

    async def overview(
        self,
        *,
        first: int = SAFE_PROPOSAL_PAGE,
        sort: ProposalSort = "created",
        job_ids: tuple[str, ...] = (),
        tenant_id: str | None = None,
    ) -> ProposalOverview:
        """The first page of every status bucket, one bucket after another (Upwork times out under load),
        merged: each proposal once, counted by its own status."""
        seen: dict[str, Proposal] = {}
        skipped: list[str] = []
        complete = True
        for status in PROPOSAL_STATUSES:
            try:
                page = await self.list(status, first=first, sort=sort, job_ids=job_ids, tenant_id=tenant_id)
            except GraphQLError as exc:
                if not transient(exc.errors) or len(skipped) == len(PROPOSAL_STATUSES) - 1:
                    raise  # not a timeout, or every bucket timed out: nothing to show
                skipped.append(status)
                continue
            complete = complete and page.next_cursor is None
            for proposal in page.proposals:
                seen.setdefault(proposal.id, proposal)
        if skipped:
            note(f"Upwork timed out twice on the {', '.join(skipped)} proposals; the overview lacks them.")
        counts: dict[str, int] = {}
        for proposal in seen.values():
            own = (proposal.status.status if proposal.status else None) or "Unknown"
            counts[own] = counts.get(own, 0) + 1
        merged = sorted(
            seen.values(), key=lambda p: (p.modified if sort == "modified" else p.created) or "", reverse=True
        )
        return ProposalOverview(
            proposals=merged,
            counts=counts,
            complete=complete and not skipped,
            skipped=skipped,
            page_size=min(first, self._page_cap),
        )

    async def rooms(self, *, tenant_id: str | None = None) -> ProposalRooms:
        """Which proposals have a message room, from the room list (subscribed or not, hidden included), and
        who wrote each room's latest message. Best effort: a key that may not read rooms gets `known=False`."""
        found: dict[str, ProposalRoom] = {}
        after: str | None = None
        scanned = requests = 0
        try:
            me = await self._user_id()
            for _ in range(ROOM_PAGES):
                pagination: dict[str, Any] = {"first": ROOMS_PAGE, **({"after": after} if after else {})}
                variables = {"filter": {"subscribed_eq": False, "includeHidden_eq": True}, "pagination": pagination}
                result = await self._gql.run("ProposalRooms", variables, tenant_id=tenant_id)
                requests += 1
                if "Room.vendorProposal" in result.missing:
                    why = "Upwork refused Room.vendorProposal to this key"
                    return ProposalRooms(known=False, requests=requests, why_unknown=why)
                conn = result.data.get("roomList") or {}
                edges = [e.get("node") for e in conn.get("edges") or [] if e and e.get("node")]
                scanned += len(edges)
                for node in edges:
                    proposal = (node.get("vendorProposal") or {}).get("id")
                    if not proposal:
                        continue
                    story = node.get("latestStory") or {}
                    author = (story.get("user") or {}).get("id")
                    found[str(proposal)] = ProposalRoom(
                        room_id=str(node["id"]),
                        last_from_user=(author == me) if author else None,
                        last_at=story.get("createdDateTime"),
                        last_message=story.get("message"),
                        last_id=str(story["id"]) if story.get("id") else None,
                    )
                info = conn.get("pageInfo") or {}
                after = info.get("endCursor") if info.get("hasNextPage") and edges else None
                if after is None:
                    return ProposalRooms(by_proposal=found, scanned=scanned, requests=requests)
        except UpworkError as exc:  # best effort: the proposals are shown without their rooms
            return ProposalRooms(known=False, requests=requests, why_unknown=str(exc))
        return ProposalRooms(by_proposal=found, complete=False, scanned=scanned, requests=requests)

    async def get(self, proposal_id: str, *, tenant_id: str | None = None) -> ProposalDetail:
        result, room = await both(
            partial(self._gql.run, "GetProposal", {"id": proposal_id}, tenant_id=tenant_id),
            partial(optional_room, self._gql, "ProposalRoom", proposal_id, tenant_id),
        )
        node = result.data.get("vendorProposal")
        if not node:
            raise NotFoundError(f"No proposal {proposal_id} is visible to this account.").about("vendorProposal")
        return ProposalDetail(proposal=Proposal.model_validate(node), room_id=room)

    async def room(self, proposal_id: str, *, tenant_id: str | None = None) -> str | None:
        """The proposal's message room, once the client opened one (freelancers cannot write first)."""
        return await optional_room(self._gql, "ProposalRoom", proposal_id, tenant_id)


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
        variables: dict[str, Any] = {"pagination": pagination, "sort": OFFER_SORT}
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
            raise NotFoundError(f"No offer {offer_id} is visible to this account.").about("offer")
        return OfferDetail(offer=Offer.model_validate(node), room_id=room)
