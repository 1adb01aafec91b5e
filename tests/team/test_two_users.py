"""Two users of one team server (`--auth oauth`), each with their own Upwork login: each sees only their own
watches, and an approval made for one cannot be spent by the other.

The server is served in memory; each call carries its user as the HTTP auth middleware hands it to the
tools (the SDK's auth context). The sign-in itself is tested end to end in test_oauth_login.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken

from upwork_mcp.approvals import Approvals, owner_of
from upwork_mcp.auth.tokens import TokenSet
from upwork_mcp.config import Settings
from upwork_mcp.sandbox import Sandbox, create_app
from upwork_mcp.server import build_server
from upwork_mcp.store import WatchStore
from upwork_mcp.store.team import TeamStore
from upwork_mcp.store.tokens import DatabaseTokenStore
from upwork_mcp.watches.criteria import starting_point
from upwork_mcp.world import open_store, sealer_for

pytestmark = pytest.mark.anyio
KEY = "b4SMb0t71PLpz3u5RcgY0VYEn6HC5A4SXfuvA5edSD4="  # a Fernet key for the test
MUTATION = "mutation Send($input: RoomStoryCreateInputV2!) { createRoomStoryV2(input: $input) { id message } }"


class AsUser:
    """One user's MCP client: every call is made as `user`."""

    def __init__(self, client: Client, user: str) -> None:
        self._client, self.user = client, user

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> Any:
        who = AuthenticatedUser(AccessToken(token=f"mcp-{self.user}", client_id="test", scopes=[], subject=self.user))
        reset = auth_context_var.set(who)
        try:
            return await self._client.call_tool(name, arguments)
        finally:
            auth_context_var.reset(reset)


@asynccontextmanager
async def two_users(sandbox: Sandbox, data: Path, **env: str) -> AsyncIterator[tuple[AsUser, AsUser, Settings]]:
    """Sandy (sandbox person 0) and Sam (person 1) on one team server, each logged in to their own Upwork."""
    sandbox.rate_limit = 1e6
    settings = Settings.from_env(
        {
            "UPWORK_SANDBOX": "1",
            "UPWORK_MCP_AUTH": "oauth",
            "UPWORK_ENCRYPTION_KEY": KEY,
            "UPWORK_DATA_DIR": str(data),
            "UPWORK_MAX_RETRIES": "0",
            "UPWORK_RATE_LIMIT": "1000",
            **env,
        }
    )
    team = TeamStore(open_store(settings))
    for user, persona in (("sandy", 0), ("sam", 1)):
        login = TokenSet.from_response(sandbox.issue_tokens(persona))
        DatabaseTokenStore(team, sealer_for(settings), user).save(login)
        WatchStore(team.store, owner=user).set_criteria(starting_point(), "the starting point (accepted in a test)")
    server = build_server(settings, transport=httpx.ASGITransport(app=create_app(sandbox)))
    async with Client(server) as first, Client(server) as second:
        sandy, sam = AsUser(first, "sandy"), AsUser(second, "sam")
        names = [(await u.call_tool("get_account", {})).structured_content["name"] for u in (sandy, sam)]
        assert names == ["Sandy Freelancer", "Sam Second"], "each call must act for its own user"
        yield sandy, sam, settings


async def test_each_user_sees_and_changes_only_their_own_watches(sandbox: Sandbox, tmp_path: Path) -> None:
    async with two_users(sandbox, tmp_path) as (sandy, sam, _):
        made = await sandy.call_tool("create_watch", {"name": "python", "q": "python"})
        sam_sees = (await sam.call_tool("list_watches", {})).structured_content["watches"]
        sam_peeks = await sam.call_tool("preview_watch", {"name": "python"})
        same_name = await sam.call_tool("create_watch", {"name": "python", "q": "django"})
        removed = await sam.call_tool("delete_watch", {"name": "python"})
        sandy_sees = (await sandy.call_tool("list_watches", {})).structured_content["watches"]
        sam_after = (await sam.call_tool("list_watches", {})).structured_content["watches"]
    assert not made.is_error and sam_sees == []
    assert sam_peeks.is_error, "another user's watch must not be found"
    assert not same_name.is_error and not removed.is_error  # Sam's own watch of the same name, made and removed
    assert [(w["name"], w["filters"]) for w in sandy_sees] == [("python", "q=python")] and sam_after == []


@pytest.mark.parametrize("mode", ["token", "human"])
async def test_an_approval_made_for_one_user_cannot_be_spent_by_another(
    sandbox: Sandbox, tmp_path: Path, mode: str
) -> None:
    async with two_users(sandbox, tmp_path, UPWORK_WRITE_APPROVAL=mode) as (sandy, sam, settings):
        # A mutation into Sam's own room, which Sam's login could send: only the approval's owner may spend it.
        room = (await sam.call_tool("list_rooms", {"limit": 1})).structured_content["rooms"][0]["id"]
        args = {"query": MUTATION, "variables": {"input": {"roomId": room, "message": "Sam, pay me."}}}
        preview = (await sandy.call_tool("run_graphql_mutation", args)).structured_content
        if mode == "human":
            approvals = Approvals(open_store(settings))
            made_for = owner_of(approvals.store.approval(preview["approval_id"]))  # type: ignore[arg-type]
            approvals.decide(preview["approval_id"], approve=True, owner=made_for)  # Sandy said yes
        token = preview["confirmation_token"]
        spent = await sam.call_tool("run_graphql_mutation", {**args, "confirmation_token": token})
    assert spent.is_error and "different payload" in spent.content[0].text, spent.content[0].text
    assert sandbox.sent_messages == []
