"""What a write's preview carries when it waits for the person (the approval to give, where, for how long):
shared by the alert tools' results."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ._common import OutModel
from ._confirm import Verdict


class Waiting(OutModel):
    approval_id: str | None = Field(default=None, description="the user approves it (link or terminal)")
    approval_url: str | None = Field(default=None, description="the user's approval page")
    confirmation_token: str | None = Field(default=None, description="send after approval")
    expires_in_seconds: int | None = None


def waiting(verdict: Verdict) -> dict[str, Any]:
    """The preview's fields for a write that needs the person (`verdict.ticket` is set)."""
    ticket = verdict.ticket
    assert ticket is not None
    return {
        "approval_id": ticket.id if ticket.mode == "human" else None,
        "approval_url": verdict.link,
        "confirmation_token": ticket.token or ticket.id,
        "expires_in_seconds": ticket.expires_in,
    }
