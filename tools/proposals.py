"""Proposal and offer tools: what happened to what the user applied for, and what they were offered."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult
from pydantic import BeforeValidator, Field

from ._app import Ctx, app
from ._common import (
    MilestoneOut,
    OutModel,
    ResponseFormat,
    TenantId,
    ToolSpec,
    ago,
    joined,
    milestone_line,
    milestone_out,
    money_of,
    respond,
)
from ._text import clean, listing, shorten, untrusted

if TYPE_CHECKING:
    from upwork_mcp.api.proposals import ProposalsAPI
    from upwork_mcp.models.proposals import Offer, OfferSummary, Proposal, ProposalRooms


def _capitalized(value: Any) -> Any:
    """Upwork's enums are capitalized ("Pending"); accept any case."""
    return value.capitalize() if isinstance(value, str) else value


ProposalStatus = Annotated[
    Literal["all", "Pending", "Offered", "Accepted", "Hired", "Activated", "Declined", "Withdrawn", "Archived"],
    BeforeValidator(lambda v: v.lower() if isinstance(v, str) and v.lower() == "all" else _capitalized(v)),
    Field(description="all: the newest of every status, with counts."),
]
ItemCursor = Annotated[str | None, Field(description="A next_cursor.", max_length=200)]
ItemId = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_~-]+$")]


def _day(raw: str | None) -> str | None:
    """The date (yyyy-MM-dd) of an Upwork moment, sent as ISO 8601 text or as epoch milliseconds."""
    from upwork_mcp.models._base import iso_instant  # lazy: the engine's models load with the first call

    return (iso_instant(raw) or raw or "")[:10] or None


class _Proposal(OutModel):
    id: str = Field(description="proposal id: pass to get_proposal")
    status: str | None = None
    reason: str | None = None
    job_id: str | None = None
    job_title: str | None = None
    rate: str | None = Field(default=None, description="proposed rate or amount")
    client: str | None = None
    created: str | None = Field(default=None, description="sent, yyyy-MM-dd")
    modified: str | None = Field(default=None, description="changed, yyyy-MM-dd")


class ProposalOut(_Proposal):
    room_id: str | None = Field(default=None, description="its message room: pass to list_messages")
    client_replied: bool | None = Field(default=None, description="the client opened a room (only it can)")
    last_from: Literal["client", "you"] | None = Field(default=None, description="who wrote last in the room")


class ProposalList(OutModel):
    status: str
    total: int | None = None
    counts: dict[str, int] | None = Field(default=None, description="per status (all only)")
    complete: bool | None = Field(default=None, description="false: counts are partial")
    proposals: list[ProposalOut]
    next_cursor: str | None = None


def _with_room(p: ProposalOut, rooms: ProposalRooms) -> ProposalOut:
    room = rooms.by_proposal.get(p.id)
    if room is None:
        # No room among those read: the client has not written, unless the room list was cut short.
        return p.model_copy(update={"client_replied": False}) if rooms.known and rooms.complete else p
    last = None if room.last_from_user is None else "you" if room.last_from_user else "client"
    return p.model_copy(update={"room_id": room.room_id, "client_replied": True, "last_from": last})


def _proposal(p: Proposal) -> ProposalOut:
    job = p.marketplace_job_posting
    status = p.status
    return ProposalOut(
        id=p.id,
        status=status.status if status else None,
        reason=clean(status.reason.reason) if status and status.reason else None,
        job_id=job.id if job else None,
        job_title=clean(job.content.title) if job and job.content else None,
        rate=money_of(p.terms.charge_rate) if p.terms else None,
        client=clean(p.organization.name) if p.organization else None,
        created=_day(p.created),
        modified=_day(p.modified),
    )


def _reply(p: ProposalOut, last_at: str | None) -> str | None:
    if p.client_replied is False:
        return "NO REPLY (no room)"
    if p.client_replied:
        return f"room {p.room_id}" + (
            f", last message {p.last_from} {ago(last_at) or ''}".rstrip() if p.last_from else ""
        )
    return None


def _proposal_line(p: _Proposal, reply: str | None = None) -> str:
    return joined(
        f"[{p.id}] {p.job_title}",
        p.status,
        p.reason,
        p.rate,
        f"sent {p.created}" if p.created else None,
        f"changed {p.modified}" if p.modified and p.modified != p.created else None,
        p.client,
        reply,
    )


async def _rooms(api: ProposalsAPI, shown: list[Proposal], tenant_id: str | None) -> ProposalRooms:
    """The shown proposals' rooms (asked only when there is a proposal to show, after the proposals answered)."""
    from upwork_mcp.models.proposals import ProposalRooms  # lazy: the engine's models load with the first call

    return await api.rooms(tenant_id=tenant_id) if shown else ProposalRooms()


async def list_proposals(
    ctx: Ctx,
    status: ProposalStatus = "all",
    sort: Annotated[Literal["created", "modified"], Field(description="Newest first by this date.")] = "created",
    job_id: Annotated[str | None, Field(description="Only proposals for this job id.", max_length=40)] = None,
    limit: Annotated[int, Field(description="Per page (Upwork's most is 40).", ge=1, le=40)] = 20,
    cursor: ItemCursor = None,
    tenant_id: TenantId = None,
) -> Annotated[CallToolResult, ProposalList]:
    """List the user's proposals, newest first: job, rate, status and why, whether the client replied."""
    proposals = app(ctx).client.proposals
    jobs = (job_id,) if job_id else ()
    if status == "all":
        if cursor:
            raise ToolError("cursor pages one status: pass the status (e.g. Pending) with it.")
        overview = await proposals.overview(sort=sort, job_ids=jobs, tenant_id=tenant_id)
        rooms = await _rooms(proposals, overview.proposals[:limit], tenant_id)
        counts = dict(sorted(overview.counts.items(), key=lambda kv: -kv[1]))
        total = sum(counts.values())
        out = ProposalList(
            status="all",
            total=total,
            counts=counts,
            complete=overview.complete,
            proposals=[_with_room(_proposal(p), rooms) for p in overview.proposals[:limit]],
        )
        # Upwork's status buckets overlap: each proposal is counted once, by its own status.
        head = (
            f"{total if overview.complete else f'at least {total}'} proposals"
            + (f" for job {job_id}" if job_id else "")
            + (": " + ", ".join(f"{n} {s}" for s, n in counts.items()) if counts else "")
            + ("" if overview.complete else f" (the newest {overview.page_size} of each status read)")
        )
        if total > limit:
            head += f"; the newest {limit} shown (limit up to 40, or a status with its cursor for the rest)"
    else:
        page = await proposals.list(status, first=limit, after=cursor, sort=sort, job_ids=jobs, tenant_id=tenant_id)
        rooms = await _rooms(proposals, page.proposals, tenant_id)
        out = ProposalList(
            status=status,
            total=page.total,
            proposals=[_with_room(_proposal(p), rooms) for p in page.proposals],
            next_cursor=page.next_cursor,
        )
        head = f"{page.total} {status} proposals" + (f" (next_cursor: {out.next_cursor})" if out.next_cursor else "")
    silent = sum(1 for p in out.proposals if p.client_replied is False)
    if not rooms.known:
        head += f"\nReplies unknown: {rooms.why_unknown}; get_proposal shows one proposal's room."
    elif not rooms.complete:
        head += (
            f"\nRooms read: the {rooms.scanned} most recent; a proposal shown without one may still have one "
            "(get_proposal checks it)."
        )
    elif out.proposals:
        head += f"; {silent} shown without a reply (no message room)"
    when = {k: r.last_at for k, r in rooms.by_proposal.items()}
    lines = [_proposal_line(p, _reply(p, when.get(p.id))) for p in out.proposals]
    return respond(out, listing(head, lines, "job titles and client names are written by clients"))


class ProposalDetail(_Proposal):
    duration: str | None = None
    cover_letter: str | None = None
    room_id: str | None = Field(default=None, description="its message room: pass to list_messages")


async def get_proposal(
    ctx: Ctx,
    proposal_id: Annotated[ItemId, Field(description="Proposal id from list_proposals.")],
    response_format: ResponseFormat = "concise",
    tenant_id: TenantId = None,
) -> Annotated[CallToolResult, ProposalDetail]:
    """Read one proposal: job, rate, dates, status and reason, cover letter, room."""
    found = await app(ctx).client.proposals.get(proposal_id, tenant_id=tenant_id)
    p = found.proposal
    letter = p.proposal_cover_letter
    out = ProposalDetail(
        **_proposal(p).model_dump(exclude_none=True),
        duration=p.terms.estimated_duration.label if p.terms and p.terms.estimated_duration else None,
        cover_letter=clean(letter) if response_format == "detailed" else shorten(letter, 600),
        room_id=found.room_id,
    )
    head = f"proposal [{out.id}]" + (f", room {out.room_id}" if out.room_id else ", no message room")
    body = _proposal_line(out) + (f"\nduration: {out.duration}" if out.duration else "")
    text = head + "\n" + untrusted(body, "job titles are written by clients")
    if out.cover_letter:
        text += "\nCover letter (the user's own):\n" + out.cover_letter
    return respond(out, text)


OfferState = Annotated[
    Literal["all", "Pending", "Active", "Paused", "Ended"],
    BeforeValidator(lambda v: v.lower() if isinstance(v, str) and v.lower() == "all" else _capitalized(v)),
    Field(description="Pending: awaits the user's answer."),
]


class OfferOut(OutModel):
    id: str = Field(description="offer id: pass to get_offer")
    title: str | None = None
    type: str | None = None
    state: str | None = None
    offer_state: str | None = None
    client: str | None = None
    job_id: str | None = None
    terms: str | None = Field(default=None, description="rate and weekly limit, or fixed budget")
    start: str | None = None
    created: str | None = None


class OfferList(OutModel):
    total: int | None = None
    offers: list[OfferOut]
    next_cursor: str | None = None


def _terms(offer: Offer | None) -> str | None:
    terms = offer.offer_terms if offer else None
    if terms is None:
        return None
    if terms.hourly_terms and terms.hourly_terms.rate:
        hourly = terms.hourly_terms
        limit = f", {hourly.weekly_hours_limit} h/week" if hourly.weekly_hours_limit else ""
        return f"{money_of(hourly.rate)}/hr{limit}"
    if terms.fixed_price_term and terms.fixed_price_term.budget:
        return f"fixed {money_of(terms.fixed_price_term.budget)}"
    return None


def _offer(o: OfferSummary) -> OfferOut:
    inner = o.offer
    return OfferOut(
        id=o.id,
        title=clean(o.title),
        type=o.type,
        state=o.state,
        offer_state=inner.state if inner else None,
        client=clean(o.company.name) if o.company else None,
        job_id=inner.job.id if inner and inner.job else None,
        terms=_terms(inner),
        start=_day(o.start_date_time),
        created=_day(o.offer_created_date_time),
    )


async def list_offers(
    ctx: Ctx,
    state: OfferState = "all",
    limit: Annotated[int, Field(description="Offers per page.", ge=1, le=50)] = 20,
    cursor: ItemCursor = None,
    tenant_id: TenantId = None,
) -> Annotated[CallToolResult, OfferList]:
    """List offers made to the user: state, terms, client and job. Ids for get_offer."""
    page = await app(ctx).client.offers.list(
        states=() if state == "all" else (state,), first=limit, after=cursor, tenant_id=tenant_id
    )
    out = OfferList(total=page.total, offers=[_offer(o) for o in page.offers], next_cursor=page.next_cursor)
    lines = [
        joined(
            f"[{o.id}] {o.title}",
            o.state,
            _words(o.offer_state),
            o.terms,
            o.client,
            f"sent {o.created}" if o.created else None,
        )
        for o in out.offers
    ]
    head = f"{page.total} offers" + (f" (next_cursor: {out.next_cursor})" if out.next_cursor else "")
    return respond(out, listing(head, lines, "offer titles and client names are written by clients"))


class OfferDetail(OfferOut):
    job_title: str | None = None
    description: str | None = None
    message: str | None = None
    end: str | None = None
    manual_time_allowed: bool | None = None
    milestones: list[MilestoneOut] | None = None
    room_id: str | None = Field(default=None, description="pass to list_messages")


async def get_offer(
    ctx: Ctx,
    offer_id: Annotated[ItemId, Field(description="Offer id from list_offers.")],
    response_format: ResponseFormat = "concise",
    tenant_id: TenantId = None,
) -> Annotated[CallToolResult, OfferDetail]:
    """Read one offer: terms, milestones, the job, the client's message, its message room."""
    found = await app(ctx).client.offers.get(offer_id, tenant_id=tenant_id)
    o = found.offer
    terms = o.offer_terms
    detailed = response_format == "detailed"
    out = OfferDetail(
        id=o.id,
        title=clean(o.title),
        type=o.type,
        offer_state=o.state,
        client=clean(o.client.name) if o.client else None,
        job_id=o.job.id if o.job else None,
        job_title=clean(o.job.content.title) if o.job and o.job.content else None,
        terms=_terms(o),
        start=terms.expected_start_date if terms else None,
        end=terms.expected_end_date if terms else None,
        manual_time_allowed=terms.hourly_terms.manual_time_allowed if terms and terms.hourly_terms else None,
        description=clean(o.description) if detailed else shorten(o.description, 400),
        message=clean(o.message_to_contractor) if detailed else shorten(o.message_to_contractor, 400),
        milestones=[milestone_out(m) for m in o.milestones] or None,
        room_id=found.room_id,
    )
    head = f"offer [{out.id}] {_words(out.offer_state) or ''}" + (f", room {out.room_id}" if out.room_id else "")
    lines = [
        joined(out.title, _words(out.type), out.terms, out.client, f"start {out.start}" if out.start else None),
        *(milestone_line(m) for m in out.milestones or []),
        *(f"{label}: {value}" for label, value in (("message", out.message), ("job", out.description)) if value),
    ]
    return respond(out, listing(head, lines, "offer texts are written by the client"))


def _words(code: str | None) -> str | None:
    """An Upwork code as words in a line (PENDING_VENDOR_ACCEPTANCE -> pending vendor acceptance); the
    structured result keeps the code."""
    return code.replace("_", " ").lower() if code and code.isupper() else code


TOOLS = [
    ToolSpec(list_proposals, "List my Upwork proposals", read_only=True, needs=("vendorProposals",)),
    ToolSpec(get_proposal, "Get an Upwork proposal", read_only=True, needs=("vendorProposal",)),
    ToolSpec(list_offers, "List my Upwork offers", read_only=True, needs=("user.offer",)),
    ToolSpec(get_offer, "Get an Upwork offer", read_only=True, needs=("offer",)),
]
