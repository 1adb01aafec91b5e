"""The one confirmation flow for every write: ask the user through the client, or hand back a preview.

A write tool declares `decision: Annotated[ElicitationResult[SomeDecision], Resolve(its_asker)]`;
its asker calls `ask()`, and its body calls `gate()` before writing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from mcp.server.mcpserver import AcceptedElicitation, Elicit
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel

from upwork_mcp.confirmations import ConfirmationError

from ._common import Ctx, app


class Decision(BaseModel):
    """What the user answers to a confirmation; each write names its yes-field."""

    def approved(self) -> bool:
        return bool(next(iter(self.model_dump().values()), False))


def can_elicit(ctx: Ctx) -> bool:
    """True when the client declared form elicitation (a bare `elicitation: {}` counts)."""
    try:
        caps = ctx.client_capabilities
    except (AttributeError, RuntimeError, ValueError):
        return False
    el = caps.elicitation if caps is not None else None
    return el is not None and (el.form is not None or el.url is None)


def ask(ctx: Ctx, confirmation_token: str | None, message: str, schema: type[Decision]) -> Elicit[Any] | None:
    """The elicitation to send, or None when a token came back or the client cannot be asked."""
    if confirmation_token is not None or not can_elicit(ctx):
        return None
    return Elicit(message, schema)


@dataclass(frozen=True)
class Verdict:
    status: Literal["approved", "declined", "needs_confirmation"]
    token: str | None = None
    expires_in: int | None = None
    said: str = ""

    @property
    def go(self) -> bool:
        return self.status == "approved"


def gate(ctx: Ctx, *, kind: str, payload: dict[str, Any], decision: Any, token: str | None) -> Verdict:
    """Approved (a valid token came back, or the user said yes), declined, or a preview is needed."""
    confirmations = app(ctx).confirmations
    if token is not None:
        try:
            confirmations.redeem(kind, payload, token)
        except ConfirmationError as exc:
            raise ToolError(str(exc)) from exc
        return Verdict("approved")
    if not isinstance(decision, AcceptedElicitation):
        return Verdict("declined", said="the user declined")
    if decision.data is None:
        return Verdict(
            "needs_confirmation", token=confirmations.issue(kind, payload), expires_in=int(confirmations.ttl)
        )
    if not decision.data.approved():
        return Verdict("declined", said="the user said no")
    return Verdict("approved")
