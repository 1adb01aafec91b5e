from __future__ import annotations

import pytest

from tests.mcp_client import Connect, answering, each_era
from upwork_mcp.graphql import introspection
from upwork_mcp.sandbox import Sandbox
from upwork_mcp.sandbox.graphql_api import full_introspection

pytestmark = pytest.mark.anyio
MUTATION = "mutation Send($input: RoomStoryCreateInputV2!) { createRoomStoryV2(input: $input) { id message } }"


async def test_queries_run_with_variables_passed_as_variables(connect: Connect, sandbox: Sandbox) -> None:
    contract = sandbox.data.contracts[3]
    async with connect() as client:
        result = await client.call_tool(
            "run_graphql",
            {
                "query": "query C($id: ID!) { contractDetails(id: $id) { id title } }",
                "variables": {"id": contract["id"]},
            },
        )
    assert result.structured_content["data"]["contractDetails"]["title"] == contract["title"]
    assert result.structured_content["status"] == "ok"


@each_era
async def test_a_mutation_needs_a_confirmation_bound_to_its_payload(connect: Connect, sandbox: Sandbox) -> None:
    room = sandbox.data.rooms[0]["id"]
    args = {"query": MUTATION, "variables": {"input": {"roomId": room, "message": "via graphql"}}}
    async with connect(env={"UPWORK_WRITE_APPROVAL": "token"}) as client:
        preview = await client.call_tool("run_graphql", args)
        token = preview.structured_content["confirmation_token"]
        assert preview.structured_content["status"] == "needs_confirmation" and sandbox.sent_messages == []
        other = await client.call_tool(
            "run_graphql",
            {**args, "variables": {"input": {"roomId": room, "message": "other"}}, "confirmation_token": token},
        )
        assert other.is_error and sandbox.sent_messages == []
        done = await client.call_tool("run_graphql", {**args, "confirmation_token": token})
    assert done.structured_content["data"]["createRoomStoryV2"]["message"] == "via graphql"
    assert len(sandbox.sent_messages) == 1


@each_era
async def test_a_declined_mutation_does_not_run(connect: Connect, sandbox: Sandbox) -> None:
    ask = answering("decline")
    async with connect(elicit=ask) as client:
        result = await client.call_tool(
            "run_graphql",
            {"query": MUTATION, "variables": {"input": {"roomId": sandbox.data.rooms[0]["id"], "message": "no"}}},
        )
    assert result.structured_content["status"] == "declined" and sandbox.sent_messages == [] and ask.asked


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ("subscription { events }", "Subscriptions are not supported"),
        ("{ user { id } ", "does not parse"),
        ("query A { user { id } } query B { user { id } }", "operation_name"),
        ("{ " + "a { " * 14 + "id" + " }" * 15, "levels deep"),
        ("{ user { id } }" + " " * 20_000, "at most 20000"),
    ],
)
async def test_documents_out_of_bounds_are_refused_with_the_reason(connect: Connect, query: str, needle: str) -> None:
    async with connect() as client:
        result = await client.call_tool("run_graphql", {"query": query})
    assert result.is_error and needle in result.content[0].text


async def test_read_only_refuses_mutations_but_runs_queries(connect: Connect, sandbox: Sandbox) -> None:
    async with connect(env={"UPWORK_READ_ONLY": "1"}) as client:
        refused = await client.call_tool(
            "run_graphql",
            {"query": MUTATION, "variables": {"input": {"roomId": sandbox.data.rooms[0]["id"], "message": "no"}}},
        )
        fine = await client.call_tool("run_graphql", {"query": "{ user { name } }"})
    assert refused.is_error and "read-only" in refused.content[0].text and sandbox.sent_messages == []
    assert fine.structured_content["data"]["user"]["name"] == sandbox.data.user["name"]


async def test_a_misspelt_field_is_answered_with_a_suggestion_and_sends_nothing(
    connect: Connect, sandbox: Sandbox
) -> None:
    async with connect() as client:
        await client.call_tool("get_account", {})
        before = sandbox.requests_seen
        result = await client.call_tool("run_graphql", {"query": "{ user { nmae } }"})
        sent = sandbox.requests_seen - before
        unchecked = await client.call_tool("run_graphql", {"query": "{ user { nmae } }", "schema_check": False})
    text = result.content[0].text
    assert result.is_error and "Did you mean 'name'?" in text and "CurrentUser has:" in text
    assert "bundled snapshot" in text and "schema pull" in text and sent == 0
    assert unchecked.is_error and sandbox.requests_seen - before == 1  # sent as asked; Upwork's own refusal


async def test_a_pulled_schema_takes_precedence_over_the_bundled_one(connect: Connect, tmp_path) -> None:
    # What a pull would save from a key whose Upwork no longer has user.email.
    answer = full_introspection(frozenset({"CurrentUser.email"}))["__schema"]
    pulled = introspection.Pulled(types={t["name"]: t for t in answer["types"]}, complete=True, pulled_at=1.8e9)
    async with connect(env={"UPWORK_DATA_DIR": str(tmp_path)}) as client:
        before_pull = await client.call_tool("run_graphql", {"query": "{ user { email } }"})
        introspection.save(tmp_path / "schema-sandbox.json", pulled)
        after_pull = await client.call_tool("run_graphql", {"query": "{ user { email } }"})
    assert not before_pull.is_error  # the bundled snapshot has it, and so does the sandbox
    assert after_pull.is_error and "pulled from Upwork with this key" in after_pull.content[0].text
