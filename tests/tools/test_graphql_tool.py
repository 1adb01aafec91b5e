from __future__ import annotations

import httpx
import pytest
from mcp import Client

from tests.mcp_client import Connect, answering, each_era
from upwork_mcp import graphql as documents
from upwork_mcp.config import Settings
from upwork_mcp.graphql import introspection
from upwork_mcp.sandbox import Sandbox, create_app
from upwork_mcp.sandbox.graphql_api import full_introspection
from upwork_mcp.server import build_server

pytestmark = pytest.mark.anyio
MUTATION = "mutation Send($input: RoomStoryCreateInputV2!) { createRoomStoryV2(input: $input) { id message } }"
SEND = "createRoomStoryV2(input: $input) { id message }"
QUERY = "query Q { user { id } }"


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
        preview = await client.call_tool("run_graphql_mutation", args)
        token = preview.structured_content["confirmation_token"]
        assert preview.structured_content["status"] == "needs_confirmation" and sandbox.sent_messages == []
        other = await client.call_tool(
            "run_graphql_mutation",
            {**args, "variables": {"input": {"roomId": room, "message": "other"}}, "confirmation_token": token},
        )
        assert other.is_error and sandbox.sent_messages == []
        done = await client.call_tool("run_graphql_mutation", {**args, "confirmation_token": token})
    assert done.structured_content["data"]["createRoomStoryV2"]["message"] == "via graphql"
    assert len(sandbox.sent_messages) == 1


@each_era
async def test_a_declined_mutation_does_not_run(connect: Connect, sandbox: Sandbox) -> None:
    ask = answering("decline")
    async with connect(elicit=ask) as client:
        result = await client.call_tool(
            "run_graphql_mutation",
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


async def test_queries_are_published_as_reads_and_mutations_as_writes(connect: Connect) -> None:
    async with connect() as client:
        tools = {t.name: t.annotations for t in (await client.list_tools()).tools}
    assert tools["run_graphql"].read_only_hint is True and tools["run_graphql"].destructive_hint is False
    assert tools["describe_type"].read_only_hint is True
    mutation = tools["run_graphql_mutation"]
    assert mutation.read_only_hint is False and mutation.destructive_hint is True and mutation.idempotent_hint is False


# Every way a document could carry a write through the query tool, and what the refusal says. Only the last is
# sent: a query, which Upwork refuses (a fragment on the mutation type in a query reaches no mutation resolver).
TWO = f"{QUERY} mutation M($input: RoomStoryCreateInputV2!) {{ {SEND} }}"
SAME_NAME = f"query A {{ user {{ id }} }} mutation A($input: RoomStoryCreateInputV2!) {{ {SEND} }}"
IN_FRAGMENT = f"query Q($input: RoomStoryCreateInputV2!) {{ ... on Mutation {{ {SEND} }} }}"
BYPASSES = [
    pytest.param({"query": MUTATION}, "run_graphql_mutation", id="a mutation"),
    pytest.param({"query": MUTATION, "schema_check": False}, "run_graphql_mutation", id="a mutation unchecked"),
    pytest.param({"query": "# a comment\n" + MUTATION}, "run_graphql_mutation", id="after a comment"),
    pytest.param({"query": TWO}, "give operation_name", id="a query and a mutation, none named"),
    pytest.param({"query": TWO, "operation_name": "Q"}, "run_graphql_mutation", id="the query named"),
    pytest.param({"query": TWO, "operation_name": "M"}, "run_graphql_mutation", id="the mutation named"),
    pytest.param(
        {"query": SAME_NAME, "operation_name": "A", "schema_check": False}, "run_graphql_mutation", id="one name"
    ),
    pytest.param({"query": "{ user { id } } mutation { createRoomStoryV2 }"}, "give operation_name", id="anonymous"),
    pytest.param({"query": "subscription { roomStory }"}, "Subscriptions are not", id="a subscription"),
    pytest.param(
        {"query": f"{QUERY} subscription S {{ roomStory }}", "operation_name": "Q"},
        "Subscriptions are not",
        id="a query named beside a subscription",
    ),
    pytest.param({"query": "MUTATION { createRoomStoryV2 }"}, "does not parse", id="the keyword in capitals"),
    pytest.param({"query": IN_FRAGMENT, "schema_check": False}, None, id="a fragment on Mutation, unchecked"),
]


@pytest.mark.parametrize(("args", "says"), BYPASSES)
async def test_the_query_tool_runs_no_mutation_whatever_the_document_says(
    connect: Connect, sandbox: Sandbox, args: dict, says: str | None
) -> None:
    variables = {"input": {"roomId": sandbox.data.rooms[0]["id"], "message": "through the query tool"}}
    async with connect(env={"UPWORK_WRITE_APPROVAL": "token"}) as client:
        await client.call_tool("get_account", {})
        before = sandbox.api_requests
        result = await client.call_tool("run_graphql", {**args, "variables": variables})
    assert result.is_error and sandbox.sent_messages == [], result.content[0].text
    if says is not None:  # refused here: nothing reached Upwork
        assert says in result.content[0].text and sandbox.api_requests == before


async def test_the_mutation_tool_sends_queries_back_to_the_query_tool(connect: Connect, sandbox: Sandbox) -> None:
    async with connect(env={"UPWORK_WRITE_APPROVAL": "token"}) as client:
        await client.call_tool("get_account", {})
        before = sandbox.api_requests
        result = await client.call_tool("run_graphql_mutation", {"query": "{ user { name } }"})
    assert result.is_error and "run_graphql" in result.content[0].text and sandbox.api_requests == before


async def test_read_only_refuses_mutations_but_runs_queries(connect: Connect, sandbox: Sandbox) -> None:
    from mcp.shared.exceptions import MCPError

    variables = {"input": {"roomId": sandbox.data.rooms[0]["id"], "message": "no"}}
    async with connect(env={"UPWORK_READ_ONLY": "1"}) as client:
        listed = {t.name for t in (await client.list_tools()).tools}
        refused = await client.call_tool("run_graphql", {"query": MUTATION, "variables": variables})
        try:
            unserved = await client.call_tool("run_graphql_mutation", {"query": MUTATION, "variables": variables})
        except MCPError as exc:
            unserved_text = str(exc)
        else:
            assert unserved.is_error
            unserved_text = unserved.content[0].text
        fine = await client.call_tool("run_graphql", {"query": "{ user { name } }"})
    assert "run_graphql_mutation" not in listed and {"run_graphql", "describe_type"} <= listed
    assert refused.is_error and "read-only" in refused.content[0].text and sandbox.sent_messages == []
    assert "run_graphql_mutation" in unserved_text and sandbox.sent_messages == []
    assert fine.structured_content["data"]["user"]["name"] == sandbox.data.user["name"]


async def test_an_unknown_root_lists_every_root_the_closest_first(connect: Connect) -> None:
    async with connect() as client:
        result = await client.call_tool("run_graphql", {"query": "{ myProfile { title overview } }"})
    text = result.content[0].text
    line = next(line for line in text.splitlines() if "Query has" in line)
    assert result.is_error and " ..." not in text
    assert line.startswith("  Query has (closest first): user (CurrentUser), ")
    named = line.split(": ", 1)[1].split(", ")
    roots = list(documents.bundled_schema().query_type.fields)
    assert sorted(n.split(" (")[0] for n in named) == sorted(roots)  # whole: every root, once


async def test_describe_type_shows_the_schema_without_resources(connect: Connect, sandbox: Sandbox) -> None:
    async with connect() as client:
        roots = await client.call_tool("describe_type", {})
        user = await client.call_tool("describe_type", {"type_name": "currentuser"})
        misspelt = await client.call_tool("describe_type", {"type_name": "FreelancerProfil"})
        profile = await client.call_tool("describe_type", {"type_name": "FreelancerProfile"})
        answer = await client.call_tool("run_graphql", {"query": "{ user { name } }"})
    assert "type Query {" in roots.content[0].text and "  user: CurrentUser\n" in roots.content[0].text
    assert all(f"  {name}" in roots.content[0].text for name in documents.bundled_schema().query_type.fields)
    assert user.structured_content["name"] == "CurrentUser" and "  freelancerProfile: FreelancerProfile" in (
        user.content[0].text
    )
    assert misspelt.is_error and "Close: FreelancerProfile," in misspelt.content[0].text
    assert "personalData: " in profile.content[0].text and "CurrentUser.freelancerProfile" in profile.content[0].text
    assert answer.structured_content["data"]["user"]["name"] == sandbox.data.user["name"]


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


class AnswerTimesOut(httpx.AsyncBaseTransport):
    """The sandbox, except that the answers to the next `armed` GraphQL requests never arrive in time: each
    request reaches the sandbox and is processed, then reading its answer times out."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.armed = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if self.armed and request.url.path == "/graphql":
            self.armed -= 1
            await response.aclose()
            raise httpx.ReadTimeout("the answer did not come in time", request=request)
        return response


@pytest.mark.parametrize("fault", ["server_error", "lost_answer", "timeout"])
async def test_a_mutation_that_meets_a_failure_is_sent_once(sandbox: Sandbox, fault: str) -> None:
    """A 503 (refused), a 502 after processing or an answer that times out (outcome unknown): never resent."""
    sandbox.rate_limit = 1e6
    args = {"query": MUTATION, "variables": {"input": {"roomId": sandbox.data.rooms[0]["id"], "message": "once"}}}
    # Retries on, as a server runs: a read that met the same failure would be sent again.
    settings = Settings.from_env({"UPWORK_SANDBOX": "1", "UPWORK_WRITE_APPROVAL": "token", "UPWORK_MAX_RETRIES": "3"})
    transport = AnswerTimesOut(httpx.ASGITransport(app=create_app(sandbox)))
    async with Client(build_server(settings, transport=transport)) as client:
        token = (await client.call_tool("run_graphql_mutation", args)).structured_content["confirmation_token"]
        before = sandbox.requests_seen
        if fault == "timeout":
            transport.armed = 10
        else:
            setattr(sandbox.faults, fault, 10)
        failed = await client.call_tool("run_graphql_mutation", {**args, "confirmation_token": token})
        sent = sandbox.requests_seen - before
    text = failed.content[0].text
    assert failed.is_error and sent == 1, (sent, text)
    if fault == "server_error":
        assert "still valid" in text and sandbox.sent_messages == []
    else:
        assert "may or may not have reached" in text and len(sandbox.sent_messages) == 1
