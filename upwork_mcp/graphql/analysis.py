"""What a GraphQL document is, decided by graphql-core: its operation, its kind, its size, its fit.

Every answer here costs time linear in the document: fragments are measured once each
(memoised), never re-walked per spread, so a chain of fragments that each spread the next
twice cannot make the work double per level. `examine` is the whole local check of a document
a caller wrote (parse once, bound, validate against a schema): graphql-core's one quadratic rule
is replaced by a linear one (`merging.py`), and the validation stops at a CPU budget.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal

import anyio
import anyio.to_thread
from graphql import (
    REMOVE,
    ASTValidationRule,
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
    visit,
)

from .describe import fields_line
from .drift import gone
from .validation import validate_linear

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
class Limits:
    """What a document written by a caller may be: bounds on Upwork's work and on this server's."""

    depth: int = 12
    fields: int = 1_000  # fields resolved per item, fragments expanded
    aliases: int = 30  # each alias repeats a field's work upstream
    fragment_nesting: int = 50  # fragments spreading fragments, this many deep
    # Reading is a good part of the check (graphql-core's lexer is Python): the longest document costs
    # about 25 ms of CPU to parse here. A job search with thirty fields is under 150 tokens.
    tokens: int = 2_000


LIMITS = Limits()


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


def parse_document(text: str, max_tokens: int = 50_000) -> DocumentNode:
    try:
        return parse(text, no_location=False, max_tokens=max_tokens)
    except GraphQLError as exc:
        if "Document contains more than" in exc.message:
            raise DocumentError(
                f"The document is longer than {max_tokens:,} tokens (names, values, punctuation and comments); "
                "the limit is that. Ask for fewer fields or values, or make several calls."
            ) from exc
        where = f" (line {exc.locations[0].line})" if exc.locations else ""
        raise DocumentError(f"The document does not parse: {exc.message}{where}.") from exc


def operation(text: str, operation_name: str | None = None, *, max_tokens: int = 50_000) -> Operation:
    """The operation `operation_name` of `text` (the only one when no name is given)."""
    document = parse_document(text, max_tokens)
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


def measure(op: Operation, nesting: int = LIMITS.fragment_nesting) -> Shape:
    """Depth, expanded field count and alias count of `op`, in time linear in the document (fragments
    spreading fragments at most `nesting` deep)."""
    memo: dict[str, Shape] = {}
    visiting: set[str] = set()

    def fragment(name: str) -> Shape:
        if name in memo:
            return memo[name]
        if name in visiting:
            raise DocumentError(f"Fragment {name!r} spreads itself (a cycle); GraphQL does not allow that.")
        if len(visiting) >= nesting:
            raise DocumentError(f"Fragments spread fragments more than {nesting} deep; the limit is {nesting}.")
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


_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")
_UNKNOWN_FIELD = re.compile(r"Cannot query field '([^']+)' on type '([^']+)'")
_UNKNOWN_ARGUMENT = re.compile(r"Unknown argument '([^']+)' on field '([^'.]+)\.([^']+)'")


# Seconds of this thread's CPU the local check of one document may take, parsing included. Past it the
# schema check stops unfinished (`Examined.checked` is False): Upwork validates every document anyway.
CHECK_BUDGET = 0.035
# One document is checked at a time, in a worker thread: thirty at once wait their turn there instead of
# taking the interpreter from the event loop (and every other request) thirty times over.
_CHECKING = anyio.CapacityLimiter(1)


@dataclass(frozen=True)
class Examined:
    kind: Kind  # of the operation the document runs
    kinds: frozenset[str]  # of all its operations
    shape: Shape
    problems: tuple[str, ...]  # where the document does not fit the schema; empty when it fits or was not checked
    checked: bool  # False: no schema was given, or the check stopped at its CPU budget


class _OverBudget(Exception):
    """The check has used its CPU budget."""


def examine(
    text: str,
    operation_name: str | None = None,
    schema: GraphQLSchema | None = None,
    *,
    limits: Limits = LIMITS,
    budget: float = CHECK_BUDGET,
    shown: int = 8,
) -> Examined:
    """The whole local check of a document a caller wrote: parsed once, bounded by `limits`, and (with a
    schema) validated against it, in time linear in the document and within `budget` seconds of CPU.

    Raises DocumentError for a document that can't be sent as it is (it does not parse, names no or an
    unknown operation, subscribes, or is over a limit); a document that does not fit the schema comes
    back with its `problems`."""
    deadline = time.thread_time() + budget
    op = _recent(text, operation_name, limits.tokens)
    kinds = frozenset(d.operation.value for d in op.document.definitions if isinstance(d, OperationDefinitionNode))
    if "subscription" in kinds:
        raise DocumentError("Subscriptions are not supported: Upwork has no subscriptions for API keys.")
    shape = measure(op, limits.fragment_nesting)
    if shape.depth > limits.depth:
        raise DocumentError(f"The document nests {shape.depth} levels deep; the limit is {limits.depth}.")
    if shape.fields > limits.fields:
        raise DocumentError(
            f"The document selects {shape.fields} fields once its fragments are expanded; the limit is "
            f"{limits.fields}. Ask only for the fields you need."
        )
    if shape.aliases > limits.aliases:
        raise DocumentError(
            f"The document uses {shape.aliases} aliases; the limit is {limits.aliases}. Make several "
            "smaller calls instead."
        )
    if schema is None:
        return Examined(op.kind, kinds, shape, (), checked=False)
    try:
        problems = _validate(schema, op, deadline, shown)
    except _OverBudget:
        return Examined(op.kind, kinds, shape, (), checked=False)
    return Examined(op.kind, kinds, shape, tuple(problems), checked=True)


# The last documents parsed: a call is examined twice (for its kind before the user is asked, then whole),
# and parsing is most of the cost. Two, so their trees (a few MB at most) are all that is kept.
_recent = functools.lru_cache(maxsize=2)(
    lambda text, operation_name, tokens: operation(text, operation_name, max_tokens=tokens)
)


async def examine_off_loop(
    text: str, operation_name: str | None = None, schema: GraphQLSchema | None = None, *, budget: float = CHECK_BUDGET
) -> Examined:
    """`examine` in a worker thread, one document at a time. `budget`: CPU seconds, for a caller's document;
    one of ours (small, known) is checked whole."""
    return await anyio.to_thread.run_sync(
        lambda: examine(text, operation_name, schema, budget=budget), limiter=_CHECKING
    )


def _validate(schema: GraphQLSchema, op: Operation, deadline: float, limit: int) -> list[str]:
    """`validation.validate_linear`, stopped with _OverBudget past `deadline` (this thread's CPU clock)."""

    def over() -> None:
        if time.thread_time() > deadline:
            raise _OverBudget

    class Budget(ASTValidationRule):
        seen = 0

        def enter(self, *_: Any) -> None:
            self.seen += 1
            if self.seen % 32 == 0:
                over()

    over()
    errors: list[GraphQLError] = []
    problems = validate_linear(
        schema, op.document, op.definition, op.fragments, limit=limit, over=over, extra=(Budget,), errors=errors
    )
    return _explained(schema, problems, {e.message: e for e in errors})


def _explained(schema: GraphQLSchema, problems: list[str], errors: dict[str, GraphQLError]) -> list[str]:
    """Each problem, and for a field or argument that does not exist, what the type does have (or that Upwork
    dropped it). `errors`: the rules' errors by message, for what the document selected under a field."""
    lines: list[str] = []
    shown: set[str] = set()
    for problem in problems:
        lines.append(problem)
        found = _UNKNOWN_FIELD.search(problem)
        type_name = found.group(2) if found else None
        dropped = gone(f"{found.group(2)}.{found.group(1)}") if found else None
        if dropped is not None:
            # A field Upwork dropped: no permission brings it back, and no other key has it.
            lines.append(f"  {dropped.name} is gone from Upwork's schema (since {dropped.on}; {dropped.source}).")
        argument = _UNKNOWN_ARGUMENT.search(problem)
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
                error = errors.get(problem.split(" (line ")[0])
                lines.append("  " + fields_line(named, asked, _selected_under(error) if error else ()))
    return lines


def _selected_under(problem: GraphQLError) -> tuple[str, ...]:
    """The fields a document selects under the field `problem` is about (what it wanted from it)."""
    node = problem.nodes[0] if problem.nodes else None
    if not isinstance(node, FieldNode) or node.selection_set is None:
        return ()
    return tuple(s.name.value for s in node.selection_set.selections if isinstance(s, FieldNode))


def fit_answer(data: Any, max_bytes: int) -> tuple[Any, list[str]]:
    """`data` (an answer's JSON) cut to at most `max_bytes` of compact JSON, and where it was cut.

    Each outermost list (a page: `edges`, `nodes`, an alias's items) keeps its first items, the same share
    of every one; items themselves stay whole. An answer that still does not fit is given up whole (None)."""
    cuts: dict[str, tuple[int, int]] = {}  # where -> (items kept, items there were)
    for _ in range(4):
        size = len(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode())
        if size <= max_bytes:
            return data, [f"{where}: kept {kept} of {had} items" for where, (kept, had) in cuts.items()]
        data = _cut_pages(data, "", max_bytes / size * 0.9, cuts)
    return None, [f"the whole answer (over {max_bytes:,} bytes even with its lists cut)"]


def _cut_pages(value: Any, where: str, share: float, cuts: dict[str, tuple[int, int]]) -> Any:
    if isinstance(value, dict):
        # keys are names from the document and the schema, but a JSON scalar's keys are anyone's words
        named = {k: k if _NAME.fullmatch(k) else "(key)" for k in value}
        return {k: _cut_pages(v, f"{where}.{named[k]}" if where else named[k], share, cuts) for k, v in value.items()}
    if isinstance(value, list) and len(value) > 1:
        kept = max(1, int(len(value) * share))
        had = cuts.get(where, (0, len(value)))[1]
        cuts[where] = (kept, had)
        return value[:kept]
    return value
