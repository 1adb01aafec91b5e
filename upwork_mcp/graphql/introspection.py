"""Upwork's schema as a key sees it: introspection documents, the pulled result, and its drift.

Upwork lets some keys introspect the whole schema and others only one type per request, and refuses
a document that asks for `inputFields` more than once ("not in good faith"). A pull is therefore the
standard introspection query when allowed, else one `__type` query per type; either way the result is
saved as introspection JSON and compared with the bundled snapshot for the fields this project's
operations use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from graphql import (
    GraphQLSchema,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    build_client_schema,
    get_introspection_query,
    get_named_type,
    parse,
    visit,
)

from . import bundled_schema, operation, operation_names

TYPE_REF = """
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name } } } } } } }
}
fragment InputValue on __InputValue { name type { ...TypeRef } defaultValue }
"""
# One type per request, `inputFields` once: what Upwork accepts from every key that may introspect at all.
ONE_TYPE = (
    """
query OneType($name: String!) {
  __type(name: $name) {
    kind name
    fields(includeDeprecated: true) { name args { ...InputValue } type { ...TypeRef } isDeprecated }
    inputFields { ...InputValue }
    interfaces { ...TypeRef }
    enumValues(includeDeprecated: true) { name isDeprecated }
    possibleTypes { ...TypeRef }
  }
}
"""
    + TYPE_REF
)
TYPE_NAMES = "query TypeNames { __schema { queryType { name } mutationType { name } types { name } } }"


def full_query() -> str:
    return get_introspection_query(descriptions=False)


@dataclass
class Pulled:
    """What a pull found: introspected types by name, and whether they describe the whole schema."""

    types: dict[str, dict[str, Any]]
    query_type: str = "Query"
    mutation_type: str | None = "Mutation"
    complete: bool = False
    mode: str = "full"
    pulled_at: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "types": list(self.types.values()),
            "queryType": self.query_type,
            "mutationType": self.mutation_type,
            "complete": self.complete,
            "mode": self.mode,
            "pulledAt": self.pulled_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Pulled:
        return cls(
            types={t["name"]: t for t in data["types"]},
            query_type=data.get("queryType", "Query"),
            mutation_type=data.get("mutationType"),
            complete=bool(data.get("complete")),
            mode=str(data.get("mode", "full")),
            pulled_at=float(data.get("pulledAt", 0)),
        )

    def schema(self) -> GraphQLSchema:
        """The pulled schema, when it is complete enough to validate documents against."""
        intro = {
            "__schema": {
                "queryType": {"name": self.query_type},
                "mutationType": {"name": self.mutation_type} if self.mutation_type else None,
                "subscriptionType": None,
                "types": list(self.types.values()),
                "directives": [],
            }
        }
        return build_client_schema(intro, assume_valid=True)  # type: ignore[arg-type]


def referenced(type_json: dict[str, Any]) -> set[str]:
    """Names of the types one introspected type refers to."""
    names: set[str] = set()

    def unwrap(ref: dict[str, Any] | None) -> None:
        while ref:
            if ref.get("name"):
                names.add(str(ref["name"]))
            ref = ref.get("ofType")

    for fld in type_json.get("fields") or []:
        unwrap(fld.get("type"))
        for arg in fld.get("args") or []:
            unwrap(arg.get("type"))
    for value in type_json.get("inputFields") or []:
        unwrap(value.get("type"))
    for ref in (type_json.get("interfaces") or []) + (type_json.get("possibleTypes") or []):
        unwrap(ref)
    return names


@cache
def used_by_operations() -> dict[str, set[tuple[str, str]]]:
    """Operation name -> every (Type, field) and (InputType, field) it uses, per the bundled schema."""
    schema = bundled_schema()
    return {name: _used(schema, operation(name)) for name in operation_names()}


def _used(schema: GraphQLSchema, text: str) -> set[tuple[str, str]]:
    used: set[tuple[str, str]] = set()
    info = TypeInfo(schema)

    class Collect(Visitor):
        def enter_field(self, node: Any, *_: Any) -> None:
            parent = info.get_parent_type()
            if parent is not None:
                used.add((parent.name, node.name.value))

        def enter_object_field(self, node: Any, *_: Any) -> None:
            parent = info.get_parent_input_type()
            if parent is not None:
                used.add((get_named_type(parent).name, node.name.value))

    visit(parse(text), TypeInfoVisitor(info, Collect()))
    return used


def used_type_names() -> set[str]:
    """The types this project's operations touch (and the input types of their arguments), for a small pull."""
    schema = bundled_schema()
    names = {type_name for used in used_by_operations().values() for type_name, _ in used}
    for type_name, field_name in {pair for used in used_by_operations().values() for pair in used}:
        named = schema.get_type(type_name)
        fields = getattr(named, "fields", {}) or {}
        if field_name in fields:
            for arg in getattr(fields[field_name], "args", {}).values():
                names.add(get_named_type(arg.type).name)
    names.update({"Query", "Mutation"})
    return {n for n in names if not n.startswith("__")}


def drift(pulled: Pulled) -> list[str]:
    """What this project's operations use that the pulled schema lacks, one line per field."""
    lines = []
    for name, used in sorted(used_by_operations().items()):
        for type_name, field_name in sorted(used):
            described = pulled.types.get(type_name)
            if described is None:
                if pulled.complete:
                    lines.append(f"{name}: type {type_name} is gone")
                continue
            names = {f["name"] for f in (described.get("fields") or described.get("inputFields") or [])}
            if field_name not in names:
                lines.append(f"{name}: {type_name}.{field_name} is not in the live schema")
    return list(dict.fromkeys(lines))


def load(path: Path) -> Pulled | None:
    try:
        return Pulled.from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        return None


def save(path: Path, pulled: Pulled) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(pulled.to_json(), separators=(",", ":")), encoding="utf-8")
    tmp.replace(path)
