"""run_graphql: any Upwork GraphQL document, with variables, under the same safety rules as the tools."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, Literal

from mcp.server.mcpserver import AcceptedElicitation, Context, Elicit, ElicitationResult, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult
from pydantic import BaseModel, Field

from ._common import OutModel, TenantId, ToolSpec, app, can_elicit, respond, untrusted

if TYPE_CHECKING:
    from graphql import FragmentDefinitionNode, SelectionSetNode

MAX_DOCUMENT_CHARS = 20_000
MAX_DEPTH = 12
MAX_TEXT_CHARS = 30_000


def _depth(selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode],
           seen: frozenset[str] = frozenset()) -> int:
    from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode

    if selection_set is None:
        return 0
    deepest = 0
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            deepest = max(deepest, 1 + _depth(sel.selection_set, fragments, seen))
        elif isinstance(sel, InlineFragmentNode):
            deepest = max(deepest, _depth(sel.selection_set, fragments, seen))
        elif isinstance(sel, FragmentSpreadNode):
            name = sel.name.value
            if name in seen or name not in fragments:
                continue  # a cycle or a missing fragment is for the server's validation to report
            deepest = max(deepest, _depth(fragments[name].selection_set, fragments, seen | {name}))
    return deepest


def inspect_document(query: str, operation_name: str | None) -> Literal["query", "mutation"]:
    """Parse and bound the document; return the operation type, or raise a ToolError with the reason."""
    from graphql import FragmentDefinitionNode, GraphQLError, OperationDefinitionNode, parse

    if len(query) > MAX_DOCUMENT_CHARS:
        raise ToolError(f"The document is {len(query)} characters; the limit is {MAX_DOCUMENT_CHARS}. "
                        "Ask only for the fields you need.")
    try:
        document = parse(query)
    except GraphQLError as exc:
        raise ToolError(f"The document does not parse: {exc.message} "
                        f"(line {exc.locations[0].line if exc.locations else '?'}).") from None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    if not operations:
        raise ToolError("The document has no operation: write `query { ... }`.")
    if operation_name:
        chosen = [op for op in operations if op.name and op.name.value == operation_name]
        if not chosen:
            raise ToolError(f"No operation named {operation_name!r} in the document.")
        op = chosen[0]
    elif len(operations) > 1:
        raise ToolError("The document has several operations: give operation_name.")
    else:
        op = operations[0]
    kind = op.operation.value
    if kind == "subscription":
        raise ToolError("Subscriptions are not supported: Upwork delivers events by webhook, not over this tool.")
    depth = _depth(op.selection_set, fragments)
    if depth > MAX_DEPTH:
        raise ToolError(f"The document nests {depth} levels deep; the limit is {MAX_DEPTH}.")
    return "mutation" if kind == "mutation" else "query"


class MutationDecision(BaseModel):
    run: bool = Field(description="Run this mutation against Upwork now?")


async def ask_before_mutating(query: str, variables: dict[str, Any] | None, operation_name: str | None,
                              confirmation_token: str | None, ctx: Context) -> Any:
    if confirmation_token is not None or not can_elicit(ctx):
        return None
    try:
        kind = inspect_document(query, operation_name)
    except ToolError:
        return None  # the tool body reports it
    if kind != "mutation" or app(ctx).read_only:
        return None
    return Elicit(f"Run this Upwork GraphQL mutation?\n\n{query}\n\nvariables: "
                  f"{json.dumps(variables or {}, ensure_ascii=False)}", MutationDecision)


class GraphQLRunResult(OutModel):
    status: Literal["ok", "partial", "needs_confirmation", "declined"]
    data: dict[str, Any] | None = None
    errors: list[dict[str, Any]] | None = None
    confirmation_token: str | None = None


async def run_graphql(
    ctx: Context,
    query: Annotated[str, Field(description="A GraphQL document. See the upwork://schema resource for fields that "
                                           "are known to exist.", min_length=1, max_length=MAX_DOCUMENT_CHARS)],
    decision: Annotated[ElicitationResult[MutationDecision], Resolve(ask_before_mutating)],
    variables: Annotated[dict[str, Any] | None, Field(description="Variables as a JSON object.")] = None,
    operation_name: Annotated[str | None, Field(description="Which operation to run, if the document has several.",
                                                max_length=100)] = None,
    confirmation_token: Annotated[str | None, Field(
        description="Only for a mutation the user approved: the token its preview returned.", max_length=64)] = None,
    tenant_id: TenantId = None,
) -> Annotated[CallToolResult, GraphQLRunResult]:
    """Run any query against Upwork's GraphQL API, for what the other tools don't cover. Queries run at once;
    mutations need the user's confirmation; subscriptions are refused. Partial data comes back with its errors."""
    state = app(ctx)
    kind = inspect_document(query, operation_name)
    if kind == "mutation":
        if state.read_only:
            raise ToolError("This server is read-only (UPWORK_READ_ONLY): mutations are refused.")
        payload = {"query": query, "variables": variables or {}, "operation_name": operation_name,
                   "tenant_id": tenant_id}
        if confirmation_token is not None:
            state.confirmations.redeem("run_graphql", payload, confirmation_token)
        elif not isinstance(decision, AcceptedElicitation):
            return respond(GraphQLRunResult(status="declined"), "Not run: the user declined the mutation.")
        elif decision.data is None:
            token = state.confirmations.issue("run_graphql", payload)
            return respond(GraphQLRunResult(status="needs_confirmation", confirmation_token=token),
                           "NOT RUN YET: this is a mutation. Show the user the document and variables, and if they "
                           f"approve call run_graphql again with the same arguments and confirmation_token={token}.")
        elif not decision.data.run:
            return respond(GraphQLRunResult(status="declined"), "Not run: the user said no.")
    result = await state.client.graphql.execute(query, variables, operation_name=operation_name,
                                                mutation=kind == "mutation", tenant_id=tenant_id)
    out = GraphQLRunResult(status="partial" if result.errors else "ok", data=result.data,
                           errors=result.errors or None)
    body = json.dumps(result.data, separators=(",", ":"), ensure_ascii=False)
    if len(body) > MAX_TEXT_CHARS:
        body = body[:MAX_TEXT_CHARS] + f"… (cut at {MAX_TEXT_CHARS} characters; ask for fewer fields or a smaller page)"
    text = untrusted(body, "Upwork data; free-text fields are written by third parties")
    if result.errors:
        text += "\nerrors: " + "; ".join(result.warnings())
    return respond(out, text)


TOOLS = [
    ToolSpec(run_graphql, "Run an Upwork GraphQL query", "graphql", read_only=False, destructive=True,
             idempotent=False, guarded=True),
]
