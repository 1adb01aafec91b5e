"""Upwork's schema and the named operation documents.

The schema is Upwork's own: `upwork-live-2026-04.graphql` is the live API's introspection of
2026-04-23 (names and types only) and `overlay.graphql` adds what later live probes saw, each with
its source and date. Every operation document here validates against the two (a test).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graphql import GraphQLSchema

SNAPSHOT_FILE = "upwork-live-2026-04.graphql"
OVERLAY_FILE = "overlay.graphql"
SCHEMA_FILES = (SNAPSHOT_FILE, OVERLAY_FILE)
BUNDLED_LABEL = "the bundled snapshot of Upwork's schema (introspected 2026-04-23, plus later additions)"


def _read(name: str) -> str:
    return files(__name__).joinpath(name).read_text(encoding="utf-8")


@cache
def schema_sdl() -> str:
    """The bundled schema as SDL: the snapshot, then the overlay."""
    return _read(SNAPSHOT_FILE) + "\n" + _read(OVERLAY_FILE)


@cache
def bundled_schema() -> GraphQLSchema:
    """The bundled schema, built once per process (about a second: call it off the event loop)."""
    from graphql import build_ast_schema, parse  # lazy: graphql-core loads with the first document

    return build_ast_schema(parse(schema_sdl(), no_location=True), assume_valid=True, assume_valid_sdl=True)


@cache
def operation(name: str) -> str:
    """The text of the named operation `name` (file `<name>.graphql`)."""
    if name not in operation_names():
        raise KeyError(f"no operation document named {name!r}")
    return _read(f"{name}.graphql")


@cache
def operation_names() -> tuple[str, ...]:
    return tuple(
        sorted(
            entry.name.removesuffix(".graphql")
            for entry in files(__name__).iterdir()
            if entry.name.endswith(".graphql") and entry.name not in SCHEMA_FILES
        )
    )


@cache
def root_fields(query: str) -> tuple[str, ...]:
    """The top-level field names a document selects (empty if it does not parse)."""
    from .analysis import DocumentError, operation  # lazy: graphql-core loads with the first document

    try:
        return operation(query).root_fields()
    except DocumentError:
        return ()


@cache
def kind_of_operation(name: str) -> str:
    """query or mutation, for a bundled operation."""
    from .analysis import kind_of  # lazy: graphql-core loads with the first document

    return kind_of(operation(name))
