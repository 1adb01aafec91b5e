"""Shared by the watch tests: a fresh engine over the test's sandbox and store, and a feed watch."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from upwork_mcp.config import Settings
from upwork_mcp.sandbox import Sandbox, create_app
from upwork_mcp.store import WatchStore
from upwork_mcp.watches.criteria import starting_point
from upwork_mcp.watches.filters import WatchFilters
from upwork_mcp.watches.service import Watch, Watches
from upwork_mcp.world import Engine, world_for

ACCEPTED = "the starting point you accepted (in a test)"


@asynccontextmanager
async def watching(
    sandbox: Sandbox,
    config: str | None = None,
    tmp: Path | None = None,
    *,
    criteria: dict[str, Any] | None = None,
    stated: bool = True,
    env: dict[str, str] | None = None,
) -> AsyncIterator[Watches]:
    """A fresh engine (as a new process would have) over the test's store and sandbox; the user has accepted
    the starting point as their criteria (or `criteria`), unless `stated` is False."""
    async with engine_on(sandbox, config, tmp, env=env) as engine:
        if stated:
            WatchStore(engine.store).set_criteria(criteria or starting_point(), ACCEPTED)
        yield engine.watches()


@asynccontextmanager
async def engine_on(
    sandbox: Sandbox, config: str | None = None, tmp: Path | None = None, *, env: dict[str, str] | None = None
) -> AsyncIterator[Engine]:
    base = {"UPWORK_SANDBOX": "1", "UPWORK_RATE_LIMIT": "1000", "UPWORK_MAX_RETRIES": "0", **(env or {})}
    if config is not None and tmp is not None:
        path = tmp / "watches.toml"
        path.write_text(config)
        base["UPWORK_WATCH_CONFIG"] = str(path)
    sandbox.rate_limit = 1e6
    engine = Engine(world_for(Settings.from_env(base), transport=httpx.ASGITransport(app=create_app(sandbox))))
    try:
        yield engine
    finally:
        await engine.aclose()


def quiet_pending(box: Sandbox, n: int) -> list[dict[str, Any]]:
    """`n` seeded open proposals whose client never wrote (no room yet)."""
    found = [
        p for p in box.data.proposals if p["status"]["status"] == "Pending" and p["id"] not in box.data.proposal_rooms
    ]
    assert len(found) >= n
    return found[:n]


def feed_watch(name: str = "all-feed", **filters: object) -> Watch:
    return Watch(name, "feed", WatchFilters.model_validate(filters))
