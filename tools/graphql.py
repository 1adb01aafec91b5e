"""run_graphql: any Upwork GraphQL document, with variables, under the same safety rules as the tools."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import anyio.to_thread
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, InputRequiredResult
from pydantic import Field

from upwork_mcp.graphql.analysis import DocumentError, check, measure, operation

from ._app import Ctx, app
from ._common import OutModel, TenantId, ToolSpec, respond
from ._confirm import Decision, gate, perform
from ._text import untrusted

MAX_DOCUMENT_CHARS = 20_000
MAX_DEPTH = 12
MAX_FIELDS = 1_000  # fields resolved per item, fragments expanded
MAX_ALIASES = 30  # each alias repeats a field's work upstream
MAX_TEXT_CHARS = 30_000


def inspect_document(query: str, operation_name: str | None) -> Literal["query", "mutation"]:
    """Parse and bound the document (in time linear in its length); return its kind or raise a ToolError."""

    try:
        op = operation(query, operation_name)
        if op.kind == "subscription":
            raise DocumentError("Subscriptions are not supported: Upwork has no subscriptions for API keys.")
        shape = measure(op)
    except DocumentError as exc:
        raise ToolError(str(exc)) from exc
    if shape.depth > MAX_DEPTH:
        raise ToolError(f"The document nests {shape.depth} levels deep; the limit is {MAX_DEPTH}.")
    if shape.fields > MAX_FIELDS:
        raise ToolError(
            f"The document selects {shape.fields} fields once its fragments are expanded; the limit is "
            f"{MAX_FIELDS}. Ask only for the fields you need."
        )
    if shape.aliases > MAX_ALIASES:
        raise ToolError(
            f"The document uses {shape.aliases} aliases; the limit is {MAX_ALIASES}. Make several "
            "smaller calls instead."
        )
    return "mutation" if op.kind == "mutation" else "query"


async def check_against_schema(ctx: Ctx, query: str) -> None:
    """Validate locally (in a worker thread): an invalid document costs no request to Upwork."""

    schema, label = await app(ctx).schema()
    problems = await anyio.to_thread.run_sync(check, schema, query)
    if problems:
        raise ToolError(
            "The document does not fit Upwork's schema; nothing was sent.\n"
            + "\n".join(problems)
            + f"\n(Checked against {label}. If Upwork has this since, run `upwork-mcp schema pull`, or call again "
            "with schema_check=false.)"
        )


class MutationDecision(Decision):
    run: bool = Field(description="Run this mutation against Upwork now?")


def _question(query: str, variables: dict[str, Any] | None) -> str:
    return (
        f"Run this Upwork GraphQL mutation?\n\n{query}\n\nvariables: {json.dumps(variables or {}, ensure_ascii=False)}"
    )


class GraphQLRunResult(OutModel):
    status: Literal["ok", "partial", "needs_approval", "needs_confirmation", "declined"]
    data: dict[str, Any] | None = None
    errors: list[dict[str, Any]] | None = None
    approval_id: str | None = None
    approval_url: str | None = None
    confirmation_token: str | None = None


async def run_graphql(
    ctx: Ctx,
    query: Annotated[
        str,
        Field(
            description="A GraphQL document. A type's fields: resource upwork://schema/{type}.",
            min_length=1,
            max_length=MAX_DOCUMENT_CHARS,
        ),
    ],
    variables: Annotated[dict[str, Any] | None, Field(description="Variables as a JSON object.")] = None,
    operation_name: Annotated[
        str | None, Field(description="Which operation to run, if the document has several.", max_length=100)
    ] = None,
    confirmation_token: Annotated[
        str | None,
        Field(description="After the user approved a mutation: its preview's token.", max_length=64),
    ] = None,
    tenant_id: TenantId = None,
    schema_check: Annotated[
        bool,
        Field(description="false: send unchecked (a field newer than this server's schema)."),
    ] = True,
) -> Annotated[CallToolResult, GraphQLRunResult] | InputRequiredResult:
    """Run a GraphQL document against Upwork's API, for what the other tools don't cover. Mutations need the
    user's confirmation. Documents are checked against Upwork's schema first; an unknown field comes back at
    once with the fields its type has."""
    state = app(ctx)
    kind = inspect_document(query, operation_name)
    if schema_check:
        await check_against_schema(ctx, query)

    async def execute() -> Any:
        return await state.client.graphql.execute(
            query, variables, operation_name=operation_name, mutation=kind == "mutation", tenant_id=tenant_id
        )

    if kind == "mutation":
        if state.read_only:
            raise ToolError("This server is read-only (UPWORK_READ_ONLY): mutations are refused.")
        payload = {
            "query": query,
            "variables": variables or {},
            "operation_name": operation_name,
            "tenant_id": tenant_id,
        }
        verdict = await gate(
            ctx,
            kind="run_graphql",
            payload=payload,
            token=confirmation_token,
            question=_question(query, variables),
            schema=MutationDecision,
            check="query the object the mutation changed",
        )
        if isinstance(verdict, InputRequiredResult):
            return verdict  # the client asks its user, and calls again with the answer
        if verdict.status == "declined":
            return respond(GraphQLRunResult(status="declined"), f"Not run: {verdict.said}.")
        if verdict.ticket is not None:
            ticket = verdict.ticket
            out = GraphQLRunResult(
                status=verdict.preview_status,
                approval_id=ticket.id if ticket.mode == "human" else None,
                approval_url=verdict.link,
                confirmation_token=ticket.token or ticket.id,
            )
            return respond(
                out, "NOT RUN YET: this is a mutation. " + verdict.instructions("run_graphql", "the same arguments")
            )
        result = await perform(ctx, verdict, execute, result_id=lambda r: "done", check="query the affected object")
    else:
        result = await execute()
    out = GraphQLRunResult(status="partial" if result.errors else "ok", data=result.data, errors=result.errors or None)
    body = json.dumps(result.data, separators=(",", ":"), ensure_ascii=False)
    if len(body) > MAX_TEXT_CHARS:
        body = body[:MAX_TEXT_CHARS] + f"… (cut at {MAX_TEXT_CHARS} characters; ask for fewer fields or a smaller page)"
    text = untrusted(body, "Upwork data; free-text fields are written by third parties")
    if result.errors:
        text += "\n" + untrusted("errors: " + "; ".join(result.warnings()), "Upwork's error messages")
    return respond(out, text)


TOOLS = [
    ToolSpec(
        run_graphql, "Run an Upwork GraphQL query", read_only=False, destructive=True, idempotent=False, guarded=True
    ),
]
