"""The user's proposal pipeline: what changed since they last looked, each change reported once.

A proposal's "look" is what the user would notice about it: its status and reason, whether the client
opened its message room (freelancers cannot write first on a proposal, so a room means the client wrote),
an offer on its job, and whether it has gone quiet (open, no room, sent more than QUIET_DAYS ago). Looks
are kept in the store per user (`store/proposals.py`); a change is reported by the one check that moves
the stored look from the old to the new (two checks at once report it once between them), and the
user's first check records every look without reporting any.

The user's proposals watches (`Watches`, source "proposals") get the changes worth a ping on their sinks:
each is queued in the transaction that advances the look, so it goes out once whichever check (a
watch's, `check_proposals`) saw it first. A proposal that is merely new to this server (the user just
sent it) is recorded, not pinged.

What it costs Upwork, per check: every status bucket's first page (Upwork's buckets overlap and take one
status per request), the pending offers, the room list (Room.vendorProposal: one request per 100 rooms, at
most three) when an open proposal has no room yet, and the first message of a room just found. Only when
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
    from ..models.proposals import Proposal
    from ..store.proposals import AsyncProposalLedger

QUIET_DAYS = 7
ROOM_LOOKUPS = 20
OPEN = frozenset({"Pending", "Accepted", "Offered", "Activated"})  # submitted and still in play

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


def worth_a_ping(change: ProposalChange) -> bool:
    """Whether a change goes to the sinks: all but a proposal merely new to this server (the user sent it),
    unless it arrives with news already (the client wrote, an offer, a status past Pending)."""
    if change.kind != "new":
        return True
    return bool(change.room_id or change.offer_id) or change.status not in (None, "Pending")


def _queue(
    changes: list[ProposalChange], before: dict[str, Any] | None, look: dict[str, Any], routes: list[Route]
) -> list[Queued]:
    """The messages `changes` make for each route's sinks, keyed by the change and the looks it went between."""
    pings = [c for c in changes if worth_a_ping(c)]
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
    overview = await client.proposals.overview(sort="modified", tenant_id=tenant_id)
    requests = len(PROPOSAL_STATUSES) + 1  # a first page per status, then the pending offers
    notes: list[str] = []
    if not overview.complete:
        notes.append(
            f"Only the newest {overview.page_size} proposals of each status are followed"
            + (f"; Upwork timed out on {', '.join(overview.skipped)}." if overview.skipped else ".")
        )
    try:
        offers = await _offers_by_job(client, tenant_id)
    except UpworkError as exc:
        offers = {}
        notes.append(f"Offers were not checked: {exc}")
    unknown = await ledger.unknown()
    for p in overview.proposals:  # a submission whose answer was lost, seen on Upwork: it arrived
        job_id = _job(p)[0]
        if job_id in unknown:
            await ledger.found(job_id, p.id)
    seen = await ledger.seen()
    looks: dict[str, dict[str, Any]] = {}
    messages: dict[str, str | None] = {}
    lookups = 0
    waiting = [p for p in overview.proposals if _status(p) in OPEN and not (seen.get(p.id) or {}).get("room")]
    listed = await client.proposals.rooms(tenant_id=tenant_id) if waiting else None
    requests += listed.requests if listed else 0
    for p in overview.proposals:
        before = seen.get(p.id) or {}
        status, (job_id, _) = _status(p), _job(p)
        room = before.get("room")
        if room is None and status in OPEN:
            if listed is not None and listed.known and (p.id in listed.by_proposal or listed.complete):
                room = listed.by_proposal[p.id].room_id if p.id in listed.by_proposal else None
            elif lookups < ROOM_LOOKUPS:  # the room list could not say: ask for this proposal's room
                lookups += 1
                room = await client.proposals.room(p.id, tenant_id=tenant_id)
            if room is not None and p.id in seen:
                requests += 1
                messages[p.id] = await _first_message(client, room, tenant_id)
        created = instant(p.created) if p.created else None
        quiet = bool(status in OPEN and room is None and created and now - created > timedelta(days=QUIET_DAYS))
        looks[p.id] = {
            "status": status,
            "reason": _reason(p),
            "room": room,
            "offer": offers.get(job_id or "") if status in OPEN else before.get("offer"),
            "quiet": quiet,
        }
    requests += lookups
    if await ledger.first_look(looks):
        return PipelineCheck(first=True, tracked=len(looks), notes=notes, requests=requests)
    found = PipelineCheck(first=False, tracked=len(looks), notes=notes, requests=requests)
    by_id = {p.id: p for p in overview.proposals}
    for proposal_id, look in looks.items():
        last = seen.get(proposal_id)
        if last == look:
            continue
        changes = _changes(by_id[proposal_id], last, look, messages.get(proposal_id))
        queue = _queue(changes, last, look, routes or [])
        if not await ledger.advance(proposal_id, last, look, queue):
            continue  # another check reported it (and queued its messages)
        found.changes += changes
        found.queued |= {q.sink for q in queue}
    return found


async def _first_message(client: UpworkClient, room_id: str, tenant_id: str | None) -> str | None:
    try:
        page = await client.messages.stories(room_id, first=1, tenant_id=tenant_id)
    except UpworkError:
        return None  # the room is reported without its text
    return page.stories[0].message if page.stories else None


def _changes(
    p: Proposal, before: dict[str, Any] | None, look: dict[str, Any], message: str | None
) -> list[ProposalChange]:
    job_id, title = _job(p)

    def change(kind: ChangeKind, **more: Any) -> ProposalChange:
        return ProposalChange(p.id, kind, job_id=job_id, job_title=title, status=look["status"], **more)

    if before is None:
        return [change("new", reason=look["reason"], room_id=look["room"], offer_id=look["offer"])]
    out = []
    if (before.get("status"), before.get("reason")) != (look["status"], look["reason"]):
        out.append(change("status", reason=look["reason"]))
    if look["room"] and not before.get("room"):
        out.append(change("client_wrote", room_id=look["room"], message=message))
    if look["offer"] and look["offer"] != before.get("offer"):
        out.append(change("offer", offer_id=look["offer"]))
    if look["quiet"] and not before.get("quiet"):
        out.append(change("quiet"))
    return out
