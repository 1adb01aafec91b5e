"""Tools served from their published definitions: `tools/list` answers without importing a tool module.

Building a tool's schemas (pydantic models from its signature, then JSON schemas) costs more than the
rest of start-up together, and a client that starts one server per call (LangChain's default) pays it
on every call. So the definitions each tool is published with are generated once, into
`published.json` beside this module (`UPDATE_TOOLSNAPS=1 pytest tests/tools/test_conventions.py`
rewrites it; a test keeps it equal to what the tools declare), and served from there. A tool's module
is imported, and its argument model built, on its first call.

The file carries a digest of the sources the definitions come from; if they changed without it (an
edited checkout), the server builds every tool from its function instead, as it would without the file.
"""

from __future__ import annotations

import hashlib
import json
import logging
from functools import cached_property
from pathlib import Path
from typing import Any

import pydantic
from mcp.server.mcpserver.tools import Tool
from mcp_types import ToolAnnotations

from .._bundled import tools_package, tools_root
from ..config import Settings
from .registry import tool_specs, toolsets
from .schemas import served_tool

log = logging.getLogger("upwork_mcp.server")

PUBLISHED = Path(__file__).with_name("published.json")


def sources_digest() -> str:
    """What the published definitions are derived from: the tool modules, the schema compaction, the libraries."""
    digest = hashlib.sha256(f"pydantic {pydantic.VERSION}".encode())
    for path in [*sorted(tools_root().glob("*.py")), Path(__file__).with_name("schemas.py")]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def definitions(settings: Settings | None = None) -> dict[str, Any]:
    """The published definitions of every tool, built from the tools themselves (the slow path)."""
    entries = []
    for spec in tool_specs(settings or Settings.from_env({})):
        tool = served_tool(spec)
        entries.append(
            {
                "name": spec.name,
                "toolset": spec.toolset,
                "served_read_only": spec.served_read_only,
                "title": tool.title,
                "description": tool.description,
                "inputSchema": tool.parameters,
                "outputSchema": tool.output_schema,
                "annotations": _hints(spec.annotations()),
            }
        )
    return {"digest": sources_digest(), "tools": entries}


def _hints(annotations: ToolAnnotations) -> dict[str, Any]:
    return annotations.model_dump(mode="json", by_alias=True, exclude_none=True)


def render(published: dict[str, Any]) -> str:
    return json.dumps(published, indent=1, sort_keys=True) + "\n"


def _load() -> dict[str, Any] | None:
    try:
        published: dict[str, Any] = json.loads(PUBLISHED.read_text())
    except (OSError, ValueError):
        return None
    if published.get("digest") != sources_digest():
        log.warning("the published tool definitions are stale (tools changed since): building them at start-up")
        return None
    return published


def served_tools(settings: Settings) -> list[Tool]:
    """The tools `settings` serve: from the published definitions when they are current, else built."""
    published = _load()
    if published is None:
        return [served_tool(spec) for spec in tool_specs(settings)]
    chosen = toolsets(settings)
    return [
        PublishedTool.of(entry)
        for entry in published["tools"]
        if entry["toolset"] in chosen and (not settings.read_only or entry["served_read_only"])
    ]


class PublishedTool(Tool):
    """A tool listed from its published definition; its function is loaded and built on the first call."""

    @classmethod
    def of(cls, entry: dict[str, Any]) -> PublishedTool:
        tool = cls.model_construct(
            fn=_not_loaded,
            name=entry["name"],
            title=entry["title"],
            description=entry["description"],
            parameters=entry["inputSchema"],
            is_async=True,
            context_kwarg=None,
            resolved_params={},
            resolver_plans={},
            annotations=ToolAnnotations.model_validate(entry["annotations"]),
            icons=None,
            meta=None,
        )
        tool.__dict__["output_schema"] = entry["outputSchema"]
        tool.__dict__["_toolset"] = entry["toolset"]
        return tool

    @cached_property
    def output_schema(self) -> dict[str, Any] | None:  # set by of(); never computed from a function here
        return None

    @cached_property
    def loaded(self) -> Tool:
        """The tool built from its function, as a server without published definitions would serve it."""
        spec = next(s for s in tools_package().specs_of(self.__dict__["_toolset"]) if s.name == self.name)
        return served_tool(spec)

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        return await self.loaded.run(arguments, context, convert_result=convert_result)


def _not_loaded(*_: Any, **__: Any) -> Any:
    raise RuntimeError("a published tool runs through its loaded form")
