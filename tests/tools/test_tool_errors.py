"""Every error reaches the model as a tool error that says what happened and what to do; bad input is refused."""

from __future__ import annotations

from typing import Any

import pytest

from tests.mcp_client import Connect, all_tool_names
from upwork_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio


def _bad_value(schema: dict[str, Any]) -> Any:
    """A value this argument's schema refuses."""
    types = {schema.get("type")} | {t.get("type") for t in schema.get("anyOf", [])}
    if "enum" in schema or any("enum" in t for t in schema.get("anyOf", [])):
        return "not-a-choice"
    if "integer" in types or "number" in types:
        return "a lot"
    if "boolean" in types:
        return {"yes": 1}
    if "object" in types:
        return ["not", "an", "object"]
    return {"not": "a string"}


async def test_bad_input_for_every_argument_of_every_tool_is_refused_with_its_name(connect: Connect) -> None:
    async with connect() as client:
        tools = (await client.list_tools()).tools
        checked = 0
        for tool in tools:
            props = tool.input_schema.get("properties", {})
            required = tool.input_schema.get("required", [])
            base = dict.fromkeys(required, "x")
            for name, schema in props.items():
                result = await client.call_tool(tool.name, {**base, name: _bad_value(schema)})
                assert result.is_error, f"{tool.name}.{name} accepted a bad value"
                assert name in result.content[0].text, f"{tool.name}.{name}: {result.content[0].text[:200]}"
                checked += 1
    assert checked >= 50  # the walk really covered the surface (56 arguments today)


@pytest.mark.parametrize(
    ("faults", "needle"),
    [
        ("deny=Query.marketplaceJobPostingsSearch", "Read marketplace Job Postings"),
        ("rate_limit=1", "Retry after 1 s"),
        ("server_error=1", "Try again shortly"),
    ],
)
async def test_upstream_failures_say_what_to_do(connect: Connect, sandbox: Sandbox, faults: str, needle: str) -> None:
    async with connect() as client:
        await client.call_tool("get_account", {})  # log in before the fault
        from upwork_mcp.sandbox import Faults

        sandbox.faults = Faults.parse(faults)
        result = await client.call_tool("search_jobs", {"q": "python"})
    assert result.is_error and needle in result.content[0].text


async def test_a_timeout_says_how_to_raise_the_limit(connect: Connect, sandbox: Sandbox) -> None:
    async with connect(env={"UPWORK_TIMEOUT": "0.05"}) as client:
        await client.call_tool("get_account", {})
        sandbox.faults.slow = 0.5
        result = await client.call_tool("get_account", {})
    assert result.is_error and "UPWORK_TIMEOUT" in result.content[0].text


async def test_not_found_names_where_ids_come_from(connect: Connect) -> None:
    async with connect() as client:
        result = await client.call_tool("get_contract", {"contract_id": "424242"})
    assert result.is_error and "list_contracts" in result.content[0].text


async def test_graphql_errors_reach_the_model(connect: Connect) -> None:
    async with connect() as client:
        result = await client.call_tool("run_graphql", {"query": "{ marketplaceJobPostingsSearch { budget } }"})
    assert result.is_error and "budget" in result.content[0].text


async def test_without_credentials_the_server_lists_tools_and_says_how_to_log_in(tmp_path) -> None:
    from mcp import Client

    from upwork_mcp.config import Settings
    from upwork_mcp.server import build_server

    settings = Settings.from_env({"UPWORK_TOKEN_FILE": str(tmp_path / "none.json"), "UPWORK_MAX_RETRIES": "0"})
    async with Client(build_server(settings)) as client:
        assert len((await client.list_tools()).tools) == len(all_tool_names())
        result = await client.call_tool("search_jobs", {})
        feed = await client.call_tool("job_feed_status", {})
    assert result.is_error and "upwork-mcp auth login" in result.content[0].text
    assert feed.is_error and "UPWORK_JOB_FEED_API_KEY" in feed.content[0].text
