"""Messages: rooms, the stories (messages) in a room, a contract's room, and sending."""

from __future__ import annotations

from ..errors import NotFoundError
from ..models.messages import Room, RoomPage, RoomStory, StoryPage
from ._graphql import GraphQLExecutor
from ._paging import connection_page, offset_of


class MessagesAPI:
    def __init__(self, gql: GraphQLExecutor) -> None:
        self._gql = gql
        self._room_names: dict[str, str] = {}

    def known_room_name(self, room_id: str) -> str | None:
        """The room's name if a listing in this session showed it (no request is made)."""
        return self._room_names.get(room_id)

    async def rooms(
        self,
        *,
        first: int = 20,
        after: str | None = None,
        unread_only: bool = False,
        active_since: str | None = None,
        tenant_id: str | None = None,
    ) -> RoomPage:
        """Rooms, most recent first; `active_since` is an ISO-8601 date or date-time."""
        pagination: dict[str, object] = {"first": first}
        if after:
            pagination["after"] = after
        flt: dict[str, object] = {}
        if unread_only:
            flt["unreadRoomsOnly_eq"] = True
        if active_since:
            flt["activeSince_eq"] = active_since
        variables = {"pagination": pagination, **({"filter": flt} if flt else {})}
        result = await self._gql.run("ListRooms", variables, tenant_id=tenant_id)
        page = connection_page(result.data.get("roomList"), Room)
        self._room_names.update({r.id: r.room_name for r in page.items if r.room_name})
        return RoomPage(total=page.total, rooms=page.items, next_cursor=page.next_cursor)

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
            raise NotFoundError(f"No room {room_id} is visible to this account. Use list_rooms for room ids.")
        page = connection_page(conn, RoomStory, offset=offset_of(after))
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
