"""What a GraphQL document is, decided by graphql-core: its operation, its kind, its size.

Every answer here costs time linear in the document: fragments are measured once each
(memoised), never re-walked per spread, so a chain of fragments that each spread the next
twice cannot make the work double per level.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal

from graphql import (
    REMOVE,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    parse,
    print_ast,
    validate,
    visit,
)

from .describe import fields_line
from .drift import gone

Kind = Literal["query", "mutation", "subscription"]


class DocumentError(ValueError):
    """The document can't be used as given; the message says why and what to change."""


@dataclass(frozen=True)
class Shape:
    """How big an operation is once every fragment is expanded."""

    depth: int  # deepest field nesting
    fields: int  # fields the server would resolve per item, fragments expanded
    aliases: int  # aliased fields, fragments expanded


@dataclass(frozen=True)
class Operation:
    document: DocumentNode
    definition: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]

    @property
    def kind(self) -> Kind:
        value = self.definition.operation.value
        return "mutation" if value == "mutation" else "subscription" if value == "subscription" else "query"

    @property
    def name(self) -> str | None:
        return self.definition.name.value if self.definition.name else None

    def root_fields(self) -> tuple[str, ...]:
        return tuple(s.name.value for s in self.definition.selection_set.selections if isinstance(s, FieldNode))

    def fields_under(self, root: str) -> tuple[str, ...]:
        """The fields selected directly under the root field `root` (`user { offer }` -> `offer`)."""
        return tuple(
            child.name.value
            for s in self.definition.selection_set.selections
            if isinstance(s, FieldNode) and s.name.value == root and s.selection_set is not None
            for child in s.selection_set.selections
            if isinstance(child, FieldNode)
        )


def parse_document(text: str) -> DocumentNode:
    try:
        return parse(text, no_location=False, max_tokens=50_000)
    except GraphQLError as exc:
        where = f" (line {exc.locations[0].line})" if exc.locations else ""
        raise DocumentError(f"The document does not parse: {exc.message}{where}.") from exc


def operation(text: str, operation_name: str | None = None) -> Operation:
    """The operation `operation_name` of `text` (the only one when no name is given)."""
    document = parse_document(text)
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    if not operations:
        raise DocumentError("The document has no operation: write `query { ... }`.")
    if operation_name:
        chosen = [op for op in operations if op.name and op.name.value == operation_name]
        if not chosen:
            names = ", ".join(op.name.value for op in operations if op.name) or "none named"
            raise DocumentError(f"No operation named {operation_name!r} in the document (it has: {names}).")
        definition = chosen[0]
    elif len(operations) > 1:
        raise DocumentError("The document has several operations: give operation_name.")
    else:
        definition = operations[0]
    return Operation(document, definition, fragments)


def kind_of(text: str, operation_name: str | None = None) -> Kind:
    """query, mutation or subscription, as graphql-core reads the document."""
    return operation(text, operation_name).kind


def measure(op: Operation) -> Shape:
    """Depth, expanded field count and alias count of `op`, in time linear in the document."""
    memo: dict[str, Shape] = {}
    visiting: set[str] = set()

    def fragment(name: str) -> Shape:
        if name in memo:
            return memo[name]
        if name in visiting:
            raise DocumentError(f"Fragment {name!r} spreads itself (a cycle); GraphQL does not allow that.")
        definition = op.fragments.get(name)
        if definition is None:
            raise DocumentError(f"Fragment {name!r} is spread but not defined in the document.")
        visiting.add(name)
        memo[name] = selection_set(definition.selection_set)
        visiting.discard(name)
        return memo[name]

    def selection_set(node: SelectionSetNode | None) -> Shape:
        if node is None:
            return Shape(0, 0, 0)
        depth = fields = aliases = 0
        for sel in node.selections:
            if isinstance(sel, FieldNode):
                inner = selection_set(sel.selection_set)
                depth = max(depth, 1 + inner.depth)
                fields += 1 + inner.fields
                aliases += inner.aliases + (1 if sel.alias else 0)
            else:
                inner = (
                    fragment(sel.name.value)
                    if isinstance(sel, FragmentSpreadNode)
                    else selection_set(sel.selection_set)
                    if isinstance(sel, InlineFragmentNode)
                    else Shape(0, 0, 0)
                )
                depth = max(depth, inner.depth)
                fields += inner.fields
                aliases += inner.aliases
        return Shape(depth, fields, aliases)

    return selection_set(op.definition.selection_set)


def prune(text: str, schema: GraphQLSchema, drop: Collection[str]) -> tuple[str, list[str]]:
    """`text` without the fields named in `drop`, and the names of the fields it removed.

    A name is `Type.field` (graphql-java's way: "Field 'x' in type 'Y'") or `parent.field` (the
    parent field's name, as Upwork's permission errors name `jobActivity.totalApplicants`). A field
    left with nothing selected under it goes too, a root field included (`user { offer }` without
    `offer`): the caller sees the root gone and refuses the query rather than send it emptied.
    """
    document = parse_document(text)
    type_info = TypeInfo(schema)
    parents: list[str] = []
    removed: list[str] = []

    class Prune(Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> Any:
            parent = type_info.get_parent_type()
            name = node.name.value
            keys = {f"{parent.name}.{name}" if parent else name}
            if parents:
                keys.add(f"{parents[-1]}.{name}")
            if parents and keys & set(drop):
                removed.append(f"{parent.name if parent else '?'}.{name}")
                return REMOVE
            parents.append(name)
            return None

        def leave_field(self, node: FieldNode, *_: Any) -> Any:
            parents.pop()
            if node.selection_set is not None and not node.selection_set.selections:
                removed.append(node.name.value if parents else f"Query.{node.name.value}")
                return REMOVE
            return None

    edited = visit(document, TypeInfoVisitor(type_info, Prune()))
    return print_ast(edited), removed


_UNKNOWN_FIELD = re.compile(r"Cannot query field '([^']+)' on type '([^']+)'")
_UNKNOWN_ARGUMENT = re.compile(r"Unknown argument '([^']+)' on field '([^'.]+)\.([^']+)'")


def check(schema: GraphQLSchema, text: str, *, limit: int = 8) -> list[str]:
    """graphql-core's validation of `text` against `schema`, with its "Did you mean ...?" suggestions and,
    for a field or argument that does not exist, what the type does have."""
    problems = validate(schema, parse_document(text), max_errors=limit)
    lines: list[str] = []
    shown: set[str] = set()
    for problem in problems[:limit]:
        where = f" (line {problem.locations[0].line})" if problem.locations else ""
        lines.append(problem.message + where)
        found = _UNKNOWN_FIELD.search(problem.message)
        type_name = found.group(2) if found else None
        dropped = gone(f"{found.group(2)}.{found.group(1)}") if found else None
        if dropped is not None:
            # A field Upwork dropped: no permission brings it back, and no other key has it.
            lines.append(f"  {dropped.name} is gone from Upwork's schema (since {dropped.on}; {dropped.source}).")
        argument = _UNKNOWN_ARGUMENT.search(problem.message)
        if argument:
            named = schema.get_type(argument.group(2))
            field = getattr(named, "fields", {}).get(argument.group(3)) if named else None
            if field is not None and f"{argument.group(2)}.{argument.group(3)}" not in shown:
                shown.add(f"{argument.group(2)}.{argument.group(3)}")
                lines.append(f"  {argument.group(2)}.{argument.group(3)} takes: {', '.join(field.args) or 'nothing'}")
        if type_name and type_name not in shown:
            shown.add(type_name)
            named = schema.get_type(type_name)
            if named is not None:
                asked = found.group(1) if found else ""
                lines.append("  " + fields_line(named, asked, _selected_under(problem)))
    return lines


def _selected_under(problem: GraphQLError) -> tuple[str, ...]:
    """The fields a document selects under the field `problem` is about (what it wanted from it)."""
    node = problem.nodes[0] if problem.nodes else None
    if not isinstance(node, FieldNode) or node.selection_set is None:
        return ()
    return tuple(s.name.value for s in node.selection_set.selections if isinstance(s, FieldNode))
