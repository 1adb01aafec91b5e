"""A NUL character in any argument of any tool is refused with a plain answer before it reaches the store, on
PostgreSQL too (which refuses text holding one, and once crashed four tools with it)."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import MCPError

from tests.mcp_client import Connect

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


def _plain(schema: dict[str, Any]) -> Any:
    kind = schema.get("type") or next((o.get("type") for o in schema.get("anyOf", []) if "type" in o), "string")
    return {"string": "abc", "integer": 1, "number": 1, "boolean": True, "array": ["abc"], "object": {"a": "b"}}[kind]


def _with_nul(schema: dict[str, Any]) -> Any | None:
    """A value of this argument's type with a NUL in it, or None when the type holds no text."""
    kind = schema.get("type") or next((o.get("type") for o in schema.get("anyOf", []) if "type" in o), None)
    return {"string": "a\x00b", "array": ["a\x00b"], "object": {"k": "a\x00b"}}.get(kind or "")


async def test_every_tool_refuses_a_nul_in_any_argument_before_the_database(
    connect: Connect, postgres_url: str
) -> None:
    calls = []
    async with connect(env={"UPWORK_DATABASE_URL": postgres_url}) as client:
        await client.call_tool("create_watch", {"name": "everything"})
        await client.call_tool("check_watches", {})
        for tool in (await client.list_tools()).tools:
            properties = tool.input_schema.get("properties", {})
            required = {name: _plain(properties[name]) for name in tool.input_schema.get("required", [])}
            for name, schema in properties.items():
                bad = _with_nul(schema)
                if bad is not None:
                    calls.append((tool.name, name, await client.call_tool(tool.name, {**required, name: bad})))
        with pytest.raises(MCPError, match="Unknown resource"):  # matches no template: nothing is read
            await client.read_resource("upwork://watches/every%00thing")
    names = {name for name, _, _ in calls}
    assert {
        "send_message",
        "run_graphql",
        "run_graphql_mutation",
        "describe_type",
        "score_jobs",
        "check_watches",
        "preview_watch",
    } <= names
    for tool, argument, result in calls:
        text = result.content[0].text
        assert result.is_error and "NUL character" in text and argument in text, (tool, argument, text)
