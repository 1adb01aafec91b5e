"""The sandbox's GraphQL endpoint: Upwork's schema executed over the seeded data.

Errors come back the way graphql-java sends them: HTTP 200, an `errors` array with `message`,
`locations`, `path` and `extensions.classification`, and partial data kept.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Any

from graphql import DocumentNode, ExecutionResult, GraphQLError, execute, get_introspection_query, parse, validate

from .resolvers import ROOTS
from .schema import (
    PERMISSION_MESSAGE,
    attach,
    error,
    field_resolver,
    introspection_refusal,
    sandbox_schema,
    selected_fields,
    validation_error,
)
from .state import Sandbox
from .work_resolvers import WORK_ROOTS

FULL_INTROSPECTION = get_introspection_query(descriptions=False)
TRANSFORM_TIMEOUT = "Transform timeout (1s) - path: /auth/vendors/1/proposals"  # Upwork's transient failure


@cache
def _base_introspection() -> dict[str, Any]:
    result = execute(sandbox_schema(), parse(FULL_INTROSPECTION))
    assert isinstance(result, ExecutionResult) and result.data is not None
    return result.data


def full_introspection(drop: frozenset[str]) -> dict[str, Any]:
    """The standard introspection query's answer, computed once per process (it walks 2,859 types), less the
    fields this run's schema lacks."""
    data = _base_introspection()
    if not drop:
        return data
    types = []
    for named in data["__schema"]["types"]:
        fields = named.get("fields")
        if fields:
            named = {**named, "fields": [f for f in fields if f"{named['name']}.{f['name']}" not in drop]}
        inputs = named.get("inputFields")
        if inputs:
            named = {**named, "inputFields": [f for f in inputs if f"{named['name']}.{f['name']}" not in drop]}
        types.append(named)
    return {"__schema": {**data["__schema"], "types": types}}


def schema_for(box: Sandbox) -> Any:
    schema = sandbox_schema(frozenset(box.faults.drop))
    attach(schema, {**ROOTS, **WORK_ROOTS})
    return schema


def run_query(box: Sandbox, body: dict[str, Any], *, tenant: str | None, persona: int = 0) -> dict[str, Any]:
    """Execute one GraphQL request body; always a JSON-ready answer (HTTP 200)."""
    query = body.get("query")
    if not isinstance(query, str) or not query.strip():
        return {"errors": [error("The request has no query", "ValidationError")]}
    variables = body.get("variables") or {}
    if not isinstance(variables, dict):
        return {"errors": [error("variables must be an object", "ValidationError")]}
    drop = frozenset(box.faults.drop)
    schema = schema_for(box)
    prepared = _prepare(query, drop, box.faults.introspection == "full")
    if isinstance(prepared, dict):
        return prepared
    document, selected = prepared
    if query.strip() == FULL_INTROSPECTION.strip():
        return {"data": full_introspection(drop)}
    denied = sorted(selected & box.faults.denied()) if box.faults.denied() else []
    if denied:
        # Upwork fails the whole query when one field is beyond the key's permissions.
        return {
            "data": None,
            "errors": [error(PERMISSION_MESSAGE.format(fields=", ".join(denied)), "ExecutionAborted")],
        }
    if box.faults.proposals_timeout > 0 and "Query.vendorProposals" in selected:
        box.faults.proposals_timeout -= 1
        return {"errors": [{"message": TRANSFORM_TIMEOUT}], "data": None}  # as sample 05: no path, no data
    result = execute(
        schema,
        document,
        context_value={"sandbox": box, "tenant": tenant, "persona": persona},
        variable_values=variables,
        operation_name=body.get("operationName"),
        field_resolver=field_resolver,
    )
    assert isinstance(result, ExecutionResult)  # every resolver is synchronous
    answer: dict[str, Any] = {"data": result.data}
    if result.errors:
        answer["errors"] = [_format_error(e) for e in result.errors]
    return answer


def writes(box: Sandbox, body: dict[str, Any]) -> bool:
    """Whether this request body runs a mutation (for the `lost_write` fault)."""
    query = body.get("query")
    if not isinstance(query, str):
        return False
    prepared = _prepare(query, frozenset(box.faults.drop), box.faults.introspection == "full")
    return not isinstance(prepared, dict) and any(name.startswith("Mutation.") for name in prepared[1])


@lru_cache(maxsize=512)
def _prepare(
    query: str, drop: frozenset[str], whole_schema_allowed: bool
) -> dict[str, Any] | tuple[DocumentNode, frozenset[str]]:
    """Parse, check and validate a document once per text (clients send the same few again and again):
    an error answer, or the document and every Type.field it selects."""
    schema = sandbox_schema(drop)
    try:
        document = parse(query)
    except GraphQLError as exc:
        return {"errors": [error(f"Invalid Syntax : {exc.message}", "InvalidSyntax", locations=_locations(exc))]}
    refusal = introspection_refusal(document, whole_schema_allowed=whole_schema_allowed)
    if refusal:
        return {"data": None, "errors": [error(refusal, "ValidationError")]}
    problems = validate(schema, document)
    if problems:
        return {"errors": [validation_error(p.message, _locations(p)) for p in problems]}
    return document, frozenset(selected_fields(schema, document))


def _locations(exc: GraphQLError) -> list[dict[str, int]]:
    return [{"line": loc.line, "column": loc.column} for loc in exc.locations or []]


_NULL_IN_NON_NULL = re.compile(r"Cannot return null for non-nullable field ([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)\.")


def _format_error(exc: GraphQLError) -> dict[str, Any]:
    out: dict[str, Any] = dict(exc.formatted)
    out.setdefault("extensions", {})
    found = _NULL_IN_NON_NULL.fullmatch(exc.message)
    if found:
        # graphql-java's NonNullableFieldWasNullError, as Upwork sends it.
        path = "/" + "/".join(str(p) for p in exc.path or [])
        out["message"] = (
            f"The field at path '{path}' was declared as a non null type, but the code involved in retrieving "
            "data has wrongly returned a null value.  The graphql specification requires that the parent field "
            "be set to null, or if that is non nullable that it bubble up null to its parent and so on. The "
            f"non-nullable type is '{_field_type(exc)}' within parent type '{found.group(1)}'"
        )
        out["extensions"]["classification"] = "NullValueInNonNullableField"
    out["extensions"].setdefault("classification", "DataFetchingException")
    return out


def _field_type(exc: GraphQLError) -> str:
    found = _NULL_IN_NON_NULL.fullmatch(exc.message)
    named = sandbox_schema().get_type(found.group(1)) if found else None
    field = getattr(named, "fields", {}).get(found.group(2)) if found else None
    return str(getattr(field.type, "of_type", field.type)) if field is not None else "?"
