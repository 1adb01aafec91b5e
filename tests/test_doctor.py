from __future__ import annotations

import pytest

from tests.conftest import make_loop, sandbox_client
from upwork_mcp.api.probes import PROBES, probe
from upwork_mcp.commands.doctor import run_checks
from upwork_mcp.config import Settings
from upwork_mcp.sandbox import Faults, Sandbox
from upwork_mcp.world import open_client

pytestmark = pytest.mark.anyio


async def _checks(http, sandbox: Sandbox, clock, faults: str) -> dict:
    sandbox.faults = Faults.parse(faults)
    client = sandbox_client(http, Settings.from_env({"UPWORK_SANDBOX": "1"}), make_loop(http, clock))
    return {c.name: c for c in await run_checks(client)}


async def test_on_a_freelancer_key_doctor_shows_which_tools_run_and_how(http, sandbox: Sandbox, clock) -> None:
    checks = await _checks(http, sandbox, clock, "profile=freelancer")
    contracts = checks["tool list_contracts"]
    assert contracts.ok is True and "through talentWorkHistory" in contracts.detail
    assert "vendorContracts refused" in contracts.detail and "contracts read permission" in contracts.detail
    for tool in ("search_jobs", "get_job", "list_rooms", "list_messages", "search_freelancers", "get_account"):
        assert checks[f"tool {tool}"].ok is True, checks[f"tool {tool}"].detail
    assert checks["job feed"].ok


async def test_on_a_restricted_key_doctor_names_the_permission_each_tool_lacks(http, sandbox: Sandbox, clock) -> None:
    checks = await _checks(http, sandbox, clock, "profile=restricted")
    assert checks["tool search_jobs"].ok is True
    assert checks["tool list_contracts"].ok is False and "API Center" in checks["tool list_contracts"].detail
    assert checks["tool list_rooms"].ok is False and "messaging read permission" in checks["tool list_rooms"].detail


async def test_doctor_flags_a_tenant_that_is_not_the_users(http, sandbox: Sandbox, clock) -> None:
    settings = Settings.from_env({"UPWORK_SANDBOX": "1"}).model_copy(update={"tenant_id": "999"})
    client = sandbox_client(http, settings, make_loop(http, clock))
    checks = {c.name: c for c in await run_checks(client)}
    # The sandbox refuses the foreign tenant outright, as Upwork would: the login check says so.
    login = checks["login and reachability"]
    assert login.ok is False and "refused the organization" in login.detail and "upwork-mcp auth orgs" in login.detail


async def test_doctor_without_credentials_says_what_to_set(tmp_path) -> None:
    settings = Settings.from_env({"UPWORK_TOKEN_FILE": str(tmp_path / "t.json")})
    async with open_client(settings) as client:
        checks = {c.name: c for c in await run_checks(client)}
    assert "UPWORK_CLIENT_ID" in checks["credentials"].detail and checks["credentials"].ok is False


async def test_every_probe_asks_in_a_form_upwork_accepts(http, sandbox: Sandbox, clock) -> None:
    # The job search needs `after` in pagination_eq ("Exception occurred" without it); transactions take
    # yyyy-MM-dd only. On a key with every permission each probe must be answered, not fail.
    client = sandbox_client(http, Settings.from_env({"UPWORK_SANDBOX": "1"}), make_loop(http, clock))
    found = [await probe(client, root, client.account.user_id) for root in PROBES]
    assert [p for p in found if p.state != "allowed"] == []


async def test_doctor_starts_afresh_from_remembered_refusals(http, sandbox: Sandbox, clock) -> None:
    client = sandbox_client(http, Settings.from_env({"UPWORK_SANDBOX": "1"}), make_loop(http, clock))
    await client.capabilities.remember(["Query.roomList", "MarketplaceJobPostingSearchResult.title"], "old")
    checks = {c.name: c for c in await run_checks(client)}
    assert checks["tool list_rooms"].ok is True and "MarketplaceJobPostingSearchResult.title" not in (
        await client.capabilities.refused()
    )
