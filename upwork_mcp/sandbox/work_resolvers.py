"""The sandbox's resolvers for a freelancer's working life: proposals, offers, hours, money, categories.

Limits are Upwork's as reported live: proposal pages of at most 20 ("VJCA-6" beyond; some accounts allow
40), status buckets that overlap, a work diary per contract and day (`yyyyMMdd`), transactions only for
the user's accounting entity and only in `yyyy-MM-dd`, a time report matched on the week worked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from .applying import all_rooms, create_job_proposal
from .personas import persona_user
from .resolvers import _fail, _persona, _sandbox, _window, connection
from .state import Sandbox
from .work import time_report_rows

_DASHED = re.compile(r"\d{4}-\d{2}-\d{2}($|T)")
MAX_PROPOSAL_PAGE = 20  # the stricter of the two live reports (20, and 40 elsewhere)
# Live (rajat-cc): Declined, Withdrawn and Hired each answered the same open list; Archived held the
# closed history. The other buckets answer their own status.
OPEN_STATUSES = ("Pending", "Offered", "Accepted", "Activated")
CLOSED_STATUSES = ("Declined", "Withdrawn", "Archived", "Hired")
OPEN_LIST_BUCKETS = ("Declined", "Withdrawn", "Hired")
# The sort fields Upwork documents for CurrentUser.offer, and what each sorts the seeded offers by.
OFFER_SORT_FIELDS: dict[str, Callable[[dict[str, Any]], str]] = {
    "Team": lambda o: o["company"]["name"],
    "StartDate": lambda o: o["startDateTime"],
    "EndDate": lambda o: o["offer"]["offerTerms"]["expectedEndDate"] or "",
    "ContractName": lambda o: o["title"],
    "FreelancerName": lambda o: "",
    "ClientCompanyName": lambda o: o["company"]["name"],
    "ClientName": lambda o: o["company"]["name"],
    "State": lambda o: o["state"],
}


def _in_bucket(status: str, bucket: str) -> bool:
    if bucket in OPEN_LIST_BUCKETS:
        return status in OPEN_STATUSES
    if bucket == "Archived":
        return status in CLOSED_STATUSES
    return status == bucket


def _day(value: Any, name: str) -> str:
    text = str(value or "")
    try:
        datetime.strptime(text, "%Y%m%d")
    except ValueError:
        raise _fail(f"{name} must be a date as yyyyMMdd, not {text[:20]!r}", "ValidationError") from None
    return text


def _iso_day(value: Any, name: str, *, compact: bool) -> date:
    """`yyyy-MM-dd` or an ISO date-time (and `yyyyMMdd` where `compact` is allowed)."""
    text = str(value or "")
    if compact and len(text) == 8 and text.isdigit():
        return datetime.strptime(text, "%Y%m%d").date()
    try:
        if not _DASHED.match(text):
            raise ValueError(text)  # Python reads 20260901 as a date too; Upwork does not
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        # Upwork's own wording for transactionHistory (its docs); the time report says the same.
        raise _fail(f"{name}: date should be in yyyy-mm-dd format, not {text[:20]!r}", "ValidationError") from None


def _range(value: dict[str, Any] | None, name: str, *, compact: bool) -> tuple[date, date]:
    value = value or {}
    start = _iso_day(value.get("rangeStart"), f"{name}.rangeStart", compact=compact)
    end = _iso_day(value.get("rangeEnd"), f"{name}.rangeEnd", compact=compact)
    if end < start:
        raise _fail(f"{name}: rangeEnd is before rangeStart", "ValidationError")
    return start, end


# -- proposals ---------------------------------------------------------------------------------------


def _proposals(
    _: Any, info: Any, filter: dict[str, Any], sortAttribute: dict[str, Any], pagination: dict[str, Any]
) -> Any:
    box = _sandbox(info)
    if (pagination.get("first") or 0) > MAX_PROPOSAL_PAGE:
        raise _fail("VJCA-6: incorrect value for pagination.first")
    persona = _persona(info)
    items = [
        p
        for p in box.data.proposals
        if p.get("_persona", 0) == persona and _in_bucket(p["status"]["status"], filter["status_eq"])
    ]
    if filter.get("jobPostingIds_any"):
        wanted = set(filter["jobPostingIds_any"])
        items = [p for p in items if p["marketplaceJobPosting"]["id"] in wanted]
    if filter.get("organizationId_eq"):
        items = [p for p in items if p["organization"]["id"] == filter["organizationId_eq"]]
    key = "_modified" if sortAttribute["field"] == "MODIFIEDDATETIME" else "_created"
    items = sorted(items, key=lambda p: p[key], reverse=sortAttribute["sortOrder"] == "DESC")
    offset, count = _window(pagination, max_first=MAX_PROPOSAL_PAGE)
    return connection(items, offset, count)


def _proposal(_: Any, info: Any, id: str) -> Any:
    for proposal in _sandbox(info).data.proposals:
        if proposal["id"] == id:
            return proposal
    raise _fail(f"Proposal not found: {id}")


def _room(box: Sandbox, room_id: str) -> dict[str, Any]:
    room = next(r for r in all_rooms(box) if r["id"] == room_id)
    stories = box.data.stories[room_id]
    return {**room, "latestStory": stories[-1] if stories else None}


def _proposal_room(_: Any, info: Any, vendorProposalId: str) -> Any:
    box = _sandbox(info)
    room_id = box.data.proposal_rooms.get(vendorProposalId)
    if room_id is None:
        raise _fail(f"Room not found for proposal {vendorProposalId}")
    return _room(box, room_id)


def _create_proposal(_: Any, info: Any, input: dict[str, Any]) -> Any:
    return create_job_proposal(_sandbox(info), _persona(info), info.context.get("tenant"), input)


# -- offers ------------------------------------------------------------------------------------------


def _user_offers(
    info: Any,
    pagination: dict[str, Any],
    offerForFreelancerFilter: dict[str, Any] | None = None,
    sortAttribute: dict[str, Any] | None = None,
) -> Any:
    box = _sandbox(info)
    flt = offerForFreelancerFilter or {}
    items = list(box.data.offers)
    if flt.get("clientOrgId_any"):
        wanted = set(flt["clientOrgId_any"])
        items = [o for o in items if o["company"]["id"] in wanted]
    states = (flt.get("commonFilter") or {}).get("states_any")
    if states:
        items = [o for o in items if o["state"].upper() in {s.upper() for s in states}]
    if sortAttribute:
        key = OFFER_SORT_FIELDS.get(sortAttribute.get("field", ""))
        if key is None:
            raise _fail(f"sortAttribute.field must be one of {', '.join(OFFER_SORT_FIELDS)}", "ValidationError")
        items = sorted(items, key=key, reverse=sortAttribute.get("sortOrder") == "DESC")
    # Without a sort attribute the order is Upwork's own (here: as seeded), not newest first.
    offset, count = _window(pagination, max_first=50)
    return connection(items, offset, count)


def _offer(_: Any, info: Any, id: str) -> Any:
    for offer in _sandbox(info).data.offers:
        if offer["id"] == id:
            return offer["offer"]
    raise _fail(f"Offer not found: {id}")


def _offer_room(_: Any, info: Any, offerId: str) -> Any:
    box = _sandbox(info)
    room_id = box.data.offer_rooms.get(offerId)
    return _room(box, room_id) if room_id else None


# -- hours -------------------------------------------------------------------------------------------


def _time_report(info: Any, timeReportDate_bt: dict[str, Any], pagination: dict[str, Any] | None = None) -> Any:
    box = _sandbox(info)
    # Both forms are seen live; the range matches the week worked (Monday), not the day, and today's hours
    # are not in the report yet (live, the macOS earnings app).
    start, end = _range(timeReportDate_bt, "timeReportDate_bt", compact=True)
    today = box.now.date().isoformat()
    rows = [
        r
        for r in time_report_rows(box.data)
        if start.isoformat() <= r["weekWorkedOn"] <= end.isoformat() and r["dateWorkedOn"] < today
    ]
    offset, count = _window(pagination, default_first=50, max_first=500)
    return connection(rows, offset, count)


def _user_view(_: Any, info: Any) -> Any:
    """The current user, with the fields that take arguments resolved over the seeded work."""
    box, persona = _sandbox(info), _persona(info)
    user = persona_user(box, persona)
    # Only the seeded freelancer has a freelancer profile; the other people are clients here.
    profile = box.data.my_profile if persona == 0 and box.data.my_profile else None
    return {**user, "offer": _user_offers, "contractTimeReport": _time_report, "freelancerProfile": profile}


def _work_diary(_: Any, info: Any, workDiaryContractInput: dict[str, Any]) -> Any:
    box = _sandbox(info)
    contract_id = workDiaryContractInput["contractId"]
    day = _day(workDiaryContractInput["date"], "workDiaryContractInput.date")
    if not any(c["id"] == contract_id for c in box.data.contracts):
        raise _fail(f"Contract not found: {contract_id}")
    cells = box.data.time_cells.get(contract_id, {}).get(day, [])
    return {
        "workDiaryMetadata": {"timezoneOffset": str(workDiaryContractInput.get("offsetInSeconds") or 0)},
        "workDiaryTimeCells": cells,
    }


# -- money -------------------------------------------------------------------------------------------


def _accounting_entity(_: Any, info: Any) -> Any:
    return {"id": _sandbox(info).data.accounting_entity}


def _transactions(_: Any, info: Any, transactionHistoryFilter: dict[str, Any] | None = None) -> Any:
    box = _sandbox(info)
    flt = transactionHistoryFilter or {}
    if box.data.accounting_entity not in (flt.get("aceIds_any") or []):
        raise _fail("Authorization failed: aceIds_any must name your accounting entity (accountingEntity { id })")
    start, end = _range(flt.get("transactionDateTime_bt"), "transactionDateTime_bt", compact=False)
    rows = [t for t in box.data.transactions if start <= t["_when"].date() <= end]
    if flt.get("trxSubtypes_any"):
        wanted = set(flt["trxSubtypes_any"])
        rows = [t for t in rows if t["accountingSubtype"] in wanted]
    return {"transactionDetail": {"transactionHistoryRow": rows}}


def _categories(_: Any, info: Any) -> Any:
    return _sandbox(info).data.category_tree


WORK_ROOTS: dict[tuple[str, str], Callable[..., Any]] = {
    ("Query", "vendorProposals"): _proposals,
    ("Query", "vendorProposal"): _proposal,
    ("Query", "proposalRoom"): _proposal_room,
    ("Mutation", "createJobProposal"): _create_proposal,
    ("Query", "offer"): _offer,
    ("Query", "offerRoom"): _offer_room,
    ("Query", "user"): _user_view,
    ("Query", "workDiaryContract"): _work_diary,
    ("Query", "accountingEntity"): _accounting_entity,
    ("Query", "transactionHistory"): _transactions,
    ("Query", "ontologyCategories"): _categories,
}
