"""Message tools: rooms, the messages in a room, and sending one (with the user's confirmation)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, InputRequiredResult
from pydantic import AfterValidator, Field

from upwork_mcp.errors import UpworkError
from upwork_mcp.facts import MAX_MESSAGE_CHARS

from ._app import Ctx, app
from ._common import Cursor, OutModel, TenantId, ToolSpec, ago, respond
from ._confirm import Decision, gate, perform
from ._preview import Waiting, waiting
from ._text import clean, listing, shorten

if TYPE_CHECKING:
    from upwork_mcp.models._base import NamedEntity


class LatestMessage(OutModel):
    sender: str | None = None  # "you" for the user
    at: str | None = None
    text: str | None = None


class RoomOut(OutModel):
    id: str = Field(description="pass to list_messages or send_message")
    name: str | None = None
    type: str | None = None
    unread: int | None = None
    contract_id: str | None = None
    waiting_on_you: bool | None = Field(default=None, description="the last message is someone else's")
    latest: LatestMessage | None = None


class RoomList(OutModel):
    total: int | None = Field(default=None, description="unknown with applied_here")
    rooms: list[RoomOut]
    next_cursor: str | None = None
    subscribed_only: bool | None = Field(default=None, description="subscribed rooms only (Upwork's default)")
    applied_here: list[str] | None = Field(default=None, description="filters applied here")
    scanned: int | None = None  # with waiting_on_you: the rooms looked at


def _since(value: str | None) -> str | None:
    """An ISO-8601 date or date-time, checked (it is applied to each room's latest message)."""
    if value is None:
        return None
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ToolError(
            f"active_since {value[:30]!r} is not a date: give 2026-11-20 or 2026-11-20T09:00:00Z."
        ) from None
    return value


async def _my_user_id(ctx: Ctx) -> str | None:
    try:
        return await app(ctx).client.account.user_id()
    except UpworkError:
        return None  # rooms still list; which ones wait on the user stays unknown


def sender(user: NamedEntity | None, me: str | None) -> str | None:
    """Who wrote a message: "you" for the user, else the name Upwork gives."""
    if user is None:
        return None
    return "you" if me and user.id == me else clean(user.name)


async def list_rooms(
    ctx: Ctx,
    unread_only: Annotated[bool, Field(description="Only rooms with unread messages.")] = False,
    active_since: Annotated[
        str | None, Field(description="ISO date or time: rooms active since.", max_length=40)
    ] = None,
    include_unsubscribed: Annotated[bool, Field(description="Also unsubscribed and hidden rooms.")] = False,
    waiting_on_you: Annotated[bool, Field(description="Only rooms awaiting your reply.")] = False,
    limit: Annotated[int, Field(description="Rooms per page.", ge=1, le=50)] = 20,
    cursor: Cursor = None,
    tenant_id: TenantId = None,
) -> Annotated[CallToolResult, RoomList]:
    """List the user's message rooms, most recent first, with each latest message and who wrote it."""
    since = _since(active_since)
    client = app(ctx).client
    me = await client.account.user_id() if waiting_on_you else None
    page = await client.messages.rooms(
        first=limit,
        after=cursor,
        unread_only=unread_only,
        active_since=since,
        include_unsubscribed=include_unsubscribed,
        waiting_on_user=me,
        tenant_id=tenant_id,
    )
    me = me or (await _my_user_id(ctx) if page.rooms else None)
    rooms = [
        RoomOut(
            id=r.id,
            name=clean(r.room_name),
            type=r.room_type,
            unread=r.num_unread,
            contract_id=r.contract_id,
            waiting_on_you=(r.latest_story.user.id != me)
            if me and r.latest_story and r.latest_story.user and r.latest_story.user.id
            else None,
            latest=LatestMessage(
                sender=sender(r.latest_story.user, me),
                at=r.latest_story.created_date_time,
                text=shorten(r.latest_story.message, 300 if waiting_on_you else 160),
            )
            if r.latest_story
            else None,
        )
        for r in page.rooms
    ]
    out = RoomList(
        total=page.total,
        rooms=rooms,
        next_cursor=page.next_cursor,
        subscribed_only=page.subscribed_only,
        applied_here=page.applied_here or None,
        scanned=page.scanned,
    )
    lines = [
        " | ".join(
            p
            for p in (
                f"[{r.id}] {r.name}",
                "WAITING ON YOU" if r.waiting_on_you and not waiting_on_you else None,
                f"{r.unread} unread" if r.unread else None,
                f"contract {r.contract_id}" if r.contract_id else None,
                f"last: {r.latest.sender} {ago(r.latest.at)}: {r.latest.text}" if r.latest else None,
            )
            if p
        )
        for r in rooms
    ]
    waiting = sum(1 for r in rooms if r.waiting_on_you)
    kind = f"{'subscribed ' if page.subscribed_only else ''}rooms"
    if waiting_on_you:
        head = f"{len(rooms) + page.more} of the {page.scanned} most recent {kind} wait on your reply" + (
            f"; showing {len(rooms)} (raise limit for the rest)" if page.more else ""
        )
        said = page.applied_here[1:]  # the first says what the head says
    else:
        count = f"{page.total}" if page.total is not None else f"{len(rooms)} of {page.upstream_total}"
        head = f"{count} {kind}" + (f", {waiting} on this page wait on your reply" if waiting else "")
        said = page.applied_here
    head += f" (next_cursor: {out.next_cursor})" if out.next_cursor else ""
    if said:
        head += "\nApplied here, not by Upwork: " + "; ".join(said)
    if page.subscribed_only:
        head += "\nUpwork lists subscribed rooms only: include_unsubscribed=true shows the others."
    text = listing(head, lines, "room names and messages are written by other people")
    return respond(out, text)


class MessageOut(OutModel):
    id: str
    sender: str | None = None  # "you" for the user
    at: str | None = None
    text: str | None = None


class MessageList(OutModel):
    room_id: str
    total: int | None = None
    messages: list[MessageOut] = Field(description="newest first")
    next_cursor: str | None = None


OptionalRoomId = Annotated[
    str | None, Field(description="Room id from list_rooms.", max_length=80, pattern=r"^[A-Za-z0-9_:.~-]+$")
]
ContractId = Annotated[
    str | None,
    Field(description="Or a contract id (list_contracts).", max_length=40, pattern=r"^[A-Za-z0-9_~-]+$"),
]


async def _room_of(ctx: Ctx, room_id: str | None, contract_id: str | None, tenant_id: str | None) -> str:
    """The room a call is about: given, or the contract's room (Upwork's contractRoom)."""
    if (room_id is None) == (contract_id is None):
        raise ToolError("Give exactly one of room_id (from list_rooms) or contract_id (from list_contracts).")
    if room_id is not None:
        return room_id
    return (await app(ctx).client.messages.contract_room(contract_id or "", tenant_id=tenant_id)).id


async def list_messages(
    ctx: Ctx,
    room_id: OptionalRoomId = None,
    contract_id: ContractId = None,
    limit: Annotated[int, Field(description="Messages per page, newest first.", ge=1, le=100)] = 20,
    cursor: Cursor = None,
    tenant_id: TenantId = None,
) -> Annotated[CallToolResult, MessageList]:
    """Read one Upwork room's messages, newest first, by room id (list_rooms) or contract id."""
    room_id = await _room_of(ctx, room_id, contract_id, tenant_id)
    page = await app(ctx).client.messages.stories(room_id, first=limit, after=cursor, tenant_id=tenant_id)
    me = await _my_user_id(ctx) if page.stories else None
    out = MessageList(
        room_id=room_id,
        total=page.total,
        next_cursor=page.next_cursor,
        messages=[
            MessageOut(id=s.id, sender=sender(s.user, me), at=s.created_date_time, text=clean(s.message))
            for s in page.stories
        ],
    )
    lines = [f"{m.at or '?'} {m.sender or '?'}: {m.text}" for m in out.messages]
    head = f"room {room_id}: {page.total} messages, newest first" + (
        f" (next_cursor: {out.next_cursor})" if out.next_cursor else ""
    )
    text = listing(head, lines, "messages written by the participants")
    return respond(out, text)


class SendDecision(Decision):
    send: bool = Field(description="Send this message now?")


def _cleaned(text: str) -> str:
    """The text as it will be sent: invisible characters removed once, here, so every preview shows it."""
    return clean(text) or ""


MessageText = Annotated[
    str,
    Field(
        description=f"The exact text to send (at most {MAX_MESSAGE_CHARS} characters).",
        min_length=1,
        max_length=MAX_MESSAGE_CHARS,
    ),
    AfterValidator(_cleaned),
]


def _question(ctx: Ctx, room_id: str, message: str) -> str:
    name = app(ctx).client.messages.known_room_name(room_id)
    where = f'"{clean(name)}" (room {room_id})' if name else f"room {room_id}"
    return f"Send this message on Upwork to {where}?\n\n{message}"


class SendResult(Waiting):
    status: Literal["sent", "needs_approval", "needs_confirmation", "declined"]
    room_id: str
    message_id: str | None = None
    sent_at: str | None = None
    preview: str | None = None


async def send_message(
    ctx: Ctx,
    message: MessageText,
    room_id: OptionalRoomId = None,
    contract_id: ContractId = None,
    confirmation_token: Annotated[
        str | None,
        Field(description="After the user approved a preview: its token or approval id.", max_length=64),
    ] = None,
    tenant_id: TenantId = None,
) -> Annotated[CallToolResult, SendResult] | InputRequiredResult:
    """Send a message to an Upwork room (ids from list_rooms, or a contract id). Never sends without the
    user's approval: the client asks, or the first call returns a preview to approve."""
    if not message.strip():
        raise ToolError("The message is empty after removing invisible characters; write the text to send.")
    # The approval binds the resolved room: the user approves where the text goes, not how it was named.
    room_id = await _room_of(ctx, room_id, contract_id, tenant_id)
    payload = {"room_id": room_id, "message": message, "tenant_id": tenant_id}
    verdict = await gate(
        ctx,
        kind="send_message",
        payload=payload,
        token=confirmation_token,
        question=_question(ctx, room_id, message),
        schema=SendDecision,
        check=f"list_messages for room {room_id}",
    )
    if isinstance(verdict, InputRequiredResult):
        return verdict  # the client asks its user, and calls again with the answer
    if verdict.status == "declined":
        return respond(SendResult(status="declined", room_id=room_id), f"Not sent: {verdict.said}.")
    if verdict.ticket is not None:
        out = SendResult(status=verdict.preview_status, room_id=room_id, preview=message, **waiting(verdict))
        again = "the same room_id and message"
        return respond(
            out,
            f"NOT SENT YET. The message for room {room_id}:\n---\n{message}\n---\n"
            + verdict.instructions("send_message", again),
        )
    client = app(ctx).client
    story = await perform(
        ctx,
        verdict,
        lambda: client.messages.send(room_id, message, tenant_id=tenant_id),
        result_id=lambda s: s.id,
        check=f"check list_messages for room {room_id}",
    )
    out = SendResult(status="sent", room_id=room_id, message_id=story.id, sent_at=story.created_date_time)
    return respond(out, f"Sent to room {room_id} (message {story.id}).")


TOOLS = [
    ToolSpec(list_rooms, "List my Upwork message rooms", read_only=True, needs=("roomList",)),
    ToolSpec(list_messages, "Read Upwork messages", read_only=True, needs=("roomStories",)),
    ToolSpec(
        send_message,
        "Send an Upwork message",
        read_only=False,
        destructive=False,
        idempotent=False,
        needs=("roomList", "createRoomStoryV2"),
    ),
]
