"""Per-user login over HTTP, end to end: two people sign in through a real MCP client (discovery, dynamic
registration, PKCE, this server's login at Upwork, played by the loopback sandbox) and each sees only
their own account and messages; tokens that are missing, made up, expired or for another server are
refused."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest

from tests.conftest import LoopbackSandbox
from tests.team.helpers import oauth_server, signed_in
from upwork_mcp.store import SQLiteDatabase, Store
from upwork_mcp.store.team import TeamStore

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def test_two_people_each_see_their_own_upwork(loopback: LoopbackSandbox, tmp_path: Path) -> None:
    with oauth_server(loopback, tmp_path) as base:
        async with signed_in(base, 0) as (sandy, _), signed_in(base, 1) as (sam, sam_auth):
            me = (await sandy.call_tool("get_account", {})).structured_content
            other = (await sam.call_tool("get_account", {})).structured_content
            sandy_rooms = (await sandy.call_tool("list_rooms", {"limit": 50})).structured_content["rooms"]
            sam_rooms = (await sam.call_tool("list_rooms", {"limit": 50})).structured_content["rooms"]
            peek = await sam.call_tool("list_messages", {"room_id": sandy_rooms[0]["id"]})
            token = sam_auth.context.current_tokens.access_token  # type: ignore[union-attr]
    assert me["name"] == "Sandy Freelancer" and other["name"] == "Sam Second"
    assert {r["id"] for r in sam_rooms} == {"room_person1_0", "room_person1_1"}
    assert not {r["id"] for r in sam_rooms} & {r["id"] for r in sandy_rooms}
    assert peek.is_error and "not found" in peek.content[0].text.lower()
    assert not token.startswith("sbx_")  # the client holds this server's token, never Upwork's
    logins = TeamStore(Store(SQLiteDatabase(tmp_path / "state.sqlite3"))).logins()
    assert {login.name for login in logins} == {"Sandy Freelancer", "Sam Second"}
    assert all(b"sbx_" not in login.sealed for login in logins)  # Upwork's tokens are sealed at rest


async def test_missing_made_up_expired_and_foreign_tokens_are_refused(
    loopback: LoopbackSandbox, tmp_path: Path
) -> None:
    with oauth_server(loopback, tmp_path) as base:
        async with signed_in(base, 0) as (client, auth):
            await client.call_tool("get_account", {})
            good = auth.context.current_tokens.access_token  # type: ignore[union-attr]
        team = TeamStore(Store(SQLiteDatabase(tmp_path / "state.sqlite3")))
        data = team.grant("access", hashlib.sha256(good.encode()).hexdigest())
        assert data is not None
        team.put_grant("access", hashlib.sha256(b"foreign-token").hexdigest(), "f1",
                       {**data, "resource": "http://elsewhere.example/mcp"}, 10**12)  # fmt: skip
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
        headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
        async with httpx.AsyncClient(base_url=base) as raw:
            missing = await raw.post("/mcp", json=body, headers=headers)
            made_up = await raw.post("/mcp", json=body, headers={**headers, "Authorization": "Bearer nope"})
            foreign = await raw.post("/mcp", json=body, headers={**headers, "Authorization": "Bearer foreign-token"})
            with team.db.transaction() as tx:
                tx.execute("UPDATE oauth_grants SET expires = 0 WHERE kind = 'access'")
            expired = await raw.post("/mcp", json=body, headers={**headers, "Authorization": f"Bearer {good}"})
    assert missing.status_code == 401 and "resource_metadata" in missing.headers.get("www-authenticate", "")
    assert made_up.status_code == 401 and expired.status_code == 401
    assert foreign.status_code in (401, 403)
