"""A freelancer's working life in the sandbox: proposals, offers, contract terms, hours, money, categories.

Everything derives from one seeded world, and the parts agree with each other: a time report's hours
are the work diary's 10-minute cells divided by six, an hourly payment is a week's charges, a fixed
contract's milestones add up to its amount.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from .data import CATEGORIES, DEFAULT_SEED, Dataset, _conversation, _iso, _money, _numeric_id, generate_market

PROPOSAL_STATUSES = (
    ["Pending"] * 8
    + ["Declined"] * 5
    + ["Withdrawn"] * 3
    + ["Archived"] * 3
    + ["Offered"] * 2
    + ["Hired"] * 3
    + ["Activated"] * 2
    + ["Accepted"] * 2
)
DECLINE_REASONS = ["The client hired someone else", "Job was closed", "Your rate is above the budget"]
WITHDRAW_REASONS = ["Scheduling conflict", "Scope changed", "Rate too low"]
MILESTONE_STATES = ["Paid", "Paid", "Active", "Submitted", "NotFunded"]
MEMOS = [
    "API endpoints",
    "Code review fixes",
    "Data model changes",
    "Client call",
    "Tests and CI",
    "Bug triage",
    "Deployment",
    "Docs",
]


def _epoch_ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def day_key(moment: datetime) -> str:
    return moment.strftime("%Y%m%d")


def week_start(moment: datetime) -> datetime:
    return (moment - timedelta(days=moment.weekday())).replace(hour=0, minute=0, second=0)


def generate(seed: int = DEFAULT_SEED, *, anchor: datetime | None = None) -> Dataset:
    """The whole seeded world: the market (jobs, clients, contracts, rooms, freelancers), then the user's work."""
    data = generate_market(seed, anchor=anchor)
    add_work(data, seed)
    return data


def add_work(data: Dataset, seed: int) -> None:
    rng = random.Random(seed * 7 + 1)
    now = data.anchor
    data.accounting_entity = _numeric_id(rng, 18)
    data.category_tree = [
        {
            "id": next(k for k, v in data.categories.items() if v == label),
            "preferredLabel": label,
            "subcategories": [
                {"id": next(k for k, v in data.subcategories.items() if v == sub), "preferredLabel": sub}
                for sub in subs
            ],
        }
        for label, subs in CATEGORIES.items()
    ]
    _terms(data, rng, now)
    _time(data, rng, now)
    _transactions(data, rng, now)
    _proposals(data, rng, now)
    _offers(data, rng, now)
    _my_profile(data, rng)


def _terms(data: Dataset, rng: random.Random, now: datetime) -> None:
    for contract in data.contracts:
        start = contract["startDate"]
        if contract["_fixed"]:
            amount = contract["_amount"]
            parts = rng.choice([[1.0], [0.5, 0.5], [0.3, 0.3, 0.4]])
            states = MILESTONE_STATES if contract["status"] != "CLOSED" else ["Paid"] * 3
            milestones = []
            for i, share in enumerate(parts):
                state = states[i] if i < len(states) else "NotFunded"
                value = round(amount * share, 2)
                milestones.append(
                    {
                        "id": _numeric_id(rng, 19),
                        "sequenceId": i + 1,
                        "description": f"Milestone {i + 1}: "
                        + rng.choice(["Design", "First version", "Final delivery", "Fixes and handover"]),
                        "state": state,
                        "dueDateTime": _iso(now + timedelta(days=7 * (i + 1) - 10)),
                        "depositAmount": _money(value),
                        "paid": _money(value if state == "Paid" else 0.0),
                    }
                )
            contract["terms"] = {
                "fixedPriceTerms": [
                    {"id": _numeric_id(rng, 20), "fixedAmount": _money(amount), "milestones": milestones}
                ],
                "hourlyTerms": [],
            }
            contract["hourlyLimits"] = []
        else:
            contract["_weekly_limit"] = rng.choice([10, 20, 30, 40])
            contract["terms"] = {
                "hourlyTerms": [
                    {
                        "id": _numeric_id(rng, 20),
                        "hourlyRate": _money(contract["_rate"]),
                        "startDate": start,
                        "endDate": contract["endDate"],
                        "manualTimeAllowed": True,
                    }
                ],
                "fixedPriceTerms": [],
            }
            contract["hourlyLimits"] = [
                {
                    "id": _numeric_id(rng, 21),
                    "weeklyLimit": str(contract["_weekly_limit"]),
                    "startDate": start,
                    "endDate": contract["endDate"],
                }
            ]
        if contract["status"] == "CLOSED":
            hours = 0 if contract["_fixed"] else rng.randint(10, 200)
            contract["_hours"] = f"{hours:.2f}"
            contract["_charged"] = f"{contract['_amount'] if contract['_fixed'] else hours * contract['_rate']:.2f}"
            contract["closingReason"] = {
                "id": "1",
                "reason": rng.choice(["Job completed successfully", "Client's needs changed"]),
            }
            contract["_feedback"] = {
                "feedbackToFreelancer": {
                    "score": rng.choice([4.5, 5.0, 5.0]),
                    "comment": "Great work, clear communication.",
                },
                "feedbackToClient": {"score": 5.0, "comment": "A pleasure to work with."},
            }


def _time(data: Dataset, rng: random.Random, now: datetime) -> None:
    """Ten-minute cells for every active hourly contract over the last eight weeks, within its weekly limit."""
    data.time_cells = {}
    first_day = week_start(now) - timedelta(weeks=7)
    for contract in data.contracts:
        if contract["_fixed"] or contract["status"] != "ACTIVE":
            continue
        days: dict[str, list[dict[str, Any]]] = {}
        week_cells: dict[str, int] = {}
        day = first_day
        while day.date() <= now.date():
            week = day_key(week_start(day))
            limit_cells = contract["_weekly_limit"] * 6
            if day.weekday() < 5 and rng.random() < 0.75 and week_cells.get(week, 0) < limit_cells:
                count = min(rng.choice([6, 12, 18, 24, 30, 36]), limit_cells - week_cells.get(week, 0))
                start = day.replace(hour=9, minute=0, second=0)
                if day.date() == now.date():
                    count = min(count, max(0, int((now - start).total_seconds() // 600)))
                memo = rng.choice(MEMOS)
                cells = []
                for i in range(count):
                    manual = rng.random() < 0.1
                    cells.append(
                        {
                            "cellDateTime": {
                                "rawValue": _iso(start + timedelta(minutes=10 * i)),
                                "displayValue": (start + timedelta(minutes=10 * i)).strftime("%H:%M"),
                            },
                            "manual": manual,
                            "overtime": False,
                            "activityLevel": None if manual else rng.randint(3, 10),
                            "memo": memo,
                            "task": {"id": "1", "description": memo},
                        }
                    )
                if cells:
                    days[day_key(day)] = cells
                    week_cells[week] = week_cells.get(week, 0) + len(cells)
            day += timedelta(days=1)
        data.time_cells[contract["id"]] = days
        contract["_hours"] = f"{sum(len(c) for c in days.values()) / 6:.2f}"
        contract["_charged"] = f"{sum(len(c) for c in days.values()) / 6 * contract['_rate']:.2f}"


def time_report_rows(data: Dataset) -> list[dict[str, Any]]:
    """One row per contract and day worked, as `contractTimeReport` answers: hours are cells / 6."""
    rows = []
    contracts = {c["id"]: c for c in data.contracts}
    for contract_id, days in data.time_cells.items():
        contract = contracts[contract_id]
        for key, cells in days.items():
            moment = datetime.strptime(key, "%Y%m%d")
            hours = round(len(cells) / 6, 4)
            rows.append(
                {
                    # yyyy-MM-dd, as Upwork answers (live: aijogja, the macOS earnings app)
                    "dateWorkedOn": moment.strftime("%Y-%m-%d"),
                    "weekWorkedOn": week_start(moment).strftime("%Y-%m-%d"),
                    "monthWorkedOn": key[:6],
                    "yearWorkedOn": key[:4],
                    "totalHoursWorked": hours,
                    "totalCharges": round(hours * contract["_rate"], 2),
                    "memo": cells[0]["memo"],
                    "task": cells[0]["memo"],
                    "contract": contract,
                }
            )
    rows.sort(key=lambda r: (r["dateWorkedOn"], r["contract"]["id"]))
    return rows


def _transactions(data: Dataset, rng: random.Random, now: datetime) -> None:
    """Hourly invoices per week, paid milestones, Upwork's fee on each, and monthly withdrawals."""
    rows: list[dict[str, Any]] = []
    contracts = {c["id"]: c for c in data.contracts}
    for row in time_report_rows(data):
        contract = contracts[row["contract"]["id"]]
        week_end = datetime.strptime(row["weekWorkedOn"], "%Y-%m-%d").replace(tzinfo=now.tzinfo) + timedelta(days=9)
        key = (contract["id"], row["weekWorkedOn"])
        found = next((r for r in rows if r.get("_key") == key), None)
        if week_end > now:
            continue  # this week is not billed yet
        if found is None:
            found = {
                "_key": key,
                "_when": week_end,
                "type": "Hourly",
                "accountingSubtype": "Payment",
                "description": f"Invoice for {row['weekWorkedOn']} - {contract['title'][:40]}",
                "assignmentCompanyName": contract["clientOrganization"]["name"],
                "_amount": 0.0,
            }
            rows.append(found)
        found["_amount"] += row["totalCharges"]
    for contract in data.contracts:
        for term in contract.get("terms", {}).get("fixedPriceTerms", []):
            for milestone in term["milestones"]:
                if milestone["state"] == "Paid":
                    rows.append(
                        {
                            "_key": milestone["id"],
                            "_when": now - timedelta(days=rng.randint(3, 140)),
                            "type": "Fixed Price",
                            "accountingSubtype": "Payment",
                            "description": f"{milestone['description']} - {contract['title'][:40]}",
                            "assignmentCompanyName": contract["clientOrganization"]["name"],
                            "_amount": float(milestone["depositAmount"]["rawValue"]),
                        }
                    )
    fees = [
        {
            "_key": f"fee-{i}",
            "_when": r["_when"],
            "type": "Service Fee",
            "accountingSubtype": "Fee",
            "description": f"Service fee for {r['description'][:50]}",
            "assignmentCompanyName": r["assignmentCompanyName"],
            "_amount": -round(r["_amount"] * 0.1, 2),
        }
        for i, r in enumerate(rows)
    ]
    rows += fees
    for months_back in range(5):
        when = (now.replace(day=1) - timedelta(days=30 * months_back)).replace(day=3)
        rows.append(
            {
                "_key": f"wd-{months_back}",
                "_when": when,
                "type": "Withdrawal",
                "accountingSubtype": "Withdrawal",
                "description": "Withdrawal to bank account",
                "assignmentCompanyName": None,
                "_amount": -float(rng.choice([500, 800, 1200])),
            }
        )
    data.transactions = []
    for i, row in enumerate(sorted(rows, key=lambda r: r["_when"])):
        data.transactions.append(
            {
                "recordId": str(900_000_000 + i),
                "transactionCreationDate": row["_when"].strftime("%Y-%m-%dT00:00:00+0000"),  # as seen live
                "type": row["type"],
                "accountingSubtype": row["accountingSubtype"],
                "description": row["description"],
                "transactionAmount": _money(round(row["_amount"], 2)),
                "paymentStatus": "Processed",
                "assignmentCompanyName": row["assignmentCompanyName"],
                "_when": row["_when"],
            }
        )


def _proposals(data: Dataset, rng: random.Random, now: datetime) -> None:
    data.proposals = []
    data.proposal_rooms = {}
    user = data.user
    for i, status in enumerate(PROPOSAL_STATUSES):
        job = data.jobs[300 + i * 3]
        created = now - timedelta(days=rng.randint(1, 60), hours=rng.randint(0, 23))
        modified = created + timedelta(hours=rng.randint(1, 72)) if status != "Pending" else None
        rate = float(job["hourlyBudgetMax"]["rawValue"]) if not job["_fixed"] else float(job["amount"]["rawValue"])
        reason = (
            rng.choice(DECLINE_REASONS)
            if status == "Declined"
            else rng.choice(WITHDRAW_REASONS)
            if status == "Withdrawn"
            else None
        )
        proposal = {
            "id": str(1_500_000_000 + rng.randrange(10**8)),
            "user": user,
            "organization": {"id": job["_client_key"], "name": job["_client_name"]},
            "marketplaceJobPosting": {
                "id": job["id"],
                "content": {"title": job["title"], "description": job["description"]},
            },
            "terms": {
                "chargeRate": _money(rate),
                "estimatedDuration": {"id": "1", "label": job["durationLabel"]},
                "upfrontPaymentPercent": None,
            },
            "proposalCoverLetter": f"Hi! I have done {job['subcategory'].lower()} work like this before.",
            # DateTime.rawValue on proposals is epoch milliseconds as a string (live, rajat-cc).
            "auditDetails": {
                "createdDateTime": {"rawValue": _epoch_ms(created), "displayValue": _iso(created)[:10]},
                "modifiedDateTime": {"rawValue": _epoch_ms(modified), "displayValue": _iso(modified)[:10]}
                if modified
                else None,
            },
            "status": {"status": status, "reason": {"id": "1", "reason": reason} if reason else None},
            "_created": created,
            "_modified": modified or created,
        }
        data.proposals.append(proposal)
        if status in ("Pending", "Declined", "Withdrawn") and not (status == "Pending" and i % 2 == 0):
            continue  # no conversation: the client never wrote
        data.proposal_rooms[str(proposal["id"])] = _room(
            data,
            rng,
            f"room_p{proposal['id']}",
            f"Proposal: {job['title'][:40]}",
            job,
            created,
            now,
            manager=f"Client of {job['_client_name']}",
            kind="INTERVIEW" if status == "Pending" else "ONE_ON_ONE",
            about={"vendorProposal": proposal},
        )


def _offers(data: Dataset, rng: random.Random, now: datetime) -> None:
    data.offers = []
    data.offer_rooms = {}
    states = [
        ("Pending", "PENDING_VENDOR_ACCEPTANCE"),
        ("Pending", "PENDING_VENDOR_ACCEPTANCE"),
        ("Active", "ACCEPTED"),
        ("Active", "ACCEPTED"),
        ("Ended", "ACCEPTED"),
        ("Ended", "WITHDRAWN"),
    ]
    for i, (contract_state, offer_state) in enumerate(states):
        job = data.jobs[420 + i * 5]
        fixed = job["_fixed"]
        created = now - timedelta(days=rng.randint(1, 90))
        amount = float(job["amount"]["rawValue"]) if fixed else 0.0
        milestones = (
            [
                {
                    "id": _numeric_id(rng, 19),
                    "sequenceId": n + 1,
                    "description": f"Milestone {n + 1}",
                    "state": "InOffer" if contract_state == "Pending" else "Active",
                    "dueDateTime": _iso(created + timedelta(days=14 * (n + 1))),
                    "depositAmount": _money(round(amount / 2, 2)),
                }
                for n in range(2)
            ]
            if fixed
            else []
        )
        offer_id = str(45_000_000 + rng.randrange(10**6))
        offer = {
            "id": offer_id,
            "title": job["title"],
            "description": job["description"],
            "type": "MARKET_PLACE_FIXED_PRICE" if fixed else "MARKET_PLACE_HOURLY",
            "state": offer_state,
            "messageToContractor": "Looking forward to working with you!",
            "client": {"id": job["_client_key"], "name": job["_client_name"]},
            "job": {"id": job["id"], "content": {"title": job["title"], "description": job["description"]}},
            "offerTerms": {
                "expectedStartDate": _iso(created + timedelta(days=3))[:10],
                "expectedEndDate": None,
                "fixedPriceTerm": {"budget": _money(amount)} if fixed else None,
                "hourlyTerms": None
                if fixed
                else {
                    "rate": job["hourlyBudgetMax"],
                    "weeklyHoursLimit": rng.choice([10, 20, 40]),
                    "manualTimeAllowed": True,
                },
            },
            "milestones": milestones,
        }
        data.offers.append(
            {
                "id": offer_id,
                "title": job["title"],
                "type": "FixedPrice" if fixed else "Hourly",
                "state": contract_state,
                "startDateTime": _iso(created + timedelta(days=3)),
                "offerCreatedDateTime": _iso(created),
                "lastUpdatedDateTime": _iso(created),
                "company": {"id": job["_client_key"], "name": job["_client_name"]},
                "offer": offer,
                "_created": created,
            }
        )
        data.offer_rooms[offer_id] = _room(
            data,
            rng,
            f"room_o{offer_id}",
            f"Offer: {job['title'][:40]}",
            job,
            created,
            now,
            manager=f"Hiring manager at {job['_client_name']}",
            kind="ONE_ON_ONE",
            subscribed=contract_state != "Ended",  # an ended offer's room drops out of the default list
            about={"offerIds": [offer_id]},
        )


def _room(
    data: Dataset,
    rng: random.Random,
    room_id: str,
    name: str,
    job: dict[str, Any],
    since: datetime,
    now: datetime,
    *,
    manager: str,
    kind: str,
    subscribed: bool = True,
    about: dict[str, Any] | None = None,
) -> str:
    """A conversation with the client about `job`, from `since` to now; its room id. `about` holds what the
    room refers to (Room.vendorProposal, Room.offerIds)."""
    data.rooms.append(
        {
            "id": room_id,
            "roomName": name,
            "topic": job["title"],
            "roomType": kind,
            "numUnread": rng.randint(0, 2),
            "contractId": None,
            "_participants": [data.user["name"], manager],
            "_subscribed": subscribed,
            **(about or {}),
        }
    )
    data.stories[room_id] = _conversation(rng, since, now, data.user, manager)
    return room_id


def _my_profile(data: Dataset, rng: random.Random) -> None:
    """The user's own freelancer profile (`user.freelancerProfile`, and by its key), agreeing with the work:
    hours and earnings are the contracts' and payments' own sums, skills those of the jobs worked on."""
    user = data.user
    key = "~01" + "".join(rng.choice("0123456789abcdef") for _ in range(18))
    user["ciphertext"] = key
    skills: list[str] = []
    for contract in data.contracts:
        job = data.job_by_id(contract["job"]["id"])
        skills += [s["prettyName"] for s in (job or {}).get("skills", []) if s["prettyName"] not in skills]
    hours = sum(float(c.get("_hours") or 0) for c in data.contracts)
    payments = [t for t in data.transactions if t["accountingSubtype"] == "Payment"]
    earned = sum(float(t["transactionAmount"]["rawValue"]) for t in payments)
    rates = sorted(c["_rate"] for c in data.contracts if c["_rate"])
    rate = rates[len(rates) // 2] if rates else 50.0
    data.my_profile = {
        "fullName": user["name"],
        "firstName": user["name"].split()[0],
        "lastName": user["name"].split()[-1],
        "personalData": {
            "firstName": user["name"].split()[0],
            "lastName": user["name"].split()[-1],
            "title": f"{skills[0] if skills else 'Python'} Developer | APIs, Data Pipelines and Automation",
            "description": (
                f"I build and fix {', '.join(skills[:4]) or 'Python'} systems for small teams. "
                f"{len(data.contracts)} contracts on Upwork so far; I reply within a working day and keep "
                "clients posted with short weekly notes."
            ),
            "chargeRate": _money(rate),
            "profileUrl": f"https://www.upwork.com/freelancers/{key}",
        },
        "aggregates": {
            "jobSuccessScore": float(rng.choice([92, 96, 100])),
            "topRatedStatus": "TOP_RATED",
            "totalHours": round(hours, 2),
            "totalFeedback": round(rng.uniform(4.7, 5.0), 2),
            "totalEarnings": _money(round(earned, 2)),
            "totalHourlyJobs": sum(1 for c in data.contracts if not c["_fixed"]),
            "totalFixedJobs": sum(1 for c in data.contracts if c["_fixed"]),
        },
        "availability": {"id": "1", "name": "PART_TIME", "capacity": "partTime", "createdDateTime": _iso(data.anchor)},
        "skills": {"edges": [{"node": {"prettyName": s}} for s in skills[:10]]},
    }
