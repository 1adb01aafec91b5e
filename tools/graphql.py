"""Upwork's GraphQL API for what the other tools don't cover: run_graphql runs queries (a read, published as
one, so a host that lets reads through asks nobody), run_graphql_mutation runs a mutation once the user said
yes, and describe_type shows the schema to a model that cannot read resources.

A tool's annotations are fixed in `tools/list` before any document is seen, so reads and writes are two tools
rather than one tool that says it may destroy. run_graphql refuses a document that holds anything but
queries, whichever operation it names: what Upwork runs from it can only be a query.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import anyio.to_thread
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, InputRequiredResult
from pydantic import Field

from upwork_mcp.graphql.analysis import DocumentError, Kind, examine_off_loop, fit_answer
from upwork_mcp.graphql.describe import look_up

from ._app import Ctx, app
from ._common import OutModel, TenantId, ToolSpec, respond
from ._confirm import Decision, gate, perform
from ._text import untrusted

MAX_DOCUMENT_CHARS = 20_000
MAX_TEXT_CHARS = 30_000
MAX_ANSWER_BYTES = 200_000  # structured content; thirty aliases of `first: 100` came to 1.9 MB


async def inspect_document(
    ctx: Ctx, query: str, operation_name: str | None, schema_check: bool
) -> tuple[Kind, frozenset[str]]:
    """The local check (upwork_mcp.graphql.analysis.examine, off the event loop, linear and bounded): the kind
    of the operation the document runs and the kinds of all its operations, or a ToolError saying what to
    change. An invalid document costs no request to Upwork."""
    schema, label = await app(ctx).schema() if schema_check else (None, "")
    try:
        examined = await examine_off_loop(query, operation_name, schema)
    except DocumentError as exc:
        raise ToolError(str(exc)) from exc
    if examined.problems:
        raise ToolError(
            "The document does not fit Upwork's schema; nothing was sent.\n"
            + "\n".join(examined.problems)
            + f"\n(Checked against {label}. If Upwork has this since, run `upwork-mcp schema pull`, or call again "
            "with schema_check=false.)"
        )
    return examined.kind, examined.kinds


class MutationDecision(Decision):
    run: bool = Field(description="Run this mutation against Upwork now?")


def _question(query: str, variables: dict[str, Any] | None) -> str:
    return (
        f"Run this Upwork GraphQL mutation?\n\n{query}\n\nvariables: {json.dumps(variables or {}, ensure_ascii=False)}"
    )


class GraphQLRunResult(OutModel):
    status: Literal["ok", "partial"]
    data: dict[str, Any] | None = None
    errors: list[dict[str, Any]] | None = None
    cut: list[str] | None = None  # where the data was cut to fit MAX_ANSWER_BYTES


class MutationRunResult(OutModel):
    status: Literal["ok", "partial", "needs_approval", "needs_confirmation", "declined"]
    data: dict[str, Any] | None = None
    errors: list[dict[str, Any]] | None = None
    approval_id: str | None = None
    approval_url: str | None = None
    confirmation_token: str | None = None
    cut: list[str] | None = None  # where the data was cut to fit MAX_ANSWER_BYTES


Query = Annotated[
    str,
    Field(
        description="A GraphQL document. A type's fields: describe_type.", min_length=1, max_length=MAX_DOCUMENT_CHARS
    ),
]
Variables = Annotated[dict[str, Any] | None, Field(description="Variables as a JSON object.")]
OperationName = Annotated[
    str | None, Field(description="Which operation to run, if the document has several.", max_length=100)
]
SchemaCheck = Annotated[
    bool,
    Field(description="false: send unchecked (a field newer than this server's schema)."),
]


async def answered(result: Any, model: type[GraphQLRunResult] | type[MutationRunResult]) -> CallToolResult:
    """Upwork's answer: its data as compact JSON in the untrusted marking (cut to MAX_ANSWER_BYTES, saying
    where), its errors after it."""
    data, cut = await anyio.to_thread.run_sync(fit_answer, result.data, MAX_ANSWER_BYTES)
    out = model(status="partial" if result.errors else "ok", data=data, errors=result.errors or None, cut=cut or None)
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    if len(body) > MAX_TEXT_CHARS:
        body = body[:MAX_TEXT_CHARS] + f"… (cut at {MAX_TEXT_CHARS} characters; ask for fewer fields or a smaller page)"
    text = untrusted(body, "Upwork data; free-text fields are written by third parties")
    if result.errors:
        text += "\n" + untrusted("errors: " + "; ".join(result.warnings()), "Upwork's error messages")
    if cut:
        text += (
            f"\nCut to fit {MAX_ANSWER_BYTES:,} bytes: {'; '.join(cut)}. Ask for fewer fields or smaller pages "
            "(first:), or fewer aliases."
        )
    return respond(out, text)


async def run_graphql(
    ctx: Ctx,
    query: Query,
    variables: Variables = None,
    operation_name: OperationName = None,
    tenant_id: TenantId = None,
    schema_check: SchemaCheck = True,
) -> Annotated[CallToolResult, GraphQLRunResult]:
    """Run a GraphQL query against Upwork's API, for what the other tools don't cover. Documents are checked
    against Upwork's schema first; an unknown field comes back at once with the fields its type has."""
    state = app(ctx)
    _, kinds = await inspect_document(ctx, query, operation_name, schema_check=False)
    if kinds != {"query"}:
        if state.read_only:
            raise ToolError("This server is read-only (UPWORK_READ_ONLY): mutations are refused.")
        raise ToolError(
            "run_graphql runs queries only and this document holds a mutation: nothing was sent. Send the "
            "mutation alone to run_graphql_mutation (the user approves it first), or the query without it here."
        )
    if schema_check:
        await inspect_document(ctx, query, operation_name, schema_check=True)  # the same parse, remembered
    result = await state.client.graphql.execute(query, variables, operation_name=operation_name, tenant_id=tenant_id)
    return await answered(result, GraphQLRunResult)


async def run_graphql_mutation(
    ctx: Ctx,
    query: Query,
    variables: Variables = None,
    operation_name: OperationName = None,
    confirmation_token: Annotated[
        str | None,
        Field(description="After the user approved this mutation: its preview's token.", max_length=64),
    ] = None,
    tenant_id: TenantId = None,
    schema_check: SchemaCheck = True,
) -> Annotated[CallToolResult, MutationRunResult] | InputRequiredResult:
    """Run a GraphQL mutation against Upwork's API once the user approves it (queries: run_graphql)."""
    state = app(ctx)
    kind, _ = await inspect_document(ctx, query, operation_name, schema_check=False)
    if kind != "mutation":
        raise ToolError("This operation is a query: run it with run_graphql, which needs no approval.")
    if schema_check:
        await inspect_document(ctx, query, operation_name, schema_check=True)  # the same parse, remembered

    async def execute() -> Any:
        return await state.client.graphql.execute(
            query, variables, operation_name=operation_name, mutation=True, tenant_id=tenant_id
        )

    payload = {"query": query, "variables": variables or {}, "operation_name": operation_name, "tenant_id": tenant_id}
    verdict = await gate(
        ctx,
        kind="run_graphql_mutation",
        payload=payload,
        token=confirmation_token,
        question=_question(query, variables),
        schema=MutationDecision,
        check="query the object the mutation changed",
    )
    if isinstance(verdict, InputRequiredResult):
        return verdict  # the client asks its user, and calls again with the answer
    if verdict.status == "declined":
        return respond(MutationRunResult(status="declined"), f"Not run: {verdict.said}.")
    if verdict.ticket is not None:
        ticket = verdict.ticket
        out = MutationRunResult(
            status=verdict.preview_status,
            approval_id=ticket.id if ticket.mode == "human" else None,
            approval_url=verdict.link,
            confirmation_token=ticket.token or ticket.id,
        )
        return respond(out, "NOT RUN YET. " + verdict.instructions("run_graphql_mutation", "the same arguments"))
    result = await perform(ctx, verdict, execute, result_id=lambda r: "done", check="query the affected object")
    return await answered(result, MutationRunResult)


class TypeOut(OutModel):
    name: str
    sdl: str


async def describe_type(
    ctx: Ctx,
    type_name: Annotated[
        str,
        Field(description="Query (the root fields), Mutation, or any type name.", min_length=1, max_length=100),
    ] = "Query",
) -> Annotated[CallToolResult, TypeOut]:
    """Show a type of Upwork's GraphQL schema as SDL: fields, arguments, types and the fields returning it.
    A misspelt name gets the closest type names."""
    schema, label = await app(ctx).schema()
    name, sdl, close = await anyio.to_thread.run_sync(look_up, schema, type_name)
    if sdl is None:
        raise ToolError(
            f"No type {type_name!r} in {label}."
            + (f" Close: {', '.join(close)}." if close else "")
            + " describe_type with Query lists the root fields."
        )
    return respond(TypeOut(name=name, sdl=sdl), sdl)


TOOLS = [
    ToolSpec(run_graphql, "Run an Upwork GraphQL query", read_only=True),
    ToolSpec(
        run_graphql_mutation, "Run an Upwork GraphQL mutation", read_only=False, destructive=True, idempotent=False
    ),
    ToolSpec(describe_type, "Describe an Upwork GraphQL type", read_only=True),
]
