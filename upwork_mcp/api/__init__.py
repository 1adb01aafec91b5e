"""The engine's public surface: `UpworkClient`, a plain async client for Upwork and the job feed.

    client = UpworkClient(settings, loop, tokens)      # handed its collaborators, never choosing them
    page = await client.jobs.search(JobSearchFilters(query="python"))

`upwork_mcp.world.open_client(settings)` builds one for real Upwork or the embedded sandbox.
Nothing here knows about MCP.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._graphql import GraphQLResult
    from .client import UpworkClient, key_id
    from .job_feed import FeedQuery
    from .jobs import JobSearchFilters

__all__ = ["FeedQuery", "GraphQLResult", "JobSearchFilters", "UpworkClient", "key_id"]

# Loaded on first use: importing a helper (`upwork_mcp.api._paging`) must not load the HTTP client,
# every model and every resource with it (the tool modules import one at start-up).
_HOME = {
    "FeedQuery": "job_feed",
    "GraphQLResult": "_graphql",
    "JobSearchFilters": "jobs",
    "UpworkClient": "client",
    "key_id": "client",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
