"""The server as a desktop client runs it: a real subprocess speaking MCP over stdio."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from tests.serving import spawned
from tests.tools.conftest import all_tool_names, answering
from upwork_mcp.config import env_vars

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent


def _params(*args: str, env: dict[str, str] | None = None) -> StdioServerParameters:
    base = {k: v for k, v in os.environ.items() if not k.startswith("UPWORK_")}
    return StdioServerParameters(
        command=sys.executable, args=["-m", "upwork_mcp", *args], env={**base, **(env or {})}, cwd=str(ROOT)
    )


async def test_a_stdio_session_searches_reads_and_sends_only_when_confirmed() -> None:
    decline = answering("decline")
    with anyio.fail_after(60):
        async with Client(_params("serve", "--sandbox"), elicitation_callback=decline) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            assert {"search_jobs", "get_job", "send_message", "list_messages"} <= names
            found = await client.call_tool("search_jobs", {"q": "python", "limit": 3})
            job = found.structured_content["jobs"][0]
            detail = await client.call_tool("get_job", {"job": job["url"]})
            assert detail.structured_content["title"] == job["title"]
            room = (await client.call_tool("list_rooms", {"limit": 1})).structured_content["rooms"][0]["id"]
            declined = await client.call_tool("send_message", {"room_id": room, "message": "Not this one."})
            assert declined.structured_content["status"] == "declined" and decline.asked
        # A client that can't elicit gets a preview and sends with its token.
        async with Client(_params("serve", "--sandbox")) as client:
            preview = await client.call_tool("send_message", {"room_id": room, "message": "Hello from stdio"})
            token = preview.structured_content["confirmation_token"]
            sent = await client.call_tool(
                "send_message", {"room_id": room, "message": "Hello from stdio", "confirmation_token": token}
            )
            listed = await client.call_tool("list_messages", {"room_id": room, "limit": 3})
    assert sent.structured_content["status"] == "sent"
    texts = [m["text"] for m in listed.structured_content["messages"]]
    assert texts[0] == "Hello from stdio" and "Not this one." not in texts


async def test_the_desktop_config_example_works_as_copied() -> None:
    config = json.loads((ROOT / "claude_desktop_config.example.json").read_text())
    server = config["mcpServers"]["upwork"]
    assert set(server["env"]) <= set(env_vars()), "the example names a variable the server does not read"
    command = shutil.which(server["command"]) or shutil.which(server["command"], path=str(Path(sys.executable).parent))
    assert command, "the example's command is not installed next to this Python"
    params = StdioServerParameters(
        command=command,
        args=server["args"],
        env={**{k: v for k, v in os.environ.items() if not k.startswith("UPWORK_")}, **server["env"]},
    )
    with anyio.fail_after(60):
        async with Client(params) as client:
            tools = (await client.list_tools()).tools
            result = await client.call_tool("get_account", {})
    assert len(tools) == len(all_tool_names()) and result.structured_content["sandbox"] is True


async def test_serve_over_streamable_http_from_the_command_line() -> None:
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    env = {k: v for k, v in os.environ.items() if not k.startswith("UPWORK_")}
    args = ["serve", "--sandbox", "--transport", "streamable-http", "--port", "0"]
    with spawned(args, env, cwd=ROOT) as (_, base), anyio.fail_after(60):
        async with (
            httpx2.AsyncClient(timeout=30) as http,
            Client(streamable_http_client(f"{base}/mcp", http_client=http)) as client,
        ):
            tools = (await client.list_tools()).tools
            result = await client.call_tool("search_jobs", {"limit": 1})
    assert len(tools) == len(all_tool_names()) and not result.is_error
