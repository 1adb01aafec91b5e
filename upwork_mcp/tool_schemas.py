"""The JSON schemas a tool is published with, made smaller without changing what they accept.

Every conversation pays for `tools/list`. Pydantic's schemas carry a generated `title` on every
property ("Contract Id" for `contract_id`), an `anyOf [..., null]` with `default: null` for every
optional argument, and `additionalProperties: false` on every output object; none of it tells a
model or a client anything the rest of the schema doesn't. Validation stays with the strict
argument model (the server) and the result models (the tools), which are unchanged.
"""

from __future__ import annotations

from typing import Any

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


def compact_input(schema: dict[str, Any]) -> None:
    """In place: no generated titles; an optional argument is published as its type (omitting it is how
    a client leaves it out)."""
    _walk(schema, output=False)


def compact_output(schema: dict[str, Any]) -> None:
    """In place: no generated titles, no `additionalProperties: false` (results are built by the server)."""
    _walk(schema, output=True)
