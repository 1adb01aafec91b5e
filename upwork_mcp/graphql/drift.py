"""The overlay applied to the snapshot: fields Upwork added, changed and dropped since April 2026.

The overlay is SDL: `extend` blocks whose fields carry `@seen(on, source)` (added, or changed: the
snapshot's field of that name is replaced) or `@gone(on, source)` (removed from the type), and types new
since the snapshot, defined whole, every field marked `@seen`. The two directives are the overlay's
bookkeeping and are stripped, so the built schema is Upwork's shape only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from graphql import (
    ConstDirectiveNode,
    DefinitionNode,
    DirectiveDefinitionNode,
    DocumentNode,
    FieldDefinitionNode,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    StringValueNode,
    parse,
)

OVERLAY_FILE = "overlay.graphql"

MARKS = ("seen", "gone")
_DEFINITIONS = ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode | InputObjectTypeDefinitionNode
_EXTENSIONS = ObjectTypeExtensionNode | InterfaceTypeExtensionNode | InputObjectTypeExtensionNode
FieldNode = FieldDefinitionNode | InputValueDefinitionNode


@dataclass(frozen=True)
class Change:
    """One overlay line: `Type.field`, seen (added or changed) or gone, on which date, by which source."""

    name: str
    kind: str  # "seen" | "gone"
    on: str
    source: str


def _mark(field: FieldNode) -> Change | None:
    for directive in field.directives or ():
        if directive.name.value in MARKS:
            args = {
                a.name.value: a.value.value for a in directive.arguments or () if isinstance(a.value, StringValueNode)
            }
            return Change("", directive.name.value, args.get("on", ""), args.get("source", ""))
    return None


def _unmarked(field: FieldNode) -> FieldNode:
    kept: tuple[ConstDirectiveNode, ...] = tuple(d for d in field.directives or () if d.name.value not in MARKS)
    copied: FieldNode = _copy(field, directives=kept)
    return copied


def _copy(node: Any, **changes: Any) -> Any:
    attributes = {k: getattr(node, k) for k in node.keys}
    return type(node)(**{**attributes, **changes})


def changes(overlay: DocumentNode) -> list[Change]:
    """Every field the overlay names, with its mark (a field without one is a defect the tests catch)."""
    out = []
    for definition in overlay.definitions:
        if isinstance(definition, _EXTENSIONS | _DEFINITIONS):
            for field in definition.fields or ():
                mark = _mark(field)
                name = f"{definition.name.value}.{field.name.value}"
                out.append(Change(name, mark.kind, mark.on, mark.source) if mark else Change(name, "", "", ""))
    return out


@cache
def overlay_changes() -> tuple[Change, ...]:
    """Every field the bundled overlay adds, changes or drops, with its date and source."""
    text = files(__package__ or "upwork_mcp.graphql").joinpath(OVERLAY_FILE).read_text(encoding="utf-8")
    return tuple(changes(parse(text, no_location=True)))


def gone(name: str) -> Change | None:
    """The overlay's record of `Type.field` if Upwork dropped it from its schema."""
    return next((c for c in overlay_changes() if c.name == name and c.kind == "gone"), None)


def apply(snapshot: DocumentNode, overlay: DocumentNode) -> DocumentNode:
    """The snapshot with the overlay's fields added, replaced or removed, and its directives gone."""
    replaced: dict[str, dict[str, FieldNode]] = {}
    removed: dict[str, set[str]] = {}
    extensions: list[DefinitionNode | tuple[str, Any, list[FieldNode]]] = []
    for definition in overlay.definitions:
        if isinstance(definition, DirectiveDefinitionNode) and definition.name.value in MARKS:
            continue
        if isinstance(definition, _DEFINITIONS):  # a type new since the snapshot
            extensions.append(_copy(definition, fields=tuple(_unmarked(f) for f in definition.fields or ())))
            continue
        if not isinstance(definition, _EXTENSIONS):
            extensions.append(definition)
            continue
        type_name = definition.name.value
        added = []
        for field in definition.fields or ():
            mark = _mark(field)
            if mark is not None and mark.kind == "gone":
                removed.setdefault(type_name, set()).add(field.name.value)
            else:
                replaced.setdefault(type_name, {})[field.name.value] = _unmarked(field)
                added.append(_unmarked(field))
        extensions.append((type_name, definition, added))
    definitions: list[DefinitionNode] = []
    for definition in snapshot.definitions:
        if isinstance(definition, _DEFINITIONS) and definition.name.value in replaced | removed:
            name = definition.name.value
            new = replaced.get(name, {})
            fields = [
                new.pop(f.name.value, f) for f in definition.fields or () if f.name.value not in removed.get(name, ())
            ]
            replaced[name] = new  # what is left is added by the extension
            definition = _copy(definition, fields=tuple(fields))
        definitions.append(definition)
    for item in extensions:
        if not isinstance(item, tuple):
            definitions.append(item)
            continue
        type_name, extension, added = item
        left = [f for f in added if f.name.value in replaced.get(type_name, {})]
        if left:
            definitions.append(_copy(extension, fields=tuple(left)))
    return DocumentNode(definitions=tuple(definitions))
