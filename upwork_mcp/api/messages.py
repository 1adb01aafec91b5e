"""Messages: rooms, the stories (messages) in a room, a contract's room, and sending.

Upwork's room list holds only the rooms the user is subscribed to unless asked otherwise (live: 80 of
231 rooms on one account); `include_unsubscribed` asks for the rest and the hidden ones. Its
`unreadRoomsOnly_eq` and `activeSince_eq` are documented as mutually exclusive and no public caller has
confirmed the second's format, so only the first is ever sent: "active since" is applied here, on each
room's latest message. Stories page by the connection's own `endCursor`.

"Waiting on the user" is a room whose latest message someone else wrote; Upwork has no filter for it, so
it is applied here over pages of 100 rooms, most recent first, at most WAITING_SCAN rooms per call.
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise

from ..errors import InvalidInputError, NotFoundError
from ..models._base import instant
from ..models.messages import Room, RoomPage, RoomStory, StoryPage
from ._graphql import GraphQLExecutor
from ._paging import Page, connection_page

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # a room with no message is older than any `since`
ROOMS_PAGE = 100  # rooms per request when scanning (live: `first: 100` works for rooms)
WAITING_SCAN = 300  # rooms looked at, at most, to find those waiting on the user (3 requests)


def since_moment(value: str) -> datetime:
    """An ISO-8601 date or date-time as a moment (a date is its midnight UTC)."""
    moment = instant(value if "T" in value or len(value) > 10 else f"{value}T00:00:00Z")
    if moment is None:
        raise InvalidInputError(f"active_since {value[:30]!r} is not a date: give 2026-11-20 or 2026-11-20T09:00:00Z.")
    return moment


def last_active(room: Room) -> datetime | None:
    return instant(room.latest_story.created_date_time) if room.latest_story else None


def waiting_on(room: Room, user_id: str) -> bool:
    """Whether the room's latest message is someone else's (a room without one waits on nobody)."""
    story = room.latest_story
    return bool(story and story.user and story.user.id and story.user.id != user_id)


def _older_from_here(rooms: list[Room], recent: int) -> bool:
    """Most recent first: once a room is older than `since`, no later page can hold a newer one."""
    moments = [last_active(r) for r in rooms]
    newest_first = all(a is not None and b is not None and a >= b for a, b in pairwise(moments))
    return newest_first and recent < len(rooms)


class MessagesAPI:
    def __init__(self, gql: GraphQLExecutor) -> None:
        self._gql = gql
        self._room_names: dict[str, str] = {}

    def known_room_name(self, room_id: str) -> str | None:
        """The room's name if a listing in this session showed it (no request is made)."""
        return self._room_names.get(room_id)

    async def _room_page(
        self, first: int, after: str | None, flt: dict[str, object], tenant_id: str | None
    ) -> Page[Room]:
        pagination: dict[str, object] = {"first": first}
        if after:
            pagination["after"] = after
        variables = {"pagination": pagination, **({"filter": flt} if flt else {})}
        result = await self._gql.run("ListRooms", variables, tenant_id=tenant_id)
        page = connection_page(result.data.get("roomList"), Room)
        self._room_names.update({r.id: r.room_name for r in page.items if r.room_name})
        return page

    async def rooms(
        self,
        *,
        first: int = 20,
        after: str | None = None,
        unread_only: bool = False,
        active_since: str | None = None,
        include_unsubscribed: bool = False,
        waiting_on_user: str | None = None,
        tenant_id: str | None = None,
    ) -> RoomPage:
        """Rooms, most recent first; `active_since` is an ISO-8601 date or date-time, applied here.
        `waiting_on_user` (the user's id) keeps the rooms whose latest message is someone else's, scanning
        up to WAITING_SCAN rooms to find `first` of them."""
        since = since_moment(active_since) if active_since else None
        flt: dict[str, object] = {}
        if unread_only:
            flt["unreadRoomsOnly_eq"] = True
        if include_unsubscribed:
            flt["subscribed_eq"] = False
            flt["includeHidden_eq"] = True
        if waiting_on_user is not None:
            return await self._waiting(waiting_on_user, first, after, since, active_since, flt, tenant_id)
        page = await self._room_page(first, after, flt, tenant_id)
        if since is None:
            return RoomPage(
                total=page.total,
                rooms=page.items,
                next_cursor=page.next_cursor,
                subscribed_only=not include_unsubscribed,
            )
        rooms = [r for r in page.items if (last_active(r) or _EPOCH) >= since]
        done = _older_from_here(page.items, len(rooms))
        return RoomPage(
            total=None,
            rooms=rooms,
            next_cursor=None if done else page.next_cursor,
            subscribed_only=not include_unsubscribed,
            upstream_total=page.total,
            applied_here=[
                f"active since {active_since}: {len(rooms)} of the {len(page.items)} rooms on this page (Upwork's "
                "activeSince_eq is exclusive with its unread filter and its format unconfirmed)"
            ],
        )

    async def _waiting(
        self,
        user_id: str,
        first: int,
        after: str | None,
        since: datetime | None,
        active_since: str | None,
        flt: dict[str, object],
        tenant_id: str | None,
    ) -> RoomPage:
        """Pages of ROOMS_PAGE, most recent first, until `first` rooms wait on the user, Upwork has no more,
        the rooms are older than `since`, or WAITING_SCAN rooms were looked at. Whole pages are read (Upwork's
        cursor cannot resume inside one): waiting rooms past `first` on the last page are counted, not shown."""
        kept: list[Room] = []
        scanned, cursor, total = 0, after, None
        while True:
            page = await self._room_page(ROOMS_PAGE, cursor, flt, tenant_id)
            total, cursor, scanned = page.total, page.next_cursor, scanned + len(page.items)
            recent = [r for r in page.items if since is None or (last_active(r) or _EPOCH) >= since]
            kept += [r for r in recent if waiting_on(r, user_id)]
            if since is not None and _older_from_here(page.items, len(recent)):
                cursor = None
            if cursor is None or len(kept) >= first or scanned >= WAITING_SCAN:
                break
        said = [
            f"waiting on you (someone else wrote the latest message): {len(kept)} of the {scanned} most recent rooms"
            + (f"; {len(kept) - first} more not shown (raise limit)" if len(kept) > first else "")
        ]
        if active_since:
            said.append(f"active since {active_since}")
        return RoomPage(
            total=None,
            rooms=kept[:first],
            next_cursor=cursor,
            subscribed_only="subscribed_eq" not in flt,
            upstream_total=total,
            applied_here=said,
            scanned=scanned,
            more=max(0, len(kept) - first),
        )

    async def stories(
        self, room_id: str, *, first: int = 20, after: str | None = None, tenant_id: str | None = None
    ) -> StoryPage:
        pagination: dict[str, object] = {"first": first}
        if after:
            pagination["after"] = after
        variables = {"filter": {"roomId_eq": room_id, "storyFilter": {"pagination": pagination}}}
        result = await self._gql.run("RoomStories", variables, tenant_id=tenant_id)
        conn = result.data.get("roomStories")
        if conn is None:
            raise NotFoundError(f"No room {room_id} is visible to this account.").about("roomStories")
        page = connection_page(conn, RoomStory)  # the next page starts after pageInfo.endCursor
        return StoryPage(room_id=room_id, total=page.total, stories=page.items, next_cursor=page.next_cursor)

    async def contract_room(self, contract_id: str, *, tenant_id: str | None = None) -> Room:
        result = await self._gql.run("ContractRoom", {"contractId": contract_id}, tenant_id=tenant_id)
        node = result.data.get("contractRoom")
        if not node:
            raise NotFoundError(f"Contract {contract_id} has no message room visible to this account.")
        return Room.model_validate(node)

    async def send(self, room_id: str, message: str, *, tenant_id: str | None = None) -> RoomStory:
        """Post one message. Sent once: a failure after sending is reported, never retried."""
        result = await self._gql.run(
            "SendMessage", {"input": {"roomId": room_id, "message": message}}, tenant_id=tenant_id
        )
        node = result.data.get("createRoomStoryV2")
        if not node:
            raise NotFoundError(f"Upwork did not accept a message for room {room_id}.")
        return RoomStory.model_validate(node)
