"""Each behaviour of docs/upwork-behaviour.md, through the MCP client down to a sandbox that answers as Upwork
does: the tools send what Upwork accepts, apply here what it ignores, and read what it sends back."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from tests.conftest import ANCHOR
from tests.mcp_client import Connect
from upwork_mcp.api.job_filters import workload_of
from upwork_mcp.sandbox import Faults, Sandbox

pytestmark = pytest.mark.anyio


def _open(sandbox: Sandbox) -> list[dict]:
    return sorted(
        (j for j in sandbox.data.jobs if j["_status"] == "ACTIVE"), key=lambda j: j["_published"], reverse=True
    )


async def test_a_budget_is_applied_here_because_upwork_ignores_it(connect: Connect, sandbox: Sandbox) -> None:
    expected = [j["id"] for j in _open(sandbox) if j["_fixed"] and float(j["amount"]["rawValue"]) >= 1000]
    async with connect() as client:
        first = await client.call_tool("search_jobs", {"budget_min": 1000, "limit": 10})
        second = await client.call_tool(
            "search_jobs", {"budget_min": 1000, "limit": 10, "cursor": first.structured_content["next_cursor"]}
        )
    out = first.structured_content
    # Only jobs within the budget, in Upwork's order, and the next page continues where this one stopped.
    assert [j["id"] for j in out["jobs"] + second.structured_content["jobs"]] == expected[:20]
    assert "total" not in out and out["scanned"] >= 10 and "Upwork ignores budgetRange_eq" in out["applied_here"][0]
    assert "Applied here, not by Upwork" in first.content[0].text


async def test_an_hourly_range_means_the_jobs_whole_range_as_a_person_reads_it(
    connect: Connect, sandbox: Sandbox
) -> None:
    def rates(j: dict) -> tuple[float, float]:
        return float(j["hourlyBudgetMin"]["rawValue"]), float(j["hourlyBudgetMax"]["rawValue"])

    hourly = [j for j in _open(sandbox) if not j["_fixed"]]
    expected = [j["id"] for j in hourly if rates(j)[0] >= 40 and rates(j)[1] <= 60]
    straddling = {j["id"] for j in hourly if rates(j)[0] < 40 <= rates(j)[1]}  # e.g. "$30-$50/hr"
    async with connect() as client:
        found = await client.call_tool("search_jobs", {"hourly_min": 40, "hourly_max": 60, "limit": 20})
    ids = [j["id"] for j in found.structured_content["jobs"]]
    assert straddling and ids == expected[:20] and not straddling & set(ids)
    assert "the job's whole stated range" in found.structured_content["applied_here"][0]


async def test_a_workload_filter_finds_jobs_instead_of_emptying_the_search(connect: Connect, sandbox: Sandbox) -> None:
    async with connect() as client:
        full = await client.call_tool("search_jobs", {"workload": "full_time", "limit": 20})
    out = full.structured_content
    jobs = {j["id"]: j for j in sandbox.data.jobs}
    assert len(out["jobs"]) == 20 and all(jobs[j["id"]]["engagement"] == "More than 30 hrs/week" for j in out["jobs"])
    assert "workload" in out["applied_here"][0]
    assert workload_of("Less than 30 hrs/week") == "part_time" and workload_of(None) is None


async def test_a_pasted_02_url_resolves_in_a_fresh_data_dir(connect: Connect, sandbox: Sandbox) -> None:
    job = next(j for j in _open(sandbox) if j["ciphertext"].startswith("~02"))
    async with connect() as client:  # no search ran in this data dir: nothing is remembered
        found = await client.call_tool(
            "get_job", {"job": f"https://www.upwork.com/jobs/Some-title_{job['ciphertext']}/"}
        )
    assert not found.is_error, found.content[0].text
    assert found.structured_content["id"] == job["id"] and found.structured_content["title"] == job["title"]
    assert found.structured_content["url"] == f"https://www.upwork.com/jobs/{job['ciphertext']}"


async def test_all_proposals_are_counted_once_by_their_own_status(connect: Connect, sandbox: Sandbox) -> None:
    seeded = Counter(p["status"]["status"] for p in sandbox.data.proposals)
    async with connect() as client:
        listed = await client.call_tool("list_proposals", {"status": "all", "limit": 40})
    out = listed.structured_content
    ids = [p["id"] for p in out["proposals"]]
    # Upwork's Declined, Withdrawn and Hired buckets answer the same open list: never add their totals up.
    assert out["counts"] == dict(seeded) and out["total"] == len(sandbox.data.proposals) == len(set(ids))
    assert out["complete"] is True and f"{len(sandbox.data.proposals)} proposals" in listed.content[0].text


async def test_proposal_dates_are_dates_not_epoch_milliseconds(connect: Connect, sandbox: Sandbox) -> None:
    seeded = {p["id"]: p for p in sandbox.data.proposals}
    async with connect() as client:
        listed = await client.call_tool("list_proposals", {"status": "Pending", "limit": 5})
    for p in listed.structured_content["proposals"]:
        assert p["created"] == seeded[p["id"]]["_created"].strftime("%Y-%m-%d")
        assert f"sent {p['created']}" in listed.content[0].text


async def test_a_transient_proposals_timeout_is_asked_again_once(connect: Connect, sandbox: Sandbox) -> None:
    sandbox.faults.proposals_timeout = 1
    async with connect() as client:
        once = await client.call_tool("list_proposals", {"status": "Pending"})
        sandbox.faults.proposals_timeout = 2
        twice = await client.call_tool("list_proposals", {"status": "Pending"})
        sandbox.faults.proposals_timeout = 2
        overview = await client.call_tool("list_proposals", {"status": "all", "limit": 40})
    assert not once.is_error and once.structured_content["proposals"]
    assert twice.is_error and "transient" in twice.content[0].text and "permission" not in twice.content[0].text
    # In the overview the bucket that kept timing out is left out, and said; the others are read (and, as
    # Upwork's buckets overlap, still show the pending proposals the open list holds).
    out = overview.structured_content
    assert out["complete"] is False and "timed out twice on the Pending" in overview.content[0].text
    assert sum(out["counts"].values()) == out["total"] == len({p["id"] for p in out["proposals"]})


async def test_a_refused_page_size_is_asked_again_smaller(connect: Connect, sandbox: Sandbox) -> None:
    async with connect() as client:
        big = await client.call_tool("list_proposals", {"status": "Archived", "limit": 40})
    assert not big.is_error, big.content[0].text
    assert big.structured_content["proposals"] and "refused pages of 40" in big.content[0].text


async def test_another_persons_profile_reads_without_the_name_upwork_withholds(
    connect: Connect, sandbox: Sandbox
) -> None:
    person = sandbox.data.freelancers[3]
    async with connect() as client:
        first = await client.call_tool("get_freelancer_profile", {"profile_key": person["ciphertext"]})
        again = await client.call_tool(
            "get_freelancer_profile", {"profile_key": sandbox.data.freelancers[4]["ciphertext"]}
        )
    assert not first.is_error, first.content[0].text
    out = first.structured_content
    assert "name" not in out and out["title"] == person["title"] and out["skills"]
    assert "name withheld by Upwork" in first.content[0].text and "FreelancerProfile.fullName" in first.content[0].text
    assert "countryDetails" in first.content[0].text  # refused without an elevated scope: left out, and said
    assert not again.is_error and "FreelancerProfile.fullName" in again.content[0].text


async def test_rooms_send_one_filter_and_apply_active_since_here(connect: Connect, sandbox: Sandbox) -> None:
    since = "2026-10-28"
    async with connect() as client:
        both = await client.call_tool("list_rooms", {"unread_only": True, "active_since": since, "limit": 50})
    assert not both.is_error, both.content[0].text
    listed = [r for r in sandbox.data.rooms if r.get("_subscribed", True) and not r.get("_hidden")]
    expected = {
        r["id"] for r in listed if r["numUnread"] and sandbox.data.stories[r["id"]][-1]["createdDateTime"] >= since
    }
    out = both.structured_content
    assert {r["id"] for r in out["rooms"]} == expected and expected
    assert out["applied_here"] and "active since" in both.content[0].text


async def test_rooms_beyond_the_subscribed_ones_are_offered(connect: Connect, sandbox: Sandbox) -> None:
    async with connect() as client:
        default = await client.call_tool("list_rooms", {"limit": 50})
        every = await client.call_tool("list_rooms", {"limit": 50, "include_unsubscribed": True})
    assert default.structured_content["subscribed_only"] and "include_unsubscribed=true" in default.content[0].text
    assert every.structured_content["total"] == len(sandbox.data.rooms) > default.structured_content["total"]
    assert "subscribed_only" not in every.structured_content or not every.structured_content["subscribed_only"]


async def test_messages_page_by_upworks_end_cursor(connect: Connect, sandbox: Sandbox) -> None:
    room = max(sandbox.data.rooms, key=lambda r: len(sandbox.data.stories[r["id"]]))
    seen: list[str] = []
    async with connect() as client:
        cursor = None
        while True:
            args = {"room_id": room["id"], "limit": 3, **({"cursor": cursor} if cursor else {})}
            page = (await client.call_tool("list_messages", args)).structured_content
            seen += [m["id"] for m in page["messages"]]
            cursor = page.get("next_cursor")
            if cursor is None:
                break
    assert seen == [s["id"] for s in reversed(sandbox.data.stories[room["id"]])]


async def test_an_empty_contract_search_falls_back_like_a_refused_one(connect: Connect, sandbox: Sandbox) -> None:
    sandbox.faults = Faults.parse("profile=agency")  # vendorContracts answers, always with no contract
    async with connect(env={"UPWORK_SANDBOX_FAULTS": "profile=agency"}) as client:
        listed = await client.call_tool("list_contracts", {"limit": 50})
    out = listed.structured_content
    # The agency fallback reads every room's contract id, the ones Upwork leaves off its default list included.
    assert len(out["contracts"]) == len(sandbox.data.contracts) and "answered none" in listed.content[0].text


async def test_offers_come_newest_first_by_upworks_documented_sort_field(connect: Connect, sandbox: Sandbox) -> None:
    async with connect() as client:
        listed = await client.call_tool("list_offers", {"limit": 50})
    starts = {o["id"]: o["startDateTime"] for o in sandbox.data.offers}
    order = [starts[o["id"]] for o in listed.structured_content["offers"]]
    assert order == sorted(order, reverse=True) and order != [o["startDateTime"] for o in sandbox.data.offers]


async def test_the_time_report_is_asked_by_week_and_shows_dates_as_dates(connect: Connect, sandbox: Sandbox) -> None:
    monday = (ANCHOR - timedelta(days=ANCHOR.weekday() + 14)).date()
    wednesday, friday = monday + timedelta(days=2), monday + timedelta(days=4)
    worked = {
        (r["contract"]["id"], r["dateWorkedOn"])
        for r in _rows(sandbox)
        if wednesday.isoformat() <= r["dateWorkedOn"] <= friday.isoformat()
    }
    async with connect() as client:
        report = await client.call_tool("get_time_report", {"start": wednesday.isoformat(), "end": friday.isoformat()})
        today = await client.call_tool("get_time_report", {})
    out = report.structured_content
    got = {(c["contract_id"], d["date"]) for c in out["contracts"] for d in c["days"]}
    # Upwork matches the range on the week worked: asked Wednesday to Friday, it would answer nothing.
    assert got == worked and worked and out["start"] == wednesday.isoformat()
    assert "lags" in today.content[0].text and "get_work_diary" in today.content[0].text


def _rows(sandbox: Sandbox) -> list[dict]:
    from upwork_mcp.sandbox.work import time_report_rows

    return time_report_rows(sandbox.data)


async def test_earnings_are_asked_in_the_form_upwork_takes(connect: Connect, sandbox: Sandbox) -> None:
    async with connect() as client:
        money = await client.call_tool("get_earnings", {"start": "2026-09-01", "end": "2026-10-31"})
    assert not money.is_error, money.content[0].text
    rows = money.structured_content["transactions"]
    assert rows and all(len(t["date"]) == 10 and t["date"][4] == "-" for t in rows)
    assert money.structured_content["start"] == "2026-09-01"


async def test_search_results_without_a_level_are_kept(connect: Connect, sandbox: Sandbox) -> None:
    newest = _open(sandbox)[:50]
    assert any(j["experienceLevel"] is None for j in newest)  # nullable since 2026-09
    async with connect() as client:
        found = await client.call_tool("search_jobs", {"limit": 50})
    assert [j["id"] for j in found.structured_content["jobs"]] == [j["id"] for j in newest]
    assert "warnings" not in found.structured_content


async def test_a_dropped_field_is_reported_as_gone_not_as_a_permission(connect: Connect) -> None:
    query = "{ marketplaceJobPostingsSearch { edges { node { id client { companyName } } } } }"
    async with connect() as client:
        result = await client.call_tool("run_graphql", {"query": query})
    text = result.content[0].text
    assert result.is_error and "gone from Upwork's schema" in text and "permission" not in text.lower()


async def test_a_faults_run_never_changes_what_a_plain_sandbox_run_answers(connect: Connect, sandbox: Sandbox) -> None:
    sandbox.faults = Faults.parse("profile=restricted")
    async with connect(env={"UPWORK_SANDBOX_FAULTS": "profile=restricted"}) as client:
        refused = await client.call_tool("list_offers", {})
    assert refused.is_error and "upwork-mcp doctor" in refused.content[0].text  # says how to re-check
    sandbox.faults = Faults()
    async with connect() as client:  # the same data dir, the same store
        plain = await client.call_tool("list_offers", {})
    assert not plain.is_error, plain.content[0].text
