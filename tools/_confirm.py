"""The one confirmation flow for every write.

A write tool calls `gate()` before writing (returning at once what it gives back when that is an
`InputRequiredResult`) and `perform()` to write. Who says yes, by what the client can do:

- a client that can ask its user with a form (elicitation): the user answers there;
- a client that can only send its user to a page (URL-mode elicitation): the approval page goes to the
  user through the client, never into the tool result; they approve it there;
- any other client: the result is a preview with the page's link, which shows the payload and grants
  nothing. Approving needs the person: a browser they paired in their terminal (or, on a team server,
  their own sign-in), or `upwork-mcp approve ID` in their terminal. The model holds only the id;
- with `UPWORK_WRITE_APPROVAL=token`, a token the model sends back (unattended agents; the explicit opt-out).

Before 2026-07-28 the client is asked mid-call (`elicitation/create`); from 2026-07-28 the call returns
`input_required` and the client calls again with the answer. That answer is bound to an approval record
(its id rides the SDK's sealed request state), so the write it allows goes once, however often it is replayed.

`perform()` tells apart a write Upwork refused before processing (the approval stays usable), one
that went through, and one whose outcome is unknown (never resent blindly).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import anyio
from mcp.server.elicitation import AcceptedElicitation, AcceptedUrlElicitation, render_elicitation_schema
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import (
    ElicitRequest,
    ElicitRequestFormParams,
    ElicitRequestURLParams,
    ElicitResult,
    InputRequiredResult,
)
from mcp_types.version import is_version_at_least
from pydantic import BaseModel, ValidationError

from upwork_mcp.advice import approve_command, explain
from upwork_mcp.approvals import ApprovalError, Reservation, Ticket
from upwork_mcp.errors import (
    APIConnectionError,
    APIError,
    GraphQLError,
    PermissionDeniedError,
    ServerError,
    UpworkError,
)

from ._app import App, Ctx, app

T = TypeVar("T")
ASK = "approve"  # the key of our one question in an input_required round
INPUT_REQUIRED_FROM = "2026-07-28"
PAGE_WAIT = 60.0  # after the user opened the page through their client: how long the call waits for their answer
PAGE_POLL = 0.5


class Decision(BaseModel):
    """What the user answers to a confirmation; each write names its yes-field."""

    def approved(self) -> bool:
        return bool(next(iter(self.model_dump().values()), False))


def elicitation_modes(ctx: Ctx) -> tuple[bool, bool]:
    """(form, url): what the client declared it can ask its user. A bare `elicitation: {}` is form."""
    try:
        caps = ctx.client_capabilities
    except (AttributeError, RuntimeError, ValueError):
        return False, False
    el = caps.elicitation if caps is not None else None
    if el is None:
        return False, False
    return el.form is not None or el.url is None, el.url is not None


def _rounds(ctx: Ctx) -> bool:
    """True when this call asks by returning input_required (2026-07-28 on), not mid-call."""
    version = ctx.protocol_version
    return version is not None and is_version_at_least(version, INPUT_REQUIRED_FROM)


@dataclass(frozen=True)
class Verdict:
    status: Literal["approved", "declined", "needs_approval", "needs_confirmation"]
    said: str = ""
    ticket: Ticket | None = None
    link: str | None = None  # the page's link, when it is the model that has to pass it on
    reservation: Reservation | None = None  # the approval being spent by this write
    steps: str = ""  # how the person approves (for the instructions)
    token: str | None = None  # the confirmation_token the model sent, if the approval came with it

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
            f"This write needs the user's own approval, which you cannot give. {self.steps} Then call {tool} again "
            f"with {same} and confirmation_token={self.ticket.id} (valid {minutes} min, once)."
        )


def _steps(state: App, ticket: Ticket, *, via_client: bool) -> str:
    if via_client:
        return "The client showed the user this write's approval page; they approve it there."
    link = state.approval_link(ticket)
    if state.principal() is not None:
        return f"Ask the user to open {link} (they sign in to this server there), check the exact text and approve it."
    settings = state.settings
    return (
        f"Ask the user to open {link}, check the exact text and approve it there (approving in a browser needs one "
        f"they paired once with `{approve_command(settings, pair=True)}` in their own terminal), or to run "
        f"`{approve_command(settings, ticket.id)}` in their own terminal."
    )


async def gate(
    ctx: Ctx,
    *,
    kind: str,
    payload: dict[str, Any],
    token: str | None,
    question: str,
    schema: type[Decision],
    check: str,
) -> Verdict | InputRequiredResult:
    """Approved (the user said yes, or a valid approval came back), declined, a preview, or a question for the
    client (input_required: the tool returns it as it is). `check` says how to see whether a write that already
    went (or may have) arrived, e.g. "check list_messages for room X"."""
    try:
        return await _gate(ctx, kind=kind, payload=payload, token=token, question=question, schema=schema)
    except ApprovalError as exc:
        if not exc.settled:
            raise
        raise ApprovalError(f"{exc} To see what arrived: {check}.", settled=True) from exc


async def _gate(
    ctx: Ctx, *, kind: str, payload: dict[str, Any], token: str | None, question: str, schema: type[Decision]
) -> Verdict | InputRequiredResult:
    state = app(ctx)
    who = state.principal()
    if who is not None:  # a team deployment: an approval binds the user it was made for
        payload = {**payload, "as_user": who}
    approvals = state.approvals
    if token is not None:
        return Verdict("approved", reservation=await approvals.redeem(kind, payload, token), token=token)
    asked = _asked(ctx, kind)
    if asked is not None:
        return await _answered(ctx, state, kind, payload, schema, *asked)
    form, url = elicitation_modes(ctx)
    if form:
        if _rounds(ctx):
            ticket = await approvals.issue(kind, payload, human=True)
            params = ElicitRequestFormParams(message=question, requested_schema=render_elicitation_schema(schema))
            return _question(ElicitRequest(params=params), kind, ticket.id, "form")
        try:
            said = await ctx.elicit(question, schema)
        except ValueError as exc:  # accepted with no or wrong content: the client's mistake, nothing sent
            raise ToolError("The client answered the confirmation with something other than yes or no.") from exc
        if isinstance(said, AcceptedElicitation) and said.data.approved():
            return Verdict("approved")
        return Verdict(
            "declined", said="the user said no" if isinstance(said, AcceptedElicitation) else "the user declined"
        )
    human = state.settings.write_approval == "human"
    ticket = await approvals.issue(kind, payload, human=human)
    if not human:
        return Verdict("needs_confirmation", ticket=ticket)
    if not url:
        return Verdict(
            "needs_approval",
            ticket=ticket,
            link=state.approval_link(ticket),
            steps=_steps(state, ticket, via_client=False),
        )
    message = f"Approve this Upwork write on its page, which shows exactly what will be written ({kind})."
    link = state.approval_link(ticket)
    if _rounds(ctx):
        params_url = ElicitRequestURLParams(message=message, url=link, elicitation_id=ticket.id)
        return _question(ElicitRequest(params=params_url), kind, ticket.id, "url")
    opened = await ctx.elicit_url(message, link, ticket.id)
    return await _after_page(ctx, state, kind, payload, ticket.id, isinstance(opened, AcceptedUrlElicitation))


def _question(request: ElicitRequest, kind: str, approval_id: str, mode: str) -> InputRequiredResult:
    state = json.dumps({"approval": approval_id, "mode": mode, "kind": kind})
    return InputRequiredResult(input_requests={ASK: request}, request_state=state)


def _asked(ctx: Ctx, kind: str) -> tuple[str, str] | None:
    """(approval id, mode) when this call answers the question an earlier round of it asked."""
    try:
        raw = ctx.request_state  # sealed by the SDK: only what this server minted comes back
    except (AttributeError, ValueError):
        return None
    if not raw:
        return None
    try:
        state = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(state, dict) or state.get("kind") != kind:
        return None
    return str(state["approval"]), str(state["mode"])


async def _answered(
    ctx: Ctx, state: App, kind: str, payload: dict[str, Any], schema: type[Decision], approval_id: str, mode: str
) -> Verdict:
    answer = (ctx.input_responses or {}).get(ASK)
    said = answer if isinstance(answer, ElicitResult) else None
    if mode == "url":
        return await _after_page(ctx, state, kind, payload, approval_id, said is not None and said.action == "accept")
    yes = False
    if said is not None and said.action == "accept":
        try:
            yes = schema.model_validate(said.content or {}).approved()
        except ValidationError as exc:
            raise ToolError("The client answered the confirmation with something other than yes or no.") from exc
    await _decide(state, approval_id, yes)
    if not yes:
        accepted = said is not None and said.action == "accept"
        return Verdict("declined", said="the user said no" if accepted else "the user declined")
    return Verdict("approved", reservation=await state.approvals.redeem(kind, payload, approval_id))


async def _decide(state: App, approval_id: str, approve: bool) -> None:
    with contextlib.suppress(ApprovalError):  # answered before (a replayed round): redeeming says what became of it
        await state.approvals.decide(approval_id, approve, owner=state.principal())


async def _after_page(
    ctx: Ctx, state: App, kind: str, payload: dict[str, Any], approval_id: str, opened: bool
) -> Verdict:
    """The user was sent to the approval page through their client: wait a while for their answer there."""
    approvals = state.approvals
    if not opened:
        await _decide(state, approval_id, False)
        return Verdict("declined", said="the user did not open the approval page")
    with anyio.move_on_after(PAGE_WAIT):
        # The answer is written to the store by the page (any process of this server): read, not signalled.
        while await approvals.state(approval_id) == "pending":  # noqa: ASYNC110
            await anyio.sleep(PAGE_POLL)
    now = await approvals.state(approval_id)
    if now == "declined":
        return Verdict("declined", said="the user declined on the approval page")
    if now == "pending":
        ticket = await approvals.ticket(approval_id)
        return Verdict("needs_approval", ticket=ticket, steps=_steps(state, ticket, via_client=True))
    return Verdict("approved", reservation=await approvals.redeem(kind, payload, approval_id))


def refused_before_processing(exc: UpworkError) -> bool:
    """True when Upwork answered and did not do the write (429, 503, 4xx, GraphQL errors), or nothing left."""
    if isinstance(exc, APIConnectionError):
        return not exc.may_have_arrived
    if isinstance(exc, GraphQLError):
        return exc.partial_data is None or all(v is None for v in exc.partial_data.values())
    if isinstance(exc, PermissionDeniedError):
        return True  # Upwork checks a key's permissions before it runs anything (the whole query fails)
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
                f"The approval is still valid: call again with confirmation_token={verdict.token or reservation.id}."
                if reservation
                else "You may try again."
            )
            raise ToolError(f"{explain(exc)} Upwork did not process the write; nothing was written. {again}") from exc
        if reservation is not None:
            await approvals.settle(reservation, "unknown")
        raise ToolError(
            f"{explain(exc)} The write may or may not have reached Upwork and was not resent: {check} before writing "
            "again."
        ) from exc
    if reservation is not None:
        await approvals.settle(reservation, "sent", result_id(done))
    return done
