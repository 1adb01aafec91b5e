"""Messages: rooms, the stories (messages) in a room, a contract's room, and sending."""

from __future__ import annotations

from ..errors import NotFoundError
from ..facts import MAX_MESSAGE_CHARS
from ..models.messages import Room, RoomPage, RoomStory, StoryPage
from ._graphql import GraphQLExecutor



class MessagesAPI:
    def __init__(self, gql: GraphQLExecutor) -> None:
        self._gql = gql
        self._room_names: dict[str, str] = {}

    def known_room_name(self, room_id: str) -> str | None:
        """The room's name if a listing in this session showed it (no request is made)."""
        return self._room_names.get(room_id)

    async def rooms(self, *, first: int = 20, after: str | None = None, tenant_id: str | None = None) -> RoomPage:
        pagination: dict[str, object] = {"first": first}
        if after:
            pagination["after"] = after
        result = await self._gql.run("ListRooms", {"pagination": pagination}, tenant_id=tenant_id)
        conn = result.data.get("roomList") or {}
        rooms = [Room.model_validate(e["node"]) for e in conn.get("edges") or [] if e and e.get("node")]
        self._room_names.update({r.id: r.room_name for r in rooms if r.room_name})
        info = conn.get("pageInfo") or {}
        return RoomPage(
            total=conn.get("totalCount"),
            rooms=rooms,
            next_cursor=info.get("endCursor") if info.get("hasNextPage") else None,
        )

    async def stories(self, room_id: str, *, first: int = 20, after: str | None = None,
                      tenant_id: str | None = None) -> StoryPage:
        pagination: dict[str, object] = {"first": first}
        if after:
            pagination["after"] = after
        variables = {"filter": {"roomId_eq": room_id, "storyFilter": {"pagination": pagination}}}
        result = await self._gql.run("RoomStories", variables, tenant_id=tenant_id)
        conn = result.data.get("roomStories")
        if conn is None:
            raise NotFoundError(f"No room {room_id} is visible to this account. Use list_rooms for room ids.")
        edges = [e for e in conn.get("edges") or [] if e and e.get("node")]
        stories = [RoomStory.model_validate(e["node"]) for e in edges]
        total = conn.get("totalCount")
        consumed = int(after or 0) + len(conn.get("edges") or []) if (after or "0").isdigit() else None
        has_more = total is not None and consumed is not None and consumed < total
        next_cursor = (edges[-1].get("cursor") or str(consumed)) if has_more and edges else None
        return StoryPage(room_id=room_id, total=total, stories=stories, next_cursor=next_cursor)

    async def contract_room(self, contract_id: str, *, tenant_id: str | None = None) -> Room:
        result = await self._gql.run("ContractRoom", {"contractId": contract_id}, tenant_id=tenant_id)
        node = result.data.get("contractRoom")
        if not node:
            raise NotFoundError(f"Contract {contract_id} has no message room visible to this account.")
        return Room.model_validate(node)

    async def send(self, room_id: str, message: str, *, tenant_id: str | None = None) -> RoomStory:
        """Post one message. Sent once: a failure after sending is reported, never retried."""
        result = await self._gql.run("SendMessage", {"input": {"roomId": room_id, "message": message}},
                                     tenant_id=tenant_id)
        node = result.data.get("createRoomStoryV2")
        if not node:
            raise NotFoundError(f"Upwork did not accept a message for room {room_id}.")
        return RoomStory.model_validate(node)
