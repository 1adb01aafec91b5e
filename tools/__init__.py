"""The MCP tools: one module per toolset, thin adapters over the engine (`upwork_mcp.api`).

`TOOLSETS` is the registry: the toolsets in the order their tools are listed. A new tool is its
module (or a spec in an existing one), its snapshot in tests/toolsnaps and its tests; everything
else (the server, the tests' expectations, the README's table) is derived from here.

Shipped inside the wheel as `upwork_mcp.tools`; loaded through `upwork_mcp._bundled`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._common import ToolSpec

TOOLSETS: tuple[str, ...] = (
    "jobs",
    "watches",
    "proposals",
    "contracts",
    "work",
    "messages",
    "freelancers",
    "graphql",
    "feed",
    "account",
)


def all_specs() -> list[ToolSpec]:
    """Every tool of every toolset, in registry order."""
    specs: list[ToolSpec] = []
    for toolset in TOOLSETS:
        module = importlib.import_module(f"{__name__}.{toolset}")
        specs.extend(module.TOOLS)
    return specs
