"""What check_proposals and check_watches (a proposals watch) show of a change in the user's proposals: one
shape, one line, one next step (said, never taken)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from ._common import OutModel
from ._text import clean, shorten

if TYPE_CHECKING:
    from upwork_mcp.watches.pipeline import ProposalChange


class ChangeOut(OutModel):
    proposal_id: str = Field(description="pass to get_proposal")
    kind: Literal["new", "status", "client_wrote", "offer", "quiet"]
    job_id: str | None = None
    job_title: str | None = None
    status: str | None = None
    reason: str | None = None
    room_id: str | None = Field(default=None, description="for list_messages")
    message: str | None = Field(default=None, description="the client's words")
    offer_id: str | None = Field(default=None, description="pass to get_offer")
    next_step: str | None = Field(default=None, description="not taken")


STATUS_STEPS = {
    "Offered": "list_offers shows the offer: accept it or ask about it on Upwork (this server cannot accept offers).",
    "Declined": "Nothing to do; the reason may help the next proposal.",
    "Hired": "A contract follows: list_contracts.",
    "Activated": "A contract follows: list_contracts.",
}
WHAT = {
    "new": "new to this server",
    "status": "now",
    "client_wrote": "the client wrote",
    "offer": "an offer on its job",
    "quiet": "no answer in a week",
}


def next_step(c: ProposalChange) -> str | None:
    if c.kind == "client_wrote":
        return f"Read it with list_messages room_id={c.room_id}, then reply with send_message (the user approves it)."
    if c.kind == "offer":
        return (
            f"get_offer offer_id={c.offer_id}: accept it or ask about it on Upwork (this server cannot accept offers)."
        )
    if c.kind == "quiet":
        return (
            "No answer from the client in a week: the proposal_followup prompt says whether to follow up or withdraw."
        )
    if c.kind == "status":
        return STATUS_STEPS.get(c.status or "")
    return None


def change_out(c: ProposalChange) -> ChangeOut:
    return ChangeOut(
        proposal_id=c.proposal_id,
        kind=c.kind,
        job_id=c.job_id,
        job_title=clean(c.job_title),
        status=c.status,
        reason=clean(c.reason),
        room_id=c.room_id,
        message=shorten(c.message, 600),
        offer_id=c.offer_id,
        next_step=next_step(c),
    )


def change_line(c: ChangeOut) -> str:
    return " | ".join(
        part
        for part in (
            f"[{c.proposal_id}] {c.job_title or c.job_id}",
            f"{WHAT[c.kind]}: {c.status}" if c.kind in ("status", "new") else WHAT[c.kind],
            c.reason,
            f"room {c.room_id}: {c.message}" if c.kind == "client_wrote" else None,
            f"offer {c.offer_id}" if c.offer_id else None,
        )
        if part
    )


def steps_text(changes: list[ChangeOut]) -> str:
    steps = [f"[{c.proposal_id}] {c.next_step}" for c in changes if c.next_step]
    return "\nNext steps (not taken):\n" + "\n".join(steps) if steps else ""
