from __future__ import annotations

import pytest

from tests.mcp_client import Connect
from upwork_mcp.config import Settings
from upwork_mcp.sandbox import Sandbox
from upwork_mcp.store import WatchStore
from upwork_mcp.watches.rounds import known_quota
from upwork_mcp.world import open_store

pytestmark = pytest.mark.anyio


async def test_contracts_list_filter_page_and_detail(connect: Connect) -> None:
    async with connect() as client:
        active = await client.call_tool("list_contracts", {"status": "active", "limit": 4})
        rest = await client.call_tool(
            "list_contracts", {"status": "active", "limit": 4, "cursor": active.structured_content["next_cursor"]}
        )
        one = active.structured_content["contracts"][0]
        detail = await client.call_tool("get_contract", {"contract_id": one["id"]})
    ids = [c["id"] for c in active.structured_content["contracts"] + rest.structured_content["contracts"]]
    assert len(ids) == len(set(ids)) == 8 and all(
        c["status"] == "active" for c in active.structured_content["contracts"]
    )
    assert detail.structured_content["title"] == one["title"] and detail.structured_content["hiring_manager"]


async def test_freelancer_search_and_profile(connect: Connect) -> None:
    async with connect() as client:
        found = await client.call_tool("search_freelancers", {"q": "figma", "limit": 3})
        key = found.structured_content["freelancers"][0]["profile_key"]
        profile = await client.call_tool("get_freelancer_profile", {"profile_key": key})
        bad = await client.call_tool("get_freelancer_profile", {"profile_key": "jane-doe"})
    assert found.structured_content["total"] >= 3 and "Figma" in profile.structured_content["skills"]
    assert "<untrusted-content>" in profile.content[0].text
    assert bad.is_error and "~01" in bad.content[0].text


async def test_freelancer_search_filters_by_hourly_rate_here_and_pages_without_gaps(
    connect: Connect, sandbox: Sandbox
) -> None:
    def rate(p: dict) -> float:
        return float(p["hourlyRate"]["rawValue"])

    async with connect() as client:
        first = await client.call_tool("search_freelancers", {"hourly_min": 40, "hourly_max": 100, "limit": 7})
        rest = await client.call_tool(
            "search_freelancers",
            {"hourly_min": 40, "hourly_max": 100, "limit": 50, "cursor": first.structured_content["next_cursor"]},
        )
        upside_down = await client.call_tool("search_freelancers", {"hourly_min": 100, "hourly_max": 40})
        everyone, cursor = [], None
        for _ in range(4):  # Upwork's own order, unfiltered
            page = await client.call_tool("search_freelancers", {"limit": 50, **({"cursor": cursor} if cursor else {})})
            everyone += page.structured_content["freelancers"]
            cursor = page.structured_content.get("next_cursor")
    rates = {p["ciphertext"]: rate(p) for p in sandbox.data.freelancers}
    fits = [f["profile_key"] for f in everyone if 40 <= rates[f["profile_key"]] <= 100]
    found = first.structured_content["freelancers"] + rest.structured_content["freelancers"]
    assert len(first.structured_content["freelancers"]) == 7
    # the next page starts right after the last profile shown: none skipped, none twice
    assert [f["profile_key"] for f in found] == fits[:57]
    assert "total" not in first.structured_content and first.structured_content["applied_here"]
    assert "Applied here, not by Upwork: hourly rate $40-$100/hr" in first.content[0].text
    assert upside_down.is_error and "swap" in upside_down.content[0].text


async def test_feed_filters_server_side_and_says_what_it_applied_locally(connect: Connect, sandbox: Sandbox) -> None:
    async with connect() as client:
        server_side = await client.call_tool(
            "fetch_job_feed", {"job_type": "fixed", "payment_verified": True, "client_spend_min": 10000, "limit": 5}
        )
        page_two = await client.call_tool(
            "fetch_job_feed",
            {"job_type": "fixed", "payment_verified": True, "client_spend_min": 10000, "limit": 5, "cursor": "5"},
        )
        local = await client.call_tool("fetch_job_feed", {"q": "python", "limit": 5})
        status = await client.call_tool("job_feed_status", {})
    jobs = server_side.structured_content["jobs"]
    assert all(j["type"] == "fixed" and j["client"]["payment_verified"] for j in jobs)
    assert all(j["client"]["spent"] >= 10000 for j in jobs) and sandbox.feed_log[0]["buyer.total_spent_min"] == "10000"
    assert "applied_here" not in server_side.structured_content and "not_applied" not in server_side.structured_content
    assert server_side.structured_content["next_cursor"] == "5"
    assert not {j["id"] for j in jobs} & {j["id"] for j in page_two.structured_content["jobs"]}
    assert local.structured_content["not_applied"] == {"q": "the feed has no keyword parameter"}
    seeded = {f"upwork-{j['id']}": j for j in sandbox.data.jobs}
    found = [seeded[j["id"]] for j in local.structured_content["jobs"]]
    assert found and all("python" in f"{j['title']} {j['description']}".lower() for j in found)
    assert "Applied here, not by the feed: every word of 'python'" in local.content[0].text
    out = status.structured_content
    assert out["healthy"] is True and out["quota"]["limit"] == sandbox.feed_rate_limit
    remembered = known_quota(WatchStore(open_store(Settings.from_env({"UPWORK_SANDBOX": "1"}))))
    assert remembered is not None and remembered.limit == sandbox.feed_rate_limit  # what `watch run` spaces by


async def test_the_feed_takes_the_job_vocabulary_reads_rates_as_a_person_and_pages_without_gaps(
    connect: Connect, sandbox: Sandbox
) -> None:
    async with connect() as client:
        everything = await client.call_tool("fetch_job_feed", {"limit": 50, "response_format": "detailed"})
        first = await client.call_tool("fetch_job_feed", {"hourly_min": 40, "limit": 3})
        rest = await client.call_tool(
            "fetch_job_feed", {"hourly_min": 40, "limit": 20, "cursor": first.structured_content["next_cursor"]}
        )
        by_name = await client.call_tool("fetch_job_feed", {"country": "Germany", "skills": ["python"], "limit": 5})
        bad_country = await client.call_tool("fetch_job_feed", {"country": "Germ"})
    sent = sandbox.feed_log[-1]  # by_name's request (the bad country sends nothing)
    assert sent["country"] == "DE" and sent["skills"] == "python" and by_name.structured_content["jobs"]
    seeded = {f"upwork-{j['id']}": j for j in sandbox.data.jobs}

    def low(job_id: str) -> float:
        return float(seeded[job_id]["hourlyBudgetMin"]["rawValue"])

    page = [j["id"] for j in everything.structured_content["jobs"]]
    hourly = [i for i in page if not seeded[i]["_fixed"]]
    expected = [i for i in hourly if low(i) >= 40]
    reaching = [i for i in hourly if low(i) < 40 <= float(seeded[i]["hourlyBudgetMax"]["rawValue"])]
    shown = [j["id"] for j in first.structured_content["jobs"] + rest.structured_content["jobs"]]
    assert reaching and shown[: len(expected)] == expected  # "$30-$50/hr" is not "at least $40/hour"
    out = first.structured_content
    assert out["not_applied"]["hourly_min"].startswith("the feed does not document") and out["scanned"] <= 50
    assert bad_country.is_error and "ISO 3166-1 alpha-2" in bad_country.content[0].text


async def test_account_lists_organizations(connect: Connect, sandbox: Sandbox) -> None:
    async with connect() as client:
        result = await client.call_tool("get_account", {})
    out = result.structured_content
    assert out["user_id"] == sandbox.data.user["id"] and len(out["organizations"]) == 3 and out["sandbox"] is True


async def test_a_tenant_override_acts_in_that_organization(connect: Connect, sandbox: Sandbox) -> None:
    agency = sandbox.data.organizations[1]
    async with connect() as client:
        default = await client.call_tool("run_graphql", {"query": "{ organization { name } }"})
        chosen = await client.call_tool(
            "run_graphql", {"query": "{ organization { name } }", "tenant_id": agency["id"]}
        )
        foreign = await client.call_tool("list_contracts", {"tenant_id": "123"})
        after = await client.call_tool("list_contracts", {})  # the mistake changed nothing
    assert default.structured_content["data"]["organization"]["name"] == sandbox.data.organizations[0]["name"]
    assert chosen.structured_content["data"]["organization"]["name"] == agency["name"]
    assert foreign.is_error and "get_account" in foreign.content[0].text
    assert all(o["id"] in foreign.content[0].text for o in sandbox.data.organizations)  # the user's own
    assert not after.is_error, after.content[0].text


@pytest.mark.parametrize(
    ("profile", "source", "says"),
    [
        ("freelancer", "talentWorkHistory", "work history"),
        ("agency", "contractList", "contract ids on your message rooms"),
    ],
)
async def test_contracts_come_from_what_the_key_may_read(
    connect: Connect, sandbox: Sandbox, profile: str, source: str, says: str
) -> None:
    from upwork_mcp.sandbox import Faults

    sandbox.faults = Faults.parse(f"profile={profile}")
    async with connect() as client:
        listed = await client.call_tool("list_contracts", {"status": "active", "limit": 5})
        one = listed.structured_content["contracts"][0]
        detail = await client.call_tool("get_contract", {"contract_id": one["id"]})
    assert not listed.is_error, listed.content[0].text
    assert listed.structured_content["source"] == source and says in listed.content[0].text
    assert len(listed.structured_content["contracts"]) == 5
    assert all(c["status"] == "active" for c in listed.structured_content["contracts"])
    assert not detail.is_error and detail.structured_content["title"] == one["title"]
