"""Each HTTP transport with a real MCP client over loopback, and the HTTP safety switches."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import assert_no_secret
from tests.mcp_client import all_tool_names
from tests.serving import serving
from upwork_mcp.config import Settings
from upwork_mcp.sandbox import Sandbox, create_app
from upwork_mcp.server import build_server
from upwork_mcp.server.transports import http_app
from upwork_mcp.store.rate import MARGIN

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
TOKEN = "test-http-token-7d1c"


def _app(box: Sandbox, transport: str, **env: str) -> Any:
    # Token approvals: these sessions stand for unattended agents confirming their own previews.
    settings = Settings.from_env({"UPWORK_SANDBOX": "1", "UPWORK_WRITE_APPROVAL": "token", **env})
    server = build_server(settings, transport=httpx.ASGITransport(app=create_app(box)))
    return http_app(server, settings, transport)  # type: ignore[arg-type]


@asynccontextmanager
async def _connect(transport: str, base: str, headers: dict[str, str] | None = None) -> AsyncIterator[Client]:
    if transport == "sse":
        async with Client(sse_client(f"{base}/sse", headers=headers), mode="legacy") as client:
            yield client
        return
    async with (
        httpx2.AsyncClient(headers=headers or {}, timeout=30) as http,
        Client(streamable_http_client(f"{base}/mcp", http_client=http)) as client,
    ):
        yield client


async def _session(client: Client, box: Sandbox) -> None:
    tools = {t.name for t in (await client.list_tools()).tools}
    assert {"search_jobs", "send_message"} <= tools
    found = await client.call_tool("search_jobs", {"q": "python", "limit": 2})
    assert len(found.structured_content["jobs"]) == 2
    room = box.data.rooms[0]["id"]
    preview = await client.call_tool("send_message", {"room_id": room, "message": "Over HTTP"})
    assert preview.structured_content["status"] == "needs_confirmation" and box.sent_messages == []
    token = preview.structured_content["confirmation_token"]
    sent = await client.call_tool(
        "send_message", {"room_id": room, "message": "Over HTTP", "confirmation_token": token}
    )
    again = await client.call_tool(
        "send_message", {"room_id": room, "message": "Over HTTP", "confirmation_token": token}
    )
    assert sent.structured_content["status"] == "sent" and again.is_error
    assert [m["message"] for m in box.sent_messages] == ["Over HTTP"]
    assert_no_secret(found.model_dump_json() + sent.model_dump_json(), "an HTTP tool result")


@pytest.mark.parametrize("transport", ["sse", "streamable-http"])
async def test_each_http_transport_lists_calls_and_confirms(transport: str) -> None:
    box = Sandbox.create()
    with serving(_app(box, transport)) as base:
        with anyio.fail_after(60):
            async with _connect(transport, base) as client:
                await _session(client, box)


async def test_stateless_workers_share_confirmations(tmp_path) -> None:
    box = Sandbox.create()
    env = {"UPWORK_MCP_STATELESS": "1", "UPWORK_DATA_DIR": str(tmp_path)}
    # Two apps stand for two workers behind a load balancer; they share only the data dir.
    with serving(_app(box, "streamable-http", **env)) as one, serving(_app(box, "streamable-http", **env)) as two:
        with anyio.fail_after(60):
            async with _connect("streamable-http", one) as a, _connect("streamable-http", two) as b:
                room = box.data.rooms[1]["id"]
                preview = await a.call_tool("send_message", {"room_id": room, "message": "Stateless"})
                token = preview.structured_content["confirmation_token"]
                sent = await b.call_tool(
                    "send_message", {"room_id": room, "message": "Stateless", "confirmation_token": token}
                )
                replay = await a.call_tool(
                    "send_message", {"room_id": room, "message": "Stateless", "confirmation_token": token}
                )
    assert sent.structured_content["status"] == "sent"
    assert replay.is_error and "already used" in replay.content[0].text
    assert len(box.sent_messages) == 1
    assert (tmp_path / "sandbox.sqlite3").stat().st_mode & 0o777 == 0o600  # the signing key and the ledger


@pytest.mark.parametrize("transport", ["sse", "streamable-http"])
async def test_foreign_origin_403_foreign_host_421(transport: str) -> None:
    path = "/sse" if transport == "sse" else "/mcp"
    body = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    with serving(_app(Sandbox.create(), transport)) as base:
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            if transport == "sse":
                origin = await http.get(path, headers={"Origin": "https://evil.example"})
                host = await http.get(path, headers={"Host": "evil.example"})
            else:
                headers = {"Accept": "application/json, text/event-stream"}
                origin = await http.post(path, json=body, headers={**headers, "Origin": "https://evil.example"})
                host = await http.post(path, json=body, headers={**headers, "Host": "evil.example"})
    assert origin.status_code == 403 and host.status_code == 421


async def test_a_bearer_token_gates_every_request() -> None:
    box = Sandbox.create()
    with serving(_app(box, "streamable-http", UPWORK_MCP_HTTP_TOKEN=TOKEN)) as base:
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            missing = await http.post("/mcp", json={})
            wrong = await http.post("/mcp", json={}, headers={"Authorization": "Bearer nope"})
        assert missing.status_code == 401 and wrong.status_code == 401
        assert missing.headers["www-authenticate"].startswith("Bearer") and TOKEN not in missing.text
        with anyio.fail_after(60):
            async with _connect("streamable-http", base, {"Authorization": f"Bearer {TOKEN}"}) as client:
                assert len((await client.list_tools()).tools) == len(all_tool_names())


def test_the_http_token_is_a_hidden_setting() -> None:
    settings = Settings.from_env({"UPWORK_MCP_HTTP_TOKEN": TOKEN})
    assert TOKEN not in repr(settings) and settings.http_token.get_secret_value() == TOKEN


async def test_sse_sessions_share_one_rate_limit() -> None:
    """Four SSE connections are four lifespans; they must still send at most 10 requests in any second."""
    box = Sandbox.create()  # Upwork's 10 requests/s per IP, answered with 429 beyond
    with serving(_app(box, "sse")) as base, anyio.fail_after(60):
        async with (
            _connect("sse", base) as a,
            _connect("sse", base) as b,
            _connect("sse", base) as c,
            _connect("sse", base) as d,
        ):
            sessions = [a, b, c, d]
            await a.call_tool("get_account", {})
            box.api_log.clear()
            began = time.time()

            async def burst(client: Client) -> None:
                for _ in range(4):
                    assert not (await client.call_tool("search_jobs", {"limit": 1})).is_error

            async with anyio.create_task_group() as tg:
                for session in sessions:
                    tg.start_soon(burst, session)
    # One limiter spaces the four sessions' requests evenly: the k-th to arrive came no earlier than its slot.
    # (Load only makes arrivals later; counting arrivals per second instead would fail when they bunch.)
    times = sorted(box.api_log)
    interval = MARGIN / 10
    early = [k for k, t in enumerate(times) if t < began + k * interval - 0.01]
    assert len(times) >= 16 and not early, f"requests {early[:5]} arrived before one limit allowed them"


def test_slow_sockets_do_not_shut_out_legitimate_requests(tmp_path) -> None:
    """300 sockets that never finish their headers, against a 256-descriptor limit."""
    import os
    import resource
    import socket
    import time
    from pathlib import Path

    from tests.serving import spawned_server

    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("UPWORK_")}
    env.update(UPWORK_MCP_HEADER_TIMEOUT="1", UPWORK_LOG_LEVEL="INFO")
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    headers = {"Accept": "application/json, text/event-stream", "Mcp-Protocol-Version": "2025-11-25"}

    def limit_descriptors() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    args = ["serve", "--sandbox", "--transport", "streamable-http", "--port", "0"]
    with spawned_server(args, env, cwd=root, preexec_fn=limit_descriptors) as server:
        base = server.base
        port = int(base.rsplit(":", 1)[1])
        slow = []
        for _ in range(300):
            sock = socket.socket()
            sock.settimeout(2)
            try:
                sock.connect(("127.0.0.1", port))
                sock.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the rest
            except OSError:
                sock.close()
                continue
            slow.append(sock)
        answered = None
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and answered is None:
            try:
                response = httpx.post(f"{base}/mcp", json=body, headers=headers, timeout=2)
                if response.status_code == 200:
                    answered = time.monotonic()
            except httpx.HTTPError:
                time.sleep(0.2)
        for sock in slow:
            sock.close()
        err = server.stderr()
    assert answered is not None, "legitimate requests were shut out"
    assert len(err) < 50_000, f"{len(err)} bytes of stderr"


async def test_served_connections_send_without_nagle_delay() -> None:
    """A response written in two parts must not wait for the client's delayed ACK (~40 ms per keep-alive
    request): every accepted connection has TCP_NODELAY, which asyncio sets only on sockets made as TCP."""
    import asyncio
    import socket

    from upwork_mcp.serving import listening_socket

    sock = listening_socket("127.0.0.1", 0)
    nodelay: list[int] = []

    async def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nodelay.append(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    server = await asyncio.start_server(accepted, sock=sock)
    async with server:
        _, writer = await asyncio.open_connection(*sock.getsockname()[:2])
        with anyio.fail_after(5):
            while not nodelay:
                await anyio.sleep(0.01)
        writer.close()
    assert nodelay == [1]
