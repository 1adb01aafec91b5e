"""Per-user login over HTTP, end to end: two people sign in through a real MCP client (discovery, dynamic
registration, PKCE, this server's login at Upwork, played by the loopback sandbox) and each sees only
their own account and messages; tokens that are missing, made up, expired or for another server are
refused."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
from pydantic import AnyUrl

from tests.conftest import LoopbackSandbox
from tests.serving import serving_app
from upwork_mcp.config import Settings
from upwork_mcp.server import build_server
from upwork_mcp.server.transports import http_app
from upwork_mcp.store import SQLiteDatabase, Store
from upwork_mcp.store.team import TeamStore

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
KEY = "b4SMb0t71PLpz3u5RcgY0VYEn6HC5A4SXfuvA5edSD4="  # a Fernet key for the test
SECOND = "B0ILDUe_4knc1EQYtdbmvDsu7NH1j4cpA1cH3u2DOWg="


class Memory:
    """The MCP client's token storage, in memory."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


@contextmanager
def oauth_server(loopback: LoopbackSandbox, data: Path) -> Iterator[str]:
    settings = Settings.from_env(
        loopback.env(UPWORK_MCP_AUTH="oauth", UPWORK_ENCRYPTION_KEY=f"{KEY},{SECOND}", UPWORK_DATA_DIR=str(data))
    )

    def make(port: int) -> Any:
        base = f"http://localhost:{port}"
        return http_app(build_server(settings, oauth_base=base), settings, "streamable-http", port=port)

    with serving_app(make) as url:
        yield url.replace("127.0.0.1", "localhost")


@asynccontextmanager
async def signed_in(base: str, person: int) -> Any:
    """An MCP client that logs in as sandbox person `person`: the browser part is driven here."""
    result: dict[str, AuthorizationCodeResult] = {}

    async def browser(url: str) -> None:
        async with httpx.AsyncClient(timeout=60) as b:  # generous: a loaded 2-core machine
            to_upwork = await b.get(url)  # this server's /authorize sends the person to Upwork
            assert to_upwork.status_code == 302, to_upwork.text
            back = await b.get(to_upwork.headers["location"] + f"&sandbox_user={person}")  # Upwork's consent
            to_client = await b.get(back.headers["location"])  # this server's callback
            assert to_client.status_code == 302, to_client.text
            query = parse_qs(urlsplit(to_client.headers["location"]).query)
            result["code"] = AuthorizationCodeResult(code=query["code"][0], state=query.get("state", [None])[0])

    async def callback() -> AuthorizationCodeResult:
        return result["code"]

    auth = OAuthClientProvider(
        server_url=f"{base}/mcp",
        client_metadata=OAuthClientMetadata(
            client_name="test client", redirect_uris=[AnyUrl("http://localhost:1/callback")], scope="upwork"
        ),
        storage=Memory(),
        redirect_handler=browser,
        callback_handler=callback,
    )
    async with (
        httpx2.AsyncClient(auth=auth, timeout=30) as http,
        Client(streamable_http_client(f"{base}/mcp", http_client=http)) as client,
    ):
        yield client, auth


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
