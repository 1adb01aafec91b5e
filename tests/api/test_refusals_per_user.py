"""Refusals are remembered for what Upwork decided on: the key's scopes for the key; anything else for that
key, user and organization only; a refused organization not at all. Nothing remembered stops a login."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from tests.conftest import FakeClock, make_loop
from upwork_mcp.api import UpworkClient
from upwork_mcp.api.memory import Memory
from upwork_mcp.auth.manager import StaticToken
from upwork_mcp.config import Settings
from upwork_mcp.errors import PermissionDeniedError, TenantError, UpworkError
from upwork_mcp.sandbox import Sandbox, create_app
from upwork_mcp.store import SQLiteDatabase, Store, StoreMemory
from upwork_mcp.world import world_for

pytestmark = pytest.mark.anyio

FOREIGN = "123"  # an organization no sandbox person belongs to


class Refusing(httpx.AsyncBaseTransport):
    """The sandbox, except that the named operations are refused with Upwork's "Authorization failed" (no
    path, no data) to the tokens in `refused_to`, or in the organizations in `refused_in`."""

    def __init__(self, inner: httpx.AsyncBaseTransport, operations: set[str]) -> None:
        self.inner = inner
        self.operations = operations
        self.refused_to: set[str] = set()  # access tokens
        self.refused_in: set[str] = set()  # tenant ids
        self.asked: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        name = json.loads(request.content or b"{}").get("operationName") if request.method == "POST" else None
        self.asked.append(str(name))
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        tenant = request.headers.get("x-upwork-api-tenantid")
        if name in self.operations and (token in self.refused_to or tenant in self.refused_in):
            error = {"message": "Authorization failed", "extensions": {"classification": "ExecutionAborted"}}
            return httpx.Response(200, json={"errors": [error], "data": None})
        return await self.inner.handle_async_request(request)


def store_memory(tmp_path: Path) -> Memory:
    """The SQLite store every process and user of a data dir shares."""
    return StoreMemory(Store(SQLiteDatabase(tmp_path / "state.sqlite3")))


def person(
    sandbox: Sandbox, http: httpx.AsyncClient, clock: FakeClock, memory: Memory, persona: int, user: str
) -> tuple[UpworkClient, str]:
    """A team member's client (as `Engine.client_for` makes it): their own token, the shared memory."""
    settings = world_for(Settings.from_env({"UPWORK_SANDBOX": "1"}), transport=http._transport).settings
    token = sandbox.issue_tokens(persona)["access_token"]
    client = UpworkClient(settings, make_loop(http, clock), StaticToken(SecretStr(token)), memory=memory, user=user)
    return client, token


CALLS: dict[str, Callable[[UpworkClient, str | None], Awaitable[Any]]] = {
    "contracts": lambda c, t: c.contracts.list(tenant_id=t),
    "rooms": lambda c, t: c.messages.rooms(first=5, tenant_id=t),
    "offers": lambda c, t: c.offers.list(tenant_id=t),
    "time report": lambda c, t: c.hours.time_report(date(2026, 1, 5), date(2026, 1, 11), tenant_id=t),
    "proposals": lambda c, t: c.proposals.list("Pending", tenant_id=t),
}


async def test_a_wrong_tenant_changes_nothing_for_the_next_call_another_user_or_a_login(
    sandbox: Sandbox, clock: FakeClock, tmp_path: Path
) -> None:
    memory = store_memory(tmp_path)
    async with httpx.AsyncClient(transport=_sandbox_transport(sandbox), base_url="http://sandbox.test") as http:
        sam, _ = person(sandbox, http, clock, memory, 1, "sam")
        sandy, _ = person(sandbox, http, clock, memory, 0, "sandy")
        sams_org = (await sam.account.me()).companies[0].organization_id
        for name, call in CALLS.items():
            with pytest.raises(TenantError) as refused:
                await call(sam, FOREIGN)
            assert sams_org is not None and sams_org in str(refused.value), name  # names what the user has
            assert FOREIGN in str(refused.value)
        assert await memory.items(sam.capabilities._namespace) == {}  # nothing remembered, for anyone
        before = sandbox.requests_seen
        for name, call in CALLS.items():
            if name != "contracts":  # the sandbox's contract search knows its first person only
                await call(sam, None)  # the next call: asked of Upwork and answered
            await call(sandy, None)  # another user of the same key and store
        assert sandbox.requests_seen > before
        login, _ = person(sandbox, http, clock, memory, 2, "new")  # a new login says who it is
        assert (await login.account.me()).user is not None


async def test_a_refusal_to_one_user_in_one_organization_is_theirs_alone(
    sandbox: Sandbox, clock: FakeClock, tmp_path: Path
) -> None:
    memory = store_memory(tmp_path)
    refusing = Refusing(_sandbox_transport(sandbox), {"ListRooms"})
    async with httpx.AsyncClient(transport=refusing, base_url="http://sandbox.test") as http:
        sandy, sandy_token = person(sandbox, http, clock, memory, 0, "sandy")
        sam, _ = person(sandbox, http, clock, memory, 1, "sam")
        agency = sandbox.data.organizations[1]["id"]
        refusing.refused_to.add(sandy_token)
        with pytest.raises(PermissionDeniedError, match="this user"):
            await sandy.messages.rooms(first=1)
        refusing.asked.clear()
        with pytest.raises(PermissionDeniedError, match="within the last day"):
            await sandy.messages.rooms(first=1)  # remembered for Sandy in her organization: not asked again
        assert refusing.asked == []
        assert (await sam.messages.rooms(first=1)).rooms  # Sam, same key and store: asked and answered
        refusing.refused_to.clear()
        assert (await sandy.messages.rooms(first=1, tenant_id=agency)).rooms  # Sandy in her agency: asked
        assert refusing.asked.count("ListRooms") == 2


async def test_a_refusal_of_the_keys_scopes_is_the_keys(sandbox: Sandbox, clock: FakeClock, tmp_path: Path) -> None:
    memory = store_memory(tmp_path)
    async with httpx.AsyncClient(transport=_sandbox_transport(sandbox), base_url="http://sandbox.test") as http:
        sandy, _ = person(sandbox, http, clock, memory, 0, "sandy")
        sam, _ = person(sandbox, http, clock, memory, 1, "sam")
        sandbox.faults.deny.add("Query.roomList")  # "doesn't have enough oauth2 permissions/scopes"
        with pytest.raises(PermissionDeniedError):
            await sandy.messages.rooms(first=1)
        before = sandbox.requests_seen
        with pytest.raises(PermissionDeniedError, match="for this API key within the last day"):
            await sam.messages.rooms(first=1)
        assert sandbox.requests_seen == before


async def test_nothing_remembered_stops_a_login(sandbox: Sandbox, clock: FakeClock, tmp_path: Path) -> None:
    memory = store_memory(tmp_path)
    async with httpx.AsyncClient(transport=_sandbox_transport(sandbox), base_url="http://sandbox.test") as http:
        old, _ = person(sandbox, http, clock, memory, 0, "")
        await old.capabilities.remember(["Query.user", "Query.organization", "Query.companySelector"], "old")
        await old.capabilities.remember(["User.name", "Query.user"], "old", for_key=False)
        login, _ = person(sandbox, http, clock, memory, 0, "")
        me = await login.account.me()
    assert me.user is not None and me.user.name and me.organization is not None and me.companies


async def test_an_offers_refusal_naming_nothing_leaves_the_rest_of_user_alone(
    sandbox: Sandbox, clock: FakeClock, tmp_path: Path
) -> None:
    """`user { offer }` refused whole is the offers' refusal, not `user`'s: the time report and the
    identity query still ask."""
    memory = store_memory(tmp_path)
    refusing = Refusing(_sandbox_transport(sandbox), {"ListOffers"})
    async with httpx.AsyncClient(transport=refusing, base_url="http://sandbox.test") as http:
        sandy, token = person(sandbox, http, clock, memory, 0, "sandy")
        refusing.refused_to.add(token)
        with pytest.raises(PermissionDeniedError):
            await sandy.offers.list()
        with pytest.raises(PermissionDeniedError):
            await sandy.offers.list()
        assert refusing.asked.count("ListOffers") == 1  # remembered
        await sandy.hours.time_report(date(2026, 1, 5), date(2026, 1, 11))
        await sandy.account.me(refresh=True)
    assert {"TimeReport", "Account"} <= set(refusing.asked)


async def test_a_tenant_refused_for_the_default_organization_says_what_upwork_said(
    sandbox: Sandbox, clock: FakeClock, tmp_path: Path
) -> None:
    """With the configured organization itself refused, nothing can be listed: Upwork's words stay."""
    memory = store_memory(tmp_path)
    async with httpx.AsyncClient(transport=_sandbox_transport(sandbox), base_url="http://sandbox.test") as http:
        sam, _ = person(sandbox, http, clock, memory, 1, "sam")
        sam.graphql.tenant_id = FOREIGN
        with pytest.raises(TenantError) as refused:
            await sam.messages.rooms(first=1)
    assert FOREIGN in str(refused.value) and "may act in" not in str(refused.value)
    assert isinstance(refused.value, UpworkError)


def _sandbox_transport(sandbox: Sandbox) -> httpx.AsyncBaseTransport:
    return httpx.ASGITransport(app=create_app(sandbox))


async def test_each_team_member_has_their_own_refusals(tmp_path: Path) -> None:
    from upwork_mcp.world import Engine

    settings = Settings.from_env(
        {"UPWORK_SANDBOX": "1", "UPWORK_ENCRYPTION_KEY": "b4SMb0t71PLpz3u5RcgY0VYEn6HC5A4SXfuvA5edSD4="}
    )
    store = Store(SQLiteDatabase(tmp_path / "state.sqlite3"))
    engine = Engine(world_for(settings), store=store)
    try:
        await engine.client_for("a").capabilities.remember(["Query.roomList"], "refused", tenant="1", for_key=False)
        assert await engine.client_for("a").capabilities.refused("1") == {"Query.roomList": "refused"}
        assert await engine.client_for("b").capabilities.refused("1") == {}
    finally:
        await engine.aclose()
        store.close()
