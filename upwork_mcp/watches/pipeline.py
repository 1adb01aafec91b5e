"""The user's proposal pipeline: what changed since they last looked, each change reported once.

A proposal's "look" is what the user would notice about it: its status and reason, whether the client
opened its message room (freelancers cannot write first on a proposal, so a room means the client wrote)
and when the client last wrote there (each new message from the client is news; the user's own are not),
an offer on its job, and whether it has gone quiet (open, no room, sent more than QUIET_DAYS ago). Looks
are kept in the store per user (`store/proposals.py`); a change is reported by the one check that moves
the stored look from the old to the new (two checks at once report it once between them), and the
user's first check records every look without reporting any.

The user's proposals watches (`Watches`, source "proposals") get the changes worth a ping on their sinks:
each is queued in the transaction that advances the look, so it goes out once whichever check (a
watch's, `check_proposals`) saw it first. A proposal that is merely new to this server (the user just
sent it) is recorded, not pinged.

What it costs Upwork, per check: every status bucket's first page (Upwork's buckets overlap and take one
status per request), the pending offers, the room list (Room.vendorProposal and each room's latest message:
one request per 100 rooms, at most three), and the first message of a room just found when the user has
already answered in it. Only when
the room list cannot say (refused, or more rooms than it reads) is a proposal's own room asked for, for the
newest ROOM_LOOKUPS of them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from ..errors import UpworkError
from ..facts import PROPOSAL_STATUSES
from ..models._base import instant
from ..store.watches import Queued

if TYPE_CHECKING:
    from ..api import UpworkClient
    from ..models.proposals import Proposal, ProposalRoom
    from ..store.proposals import AsyncProposalLedger

QUIET_DAYS = 7
ROOM_LOOKUPS = 20
OPEN = frozenset({"Pending", "Accepted", "Offered", "Activated"})  # submitted and still in play
WAITING = frozenset({"Pending", "Accepted"})  # sent, and no answer from the client yet: these can go quiet
YOU = "you"  # a look's client_last when the user wrote the room's latest message

ChangeKind = Literal["new", "status", "client_wrote", "offer", "quiet"]


@dataclass(frozen=True)
class ProposalChange:
    proposal_id: str
    kind: ChangeKind
    job_id: str | None = None
    job_title: str | None = None  # the client's words
    status: str | None = None
    reason: str | None = None  # the client's or Upwork's words
    room_id: str | None = None
    message: str | None = None  # the client's first message (their words)
    offer_id: str | None = None


@dataclass(frozen=True)
class Route:
    """A proposals watch (its name as stored) and the sinks of it that exist."""

    watch: str
    sinks: tuple[str, ...]


@dataclass
class PipelineCheck:
    first: bool  # the user's first check: every proposal recorded, nothing reported
    tracked: int
    changes: list[ProposalChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    requests: int = 0  # to Upwork, about (a bucket retried after a timeout counts once)
    queued: set[str] = field(default_factory=set)  # sinks some change was queued for
    waiting: list[ProposalChange] = field(default_factory=list)  # the first check's: what already waits on the user


def worth_a_ping(change: ProposalChange, fresh: bool) -> bool:
    """Whether a change goes to the sinks: all but a proposal new to this record, unless it was sent after the
    user's first check (`fresh`; an older one was only missed then: Upwork timed out on its status, or it was
    past the page) and is already past waiting (a client's message or an offer on it is a change of its own)."""
    if change.kind != "new":
        return True
    return fresh and change.status not in (None, "Pending", "Accepted")


def _queue(
    changes: list[ProposalChange],
    before: dict[str, Any] | None,
    look: dict[str, Any],
    routes: list[Route],
    *,
    fresh: bool,
) -> list[Queued]:
    """The messages `changes` make for each route's sinks, keyed by the change and the looks it went between."""
    pings = [c for c in changes if worth_a_ping(c, fresh)]
    if not pings:
        return []
    digest = hashlib.sha256(json.dumps([before, look], sort_keys=True).encode()).hexdigest()[:16]
    return [
        Queued(
            f"{route.watch}|proposal:{c.proposal_id}|{c.kind}|{digest}|{sink}",
            route.watch,
            sink,
            json.dumps({"proposal": asdict(c)}, separators=(",", ":")),
        )
        for route in routes
        for sink in route.sinks
        for c in pings
    ]


def _status(p: Proposal) -> str | None:
    return p.status.status if p.status else None


def _reason(p: Proposal) -> str | None:
    return p.status.reason.reason if p.status and p.status.reason else None


def _job(p: Proposal) -> tuple[str | None, str | None]:
    job = p.marketplace_job_posting
    return (job.id if job else None), (job.content.title if job and job.content else None)


async def _offers_by_job(client: UpworkClient, tenant_id: str | None) -> dict[str, str]:
    page = await client.offers.list(states=("Pending",), first=50, tenant_id=tenant_id)
    out: dict[str, str] = {}
    for summary in page.offers:
        inner = summary.offer
        if inner is not None and inner.job is not None and inner.job.id:
            out.setdefault(inner.job.id, summary.id)
    return out


async def check_pipeline(
    client: UpworkClient,
    ledger: AsyncProposalLedger,
    *,
    now: datetime,
    tenant_id: str | None = None,
    routes: list[Route] | None = None,
) -> PipelineCheck:
    """Report what changed since the last check, each change once; `routes`: the user's proposals watches,
    whose sinks get each change worth a ping, queued with it."""
    # The record first, then Upwork: a check that read an older record than another check wrote fails its
    # compare-and-set, never moves a newer record back to what it fetched before that one.
    seen = await ledger.seen()
    since = await ledger.first_checked()
    overview = await client.proposals.overview(sort="modified", tenant_id=tenant_id)
    requests = len(PROPOSAL_STATUSES) + 1  # a first page per status, then the pending offers
    notes: list[str] = []
    if not overview.complete:
        notes.append(
            f"Only the newest {overview.page_size} proposals of each status are followed"
            + (f"; Upwork timed out on {', '.join(overview.skipped)}." if overview.skipped else ".")
        )
    offers: dict[str, str] | None
    try:
        offers = await _offers_by_job(client, tenant_id)
    except UpworkError as exc:
        offers = None  # not read: each proposal keeps the offer it had
        notes.append(f"Offers were not checked: {exc}")
    unknown = await ledger.unknown()
    for p in overview.proposals:  # a submission whose answer was lost, seen on Upwork: it arrived
        job_id = _job(p)[0]
        if job_id in unknown:
            await ledger.found(job_id, p.id)
    looks: dict[str, dict[str, Any]] = {}
    messages: dict[str, str | None] = {}
    lookups = 0
    listed = await client.proposals.rooms(tenant_id=tenant_id) if overview.proposals else None
    requests += listed.requests if listed else 0
    rooms = listed.by_proposal if listed is not None and listed.known else {}
    whole = listed is not None and listed.known and listed.complete  # a proposal not in it has no room
    for p in overview.proposals:
        before = seen.get(p.id) or {}
        listed_room = rooms.get(p.id)
        if listed_room is not None and listed_room.last_from_user is False:
            messages[p.id] = listed_room.last_message
        room = before.get("room")
        if room is None and _status(p) in OPEN:
            if listed_room is not None or whole:
                room = listed_room.room_id if listed_room is not None else None
            elif lookups < ROOM_LOOKUPS:  # the room list could not say: ask for this proposal's room
                lookups += 1
                room = await client.proposals.room(p.id, tenant_id=tenant_id)
            if room is not None and p.id in seen and not messages.get(p.id):
                requests += 1
                messages[p.id] = await _first_message(client, room, tenant_id)
        no_room = whole and listed_room is None  # known to have none (a lookup's None may be a refusal)
        looks[p.id] = _look(p, before, room, listed_room, offers, no_room=no_room, now=now)
    requests += lookups
    by_id = {p.id: p for p in overview.proposals}
    if await ledger.first_look(looks):
        waiting = [_waiting(by_id[i], look, messages.get(i)) for i, look in looks.items()]
        return PipelineCheck(
            first=True, tracked=len(looks), notes=notes, requests=requests, waiting=[w for w in waiting if w]
        )
    found = PipelineCheck(first=False, tracked=len(looks), notes=notes, requests=requests)
    ours = await ledger.sent()  # proposals the user sent through this server are not news when they appear
    for proposal_id, look in looks.items():
        last = seen.get(proposal_id)
        if last == look:
            continue
        p = by_id[proposal_id]
        created = _created(p)
        fresh = since is not None and created is not None and created.timestamp() > since
        changes = _changes(p, last, look, messages.get(proposal_id), fresh=fresh)
        if last is None and _job(p)[0] in ours:  # sent through this server: news only past waiting
            changes = [c for c in changes if c.kind != "new" or c.status not in WAITING]
        queued = await ledger.advance(proposal_id, last, look, _queue(changes, last, look, routes or [], fresh=fresh))
        if queued is None:
            continue  # another check reported it (and queued its messages)
        found.changes += changes
        found.queued |= queued
    return found


def _created(p: Proposal) -> datetime | None:
    return instant(p.created) if p.created else None


def _look(
    p: Proposal,
    before: dict[str, Any],
    room: str | None,
    listed: ProposalRoom | None,
    offers: dict[str, str] | None,
    *,
    no_room: bool,
    now: datetime,
) -> dict[str, Any]:
    """What the user would notice about `p` now, from Upwork's answers (`listed`: its room in the room list;
    `offers`: None when they could not be read) over what the record held (`before`)."""
    status, job_id = _status(p), _job(p)[0]
    client_last = before.get("client_last")
    if listed is not None and listed.last_from_user is False:
        client_last = listed.last_id or listed.last_at  # the client wrote the room's latest message
    elif listed is not None and listed.last_from_user:
        client_last = YOU  # the user wrote last: the client's next message is news
    if room is None and not no_room:  # whether the client wrote is unknown: as it was
        quiet = bool(before.get("quiet")) and status in WAITING
    else:
        created = _created(p)
        quiet = status in WAITING and room is None and bool(created and now - created > timedelta(days=QUIET_DAYS))
    return {
        "status": status,
        "reason": _reason(p),
        "room": room,
        "offer": offers.get(job_id or "") if status in OPEN and offers is not None else before.get("offer"),
        "quiet": quiet,
        "client_last": client_last,  # the client's latest message in its room, as the room list says
    }


async def _first_message(client: UpworkClient, room_id: str, tenant_id: str | None) -> str | None:
    try:
        page = await client.messages.stories(room_id, first=1, tenant_id=tenant_id)
    except UpworkError:
        return None  # the room is reported without its text
    return page.stories[0].message if page.stories else None


def _client_wrote_again(before: str | None, now: str | None) -> bool:
    """A new message from the client: the room's latest is now theirs and another than the record saw. A record
    that never saw who wrote last (None: the room list could not be read then) takes the first it sees
    silently, as it may be the message already reported."""
    return bool(now and now != YOU and before and now != before)


def _waiting(p: Proposal, look: dict[str, Any], message: str | None) -> ProposalChange | None:
    """What a proposal already asks of the user at their first check (recorded, never sent to a sink): the
    client wrote last in its room, or it has gone quiet."""
    job_id, title = _job(p)
    if look["room"] and look["client_last"] not in (None, YOU) and look["status"] in OPEN:
        return ProposalChange(
            p.id, "client_wrote", job_id, title, look["status"], room_id=look["room"], message=message
        )
    if look["quiet"]:
        return ProposalChange(p.id, "quiet", job_id, title, look["status"])
    return None


def _changes(
    p: Proposal, before: dict[str, Any] | None, look: dict[str, Any], message: str | None, *, fresh: bool = False
) -> list[ProposalChange]:
    job_id, title = _job(p)

    def change(kind: ChangeKind, **more: Any) -> ProposalChange:
        return ProposalChange(p.id, kind, job_id=job_id, job_title=title, status=look["status"], **more)

    if before is None:
        out = [change("new", reason=look["reason"], room_id=look["room"], offer_id=look["offer"])]
        if fresh and look["room"] and look["client_last"] != YOU:  # sent since, and the client wrote (a room)
            out.append(change("client_wrote", room_id=look["room"], message=message))
        if fresh and look["offer"]:
            out.append(change("offer", offer_id=look["offer"]))
        return out
    out = []
    offered = look["offer"] and look["offer"] != before.get("offer")
    moved = (before.get("status"), before.get("reason")) != (look["status"], look["reason"])
    if moved and not (offered and look["status"] == "Offered"):  # an offer says it once, with its id
        out.append(change("status", reason=look["reason"]))
    opened = not before.get("room")  # the client opened the room (freelancers cannot write first)
    if look["room"] and (opened or _client_wrote_again(before.get("client_last"), look["client_last"])):
        out.append(change("client_wrote", room_id=look["room"], message=message))
    if offered:
        out.append(change("offer", offer_id=look["offer"]))
    if look["quiet"] and not before.get("quiet"):
        out.append(change("quiet"))
    return out
