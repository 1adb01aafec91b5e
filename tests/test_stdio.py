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

from tests.mcp_client import all_tool_names, answering
from tests.serving import spawned
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
        # A client that can't elicit gets a preview; an unattended agent (token mode) sends with its token.
        async with Client(_params("serve", "--sandbox", env={"UPWORK_WRITE_APPROVAL": "token"})) as client:
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


def test_every_request_with_an_id_gets_an_answer_even_when_malformed() -> None:
    import queue
    import subprocess
    import threading

    deep = '{"jsonrpc":"2.0","id":4,"method":"tools/list","params":{"a":' + "[" * 100_000 + "]" * 100_000 + "}}"
    deeper = '{"jsonrpc":"2.0","id":5,"method":"tools/list","params":{"x":' + '{"a":' * 5_000 + "1" + "}" * 5_002
    lines = [
        '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":"a string"}',
        '{"jsonrpc":"2.0","id":"two","method":"tools/call","params":[1,2]}',
        '[{"jsonrpc":"2.0","id":3,"method":"tools/list"},{"jsonrpc":"2.0","id":33,"method":"tools/list"}]',
        deep,
        deeper,
        '{"jsonrpc":"1.0","id":6,"method":"tools/list"}',
        "this is not json",
        '{"jsonrpc":"2.0","id":7,"method":"ping"}',
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("UPWORK_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "upwork_mcp", "serve", "--sandbox"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert proc.stdin is not None and proc.stdout is not None
    received: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in proc.stdout:
            received.put(line)

    threading.Thread(target=pump, daemon=True).start()
    proc.stdin.write("\n".join(lines) + "\n")
    proc.stdin.flush()
    answers: list[dict] = []
    try:
        while not {1, "two", 3, 33, 4, 5, 6, 7, None} <= {a.get("id") for a in answers}:
            answers.append(json.loads(received.get(timeout=20)))
    finally:
        proc.stdin.close()
        proc.wait(30)
    assert proc.stderr is not None
    err = proc.stderr.read()
    proc.stderr.close()
    proc.stdout.close()
    by_id = {a.get("id"): a for a in answers}
    for request_id in (1, "two", 3, 33, 4, 5, 6):
        assert request_id in by_id and "error" in by_id[request_id], (request_id, answers)
    assert by_id[1]["error"]["code"] == -32602 and by_id[4]["error"]["code"] == -32600
    assert any(a.get("id") is None and a["error"]["code"] == -32700 for a in answers)
    assert "result" in by_id[7]  # a valid request after all that is served as usual
    assert "Traceback" not in err
