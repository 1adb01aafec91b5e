from __future__ import annotations

import pytest

from tests.conftest import make_loop, sandbox_client
from upwork_mcp.commands.doctor import run_checks
from upwork_mcp.config import Settings
from upwork_mcp.sandbox import Sandbox
from upwork_mcp.world import open_client

pytestmark = pytest.mark.anyio


async def test_doctor_reports_each_capability_and_names_a_missing_permission(http, sandbox: Sandbox, clock) -> None:
    sandbox.faults.deny.add("Query.vendorContracts")
    client = sandbox_client(http, Settings.from_env({"UPWORK_SANDBOX": "1"}), make_loop(http, clock))
    checks = {c.name: c for c in await run_checks(client)}
    assert checks["job search"].ok and checks["messages"].ok and checks["freelancers"].ok and checks["job feed"].ok
    assert checks["contracts"].ok is False and "contracts read permission" in checks["contracts"].detail
    assert "API Center" in checks["contracts"].detail


async def test_doctor_flags_a_tenant_that_is_not_the_users(http, sandbox: Sandbox, clock) -> None:
    settings = Settings.from_env({"UPWORK_SANDBOX": "1"}).model_copy(update={"tenant_id": "999"})
    client = sandbox_client(http, settings, make_loop(http, clock))
    checks = {c.name: c for c in await run_checks(client)}
    # The sandbox refuses the foreign tenant outright, as Upwork would: the login check says so.
    assert checks["login and reachability"].ok is False and "get_account" in checks["login and reachability"].detail


async def test_doctor_without_credentials_says_what_to_set(tmp_path) -> None:
    settings = Settings.from_env({"UPWORK_TOKEN_FILE": str(tmp_path / "t.json")})
    async with open_client(settings) as client:
        checks = {c.name: c for c in await run_checks(client)}
    assert "UPWORK_CLIENT_ID" in checks["credentials"].detail and checks["credentials"].ok is False
    assert "auth login" in checks["login and reachability"].detail
