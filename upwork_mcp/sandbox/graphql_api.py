"""The sandbox's GraphQL endpoint: graphql-core executing our SDL over the seeded data.

Errors come back the way graphql-java sends them: HTTP 200, an `errors` array with
`message`, `locations`, `path` and `extensions.classification`, and partial data kept.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    build_schema,
    execute,
    parse,
    validate,
    visit,
)

from .. import graphql as documents
from .search import SearchInputError, page_window, search_jobs
from .state import Sandbox

PERMISSION_MESSAGE = (
    "The client or authentication token doesn't have enough oauth2 permissions/scopes to access: [{field}]"
)
MAX_MESSAGE_CHARS = 10_240


def _connection(items: list[Any], offset: int, count: int, *, wrap: Any = None) -> dict[str, Any]:
    window = items[offset : offset + count]
    edges = [{"cursor": str(offset + i + 1), "node": wrap(item) if wrap else item} for i, item in enumerate(window)]
    end = offset + len(window)
    return {
        "totalCount": len(items),
        "edges": edges,
        "pageInfo": {"hasNextPage": end < len(items), "endCursor": str(end) if window else None},
    }


def _sandbox(info: Any) -> Sandbox:
    box: Sandbox = info.context["sandbox"]
    return box


def _search(
    _: Any,
    info: Any,
    marketPlaceJobFilter: dict[str, Any] | None = None,
    searchType: str | None = None,
    sortAttributes: list[dict[str, Any]] | None = None,
) -> Any:
    box = _sandbox(info)
    flt = marketPlaceJobFilter or {}
    try:
        found = search_jobs(
            box.data.jobs, flt, sortAttributes, now=box.now, previous_client_keys=box.previous_client_keys()
        )
        offset, count = page_window(flt.get("pagination_eq"))
    except SearchInputError as exc:
        raise GraphQLError(str(exc), extensions={"classification": "ValidationError"}) from None
    conn = _connection(found, offset, count)
    if box.faults.partial:
        for i, edge in enumerate(conn["edges"]):
            if (offset + i) % 7 == 3:
                edge["node"] = _forbidden
    return conn


def _forbidden(info: Any, **_: Any) -> None:
    raise GraphQLError(
        "Access for the job opening is forbidden", extensions={"classification": "DataFetchingException"}
    )


def _job_view(job: dict[str, Any]) -> dict[str, Any]:
    duration = {"label": job["durationLabel"], "weeks": job["_weeks"]}
    hourly = (
        None
        if job["_fixed"]
        else {
            "hourlyBudgetMin": float(job["hourlyBudgetMin"]["rawValue"]),
            "hourlyBudgetMax": float(job["hourlyBudgetMax"]["rawValue"]),
            "engagementDuration": duration,
        }
    )
    fixed = {"amount": job["amount"], "engagementDuration": duration} if job["_fixed"] else None
    country = job["client"]["location"]
    return {
        "id": job["id"],
        "content": {"title": job["title"], "description": job["description"]},
        "workFlowState": {"status": job["_status"]},
        "classification": {
            "category": {"preferredLabel": job["category"]},
            "subCategory": {"preferredLabel": job["subcategory"]},
        },
        "contractTerms": {
            "contractType": "FIXED" if job["_fixed"] else "HOURLY",
            "hourlyContractTerms": hourly,
            "fixedPriceContractTerms": fixed,
        },
        "contractorSelection": {
            "proposalRequirement": {
                "coverLetterRequired": job["_cover_letter"],
                "screeningQuestions": [
                    {"question": q, "sequenceNumber": i + 1} for i, q in enumerate(job["_questions"])
                ],
            },
            "qualification": {
                "englishProficiency": "ANY",
                "risingTalent": True,
                "hasPortfolio": False,
                "jobSuccessScore": None,
                "hoursWorked": None,
            },
        },
        "clientCompanyPublic": {
            "country": {"name": country["country"], "twoLetterAbbreviation": job["_client_country_code"]},
            "city": country["city"],
            "paymentVerification": {"paymentVerified": job["client"]["verificationStatus"] == "VERIFIED"},
        },
        "activityStat": {
            "jobActivity": {
                "invitesSent": job["_invites"],
                "totalHired": job["_hired"],
                "totalInvitedToInterview": job["_interviewing"],
                "totalOffered": job["_hired"],
                "lastClientActivity": job["_last_activity"],
            }
        },
    }


def _job(_: Any, info: Any, id: str) -> Any:
    job = _sandbox(info).data.job_by_id(id)
    if job is None:
        raise GraphQLError(f"Opening not found for uid='{id}'", extensions={"classification": "DataFetchingException"})
    return _job_view(job)


def _contents(_: Any, info: Any, ids: list[str]) -> Any:
    data = _sandbox(info).data
    out = []
    for job_id in ids:
        job = data.job_by_id(job_id)
        if job is not None:
            out.append({k: job[k] for k in ("id", "ciphertext", "title", "description", "publishedDateTime")})
    return out


def _vendor_contracts(_: Any, info: Any, filter: dict[str, Any], paging: dict[str, Any] | None = None) -> Any:
    box = _sandbox(info)
    if filter["vendorId"] != box.data.user["id"]:
        raise GraphQLError(
            "Access denied: vendorId is not the authenticated user",
            extensions={"classification": "DataFetchingException"},
        )
    items = box.data.contracts
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


def _contract(_: Any, info: Any, id: str) -> Any:
    for contract in _sandbox(info).data.contracts:
        if contract["id"] == id:
            return contract
    raise GraphQLError(f"Contract not found: {id}", extensions={"classification": "DataFetchingException"})


def _room_view(box: Sandbox, room: dict[str, Any]) -> dict[str, Any]:
    stories = box.data.stories[room["id"]]
    return {**room, "latestStory": stories[-1] if stories else None}


def _rooms(_: Any, info: Any, pagination: dict[str, Any] | None = None) -> Any:
    box = _sandbox(info)
    rooms = sorted(
        box.data.rooms,
        key=lambda r: (box.data.stories[r["id"]] or [{"createdDateTime": ""}])[-1]["createdDateTime"],
        reverse=True,
    )
    offset, count = _window(pagination)
    conn = _connection(rooms, offset, count, wrap=lambda r: _room_view(box, r))
    for edge in conn["edges"]:
        edge.pop("cursor")
    return conn


def _window(pagination: dict[str, Any] | None) -> tuple[int, int]:
    try:
        return page_window(pagination, default_first=20)
    except SearchInputError as exc:
        raise GraphQLError(str(exc), extensions={"classification": "ValidationError"}) from None


def _stories(_: Any, info: Any, filter: dict[str, Any] | None = None) -> Any:
    box = _sandbox(info)
    room_id = (filter or {}).get("roomId_eq")
    if room_id not in box.data.stories:
        raise GraphQLError(f"Room not found: {room_id}", extensions={"classification": "DataFetchingException"})
    newest_first = list(reversed(box.data.stories[room_id]))
    offset, count = _window(((filter or {}).get("storyFilter") or {}).get("pagination"))
    conn = _connection(newest_first, offset, count)
    conn.pop("pageInfo")
    return conn


def _contract_room(_: Any, info: Any, contractId: str) -> Any:
    box = _sandbox(info)
    for room in box.data.rooms:
        if room["contractId"] == contractId:
            return _room_view(box, room)
    raise GraphQLError(f"No room for contract {contractId}", extensions={"classification": "DataFetchingException"})


def _create_story(_: Any, info: Any, input: dict[str, Any]) -> Any:
    box = _sandbox(info)
    room_id, message = input["roomId"], input["message"]
    if room_id not in box.data.stories:
        raise GraphQLError(f"Room not found: {room_id}", extensions={"classification": "DataFetchingException"})
    if not message.strip():
        raise GraphQLError("message must not be empty", extensions={"classification": "ValidationError"})
    if len(message) > MAX_MESSAGE_CHARS:
        raise GraphQLError(
            f"message is longer than {MAX_MESSAGE_CHARS} characters", extensions={"classification": "ValidationError"}
        )
    user = box.data.user
    story = {
        "id": f"story_sent_{len(box.sent_messages) + 1:06d}",
        "message": message,
        "createdDateTime": box.now.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "user": {"id": user["id"], "name": user["name"]},
    }
    box.data.stories[room_id].append(story)
    box.sent_messages.append({"roomId": room_id, **story})
    return story


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
    return _connection(people, offset, count)


def _profile(_: Any, info: Any, profileKey: str) -> Any:
    for person in _sandbox(info).data.freelancers:
        if person["ciphertext"] == profileKey:
            return person["_profile"]
    raise GraphQLError(f"Profile not found: {profileKey}", extensions={"classification": "DataFetchingException"})


def _user(_: Any, info: Any) -> Any:
    return _sandbox(info).data.user


def _organization(_: Any, info: Any) -> Any:
    box = _sandbox(info)
    tenant = info.context.get("tenant")
    return next((o for o in box.data.organizations if o["id"] == tenant), box.data.organizations[0])


def _company_selector(_: Any, info: Any) -> Any:
    orgs = _sandbox(info).data.organizations
    return {
        "items": [
            {
                "title": o["name"],
                "organizationId": o["id"],
                "organizationRid": o["id"][-8:],
                "organizationType": o["type"],
                "typeTitle": o["type"].title(),
            }
            for o in orgs
        ]
    }


_ROOTS = {
    ("Query", "marketplaceJobPostingsSearch"): _search,
    ("Query", "marketplaceJobPosting"): _job,
    ("Query", "marketplaceJobPostingsContents"): _contents,
    ("Query", "vendorContracts"): _vendor_contracts,
    ("Query", "contractDetails"): _contract,
    ("Query", "roomList"): _rooms,
    ("Query", "roomStories"): _stories,
    ("Query", "contractRoom"): _contract_room,
    ("Query", "freelancerProfileSearchRecords"): _freelancers,
    ("Query", "freelancerProfileByProfileKey"): _profile,
    ("Query", "user"): _user,
    ("Query", "organization"): _organization,
    ("Query", "companySelector"): _company_selector,
    ("Mutation", "createRoomStoryV2"): _create_story,
}


@cache
def sandbox_schema() -> GraphQLSchema:
    schema = build_schema(documents.schema_sdl())
    for (type_name, field_name), resolver in _ROOTS.items():
        schema.get_type(type_name).fields[field_name].resolve = resolver  # type: ignore[union-attr]
    schema.get_type("FreelancerProfileSearchNode").resolve_type = (  # type: ignore[union-attr]
        lambda *_: "FreelancerProfilesSearchRecord"
    )
    return schema


def _selected_fields(schema: GraphQLSchema, document: DocumentNode) -> set[str]:
    """Every Type.field the document selects, for the permission check."""
    type_info = TypeInfo(schema)
    seen: set[str] = set()

    class Collect(Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> None:
            parent = type_info.get_parent_type()
            if parent is not None:
                seen.add(f"{parent.name}.{node.name.value}")

    visit(document, TypeInfoVisitor(type_info, Collect()))
    return seen


def _error(message: str, classification: str, **extra: Any) -> dict[str, Any]:
    return {"message": message, "extensions": {"classification": classification}, **extra}


def run_query(box: Sandbox, body: dict[str, Any], *, tenant: str | None) -> dict[str, Any]:
    """Execute one GraphQL request body; always a JSON-ready answer (HTTP 200)."""
    query = body.get("query")
    if not isinstance(query, str) or not query.strip():
        return {"errors": [_error("The request has no query", "ValidationError")]}
    variables = body.get("variables") or {}
    if not isinstance(variables, dict):
        return {"errors": [_error("variables must be an object", "ValidationError")]}
    schema = sandbox_schema()
    try:
        document = parse(query)
    except GraphQLError as exc:
        return {"errors": [_error(exc.message, "InvalidSyntax", locations=_locations(exc))]}
    problems = validate(schema, document)
    if problems:
        return {"errors": [_error(p.message, "ValidationError", locations=_locations(p)) for p in problems]}
    denied = sorted(_selected_fields(schema, document) & box.faults.deny) if box.faults.deny else []
    if denied:
        # Upwork fails the whole query when one field is beyond the key's permissions.
        return {
            "data": None,
            "errors": [_error(PERMISSION_MESSAGE.format(field=", ".join(denied)), "ExecutionAborted")],
        }
    result = execute(
        schema,
        document,
        context_value={"sandbox": box, "tenant": tenant},
        variable_values=variables,
        operation_name=body.get("operationName"),
    )
    assert isinstance(result, ExecutionResult)  # every resolver is synchronous
    answer: dict[str, Any] = {"data": result.data}
    if result.errors:
        answer["errors"] = [_format_error(e) for e in result.errors]
    return answer


def _locations(error: GraphQLError) -> list[dict[str, int]]:
    return [{"line": loc.line, "column": loc.column} for loc in error.locations or []]


def _format_error(error: GraphQLError) -> dict[str, Any]:
    out: dict[str, Any] = dict(error.formatted)
    out.setdefault("extensions", {})
    out["extensions"].setdefault("classification", "DataFetchingException")
    return out
