"""The one confirmation flow for every write.

A write tool declares `decision: Annotated[ElicitationResult[SomeDecision], Resolve(its_asker)]`; its
asker calls `ask()`; its body calls `gate()` before writing and `perform()` to write. When the client
can ask its user (elicitation), the user answers there. When it cannot, the first call returns a
preview and:

- by default, an approval that only a person can give (a link to a page on this machine that shows
  the exact payload, or `upwork-mcp approve ID`); the model holds only the approval's id;
- with `UPWORK_WRITE_APPROVAL=token`, a token the model sends back (unattended agents).

`perform()` tells apart a write Upwork refused before processing (the approval stays usable), one
that went through, and one whose outcome is unknown (never resent blindly).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from mcp.server.mcpserver import AcceptedElicitation, Elicit
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel

from upwork_mcp.approvals import Reservation, Ticket
from upwork_mcp.errors import (
    APIConnectionError,
    APIError,
    GraphQLError,
    ServerError,
    UpworkError,
)

from ._app import Ctx, app

T = TypeVar("T")


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
    """The elicitation to send, or None when an approval came back or the client cannot be asked."""
    if confirmation_token is not None or not can_elicit(ctx):
        return None
    return Elicit(message, schema)


@dataclass(frozen=True)
class Verdict:
    status: Literal["approved", "declined", "needs_approval", "needs_confirmation"]
    said: str = ""
    ticket: Ticket | None = None
    link: str | None = None
    reservation: Reservation | None = None  # the approval being spent by this write

    @property
    def go(self) -> bool:
        return self.status == "approved"

    @property
    def preview_status(self) -> Literal["needs_approval", "needs_confirmation"]:
        return "needs_approval" if self.status == "needs_approval" else "needs_confirmation"

    def instructions(self, tool: str, same: str) -> str:
        """What the model must do next, for a preview (`same` names the arguments to repeat)."""
        assert self.ticket is not None
        minutes = max(1, self.ticket.expires_in // 60)
        if self.status == "needs_confirmation":
            return (
                f"Show the user exactly what will be written and ask whether to do it. If they approve, call "
                f"{tool} again with {same} and confirmation_token={self.ticket.token} (valid {minutes} min, once)."
            )
        return (
            f"This write needs the user's own approval, which you cannot give. Ask the user to open {self.link} "
            f"(or to run `upwork-mcp approve {self.ticket.id}` in a terminal), check the exact text there and "
            f"approve it. Then call {tool} again with {same} and confirmation_token={self.ticket.id} "
            f"(valid {minutes} min, once)."
        )


async def gate(ctx: Ctx, *, kind: str, payload: dict[str, Any], decision: Any, token: str | None) -> Verdict:
    """Approved (the user said yes, or a valid approval came back), declined, or a preview is needed."""
    state = app(ctx)
    who = state.principal()
    if who is not None:  # a team deployment: an approval binds the user it was made for
        payload = {**payload, "as_user": who}
    if token is not None:
        return Verdict("approved", reservation=await state.approvals.redeem(kind, payload, token))
    if not isinstance(decision, AcceptedElicitation):
        return Verdict("declined", said="the user declined")
    if decision.data is None:  # the client cannot be asked
        human = state.settings.write_approval == "human"
        ticket = await state.approvals.issue(kind, payload, human=human)
        if human:
            return Verdict("needs_approval", ticket=ticket, link=state.approval_link(ticket))
        return Verdict("needs_confirmation", ticket=ticket)
    if not decision.data.approved():
        return Verdict("declined", said="the user said no")
    return Verdict("approved")


def refused_before_processing(exc: UpworkError) -> bool:
    """True when Upwork answered and did not do the write (429, 503, 4xx, GraphQL errors), or nothing left."""
    if isinstance(exc, APIConnectionError):
        return not exc.may_have_arrived
    if isinstance(exc, GraphQLError):
        return exc.partial_data is None or all(v is None for v in exc.partial_data.values())
    if isinstance(exc, APIError):
        if exc.status_code is None or 200 <= exc.status_code < 300:
            return False  # Upwork answered success but the answer was unreadable: it may have written
        if isinstance(exc, ServerError):
            return exc.status_code == 503  # 500, 502, 504: a gateway may have passed it on
        return True
    return True  # raised before anything was sent (not logged in, bad settings)


async def perform(
    ctx: Ctx, verdict: Verdict, write: Callable[[], Awaitable[T]], *, result_id: Callable[[T], str], check: str
) -> T:
    """Do the approved write once; settle its approval by what happened; explain a failure precisely."""
    approvals = app(ctx).approvals
    reservation = verdict.reservation
    try:
        done = await write()
    except UpworkError as exc:
        if refused_before_processing(exc):
            if reservation is not None:
                await approvals.settle(reservation, "refused")
            again = (
                "The approval is still valid: call again with the same confirmation_token."
                if reservation
                else "You may try again."
            )
            raise ToolError(f"{exc} Upwork did not process the write; nothing was written. {again}") from exc
        if reservation is not None:
            await approvals.settle(reservation, "unknown")
        raise ToolError(
            f"{exc} The write may or may not have reached Upwork and was not resent: {check} before writing again."
        ) from exc
    if reservation is not None:
        await approvals.settle(reservation, "sent", result_id(done))
    return done
