from __future__ import annotations

import pytest

from tests.tools.conftest import Connect, answering, each_era
from upwork_mcp.sandbox import Sandbox

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
