"""The JSON schemas a tool is published with, made smaller without changing what they accept.

Every conversation pays for `tools/list`. Pydantic's schemas carry a generated `title` on every
property ("Contract Id" for `contract_id`), an `anyOf [..., null]` with `default: null` for every
optional argument, and `additionalProperties: false` on every output object; none of it tells a
model or a client anything the rest of the schema doesn't. A `$defs` entry used once is written
where it is used. Validation stays with the strict argument model (the server) and the result models
(the tools), which are unchanged.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

from .calls import ServedTool, surfaced

_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_VALUES = ("items", "additionalProperties", "not")


def _walk(node: Any, *, output: bool) -> None:
    if not isinstance(node, dict):
        return
    if isinstance(node.get("title"), str):
        del node["title"]
    if output and node.get("additionalProperties") is False:
        del node["additionalProperties"]
    variants = node.get("anyOf")
    if not output and isinstance(variants, list) and {"type": "null"} in variants and node.get("default", 0) is None:
        rest = [v for v in variants if v != {"type": "null"}]
        del node["anyOf"], node["default"]
        if len(rest) == 1:
            node.update(rest[0])
        else:
            node["anyOf"] = rest
    for name in ("properties", "$defs", "definitions"):
        for child in (node.get(name) or {}).values():
            _walk(child, output=output)
    for name in _SCHEMA_LISTS:
        for child in node.get(name) or []:
            _walk(child, output=output)
    for name in _SCHEMA_VALUES:
        _walk(node.get(name), output=output)


def _refs(node: Any, counts: dict[str, int]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            counts[ref[8:]] = counts.get(ref[8:], 0) + 1
        for value in node.values():
            _refs(value, counts)
    elif isinstance(node, list):
        for value in node:
            _refs(value, counts)


def _inline(node: Any, defs: dict[str, Any], once: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/") and ref[8:] in once:
            del node["$ref"]
            node.update(defs[ref[8:]])
        for value in node.values():
            _inline(value, defs, once)
    elif isinstance(node, list):
        for value in node:
            _inline(value, defs, once)


def _inline_single_use(schema: dict[str, Any]) -> None:
    """Write each definition used exactly once at its one use (definitions inside it may be inlined too)."""
    defs = schema.get("$defs")
    if not isinstance(defs, dict):
        return
    while True:
        counts: dict[str, int] = {}
        _refs(schema, counts)
        once = {name for name in defs if counts.get(name) == 1 and f"#/$defs/{name}" not in str(defs[name])}
        if not once:
            break
        _inline(schema, defs, once)
        for name in once:
            defs.pop(name, None)
    if not defs:
        del schema["$defs"]


def compact_input(schema: dict[str, Any]) -> None:
    """In place: no generated titles; an optional argument is published as its type (omitting it is how
    a client leaves it out)."""
    _walk(schema, output=False)
    _inline_single_use(schema)


def compact_output(schema: dict[str, Any]) -> None:
    """In place: no generated titles, no `additionalProperties: false` (results are built by the server)."""
    _walk(schema, output=True)
    _inline_single_use(schema)


@functools.cache
def served_tool(spec: Any) -> ServedTool:
    """The registered form of a spec, with its compact published schemas; made once per process."""
    tool: ServedTool = ServedTool.from_function(  # type: ignore[assignment]  # from_function returns cls(...)
        surfaced(spec.fn),
        name=spec.name,
        title=spec.title,
        description=inspect.getdoc(spec.fn),
        annotations=spec.annotations(),
    )
    compact_input(tool.parameters)
    tool.parameters["additionalProperties"] = False
    if tool.output_schema is not None:
        compact_output(tool.output_schema)
    return tool
