from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp_types import ElicitResult

from tests.conftest import assert_no_secret
from upwork_mcp.config import Settings
from upwork_mcp.sandbox import Sandbox, create_app
from upwork_mcp.server import build_server

Connect = Callable[..., Any]


def all_tool_names() -> set[str]:
    """Every tool the registry declares: tests derive their expectations from it, never from a count."""
    from upwork_mcp._bundled import tools_package

    return {spec.name for spec in tools_package().all_specs()}


def tool_names(*, toolsets: set[str] | None = None, read_only: bool = False) -> set[str]:
    """The registry's tools for these toolsets, as a read-only server would serve them when `read_only`."""
    from upwork_mcp._bundled import tools_package

    return {
        s.name
        for s in tools_package().all_specs()
        if (toolsets is None or s.toolset in toolsets) and (not read_only or s.served_read_only)
    }


@pytest.fixture
def mode() -> str:
    """The protocol era: the current one. Tests where the eras differ (handshake, elicitation,
    confirmation) run in both with `@each_era`."""
    return "auto"


each_era = pytest.mark.parametrize("mode", ["legacy", "auto"], ids=["2025-11-25", "2026-07-28"])


@pytest.fixture
def connect(sandbox: Sandbox, mode: str) -> Connect:
    """connect(env=..., elicit=...) -> an in-memory MCP client on a server wired to this test's sandbox."""

    sandbox.rate_limit = 1e6  # the sandbox's Upwork-like 10/s per IP has its own tests

    @asynccontextmanager
    async def open_client(env: dict[str, str] | None = None, elicit: Any = None) -> AsyncIterator[Client]:
        # The in-process sandbox answers at once; Upwork's 10/s limit would only add sleeps here (the
        # limiter has its own tests).
        base = {"UPWORK_SANDBOX": "1", "UPWORK_MAX_RETRIES": "0", "UPWORK_RATE_LIMIT": "1000"}
        settings = Settings.from_env({**base, **(env or {})})
        server = build_server(settings, transport=httpx.ASGITransport(app=create_app(sandbox)))
        async with Client(server, mode=mode, elicitation_callback=elicit) as client:
            yield CheckedClient(client)

    return open_client


class CheckedClient:
    """The MCP client, checking every tool result for leaked secrets."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def call_tool(self, name: str, arguments: dict[str, Any] | None = None, **kw: Any) -> Any:
        result = await self._client.call_tool(name, arguments, **kw)
        assert_no_secret(result.model_dump_json(), f"the result of {name}")
        return result


def answering(action: str, content: dict[str, Any] | None = None) -> Any:
    """An elicitation callback that records what it was asked and answers `action`."""
    asked: list[str] = []

    async def callback(context: Any, params: Any) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action=action, content=content)

    callback.asked = asked  # type: ignore[attr-defined]
    return callback


def unmarked(text: str) -> str:
    """The body of the one untrusted block in `text` (asserting there is exactly one)."""
    assert text.count("<untrusted-content>") == 1 and text.count("</untrusted-content>") == 1, text[:300]
    inside = text.split("<untrusted-content>", 1)[1].split("</untrusted-content>", 1)[0]
    return inside.split("\n", 1)[1].rsplit("\n", 1)[0]  # without the source line
