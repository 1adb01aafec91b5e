"""The sandbox's root resolvers: Upwork's operations over the seeded data, with Upwork's limits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from graphql import GraphQLError

from .faults import EMPTY_CONTRACT_SEARCH
from .personas import persona_organizations, persona_rooms, persona_user
from .search import SearchInputError, page_window, search_jobs
from .state import Sandbox
from .views import posting, work_history

MAX_MESSAGE_CHARS = 10_240
MAX_SEARCH_PAGE = 100  # Upwork's job search pages run to 100


def _sandbox(info: Any) -> Sandbox:
    box: Sandbox = info.context["sandbox"]
    return box


def _persona(info: Any) -> int:
    """Who the request's token belongs to (0: the seeded freelancer)."""
    return int(info.context.get("persona", 0))


def _own_room(info: Any, room_id: str | None) -> bool:
    return any(r["id"] == room_id for r in persona_rooms(_sandbox(info), _persona(info)))


def _fail(message: str, classification: str = "DataFetchingException") -> GraphQLError:
    return GraphQLError(message, extensions={"classification": classification})


def connection(items: list[Any], offset: int, count: int, *, wrap: Any = None, cursors: bool = True) -> dict[str, Any]:
    window = items[offset : offset + count]
    edges = []
    for i, item in enumerate(window):
        edge = {"node": wrap(item) if wrap else item}
        if cursors:
            edge["cursor"] = str(offset + i + 1)
        edges.append(edge)
    end = offset + len(window)
    return {
        "totalCount": len(items),
        "edges": edges,
        "pageInfo": {"hasNextPage": end < len(items), "endCursor": str(end) if window else None},
    }


def _window(pagination: dict[str, Any] | None, *, default_first: int = 20, max_first: int = 100) -> tuple[int, int]:
    try:
        offset, first = page_window(pagination, default_first=default_first, max_first=10**6)
    except SearchInputError as exc:
        raise _fail(str(exc), "ValidationError") from exc
    if first > max_first:
        raise _fail(f"pagination first must be at most {max_first}, not {first}", "ValidationError")
    return offset, first


# -- jobs --------------------------------------------------------------------------------------------


def _search(
    _: Any,
    info: Any,
    marketPlaceJobFilter: dict[str, Any] | None = None,
    searchType: str | None = None,
    sortAttributes: list[dict[str, Any]] | None = None,
) -> Any:
    box = _sandbox(info)
    flt = marketPlaceJobFilter or {}
    pagination = flt.get("pagination_eq")
    if searchType is None or (pagination is not None and pagination.get("after") in (None, "")):
        # Live: pagination_eq without `after` (or with after: "") and, on an agency key, a search without
        # searchType answer HTTP 200 with this and nothing else (facts page, job search paging).
        raise _fail("Exception occurred", "DataFetchingException")
    try:
        found = search_jobs(
            box.data.jobs, flt, sortAttributes, now=box.now, previous_client_keys=box.previous_client_keys()
        )
    except SearchInputError as exc:
        raise _fail(str(exc), "ValidationError") from exc
    offset, count = _window(flt.get("pagination_eq"), default_first=10, max_first=MAX_SEARCH_PAGE)
    conn = connection(found, offset, count)
    if box.faults.partial:
        for i, edge in enumerate(conn["edges"]):
            if (offset + i) % 7 == 3:
                edge["node"] = _forbidden
    return conn


def _forbidden(info: Any, **_: Any) -> None:
    raise _fail("Access for the job opening is forbidden")


def _job(_: Any, info: Any, id: str) -> Any:
    job = _sandbox(info).data.job_by_id(id)
    if job is None:
        raise _fail(f"Opening not found for uid='{id}'")
    return posting(job)


def _contents(_: Any, info: Any, ids: list[str]) -> Any:
    data = _sandbox(info).data
    return [job for job in (data.job_by_id(i) for i in ids) if job is not None]


# -- contracts ---------------------------------------------------------------------------------------


def _vendor_contracts(
    _: Any, info: Any, filter: dict[str, Any], paging: dict[str, Any] | None = None, options: Any = None
) -> Any:
    box = _sandbox(info)
    if filter["vendorId"] != box.data.user["id"]:
        raise _fail("Access denied: vendorId is not the authenticated user")
    items = [] if box.faults.profile in EMPTY_CONTRACT_SEARCH else box.data.contracts
    if filter.get("contractStatuses"):
        wanted = set(filter["contractStatuses"])
        items = [c for c in items if c["status"] in wanted]
    if filter.get("startDateBefore"):
        items = [c for c in items if c["startDate"] < filter["startDateBefore"]]
    if filter.get("endDateAfter"):
        items = [c for c in items if c["endDate"] is None or c["endDate"] > filter["endDateAfter"]]
    items = sorted(items, key=lambda c: c["startDate"], reverse=True)
    paging = paging or {}
    offset, limit = max(0, paging.get("offset") or 0), min(max(1, paging.get("limit") or 10), 100)
    return {"paging": {"offset": offset, "limit": limit}, "contracts": items[offset : offset + limit]}


def _contract(_: Any, info: Any, id: str, date: str | None = None) -> Any:
    for contract in _sandbox(info).data.contracts:
        if contract["id"] == id:
            return contract
    raise _fail(f"Contract not found: {id}")


def _contract_list(_: Any, info: Any, ids: list[str] | None = None) -> Any:
    if ids and len(ids) > 10:
        raise _fail("contractList takes at most 10 ids", "ValidationError")
    wanted = set(ids or ())
    return {"contracts": [c for c in _sandbox(info).data.contracts if c["id"] in wanted]}


def _work_history(_: Any, info: Any, filter: dict[str, Any] | None = None) -> Any:
    box = _sandbox(info)
    flt = filter or {}
    if flt.get("personId") != box.data.user["id"]:
        raise _fail("Access denied: personId is not the authenticated user")
    items = sorted(box.data.contracts, key=lambda c: c["startDate"], reverse=True)
    if flt.get("status"):
        wanted = set(flt["status"])
        items = [c for c in items if c["status"] in wanted]
    if flt.get("contractIds"):
        ids = set(flt["contractIds"])
        items = [c for c in items if c["id"] in ids]
    page = flt.get("pagination") or {}
    offset, limit = max(0, page.get("offset") or 0), min(max(1, page.get("limit") or 10), 50)
    return {"totalCount": len(items), "workHistoryList": [work_history(c) for c in items[offset : offset + limit]]}


# -- messages ----------------------------------------------------------------------------------------


def _room_view(box: Sandbox, room: dict[str, Any]) -> dict[str, Any]:
    stories = box.data.stories[room["id"]]
    return {**room, "latestStory": stories[-1] if stories else None}


def _rooms(
    _: Any,
    info: Any,
    filter: dict[str, Any] | None = None,
    pagination: dict[str, Any] | None = None,
    sortOrder: str | None = None,
) -> Any:
    box = _sandbox(info)
    flt = filter or {}
    if flt.get("unreadRoomsOnly_eq") and flt.get("activeSince_eq"):
        # Upwork documents the two as mutually exclusive; the sandbox refuses the pair rather than guess.
        raise _fail("unreadRoomsOnly_eq is mutually exclusive with activeSince_eq", "ValidationError")
    rooms = persona_rooms(box, _persona(info))
    # By default only the rooms the user is subscribed to, without hidden ones (live: ~80 of 231 rooms).
    if flt.get("subscribed_eq", True) is not False:
        rooms = [r for r in rooms if r.get("_subscribed", True)]
    if not flt.get("includeHidden_eq"):
        rooms = [r for r in rooms if not r.get("_hidden")]
    if flt.get("roomType_eq") not in (None, "ALL"):
        rooms = [r for r in rooms if r["roomType"] == flt["roomType_eq"]]
    if flt.get("unreadRoomsOnly_eq"):
        rooms = [r for r in rooms if r["numUnread"]]
    if flt.get("activeSince_eq"):
        since = _moment(flt["activeSince_eq"], "filter.activeSince_eq")
        rooms = [
            r for r in rooms if box.data.stories[r["id"]] and box.data.stories[r["id"]][-1]["createdDateTime"] >= since
        ]
    rooms = sorted(
        rooms,
        key=lambda r: (box.data.stories[r["id"]] or [{"createdDateTime": ""}])[-1]["createdDateTime"],
        reverse=sortOrder != "ASC",
    )
    offset, count = _window(pagination)
    return connection(rooms, offset, count, wrap=lambda r: _room_view(box, r), cursors=False)


def _moment(value: str, name: str) -> str:
    """An ISO-8601 date or date-time as the stories' own `createdDateTime` text, for comparing."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _fail(f"{name} must be an ISO-8601 date-time, not {value[:30]!r}", "ValidationError") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _stories(_: Any, info: Any, filter: dict[str, Any] | None = None) -> Any:
    box = _sandbox(info)
    room_id = (filter or {}).get("roomId_eq")
    if room_id not in box.data.stories or not _own_room(info, room_id):
        raise _fail(f"Room not found: {room_id}")
    newest_first = list(reversed(box.data.stories[room_id]))
    pagination = ((filter or {}).get("storyFilter") or {}).get("pagination") or {}
    count = _window({"first": pagination.get("first")})[1]
    # Stories page by an opaque cursor: the endCursor of the page before (live: roomStories pageInfo).
    after = pagination.get("after")
    offset = 0
    if after not in (None, ""):
        ids = [story["id"] for story in newest_first]
        if after not in ids:
            raise _fail(f"pagination after {str(after)[:40]!r} is not a cursor of this room", "ValidationError")
        offset = ids.index(after) + 1
    window = newest_first[offset : offset + count]
    return {
        "totalCount": len(newest_first),
        "edges": [{"cursor": story["id"], "node": story} for story in window],
        "pageInfo": {
            "hasNextPage": offset + len(window) < len(newest_first),
            "endCursor": window[-1]["id"] if window else None,
        },
    }


def _contract_room(_: Any, info: Any, contractId: str) -> Any:
    box = _sandbox(info)
    for room in persona_rooms(box, _persona(info)):
        if room["contractId"] == contractId:
            return _room_view(box, room)
    raise _fail(f"No room for contract {contractId}")


def _create_story(_: Any, info: Any, input: dict[str, Any]) -> Any:
    box = _sandbox(info)
    room_id, message = input["roomId"], input.get("message") or ""
    if room_id not in box.data.stories or not _own_room(info, room_id):
        raise _fail(f"Room not found: {room_id}")
    if not message.strip():
        raise _fail("message must not be empty", "ValidationError")
    if len(message) > MAX_MESSAGE_CHARS:
        raise _fail(f"message is longer than {MAX_MESSAGE_CHARS} characters", "ValidationError")
    user = persona_user(box, _persona(info))
    story = {
        "id": f"story_sent_{len(box.sent_messages) + 1:06d}",
        "message": message,
        "createdDateTime": box.now.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "user": {"id": user["id"], "nid": user["nid"], "rid": user["rid"], "name": user["name"]},
    }
    box.data.stories[room_id].append(story)
    box.sent_messages.append({"roomId": room_id, **story})
    return story


# -- freelancers -------------------------------------------------------------------------------------


def _freelancers(_: Any, info: Any, searchFilter: dict[str, Any], pagination: dict[str, Any]) -> Any:
    box = _sandbox(info)
    people = box.data.freelancers
    keyword = (searchFilter.get("keyword") or "").lower().split()
    if keyword:

        def text(p: dict[str, Any]) -> str:
            return " ".join([p["title"], p["description"], *(s["preferredLabel"] for s in p["skills"])]).lower()

        people = [p for p in people if all(k in text(p) for k in keyword)]
    country = ((searchFilter.get("location") or {}).get("country") or "").lower()
    if country:
        people = [p for p in people if p["location"]["country"].lower() == country]
    people = sorted(people, key=lambda p: (p["avgFeedbackScore"], p["totalHourlyJobs"]), reverse=True)
    offset, count = _window(pagination)
    return connection(people, offset, count)


def _profile(_: Any, info: Any, profileKey: str) -> Any:
    data = _sandbox(info).data
    if data.my_profile and profileKey == data.user.get("ciphertext"):
        return data.my_profile  # the user's own profile, their own name included
    for person in data.freelancers:
        if person["ciphertext"] == profileKey:
            return person["_profile"]
    raise _fail(f"Profile not found: {profileKey}")


# -- identity ----------------------------------------------------------------------------------------


def _organization(_: Any, info: Any) -> Any:
    orgs = persona_organizations(_sandbox(info), _persona(info))
    tenant = info.context.get("tenant")
    return next((o for o in orgs if o["id"] == tenant), orgs[0])


def _company_selector(_: Any, info: Any) -> Any:
    orgs = persona_organizations(_sandbox(info), _persona(info))
    return {
        "items": [
            {
                "title": o["name"],
                "organizationId": o["id"],
                "organizationRid": o["id"][-8:],
                "organizationType": o["_selector_type"],
                "typeTitle": o["_type_title"],
            }
            for o in orgs
        ]
    }


ROOTS: dict[tuple[str, str], Callable[..., Any]] = {
    ("Query", "marketplaceJobPostingsSearch"): _search,
    ("Query", "marketplaceJobPosting"): _job,
    ("Query", "marketplaceJobPostingsContents"): _contents,
    ("Query", "vendorContracts"): _vendor_contracts,
    ("Query", "contractDetails"): _contract,
    ("Query", "contractList"): _contract_list,
    ("Query", "talentWorkHistory"): _work_history,
    ("Query", "roomList"): _rooms,
    ("Query", "roomStories"): _stories,
    ("Query", "contractRoom"): _contract_room,
    ("Query", "freelancerProfileSearchRecords"): _freelancers,
    ("Query", "freelancerProfileByProfileKey"): _profile,
    ("Query", "organization"): _organization,
    ("Query", "companySelector"): _company_selector,
    ("Mutation", "createRoomStoryV2"): _create_story,
}
