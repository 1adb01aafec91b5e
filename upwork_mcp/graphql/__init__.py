"""Upwork's schema and the named operation documents.

The schema is Upwork's own: `upwork-live-2026-04.graphql` is the live API's introspection of
2026-04-23 (names and types only) and `overlay.graphql` records what later live probes saw (fields
added, changed or dropped), each with its source and date; `drift.py` applies it. Every operation
document here validates against the result (a test).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graphql import DocumentNode, GraphQLSchema

    from .drift import Change

log = logging.getLogger("upwork_mcp.graphql")

SNAPSHOT_FILE = "upwork-live-2026-04.graphql"
OVERLAY_FILE = "overlay.graphql"  # also read by drift.py
SCHEMA_FILES = (SNAPSHOT_FILE, OVERLAY_FILE)
BUNDLED_LABEL = "the bundled snapshot of Upwork's schema (introspected 2026-04-23, plus later additions)"


def _read(name: str) -> str:
    return files(__name__).joinpath(name).read_text(encoding="utf-8")


@cache
def schema_sdl() -> str:
    """The bundled schema's sources as SDL: the snapshot, then the overlay (with its sources and dates)."""
    return _read(SNAPSHOT_FILE) + "\n" + _read(OVERLAY_FILE)


@cache
def schema_document() -> DocumentNode:
    """The snapshot with the overlay applied: what to build a schema from."""
    from graphql import parse  # lazy: graphql-core loads with the first document

    from .drift import apply  # lazy: as above (it imports graphql-core)

    return apply(parse(_read(SNAPSHOT_FILE), no_location=True), parse(_read(OVERLAY_FILE), no_location=True))


def overlay_changes() -> tuple[Change, ...]:
    """Every field the overlay adds, changes or drops, with its date and source."""
    from .drift import overlay_changes  # lazy: graphql-core loads with the first document

    return overlay_changes()


def gone(name: str) -> Change | None:
    """The overlay's record of `Type.field` if Upwork dropped it from its schema."""
    from .drift import gone  # lazy: graphql-core loads with the first document

    return gone(name)


@cache
def bundled_schema() -> GraphQLSchema:
    """The bundled schema, built once per process (a second or two: call it off the event loop).

    Parsing 2,859 types of SDL is most of that; the same schema rebuilt from its introspection JSON
    takes about a third of the time, so after the first build the JSON is kept in the user's cache dir
    (keyed by the SDL and graphql-core's version) and later processes start from it.
    """
    # lazy: graphql-core loads with the first document
    from graphql import build_ast_schema, build_client_schema, introspection_from_schema
    from graphql import version as graphql_version
    from platformdirs import user_cache_dir

    # The overlay is applied by drift.py: a change to either makes another schema.
    sources = f"{graphql_version}\0{schema_sdl()}\0{_read('drift.py')}"
    key = hashlib.sha256(sources.encode()).hexdigest()[:24]
    cached = Path(user_cache_dir("upwork-mcp", appauthor=False)) / f"schema-{key}.json"
    try:
        return build_client_schema(json.loads(cached.read_text(encoding="utf-8")), assume_valid=True)
    except FileNotFoundError:
        pass
    except Exception as exc:  # a damaged cache file is rebuilt, never trusted
        log.warning("rebuilding the cached schema (%s)", type(exc).__name__)
    schema = build_ast_schema(schema_document(), assume_valid=True, assume_valid_sdl=True)
    _write_atomically(cached, json.dumps(introspection_from_schema(schema), separators=(",", ":")))
    return schema


def _write_atomically(path: Path, text: str) -> None:
    """Write whole or not at all; a cache that cannot be written is not a failure."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp") as f:
            f.write(text)
        os.replace(f.name, path)
    except OSError as exc:
        log.info("the schema cache was not written (%s)", type(exc).__name__)


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
