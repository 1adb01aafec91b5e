"""Every tool is described well enough for a model to use, says whether it writes, and its schema is a
reviewed snapshot. Expectations come from the registry, never from a hand count."""

from __future__ import annotations

import importlib
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from mcp import Client

from tests.mcp_client import all_tool_names, tool_names
from upwork_mcp._bundled import tools_package
from upwork_mcp.config import Settings
from upwork_mcp.server import Runtime, build_server, published, tool_specs, tool_table

if TYPE_CHECKING:
    from tools._app import App

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]
SNAPS = ROOT / "tests" / "toolsnaps"


async def _tools(env: dict[str, str] | None = None) -> list:
    async with Client(build_server(Settings.from_env({"UPWORK_SANDBOX": "1", **(env or {})}))) as client:
        return (await client.list_tools()).tools


async def test_the_full_surface_is_served() -> None:
    assert {t.name for t in await _tools()} == all_tool_names()


def test_the_lifespan_yields_the_runtime_the_tools_depend_on() -> None:
    # mypy checks the assignment (scripts/check): the runtime satisfies the tools' App protocol.
    runtime: App = Runtime(Settings.from_env({"UPWORK_SANDBOX": "1"}), None)
    assert runtime.settings.sandbox and runtime.principal() is None and not runtime.read_only


def test_a_tool_spec_must_say_whether_it_writes() -> None:
    common = importlib.import_module(f"{tools_package().__name__}._common")

    async def new_tool() -> None:
        """A tool someone adds."""

    with pytest.raises(TypeError, match="read_only"):
        common.ToolSpec(new_tool, "A new tool")  # no read_only: refused, never published as read-only
    # A write says whether it destroys and whether repeating it is harmless: no quiet default either way.
    for missing in ({"destructive": False}, {"idempotent": False}, {}):
        with pytest.raises(TypeError, match="destructive= and idempotent="):
            common.ToolSpec(new_tool, "A new tool", read_only=False, **missing)
    spec = common.ToolSpec(new_tool, "A new tool", read_only=False, destructive=True, idempotent=False)
    assert spec.annotations().destructive_hint is True and spec.annotations().idempotent_hint is False


def test_declarations_are_consistent() -> None:
    """A tool declared read-only must not also be declared destructive or non-idempotent (the published
    hints would then contradict what the tool was declared to do)."""
    for spec in tools_package().all_specs():
        assert isinstance(spec.read_only, bool), spec.name
        if spec.read_only:
            assert not spec.destructive and spec.idempotent is not False, spec.name


async def test_every_tool_has_title_explicit_annotations_and_described_arguments() -> None:
    specs = {s.name: s for s in tools_package().all_specs()}
    for tool in await _tools():
        a = tool.annotations
        assert tool.title and a is not None, tool.name
        for hint in (a.read_only_hint, a.destructive_hint, a.idempotent_hint, a.open_world_hint):
            assert hint is not None, f"{tool.name}: every hint must be explicit"
        assert a.open_world_hint is True
        assert a.read_only_hint is specs[tool.name].read_only, f"{tool.name} is published unlike its declaration"
        assert tool.description and len(tool.description) > 40, tool.name
        assert tool.output_schema, f"{tool.name} has no outputSchema"
        assert tool.input_schema.get("additionalProperties") is False, f"{tool.name} accepts unknown arguments"
        for name, prop in tool.input_schema.get("properties", {}).items():
            assert prop.get("description"), f"{tool.name}.{name} has no description"


async def test_read_only_and_toolsets_filter_before_registration() -> None:
    read_only = {t.name: t for t in await _tools({"UPWORK_READ_ONLY": "1"})}
    assert set(read_only) == tool_names(read_only=True)
    assert set(read_only) < all_tool_names(), "read-only mode must drop the write tools"
    assert {t.name for t in await _tools({"UPWORK_TOOLSETS": "jobs,feed"})} == tool_names(toolsets={"jobs", "feed"})


async def test_each_tool_schema_matches_its_snapshot() -> None:
    update = os.environ.get("UPDATE_TOOLSNAPS") == "1"
    SNAPS.mkdir(exist_ok=True)
    for tool in await _tools():
        snap = {
            "name": tool.name,
            "title": tool.title,
            "description": tool.description,
            "annotations": tool.annotations.model_dump(mode="json", by_alias=True, exclude_none=True),
            "inputSchema": tool.input_schema,
            "outputSchema": tool.output_schema,
        }
        path = SNAPS / f"{tool.name}.json"
        rendered = json.dumps(snap, indent=2, sort_keys=True) + "\n"
        if update:
            path.write_text(rendered)
        assert path.exists(), f"missing snapshot {path.name}: run with UPDATE_TOOLSNAPS=1 and review the diff"
        assert path.read_text() == rendered, f"{tool.name} schema changed: UPDATE_TOOLSNAPS=1 and review the diff"
    names = {p.stem for p in SNAPS.glob("*.json") if not p.name.endswith(".args.json")}  # sample calls beside
    assert names == all_tool_names(), f"stale snapshots: {names - all_tool_names()}"


def test_the_published_definitions_are_what_the_tools_declare() -> None:
    """The server lists tools from published.json without building them: it must say what building them says."""
    built = published.definitions()
    if os.environ.get("UPDATE_TOOLSNAPS") == "1":
        published.PUBLISHED.write_text(published.render(built))
    assert published.PUBLISHED.read_text() == published.render(built), (
        "upwork_mcp/server/published.json is stale: UPDATE_TOOLSNAPS=1 pytest tests/tools/test_conventions.py"
    )


@pytest.mark.parametrize("env", [{}, {"UPWORK_READ_ONLY": "1"}, {"UPWORK_TOOLSETS": "jobs,graphql"}])
async def test_listing_from_published_definitions_equals_listing_built_tools(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from_published = [t.model_dump(mode="json", by_alias=True) for t in await _tools(env)]
    monkeypatch.setattr(published, "PUBLISHED", ROOT / "no-such-file.json")  # the slow path: build every tool
    built = [t.model_dump(mode="json", by_alias=True) for t in await _tools(env)]
    assert from_published == built


async def test_a_published_tool_is_loaded_on_its_first_call_and_checks_arguments_strictly() -> None:
    server = build_server(Settings.from_env({"UPWORK_SANDBOX": "1"}))
    listed = {t.name: t for t in server._tool_manager.list_tools()}
    assert all(isinstance(t, published.PublishedTool) for t in listed.values())
    assert "loaded" not in listed["list_categories"].__dict__  # listing built nothing
    async with Client(server) as client:
        wrong = await client.call_tool("search_jobs", {"limit": True})
        assert wrong.is_error and "search_jobs: limit" in wrong.content[0].text
        ok = await client.call_tool("list_categories", {})
        assert not ok.is_error and ok.structured_content
    assert "loaded" in listed["list_categories"].__dict__ and "loaded" not in listed["get_offer"].__dict__


def test_the_readme_tool_table_is_the_registry() -> None:
    readme = (ROOT / "README.md").read_text()
    found = re.search(r"<!-- tools:begin -->\n(.*?)\n<!-- tools:end -->", readme, re.S)
    assert found, "README.md needs its generated tool table between <!-- tools:begin --> and <!-- tools:end -->"
    expected = tool_table(tool_specs(Settings.from_env({})))
    assert found.group(1) == expected, "the README's tool table is stale: paste `upwork-mcp tools --markdown`"
