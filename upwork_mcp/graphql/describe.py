"""Upwork's schema as a reader needs it: one type as compact SDL, close names for a misspelt one, a type's
fields ranked by what a document asked for, and an index of the schema small enough to list.

A field list here is never cut: what is left out of an error cannot be asked for.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence

from graphql import (
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    print_type,
)

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
# The user's own things: Upwork names them `user: CurrentUser`, a person says "my" or "me".
_SELF = frozenset({"my", "me", "mine", "own", "self", "viewer", "current", "whoami"})


def words(name: str) -> set[str]:
    """The words of a GraphQL name, lower case and singular (`myJobPostings` -> my, job, posting), with
    every word for the user's own (my, me, current) read as one."""
    found = set()
    for word in _WORD.findall(name):
        word = word.lower()
        if word in _SELF:
            word = "self"
        elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        found.add(word)
    return found


def _fields(named: GraphQLNamedType | None) -> dict[str, GraphQLField]:
    return dict(named.fields) if isinstance(named, GraphQLObjectType | GraphQLInterfaceType) else {}


def ranked(named: GraphQLNamedType, wanted: str, selected: Sequence[str] = ()) -> list[tuple[str, int]]:
    """Every field of `named` with a score, best first: how many words its name and its type share with
    `wanted` (the field the document asked for), how many the fields under it share, and how many of the
    fields selected under `wanted` its type has. Ties keep the schema's order; deprecated fields go last."""
    asked = words(wanted)
    sub = set(selected)
    scored = []
    for position, (name, field) in enumerate(_fields(named).items()):
        target = get_named_type(field.type)
        inner = _fields(target)
        own = words(name) | words(target.name)
        under = set().union(*(words(n) for n in inner)) if inner else set()
        score = 3 * len(asked & own) + len(asked & under - own) + 2 * len(sub & set(inner))
        scored.append((-score, field.deprecation_reason is not None, position, name, score))
    return [(name, score) for *_, name, score in sorted(scored)]


def fields_line(named: GraphQLNamedType, wanted: str = "", selected: Sequence[str] = ()) -> str:
    """`Type has: ...` with every field, those closest to `wanted` first and with their type."""
    fields = _fields(named)
    order = ranked(named, wanted, selected)
    shown = [f"{name} ({fields[name].type})" if score else name for name, score in order]
    closest = " (closest first)" if order and order[0][1] else ""
    return f"{named.name} has{closest}: {', '.join(shown) or 'no fields'}"


def close_names(schema: GraphQLSchema, name: str, limit: int = 12) -> list[str]:
    """Type names like `name`: the same ignoring case, those containing it, then those spelt alike."""
    names = [n for n in schema.type_map if not n.startswith("__")]
    lowered = name.lower()
    same = [n for n in names if n.lower() == lowered]
    containing = sorted((n for n in names if lowered in n.lower() and n not in same), key=len)
    alike = difflib.get_close_matches(name, names, n=limit, cutoff=0.6)
    return list(dict.fromkeys([*same, *containing, *alike]))[:limit]


def returned_by(schema: GraphQLSchema, type_name: str) -> list[str]:
    """The fields (`Type.field`) whose type is `type_name`: where a query reaches it from."""
    return [
        f"{owner.name}.{name}"
        for owner in schema.type_map.values()
        if not owner.name.startswith("__")
        for name, field in _fields(owner).items()
        if get_named_type(field.type).name == type_name
    ]


def describe(schema: GraphQLSchema, type_name: str) -> str | None:
    """One type as SDL (fields, arguments, descriptions), and which fields return it; None if it has no such type."""
    named = schema.get_type(type_name)
    if named is None:
        return None
    text = print_type(named)
    sources = returned_by(schema, named.name)
    if sources:
        text += "\n# returned by: " + ", ".join(sources)
    return text


def look_up(schema: GraphQLSchema, type_name: str) -> tuple[str, str | None, list[str]]:
    """`type_name` as it is spelt in the schema, its description (None if there is no such type), and the
    closest type names. The same name in another case is the type meant: it is answered, not questioned."""
    close = close_names(schema, type_name)
    name = close[0] if close and close[0].lower() == type_name.lower() else type_name
    return name, describe(schema, name), close


def _roots(root: GraphQLObjectType | None) -> Iterable[str]:
    return (f"{name}: {get_named_type(field.type).name}" for name, field in _fields(root).items())


def index(schema: GraphQLSchema) -> str:
    """The schema in a few KB: its root fields with the type each returns. Every other type is reached from
    them (a type's SDL names the types of its fields and arguments)."""
    counted = sum(1 for name in schema.type_map if not name.startswith("__"))
    return "\n".join(
        [
            f"# Upwork's GraphQL schema: its root fields; {counted:,} types in all, each reached from these.",
            "# Queries (root field: type)",
            "; ".join(_roots(schema.query_type)),
            "# Mutations (root field: type)",
            "; ".join(_roots(schema.mutation_type)),
            "",
        ]
    )
