"""The MCP tools: one module per toolset, thin adapters over the engine (`upwork_mcp.api`).

`TOOLSETS` is the registry: the toolsets in the order their tools are listed. A new tool is its
module (or a spec in an existing one), its snapshot and sample calls in tests/toolsnaps, a `doctor`
probe and a permission name for each Upwork operation it `needs`, and its tests; everything else (the
server, the tests' expectations, the README's table) is derived from here.

Shipped inside the wheel as `upwork_mcp.tools`; loaded through `upwork_mcp._bundled`. What the
server takes from here it takes through the functions below, never by importing modules by name.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._common import ToolSpec

TOOLSETS: tuple[str, ...] = (
    "jobs",
    "watches",
    "sinks",
    "proposals",
    "applying",
    "contracts",
    "work",
    "messages",
    "freelancers",
    "graphql",
    "feed",
    "account",
)


def toolset_modules() -> tuple[ModuleType, ...]:
    """The toolset modules, in registry order (a test keeps their names equal to TOOLSETS)."""
    # lazy: a server that serves its published definitions starts without importing a tool module
    from . import (
        account,
        applying,
        contracts,
        feed,
        freelancers,
        graphql,
        jobs,
        messages,
        proposals,
        sinks,
        watches,
        work,
    )

    return (jobs, watches, sinks, proposals, applying, contracts, work, messages, freelancers, graphql, feed, account)


def specs_of(toolset: str) -> list[ToolSpec]:
    """The tools of one toolset, importing only its module (a published tool's first call)."""
    if toolset not in TOOLSETS:
        raise KeyError(toolset)
    module = importlib.import_module(f"{__name__}.{toolset}")  # the registry's own modules, named by TOOLSETS
    return list(module.TOOLS)


def all_specs() -> list[ToolSpec]:
    """Every tool of every toolset, in registry order."""
    return [spec for module in toolset_modules() for spec in module.TOOLS]


def all_resources() -> list[Any]:
    """Every resource and resource template, with the toolset each belongs to."""
    from . import resources  # lazy: as above

    return list(resources.RESOURCES)


def clean(text: str) -> str:
    """Third-party text as the tools show it (invisible and bidi controls removed)."""
    from ._text import clean as clean_text  # lazy: as above

    return clean_text(text) or ""
