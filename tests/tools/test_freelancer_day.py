"""A freelancer's day through the MCP server: proposals, offers, hours, money, categories, contract terms,
rooms that wait on the user. Every figure is checked against the sandbox's seeded data."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest

from tests.conftest import ANCHOR
from tests.mcp_client import Connect
from upwork_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio


def _week_of(anchor: datetime) -> tuple[str, str]:
    monday = anchor - timedelta(days=anchor.weekday())
    return monday.strftime("%Y-%m-%d"), (monday + timedelta(days=6)).strftime("%Y-%m-%d")


async def test_proposals_by_status_with_counts_paging_and_detail(connect: Connect, sandbox: Sandbox) -> None:
    seeded = Counter(p["status"]["status"] for p in sandbox.data.proposals)
    hired_id = next(p["id"] for p in sandbox.data.proposals if p["status"]["status"] == "Hired")
    async with connect() as client:
        overview = await client.call_tool("list_proposals", {"limit": 5})
        first = await client.call_tool("list_proposals", {"status": "pending", "limit": 3})
        second = await client.call_tool(
            "list_proposals", {"status": "Pending", "limit": 3, "cursor": first.structured_content["next_cursor"]}
        )
        detail = await client.call_tool("get_proposal", {"proposal_id": hired_id})
        too_many = await client.call_tool("list_proposals", {"status": "Pending", "limit": 41})
        bad_status = await client.call_tool("list_proposals", {"status": "Sent"})
    assert overview.structured_content["counts"] == dict(seeded) and len(overview.structured_content["proposals"]) == 5
    created = [p["created"] for p in overview.structured_content["proposals"]]
    assert created == sorted(created, reverse=True)
    page_ids = [p["id"] for p in first.structured_content["proposals"] + second.structured_content["proposals"]]
    assert len(set(page_ids)) == 6 and first.structured_content["total"] == seeded["Pending"]
    out = detail.structured_content
    assert out["status"] == "Hired" and out["room_id"] and out["job_title"] and out["rate"].startswith("$")
    assert out["room_id"] == sandbox.data.proposal_rooms[out["id"]]
    assert too_many.is_error and "limit" in too_many.content[0].text
    assert bad_status.is_error and "status" in bad_status.content[0].text


async def test_offers_with_terms_milestones_and_room(connect: Connect, sandbox: Sandbox) -> None:
    async with connect() as client:
        first = await client.call_tool("list_offers", {"limit": 4})
        rest = await client.call_tool("list_offers", {"limit": 4, "cursor": first.structured_content["next_cursor"]})
        pending = await client.call_tool("list_offers", {"state": "pending"})
        fixed_id = next(o["id"] for o in sandbox.data.offers if o["type"] == "FixedPrice")
        detail = await client.call_tool("get_offer", {"offer_id": fixed_id})
        missing = await client.call_tool("get_offer", {"offer_id": "999"})
    ids = [o["id"] for o in first.structured_content["offers"] + rest.structured_content["offers"]]
    assert sorted(ids) == sorted(o["id"] for o in sandbox.data.offers)
    assert {o["state"] for o in pending.structured_content["offers"]} == {"Pending"}
    out = detail.structured_content
    assert out["terms"].startswith("fixed $") and len(out["milestones"]) == 2 and out["room_id"]
    assert "<untrusted-content>" in detail.content[0].text
    assert missing.is_error and "list_offers" in missing.content[0].text


async def test_time_report_totals_equal_the_work_diary_days(connect: Connect) -> None:
    start, end = _week_of(ANCHOR - timedelta(days=7))
    async with connect() as client:
        report = await client.call_tool("get_time_report", {"start": start, "end": end})
        contract = report.structured_content["contracts"][0]
        diaries = [
            await client.call_tool("get_work_diary", {"contract_id": contract["contract_id"], "date": day["date"]})
            for day in contract["days"]
        ]
        backwards = await client.call_tool("get_time_report", {"start": end, "end": start})
        bad_day = await client.call_tool(
            "get_work_diary", {"contract_id": contract["contract_id"], "date": "2026-13-01"}
        )
    out = report.structured_content
    assert out["start"] == start and out["total_hours"] > 0
    assert out["total_hours"] == pytest.approx(sum(c["hours"] for c in out["contracts"]))
    assert contract["hours"] == pytest.approx(sum(d.structured_content["hours"] for d in diaries))
    for day, diary in zip(contract["days"], diaries, strict=True):
        d = diary.structured_content
        assert d["hours"] == pytest.approx(day["hours"]) == pytest.approx(d["tracked_hours"] + d["manual_hours"])
        assert sum(m["hours"] for m in d["memos"]) == pytest.approx(d["hours"], abs=0.02)
    assert backwards.is_error and "before start" in backwards.content[0].text
    assert bad_day.is_error and "date" in bad_day.content[0].text


async def test_earnings_add_up_and_a_key_without_payments_is_told_which_permission(
    connect: Connect, sandbox: Sandbox
) -> None:
    async with connect() as client:
        money = await client.call_tool("get_earnings", {"start": "2026-07-01", "end": "2026-10-31", "limit": 5})
    out = money.structured_content
    seeded = [t for t in sandbox.data.transactions if "20260701" <= t["_when"].strftime("%Y%m%d") <= "20261031"]
    assert len(out["transactions"]) == 5 and out["more"] == len(seeded) - 5
    assert out["net"] == pytest.approx(sum(float(t["transactionAmount"]["rawValue"]) for t in seeded), abs=0.01)
    assert out["received"] > 0 > out["fees"] and out["withdrawn"] < 0
    sandbox.faults.profile = "freelancer"
    async with connect() as client:
        refused = await client.call_tool("get_earnings", {})
    assert refused.is_error and "payments permission" in refused.content[0].text


async def test_categories_and_search_by_category_name(connect: Connect, sandbox: Sandbox) -> None:
    async with connect() as client:
        tree = await client.call_tool("list_categories", {})
        by_name = await client.call_tool("search_jobs", {"category": "Web, Mobile & Software Dev", "limit": 20})
        by_sub = await client.call_tool(
            "search_jobs", {"subcategory": "web development", "limit": 20, "response_format": "detailed"}
        )
        unknown = await client.call_tool("search_jobs", {"category": "Web Dev Stuff"})
    names = [c["name"] for c in tree.structured_content["categories"]]
    assert "Web, Mobile & Software Dev" in names
    web = [j for j in sandbox.data.jobs if j["category"] == "Web, Mobile & Software Dev" and j["_status"] == "ACTIVE"]
    assert by_name.structured_content["total"] == len(web) > 0
    jobs = {j["id"]: j for j in sandbox.data.jobs}
    assert all(jobs[j["id"]]["category"] == "Web, Mobile & Software Dev" for j in by_name.structured_content["jobs"])
    assert all(j["category"] == "Web Development" for j in by_sub.structured_content["jobs"])
    assert unknown.is_error and "category" in unknown.content[0].text


async def test_search_filters_workload_duration_timezone(connect: Connect, sandbox: Sandbox) -> None:
    async with connect() as client:
        found = await client.call_tool(
            "search_jobs",
            {"workload": "full_time", "duration": ["month", "quarter"], "timezone": "Europe/Berlin", "limit": 50},
        )
        bad = await client.call_tool("search_jobs", {"duration": ["fortnight"]})
    jobs = {j["id"]: j for j in sandbox.data.jobs}
    hits = [jobs[j["id"]] for j in found.structured_content["jobs"]]
    assert hits and all(
        j["_workload"] == "FULL_TIME"
        and j["duration"] in ("MONTH", "QUARTER")
        and j["client"]["location"]["timezone"] == "Europe/Berlin"
        for j in hits
    )
    assert bad.is_error and "duration" in bad.content[0].text


async def test_contract_terms_milestones_and_feedback(connect: Connect, sandbox: Sandbox) -> None:
    hourly = next(c for c in sandbox.data.contracts if not c["_fixed"] and c["status"] == "ACTIVE")
    fixed = next(c for c in sandbox.data.contracts if c["_fixed"])
    closed = next(c for c in sandbox.data.contracts if c["status"] == "CLOSED")
    async with connect() as client:
        h = (await client.call_tool("get_contract", {"contract_id": hourly["id"]})).structured_content
        f = (await client.call_tool("get_contract", {"contract_id": fixed["id"]})).structured_content
        c = (await client.call_tool("get_contract", {"contract_id": closed["id"]})).structured_content
    assert h["hourly_rate"] == f"${hourly['_rate']:.0f}" and h["weekly_limit"] == str(hourly["_weekly_limit"])
    assert f["fixed_amount"] and f["milestones"] and all(m["state"] and m["amount"] for m in f["milestones"])
    assert c["closing_reason"] and c["feedback_from_client"]["score"] >= 4


async def test_rooms_unread_active_since_and_waiting_on_the_user(connect: Connect, sandbox: Sandbox) -> None:
    async with connect() as client:
        unread = await client.call_tool("list_rooms", {"unread_only": True, "limit": 50})
        recent = await client.call_tool("list_rooms", {"active_since": "2026-10-30", "limit": 50})
        every = await client.call_tool("list_rooms", {"limit": 50})
        bad = await client.call_tool("list_rooms", {"active_since": "last tuesday"})
    listed = [r for r in sandbox.data.rooms if r.get("_subscribed", True) and not r.get("_hidden")]
    unread_ids = {r["id"] for r in listed if r["numUnread"]}
    assert {r["id"] for r in unread.structured_content["rooms"]} == unread_ids
    assert all(r["latest"]["at"] >= "2026-10-30" for r in recent.structured_content["rooms"])
    assert 0 < len(recent.structured_content["rooms"]) < every.structured_content["total"]
    assert recent.structured_content["applied_here"] and "total" not in recent.structured_content
    me = sandbox.data.user["id"]
    for room in every.structured_content["rooms"]:
        last = sandbox.data.stories[room["id"]][-1]
        assert room["waiting_on_you"] == (last["user"]["id"] != me)
    assert bad.is_error and "active_since" in bad.content[0].text


async def test_a_key_refused_the_field_under_user_is_told_which_permission_not_sent_an_empty_query(
    connect: Connect, sandbox: Sandbox
) -> None:
    sandbox.faults.profile = "restricted"
    async with connect() as client:
        offers = [await client.call_tool("list_offers", {})]
        sent = len(sandbox.api_log)
        offers.append(await client.call_tool("list_offers", {}))
        assert len(sandbox.api_log) == sent  # the refusal is remembered: the query is not sent again
        hours = await client.call_tool("get_time_report", {"start": "20261020"})
        categories = await client.call_tool("list_categories", {})
    for result in offers:
        assert result.is_error and "offers read permission" in result.content[0].text
    assert "within the last day" in offers[1].content[0].text
    assert hours.is_error and "time and work diary read permission" in hours.content[0].text
    assert not categories.is_error
