"""graphql-core's validation of a document, in time linear in it: its costly rules replaced by linear ones.

- `OverlappingFieldsCanBeMergedRule` compares every pair of fields that share a response name, and again
  every pair of their sub-selections: `{ user { id } user { id } ... }` 500 times is 125,000 pairs and 2.4 s
  of CPU for 6 KB (fragments spread side by side cost the same way). `merge_conflicts` compares each field
  with the first of its group instead, and merges a group's sub-selections to check them as one, so each
  field is looked at once per place it is expanded to (a number `analysis.measure` bounds).
  It is the lenient half of the rule: fields of different parent types are not compared for name and
  arguments (the spec exempts only distinct object types; an interface beside an object is let through
  here), so a document it passes may still be refused by Upwork, which validates what it is sent. A
  conflict it reports is a real one.
- The three variable rules (`NoUndefinedVariables`, `NoUnusedVariables`, `VariablesInAllowedPosition`) each
  walk the document a second time and key their caches by AST node, whose hash walks the whole subtree, as
  `NoUnusedFragments` does: `Uses` gathers the same facts in validation's own single walk.
  `UniqueDirectivesPerLocation` looks at every node for directives: `Directives` at directives only.
- Rules for what this server refuses before validating (subscriptions, fragment cycles, deep nesting) or
  that Upwork has no use for (`@defer`/`@stream`) are left out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    ArgumentNode,
    ASTValidationRule,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    ObjectFieldNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableDefinitionNode,
    VariableNode,
    get_named_type,
    is_input_object_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_nullable_type,
    print_ast,
    specified_rules,
    type_from_ast,
    validate,
)
from graphql.pyutils import Undefined
from graphql.validation import (
    DeferStreamDirectiveLabel,
    DeferStreamDirectiveOnRootField,
    DeferStreamDirectiveOnValidOperationsRule,
    NoFragmentCyclesRule,
    NoUndefinedVariablesRule,
    NoUnusedFragmentsRule,
    NoUnusedVariablesRule,
    OverlappingFieldsCanBeMergedRule,
    SingleFieldSubscriptionsRule,
    StreamDirectiveOnListField,
    UniqueDirectivesPerLocationRule,
    VariablesInAllowedPositionRule,
)
from graphql.validation.rules.variables_in_allowed_position import allowed_variable_usage

# One field where it is selected: (its parent type, when known; the field)
Placed = tuple[GraphQLNamedType | None, FieldNode]


class Uses(ValidationRule):
    """Every variable an operation uses is defined, every one it defines is used, each is used where its type
    is allowed, and every fragment is used (the four rules of graphql-core it replaces, with their messages),
    from validation's one walk."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        # per definition (an operation by its node's id, a fragment by name): the variables it uses, with the
        # type expected there, the input type around it and the location's default
        self._uses: dict[int | str, list[tuple[VariableNode, Any, Any, Any]]] = {}
        self._spreads: dict[int | str, list[str]] = {}
        self._key: int | str = ""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        self._key = id(node)

    def enter_fragment_definition(self, node: FragmentDefinitionNode, *_: Any) -> None:
        self._key = node.name.value

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
        self._spreads.setdefault(self._key, []).append(node.name.value)

    def enter_variable_definition(self, *_: Any) -> Any:
        return self.SKIP  # a definition, not a use

    def enter_variable(self, node: VariableNode, _key: Any, parent: Any, *_: Any) -> None:
        context = self.context
        default: Any = Undefined
        if isinstance(parent, ArgumentNode):
            argument = context.get_argument()
            default = argument.default_value if argument is not None else Undefined
        elif isinstance(parent, ObjectFieldNode):
            owner = context.get_parent_input_type()
            field = owner.fields.get(parent.name.value) if is_input_object_type(owner) else None
            default = field.default_value if field is not None else Undefined
        uses = self._uses.setdefault(self._key, [])
        uses.append((node, context.get_input_type(), context.get_parent_input_type(), default))

    def leave_document(self, node: DocumentNode, *_: Any) -> None:
        spread: set[int | str] = set()
        for definition in node.definitions:
            if isinstance(definition, OperationDefinitionNode):
                spread |= self._check(definition)
        for definition in node.definitions:
            if isinstance(definition, FragmentDefinitionNode) and definition.name.value not in spread:
                self.report_error(GraphQLError(f"Fragment '{definition.name.value}' is never used.", definition))

    def _check(self, operation: OperationDefinitionNode) -> set[int | str]:
        """Check one operation's variables; what it reaches (itself and the fragments it spreads)."""
        name = f" in operation '{operation.name.value}'" if operation.name else ""
        by = f" by operation '{operation.name.value}'" if operation.name else ""
        defined: dict[str, VariableDefinitionNode] = {
            d.variable.name.value: d for d in operation.variable_definitions or ()
        }
        used: set[str] = set()
        reached: set[int | str] = {id(operation)}
        pending: list[int | str] = [id(operation)]
        while pending:
            for spread in self._spreads.get(pending.pop(), ()):
                if spread not in reached:
                    reached.add(spread)
                    pending.append(spread)
        schema = self.context.schema
        for key in reached:
            for variable, expected, parent, default in self._uses.get(key, ()):
                var_name = variable.name.value
                used.add(var_name)
                definition = defined.get(var_name)
                if definition is None:
                    said = f"Variable '${var_name}' is not defined{by}."
                    self.report_error(GraphQLError(said, [variable, operation]))
                    continue
                var_type = type_from_ast(schema, definition.type)
                if var_type is None or expected is None:
                    continue
                if not allowed_variable_usage(schema, var_type, definition.default_value, expected, default):
                    self.report_error(
                        GraphQLError(
                            f"Variable '${var_name}' of type '{var_type}' used in position expecting type "
                            f"'{expected}'.",
                            [definition, variable],
                        )
                    )
                if is_input_object_type(parent) and parent.is_one_of and is_nullable_type(var_type):
                    self.report_error(
                        GraphQLError(
                            f"Variable '${var_name}' is of type '{var_type}' but must be non-nullable to be used "
                            f"for OneOf Input Object '{parent}'.",
                            [definition, variable],
                        )
                    )
        for var_name, definition in defined.items():
            if var_name not in used:
                self.report_error(GraphQLError(f"Variable '${var_name}' is never used{name}.", [definition]))
        return reached


class Directives(ValidationRule):
    """A directive that is not repeatable is used once per location: graphql-core's rule looks at every node
    for directives; this one at directives only, once per location."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self._once = {d.name for d in context.schema.directives if not d.is_repeatable}
        self._seen: set[int] = set()

    def enter_directive(self, _node: DirectiveNode, _key: Any, parent: Any, *_: Any) -> None:
        if id(parent) in self._seen or not isinstance(parent, tuple | list):
            return
        self._seen.add(id(parent))
        named: set[str] = set()
        for directive in parent:
            name = directive.name.value
            if name in named and name in self._once:
                message = f"The directive '@{name}' can only be used once at this location."
                self.report_error(GraphQLError(message, directive))
            named.add(name)


_REPLACED = {
    OverlappingFieldsCanBeMergedRule,
    NoUndefinedVariablesRule,
    NoUnusedVariablesRule,
    VariablesInAllowedPositionRule,
    NoUnusedFragmentsRule,
    UniqueDirectivesPerLocationRule,
    # refused before validation (subscriptions; fragment cycles, in `analysis.measure`) or no use to Upwork
    SingleFieldSubscriptionsRule,
    NoFragmentCyclesRule,
    DeferStreamDirectiveOnRootField,
    DeferStreamDirectiveOnValidOperationsRule,
    DeferStreamDirectiveLabel,
    StreamDirectiveOnListField,
}
RULES: tuple[type[ASTValidationRule], ...] = (*(r for r in specified_rules if r not in _REPLACED), Uses, Directives)


def validate_linear(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    *,
    limit: int = 8,
    over: Callable[[], None] = lambda: None,
    extra: tuple[type[ASTValidationRule], ...] = (),
    errors: list[GraphQLError] | None = None,
) -> list[str]:
    """What is wrong with `document` (at most `limit` things, each with its line), the fields of `operation`
    merged with its fragments expanded. `extra` rules join the walk; `over` is called as the merging goes on:
    either may raise to stop the work. `errors`, when given, receives the rules' errors themselves."""
    raised = validate(schema, document, [*RULES, *extra], max_errors=limit)
    if errors is not None:
        errors.extend(raised)
    found = [error.message + (f" (line {error.locations[0].line})" if error.locations else "") for error in raised]
    root = schema.get_root_type(operation.operation)
    found += merge_conflicts(schema, operation.selection_set, root, fragments, limit=limit, over=over)
    return found[:limit]


def merge_conflicts(
    schema: GraphQLSchema,
    selection_set: SelectionSetNode,
    root: GraphQLNamedType | None,
    fragments: dict[str, FragmentDefinitionNode],
    *,
    limit: int = 8,
    over: Callable[[], None] = lambda: None,
) -> list[str]:
    """Messages for fields of `selection_set` (on `root`) that share a response name and cannot be merged.
    `over` is called once per selection merged: it may raise to stop the check."""
    found: list[str] = []
    pending: list[tuple[str, dict[str, list[Placed]]]] = [("", _collect(schema, selection_set, root, fragments))]
    while pending and len(found) < limit:
        over()
        path, groups = pending.pop()
        for response, placed in groups.items():
            where = f"{path}.{response}" if path else response
            problem = _group_conflict(placed)
            if problem is not None:
                line = _line(placed)
                found.append(
                    f"Fields '{where}' conflict because {problem}. Use different aliases on the fields to fetch "
                    f"both if this was intentional.{line}"
                )
                continue
            for members in _by_parent(placed).values():
                merged: dict[str, list[Placed]] = {}
                for parent, node in members:
                    if node.selection_set is not None:
                        inner = _field(parent, node.name.value)
                        on = get_named_type(inner.type) if inner is not None else None
                        _collect(schema, node.selection_set, on, fragments, merged)
                if merged:
                    pending.append((where, merged))
    return found[:limit]


def _collect(
    schema: GraphQLSchema,
    selection_set: SelectionSetNode,
    parent: GraphQLNamedType | None,
    fragments: dict[str, FragmentDefinitionNode],
    into: dict[str, list[Placed]] | None = None,
) -> dict[str, list[Placed]]:
    """The fields one selection set asks for, by response name, its fragments expanded (each named
    fragment once: spread again, it adds the same fields on the same type)."""
    out: dict[str, list[Placed]] = {} if into is None else into
    expanded: set[str] = set()
    stack: list[tuple[SelectionSetNode, GraphQLNamedType | None]] = [(selection_set, parent)]
    while stack:
        node, on = stack.pop()
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                name = (selection.alias or selection.name).value
                out.setdefault(name, []).append((on, selection))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                stack.append((selection.selection_set, schema.get_type(condition.name.value) if condition else on))
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is not None and fragment.name.value not in expanded:
                    expanded.add(fragment.name.value)
                    stack.append((fragment.selection_set, schema.get_type(fragment.type_condition.name.value)))
    return out


def _group_conflict(placed: list[Placed]) -> str | None:
    """Why the fields of one response name can't be one field, or None. Within one parent type: each
    against the first, by name and arguments; across parent types: the shapes of what they return."""
    first_parent, first = placed[0]
    first_type = _type(first_parent, first)
    for members in _by_parent(placed).values():
        parent, rep = members[0]
        arguments = _arguments(rep)
        for _, other in members[1:]:
            if other.name.value != rep.name.value:
                return f"'{rep.name.value}' and '{other.name.value}' are different fields"
            if _arguments(other) != arguments:
                return "they have differing arguments"
        rep_type = _type(parent, rep)
        if first_type is not None and rep_type is not None and _types_conflict(first_type, rep_type):
            return f"they return conflicting types '{first_type}' and '{rep_type}'"
    return None


def _by_parent(placed: list[Placed]) -> dict[str, list[Placed]]:
    groups: dict[str, list[Placed]] = {}
    for parent, node in placed:
        groups.setdefault(parent.name if parent is not None else "", []).append((parent, node))
    return groups


def _arguments(node: FieldNode) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((a.name.value, print_ast(a.value)) for a in node.arguments or ()))


def _field(parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
    fields = getattr(parent, "fields", None)
    return fields.get(name) if isinstance(fields, dict) else None


def _type(parent: GraphQLNamedType | None, node: FieldNode) -> Any:
    found = _field(parent, node.name.value)
    return found.type if found is not None else None


def _types_conflict(a: Any, b: Any) -> bool:
    """graphql's "same response shape": lists and non-null alike all the way down, and leaves the same type."""
    if is_list_type(a) or is_list_type(b):
        return not (is_list_type(a) and is_list_type(b)) or _types_conflict(a.of_type, b.of_type)
    if is_non_null_type(a) or is_non_null_type(b):
        return not (is_non_null_type(a) and is_non_null_type(b)) or _types_conflict(a.of_type, b.of_type)
    if is_leaf_type(a) or is_leaf_type(b):
        return a is not b
    return False


def _line(placed: list[Placed]) -> str:
    node = placed[-1][1]
    if node.loc is None:
        return ""
    return f" (line {node.loc.source.get_location(node.loc.start).line})"
