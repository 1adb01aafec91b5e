"""Every tool is described well enough for a model to use, and its schema is a reviewed snapshot."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from mcp import Client

from upwork_mcp.config import Settings
from upwork_mcp.server import build_server

pytestmark = pytest.mark.anyio
SNAPS = Path(__file__).parent.parent / "toolsnaps"
EXPECTED = {"search_jobs", "get_job", "list_contracts", "get_contract", "list_rooms", "list_messages",
            "send_message", "search_freelancers", "get_freelancer_profile", "run_graphql", "fetch_job_feed",
            "job_feed_status", "get_account"}


async def _tools(env: dict[str, str] | None = None) -> list:
    async with Client(build_server(Settings.from_env({"UPWORK_SANDBOX": "1", **(env or {})}))) as client:
        return (await client.list_tools()).tools


async def test_the_full_surface_is_served() -> None:
    assert {t.name for t in await _tools()} == EXPECTED


async def test_every_tool_has_title_explicit_annotations_and_described_arguments() -> None:
    for tool in await _tools():
        a = tool.annotations
        assert tool.title and a is not None, tool.name
        for hint in (a.read_only_hint, a.destructive_hint, a.idempotent_hint, a.open_world_hint):
            assert hint is not None, f"{tool.name}: every hint must be explicit"
        assert a.open_world_hint is True
        if a.read_only_hint:
            assert a.idempotent_hint and not a.destructive_hint, tool.name
        assert tool.description and len(tool.description) > 40, tool.name
        assert tool.output_schema, f"{tool.name} has no outputSchema"
        for name, prop in tool.input_schema.get("properties", {}).items():
            assert prop.get("description"), f"{tool.name}.{name} has no description"


async def test_writes_are_marked_as_writes() -> None:
    tools = {t.name: t for t in await _tools()}
    assert tools["send_message"].annotations.read_only_hint is False
    assert tools["send_message"].annotations.idempotent_hint is False
    assert tools["run_graphql"].annotations.read_only_hint is False


async def test_read_only_and_toolsets_filter_before_registration() -> None:
    read_only = {t.name: t for t in await _tools({"UPWORK_READ_ONLY": "1"})}
    assert set(read_only) == EXPECTED - {"send_message"}
    # run_graphql stays, refusing mutations, so it is read-only there.
    assert read_only["run_graphql"].annotations.read_only_hint is True
    assert {t.name for t in await _tools({"UPWORK_TOOLSETS": "jobs,feed"})} == {
        "search_jobs", "get_job", "fetch_job_feed", "job_feed_status"}


async def test_each_tool_schema_matches_its_snapshot() -> None:
    update = os.environ.get("UPDATE_TOOLSNAPS") == "1"
    SNAPS.mkdir(exist_ok=True)
    for tool in await _tools():
        snap = {"name": tool.name, "title": tool.title, "description": tool.description,
                "annotations": tool.annotations.model_dump(mode="json", by_alias=True, exclude_none=True),
                "inputSchema": tool.input_schema, "outputSchema": tool.output_schema}
        path = SNAPS / f"{tool.name}.json"
        rendered = json.dumps(snap, indent=2, sort_keys=True) + "\n"
        if update:
            path.write_text(rendered)
        assert path.exists(), f"missing snapshot {path.name}: run with UPDATE_TOOLSNAPS=1 and review the diff"
        assert path.read_text() == rendered, f"{tool.name} schema changed: UPDATE_TOOLSNAPS=1 and review the diff"
    names = {p.stem for p in SNAPS.glob("*.json")}
    assert names == EXPECTED, f"stale snapshots: {names - EXPECTED}"
