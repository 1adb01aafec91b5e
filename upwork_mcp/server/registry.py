"""The registry as this server sees it: which toolsets and tools a configuration serves, and the README's table.

The registry itself is `tools.TOOLSETS` (each toolset module lists its `TOOLS`); everything here is
derived from it.
"""

from __future__ import annotations

from typing import Any

from .._bundled import tools_package
from ..config import Settings
from ..errors import ConfigError


def toolsets(settings: Settings) -> tuple[str, ...]:
    """The toolsets `settings` serve, checked against the registry."""
    known: tuple[str, ...] = tools_package().TOOLSETS
    if settings.toolsets is None:
        return known
    unknown = [name for name in settings.toolsets if name not in known]
    if unknown:
        raise ConfigError(
            f"UPWORK_TOOLSETS names unknown toolset {', '.join(unknown)}; choose from {', '.join(known)} or all."
        )
    return settings.toolsets


def tool_specs(settings: Settings) -> list[Any]:
    """Every tool this configuration serves: toolset and read-only filtering happen before registration."""
    chosen = toolsets(settings)
    return [
        spec
        for spec in tools_package().all_specs()
        if spec.toolset in chosen and (not settings.read_only or spec.served_read_only)
    ]


def first_sentence(doc: str) -> str:
    """A docstring's first sentence, whole (never cut mid-sentence)."""
    text = " ".join(doc.split())
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


def tool_table(specs: list[Any]) -> str:
    """The README's tool table, generated from the registry (a test keeps the README equal to it)."""
    rows = ["| tool | toolset | kind | what it does |", "| --- | --- | --- | --- |"]
    for spec in specs:
        kind = "write" if not spec.read_only else "read"
        rows.append(f"| `{spec.name}` | {spec.toolset} | {kind} | {first_sentence(spec.fn.__doc__ or '')} |")
    return "\n".join(rows)
