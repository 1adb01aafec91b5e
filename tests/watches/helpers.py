"""Shared by the watch tests: a fresh engine over the test's sandbox and store, and a feed watch."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from upwork_mcp.config import Settings
from upwork_mcp.sandbox import Sandbox, create_app
from upwork_mcp.watches.filters import WatchFilters
from upwork_mcp.watches.service import Watch, Watches
from upwork_mcp.world import Engine, world_for


@asynccontextmanager
async def watching(sandbox: Sandbox, config: str | None = None, tmp: Path | None = None) -> AsyncIterator[Watches]:
    """A fresh engine (as a new process would have) over the test's store and sandbox."""
    env = {"UPWORK_SANDBOX": "1", "UPWORK_RATE_LIMIT": "1000", "UPWORK_MAX_RETRIES": "0"}
    if config is not None and tmp is not None:
        path = tmp / "watches.toml"
        path.write_text(config)
        env["UPWORK_WATCH_CONFIG"] = str(path)
    sandbox.rate_limit = 1e6
    engine = Engine(world_for(Settings.from_env(env), transport=httpx.ASGITransport(app=create_app(sandbox))))
    try:
        yield engine.watches()
    finally:
        await engine.aclose()


def feed_watch(name: str = "all-feed", **filters: object) -> Watch:
    return Watch(name, "feed", WatchFilters.model_validate(filters))
