"""The sandbox's GraphQL: Upwork's real schema, executed by graphql-core, refusing what Upwork refuses.

- The schema is the bundled live snapshot (plus its overlay), type names included; a run may drop
  fields from it (`drop=Type.field`) to stand for a key or a day on which Upwork lacks them.
- Fields without seeded data answer a type-correct empty value when the schema says they can't be
  null, so any valid document executes, not only the ones this project sends.
- Errors read like graphql-java's: validation errors name their type (`FieldUndefined`), a field
  beyond the key's permissions fails the whole query, introspection asking for `inputFields` twice
  is refused "not in good faith", and whole-schema introspection can be refused per run.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    InputObjectTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    build_ast_schema,
    default_field_resolver,
    visit,
)

from .. import graphql as documents

PERMISSION_MESSAGE = (
    "The client or authentication token doesn't have enough oauth2 permissions/scopes to access: [{fields}]"
)
_EMPTY_SCALARS: dict[str, Any] = {
    "String": "",
    "ID": "0",
    "Int": 0,
    "Float": 0.0,
    "Boolean": False,
    "Long": 0,
    "Map": {},
    "URL": "",
}


def error(message: str, classification: str, **extra: Any) -> dict[str, Any]:
    return {"message": message, "extensions": {"classification": classification}, **extra}


@cache
def sandbox_schema(drop: frozenset[str] = frozenset()) -> GraphQLSchema:
    """Upwork's schema without the `Type.field`s in `drop`, built once per variant.

    Without drops it is the bundled schema object itself: resolvers attached here change how it
    executes, not what it validates, and a second 2,859-type build would cost a second.
    """
    if drop:
        document = _without(documents.schema_document(), drop)
        schema = build_ast_schema(document, assume_valid=True, assume_valid_sdl=True)
    else:
        schema = documents.bundled_schema()
    for named in schema.type_map.values():
        if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
            named.resolve_type = _resolve_type
    return schema


def _without(document: DocumentNode, drop: frozenset[str]) -> DocumentNode:
    kept = []
    for definition in document.definitions:
        kinds = ObjectTypeDefinitionNode | ObjectTypeExtensionNode | InputObjectTypeDefinitionNode
        if isinstance(definition, kinds) and definition.fields:
            name = definition.name.value
            fields = tuple(f for f in definition.fields if f"{name}.{f.name.value}" not in drop)
            if len(fields) != len(definition.fields):
                attributes = {k: getattr(definition, k) for k in definition.keys}
                definition = type(definition)(**{**attributes, "fields": fields})
        kept.append(definition)
    return DocumentNode(definitions=tuple(kept))


def _resolve_type(value: Any, info: GraphQLResolveInfo[Any], abstract: Any) -> str | None:
    if isinstance(value, dict) and "__typename" in value:
        return str(value["__typename"])
    possible = info.schema.get_possible_types(abstract)
    return possible[0].name if possible else None


def empty_value(type_: Any) -> Any:
    """What a field with no seeded data answers: None where allowed, else a type-correct empty value."""
    if not isinstance(type_, GraphQLNonNull):
        return None
    inner = type_.of_type
    if isinstance(inner, GraphQLList):
        return []
    if isinstance(inner, GraphQLEnumType):
        return next(iter(inner.values))
    if isinstance(inner, GraphQLScalarType):
        return _EMPTY_SCALARS.get(inner.name, "")
    return {}


def field_resolver(source: Any, info: GraphQLResolveInfo[Any], **args: Any) -> Any:
    """Seeded data where there is some (dict keys, callables for computed fields), an empty value elsewhere."""
    if isinstance(source, dict):
        if info.field_name in source:
            value = source[info.field_name]
            return value(info, **args) if callable(value) else value
        return empty_value(info.return_type)
    return default_field_resolver(source, info, **args)


def selected_fields(schema: GraphQLSchema, document: DocumentNode) -> set[str]:
    """Every Type.field the document selects, for the permission check."""
    type_info = TypeInfo(schema)
    seen: set[str] = set()

    class Collect(Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> None:
            parent = type_info.get_parent_type()
            if parent is not None:
                seen.add(f"{parent.name}.{node.name.value}")

    visit(document, TypeInfoVisitor(type_info, Collect()))
    return seen


def validation_error(message: str, locations: list[dict[str, int]]) -> dict[str, Any]:
    """graphql-core's validation message, worded as graphql-java words it (`FieldUndefined` and friends)."""
    if message.startswith("Cannot query field "):
        # "Cannot query field 'x' on type 'Y'. Did you mean ...?" -> "Field 'x' in type 'Y' is undefined"
        parts = message.split("'")
        if len(parts) >= 4:
            said = f"Validation error (FieldUndefined) : Field '{parts[1]}' in type '{parts[3]}' is undefined"
            return error(said, "ValidationError", locations=locations)
    return error(f"Validation error : {message}", "ValidationError", locations=locations)


def introspection_refusal(document: DocumentNode, *, whole_schema_allowed: bool) -> str | None:
    """Upwork's introspection rules: `inputFields` at most once per document; whole-schema walks per key."""
    counts = {"inputFields": 0, "__schema_deep": 0}

    class Count(Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> None:
            if node.name.value == "inputFields":
                counts["inputFields"] += 1
            if node.name.value == "__schema" and node.selection_set is not None:
                inner = {s.name.value for s in node.selection_set.selections if isinstance(s, FieldNode)}
                types = next(
                    (s for s in node.selection_set.selections if isinstance(s, FieldNode) and s.name.value == "types"),
                    None,
                )
                shallow = inner <= {"types", "queryType", "mutationType"} and (
                    types is None
                    or types.selection_set is None
                    or {t.name.value for t in types.selection_set.selections if isinstance(t, FieldNode)} <= {"name"}
                )
                if not shallow:
                    counts["__schema_deep"] += 1

    visit(document, Count())
    if counts["inputFields"] > 1:
        return "Introspection query rejected: the client is not asking for introspection in good faith"
    if counts["__schema_deep"] and not whole_schema_allowed:
        return "Introspection of the whole schema is not allowed for this client; ask one type at a time"
    return None


Resolver = Callable[..., Any]


def attach(schema: GraphQLSchema, roots: dict[tuple[str, str], Resolver]) -> None:
    """Put the sandbox's root resolvers on (a variant of) the schema; a dropped root is skipped."""
    for (type_name, field_name), resolver in roots.items():
        parent = schema.get_type(type_name)
        if isinstance(parent, GraphQLObjectType) and field_name in parent.fields:
            parent.fields[field_name].resolve = resolver
