"""Two server processes on different ports share one PostgreSQL: an approval given through one sends once
through the other, a burst through both stays within one rate limit, and 50 concurrent calls on an
expired login refresh it once across both."""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from pydantic import SecretStr

from tests.conftest import LoopbackSandbox
from tests.serving import spawned_server
from upwork_mcp import graphql as documents
from upwork_mcp.api import JobSearchFilters
from upwork_mcp.auth.tokens import TokenSet
from upwork_mcp.store import PostgresDatabase, Store
from upwork_mcp.store.rate import MARGIN
from upwork_mcp.store.sealing import Sealer
from upwork_mcp.store.team import TeamStore
from upwork_mcp.store.tokens import DatabaseTokenStore

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
KEY = "b4SMb0t71PLpz3u5RcgY0VYEn6HC5A4SXfuvA5edSD4="
HTTP_TOKEN = "team-test-token-9f3"
RATE = 20.0  # requests per second for the whole deployment (Upwork's is 10; faster keeps the test short)


@contextmanager
def two_servers(loopback: LoopbackSandbox, url: str, tmp: Path) -> Iterator[list[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("UPWORK_")}
    env |= loopback.env(
        UPWORK_DATABASE_URL=url,
        UPWORK_ENCRYPTION_KEY=KEY,
        UPWORK_WRITE_APPROVAL="token",
        UPWORK_RATE_LIMIT=str(RATE),
        UPWORK_MCP_HTTP_TOKEN=HTTP_TOKEN,
        UPWORK_MAX_RETRIES="0",
    )
    with ExitStack() as stack:
        bases = []
        for i in range(2):
            own = {**env, "UPWORK_DATA_DIR": str(tmp / f"server{i}")}
            args = ["serve", "--transport", "streamable-http", "--port", "0"]
            bases.append(stack.enter_context(spawned_server(args, own)).base)
        yield bases


def warm(loopback: LoopbackSandbox) -> None:
    """Have the sandbox build its schema and validate the search document now: its first query takes a
    second (many more on a busy machine, hence the long timeout), which the burst need not wait for."""
    token = loopback.box.issue_tokens()["access_token"]
    body = {"query": documents.operation("SearchJobs"), "variables": JobSearchFilters(limit=1).to_variables()}
    answer = httpx.post(f"{loopback.url}/graphql", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert answer.status_code == 200 and answer.json()["data"], answer.text[:200]


@contextmanager
def expired_login(loopback: LoopbackSandbox, url: str) -> Iterator[None]:
    """The deployment's one login, in the database, with an access token past its time."""
    warm(loopback)
    issued = loopback.box.issue_tokens()
    db = PostgresDatabase(url)
    store = DatabaseTokenStore(TeamStore(Store(db)), Sealer(KEY), "default")
    store.save(
        TokenSet(
            access_token=SecretStr(issued["access_token"]),
            refresh_token=SecretStr(issued["refresh_token"]),
            expires_at=time.time() - 60,
        )
    )
    db.close()
    yield


def granted_schedule(url: str) -> list[float]:
    """When the shared rate limit granted its requests (the last 300 of each key), in order."""
    db = PostgresDatabase(url)
    try:
        with db.transaction() as tx:
            rows = tx.all("SELECT key, next_at FROM rate_limits")
    finally:
        db.close()
    return sorted(float(row["next_at"]) for row in rows if str(row["key"]).rsplit(":", 1)[-1].isdigit())


async def _client(stack: Any, base: str) -> Any:
    http = await stack.enter_async_context(
        httpx2.AsyncClient(
            headers={"Authorization": f"Bearer {HTTP_TOKEN}"},
            timeout=60,
            # An idle pooled connection is dropped here before the server's 5 s keep-alive closes it: a request
            # never goes out on a connection the server is closing (an httpx ReadError under load).
            limits=httpx2.Limits(keepalive_expiry=1.0),
        )
    )
    return await stack.enter_async_context(Client(streamable_http_client(f"{base}/mcp", http_client=http)))


async def test_two_processes_share_approvals_the_rate_limit_and_one_refresh(
    loopback: LoopbackSandbox, postgres_url: str, tmp_path: Path
) -> None:
    box = loopback.box
    with expired_login(loopback, postgres_url), two_servers(loopback, postgres_url, tmp_path) as bases:
        refreshes_before, log_before = box.token_requests, len(box.api_log)
        from contextlib import AsyncExitStack

        async with AsyncExitStack() as stack:
            a, b = [await _client(stack, base) for base in bases]
            results: list[Any] = []

            async def call(client: Any) -> None:
                results.append(await client.call_tool("search_jobs", {"limit": 1}))

            began = time.time()  # every request the shared limiter grants from here on is granted after this
            async with anyio.create_task_group() as tg:
                for client in itertools.islice(itertools.cycle([a, b]), 50):
                    tg.start_soon(call, client)
            burst = sorted(box.api_log[log_before:])
            granted = [t for t in granted_schedule(postgres_url) if t >= began]
            room = box.data.rooms[0]["id"]
            preview = await a.call_tool("send_message", {"room_id": room, "message": "Sent once, from either."})
            token = preview.structured_content["confirmation_token"]
            sent = await b.call_tool(
                "send_message", {"room_id": room, "message": "Sent once, from either.", "confirmation_token": token}
            )
            again = await a.call_tool(
                "send_message", {"room_id": room, "message": "Sent once, from either.", "confirmation_token": token}
            )
    assert all(not r.is_error for r in results), [r.content[0].text for r in results if r.is_error][:2]
    assert box.token_requests - refreshes_before == 1  # one refresh for both processes and 50 calls
    # One limit for both processes, asserted on the times the limiter granted (in the database), not on how
    # arrivals bunch: a busy machine delays requests, then lets them through together. Both processes took
    # their requests from one schedule, `interval` apart at least...
    interval = MARGIN / RATE
    assert len(granted) >= len(burst) and all(b - a >= interval - 1e-6 for a, b in itertools.pairwise(granted))
    # ...and each request left after its grant: the i-th to arrive came no earlier than the i-th grant (load
    # only makes a request later).
    assert all(arrived >= given - 0.005 for arrived, given in zip(burst, granted, strict=False)), (burst, granted)
    assert sent.structured_content["status"] == "sent" and len(box.sent_messages) == 1
    assert again.is_error and len(box.sent_messages) == 1
