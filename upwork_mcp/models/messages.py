from __future__ import annotations

from ._base import APIModel, NamedEntity


class RoomStory(APIModel):
    id: str
    message: str | None = None
    created_date_time: str | None = None
    user: NamedEntity | None = None


class Room(APIModel):
    id: str
    room_name: str | None = None
    topic: str | None = None
    room_type: str | None = None
    num_unread: int | None = None
    contract_id: str | None = None
    latest_story: RoomStory | None = None


class RoomPage(APIModel):
    total: int | None = None  # None when a filter was applied here: then Upwork's count is upstream_total
    rooms: list[Room]
    next_cursor: str | None = None
    subscribed_only: bool = True  # Upwork's default list: only the rooms the user is subscribed to
    upstream_total: int | None = None
    applied_here: list[str] = []  # filters applied to the rooms Upwork returned, and what they kept
    scanned: int | None = None  # with a filter applied here over several pages: the rooms looked at
    more: int = 0  # rooms that passed the filters on the pages read but did not fit in the page


class StoryPage(APIModel):
    room_id: str
    total: int | None = None
    stories: list[RoomStory]
    next_cursor: str | None = None
