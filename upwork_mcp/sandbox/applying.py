"""Applying to a job in the sandbox (`createJobProposal`), and what happens to a proposal afterwards.

As the facts page has it: the mutation needs the key's "Submit Proposal" permission (a key profile or
`deny=Mutation.createJobProposal` refuses it, as every permission is refused), takes the user's `id` and
username (`nid`, not `rid`), the numeric job id (not a ciphertext), the organization's id as `teamOrgId`
(not the user's id), and the answers to the job's screening questions in order; it answers `newProposalId
status error`. It spends Connects from a balance the sandbox keeps per person (Upwork's API cannot read a
balance, so neither can the sandbox's). A refusal comes back in `error` with no proposal made.

Afterwards the sandbox plays the client (`POST /__sandbox__/proposals/{id}`): a new status (with a
reason), a first message in the proposal's room, an offer on its job.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from .data import _iso, _money
from .personas import persona_organizations, persona_rooms, persona_user
from .state import Sandbox

CONNECTS_START = 40  # what a person's balance starts at
STATUSES = ("Pending", "Offered", "Accepted", "Hired", "Activated", "Declined", "Withdrawn", "Archived")


def connects_for(job: dict[str, Any]) -> int:
    """What applying to `job` costs (Upwork varies it by job; the API never says how much)."""
    return 2 + int(job["id"]) % 4 * 2


def balance(box: Sandbox, persona: int) -> int:
    return box.connects.setdefault(persona, CONNECTS_START)


def _refused(error: str) -> dict[str, Any]:
    return {"newProposalId": None, "status": "ERROR", "error": error}


def _epoch_ms(box: Sandbox) -> str:
    return str(int(box.clock() * 1000))


def create_job_proposal(box: Sandbox, persona: int, tenant: str | None, given: dict[str, Any]) -> dict[str, Any]:
    """One application, or the reason it was refused (nothing is made or spent then)."""
    user = persona_user(box, persona)
    contractor = given.get("selectedContractor") or {}
    if contractor.get("id") != user["id"]:
        return _refused("selectedContractor.id must be the current user's id")
    if contractor.get("oDeskUserID") != user["nid"]:
        return _refused("selectedContractor.oDeskUserID must be the current user's username (nid)")
    orgs = {o["id"] for o in persona_organizations(box, persona)}
    if given.get("teamOrgId") not in orgs or (tenant and given.get("teamOrgId") != tenant):
        return _refused("teamOrgId must be the id of an organization the user acts in")
    reference = str(given.get("jobReference") or "")
    job = box.data.job_by_id(reference) if reference.isdigit() else None
    if job is None:
        return _refused(f"Job not found: {reference[:40]}")
    if job["_status"] != "ACTIVE":
        return _refused("This job is no longer available")
    mine = [p for p in box.data.proposals if p.get("_persona", 0) == persona]
    if any(p["marketplaceJobPosting"]["id"] == job["id"] for p in mine):
        return _refused("You have already submitted a proposal to this job")
    amount = given.get("chargedAmount")
    if not isinstance(amount, int | float) or amount <= 0:
        return _refused("chargedAmount must be greater than 0")
    letter = str(given.get("coverLetter") or "")
    if job["_cover_letter"] and not letter.strip():
        return _refused("A cover letter is required for this job")
    asked = list(job["_questions"])
    answers = [a for a in given.get("questions") or [] if isinstance(a, dict)]
    if len(answers) != len(asked):
        return _refused(f"This job asks {len(asked)} screening questions; {len(answers)} answers were given")
    for n, (question, answer) in enumerate(zip(asked, answers, strict=True), start=1):
        if answer.get("question") != question:
            return _refused(f"Answer {n} is not for question {n} ({question})")
        if not str(answer.get("answer") or "").strip():
            return _refused(f"Question {n} has no answer")
    cost = connects_for(job)
    if balance(box, persona) < cost:
        return _refused(f"Not enough Connects: this job needs {cost}")
    box.connects[persona] -= cost
    now = box.now.replace(microsecond=0)
    proposal = {
        "id": str(1_700_000_000 + secrets.randbelow(10**8)),
        "user": user,
        "organization": {"id": job["_client_key"], "name": job["_client_name"]},
        "marketplaceJobPosting": {
            "id": job["id"],
            "content": {"title": job["title"], "description": job["description"]},
        },
        "terms": {"chargeRate": _money(float(amount)), "estimatedDuration": None, "upfrontPaymentPercent": None},
        "proposalCoverLetter": letter,
        "auditDetails": {"createdDateTime": {"rawValue": _epoch_ms(box), "displayValue": _iso(now)[:10]}},
        # Submitted and still open: Upwork calls that "Accepted" (facts page, Proposals).
        "status": {"status": "Accepted", "reason": None},
        "_created": now,
        "_modified": now,
        "_persona": persona,
        "_answers": answers,
        "_connects": cost,
    }
    box.data.proposals.append(proposal)
    job["totalApplicants"] += 1
    return {"newProposalId": proposal["id"], "status": "Accepted", "error": None}


def all_rooms(box: Sandbox) -> list[dict[str, Any]]:
    """Every person's rooms (the seeded person's are the dataset's)."""
    return [*box.data.rooms, *(r for rooms in box.extra_rooms.values() for r in rooms)]


class ProposalChangeError(ValueError):
    """A change the sandbox cannot make to a proposal."""


def change_proposal(
    box: Sandbox,
    proposal_id: str,
    *,
    status: str | None = None,
    reason: str | None = None,
    message: str | None = None,
    offer: bool = False,
    offer_id: str | None = None,
    story_id: str | None = None,
    at: str | None = None,
) -> dict[str, Any]:
    """The client acts on a proposal: a new status (and reason), a message in its room, an offer. `offer_id`,
    `story_id` and `at` (ISO 8601): the new offer's and message's ids and the moment (from a board event, so
    every process makes the same)."""
    proposal = next((p for p in box.data.proposals if p["id"] == proposal_id), None)
    if proposal is None:
        raise ProposalChangeError(f"no proposal {proposal_id}")
    now = datetime.fromisoformat(at) if at else box.now.replace(microsecond=0)
    if offer:
        _offer(box, proposal, now, offer_id)
        status = status or "Offered"
    if status is not None:
        if status not in STATUSES:
            raise ProposalChangeError(f"status takes one of {', '.join(STATUSES)}")
        proposal["status"] = {"status": status, "reason": {"id": "1", "reason": reason} if reason else None}
    if message:
        _message(box, proposal, message, now, story_id)
    proposal["_modified"] = now
    proposal["auditDetails"] = {
        **proposal["auditDetails"],
        "modifiedDateTime": {"rawValue": str(int(now.timestamp() * 1000)), "displayValue": _iso(now)[:10]},
    }
    return proposal


def _message(box: Sandbox, proposal: dict[str, Any], text: str, now: Any, story_id: str | None) -> None:
    data = box.data
    job = proposal["marketplaceJobPosting"]
    client = f"Client of {proposal['organization']['name']}"
    room_id = data.proposal_rooms.get(proposal["id"])
    if room_id is None:  # the client opens the room: freelancers cannot write first on a proposal
        room_id = f"room_p{proposal['id']}"
        persona = proposal.get("_persona", 0)
        owner = persona_user(box, persona)
        room = {
            "id": room_id,
            "roomName": f"Proposal: {job['content']['title'][:40]}",
            "topic": job["content"]["title"],
            "roomType": "INTERVIEW",
            "numUnread": 0,
            "contractId": None,
            "_participants": [owner["name"], client],
            "_subscribed": True,
            "vendorProposal": proposal,  # what the room is about (Room.vendorProposal), as the seeded rooms
        }
        persona_rooms(box, persona).insert(0, room)
        data.stories[room_id] = []
        data.proposal_rooms[proposal["id"]] = room_id
    room = next(r for r in all_rooms(box) if r["id"] == room_id)
    room["numUnread"] = int(room.get("numUnread") or 0) + 1
    story = {
        "id": story_id or f"story_{secrets.token_hex(6)}",
        "message": text,
        "createdDateTime": _iso(now),
        "user": {"id": f"client_{proposal['organization']['id']}", "name": client},
    }
    data.stories[room_id].append(story)


def _offer(box: Sandbox, proposal: dict[str, Any], now: Any, offer_id: str | None) -> None:
    data = box.data
    job = data.job_by_id(proposal["marketplaceJobPosting"]["id"])
    assert job is not None
    fixed = bool(job["_fixed"])
    rate = proposal["terms"]["chargeRate"]
    offer_id = offer_id or str(46_000_000 + secrets.randbelow(10**6))
    offer = {
        "id": offer_id,
        "title": job["title"],
        "description": job["description"],
        "type": "MARKET_PLACE_FIXED_PRICE" if fixed else "MARKET_PLACE_HOURLY",
        "state": "PENDING_VENDOR_ACCEPTANCE",
        "messageToContractor": "We would like to work with you.",
        "client": {"id": job["_client_key"], "name": job["_client_name"]},
        "job": {"id": job["id"], "content": {"title": job["title"], "description": job["description"]}},
        "offerTerms": {
            "expectedStartDate": _iso(now + timedelta(days=2))[:10],
            "expectedEndDate": None,
            "fixedPriceTerm": {"budget": rate} if fixed else None,
            "hourlyTerms": None if fixed else {"rate": rate, "weeklyHoursLimit": 20, "manualTimeAllowed": True},
        },
        "milestones": [],
    }
    data.offers.insert(
        0,
        {
            "id": offer_id,
            "title": job["title"],
            "type": "FixedPrice" if fixed else "Hourly",
            "state": "Pending",
            "startDateTime": _iso(now + timedelta(days=2)),
            "offerCreatedDateTime": _iso(now),
            "lastUpdatedDateTime": _iso(now),
            "company": {"id": job["_client_key"], "name": job["_client_name"]},
            "offer": offer,
            "_created": now,
            "_persona": proposal.get("_persona", 0),
        },
    )
