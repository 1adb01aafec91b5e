"""The approval page beside a server: slow sockets to it neither shut the page out nor starve the server's own
tool calls (a header timeout and a small connection cap, like the HTTP transports)."""

from __future__ import annotations

import contextlib
import resource
import select
import socket
import time

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.person import ROOT, clean_env
from tests.serving import spawned_server

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


def _limit_descriptors() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))


def _hold(port: int, count: int) -> list[socket.socket]:
    """`count` sockets that start a request and never finish its headers (all opened at once)."""
    held = []
    for _ in range(count):
        sock = socket.socket()
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", port))
        held.append(sock)
    _, writable, _ = select.select([], held, [], 2)
    for sock in writable:
        with contextlib.suppress(OSError):
            sock.send(b"GET /approve/x HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    return held


def _answers(url: str) -> bool:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            time.sleep(0.2)
    return False


async def test_slow_sockets_to_the_page_starve_neither_it_nor_the_server() -> None:
    env = clean_env(UPWORK_MCP_HEADER_TIMEOUT="1")
    args = ["serve", "--sandbox", "--transport", "streamable-http", "--port", "0"]
    with spawned_server(args, env, cwd=ROOT, preexec_fn=_limit_descriptors) as server:
        async with (
            # The client's event stream waits without traffic for the whole test: a read timeout that outlives it.
            httpx2.AsyncClient(timeout=httpx2.Timeout(30, read=300)) as http,
            Client(streamable_http_client(f"{server.base}/mcp", http_client=http)) as client,
        ):
            room = (await client.call_tool("list_rooms", {"limit": 1})).structured_content["rooms"][0]["id"]
            link = (await client.call_tool("send_message", {"room_id": room, "message": "Slowly"})).structured_content[
                "approval_url"
            ]
            page_port = int(link.split("/approve/")[0].rsplit(":", 1)[1])
            held = await anyio.to_thread.run_sync(_hold, page_port, 300)
            try:
                with anyio.fail_after(30):
                    served = await client.call_tool("get_account", {})
                page_ok = await anyio.to_thread.run_sync(_answers, link)
            finally:
                for sock in held:
                    sock.close()
        err = server.stderr()
    assert not served.is_error and served.structured_content["name"]
    assert page_ok, "the page shut its person out"
    assert len(err) < 50_000, f"{len(err)} bytes of stderr"
