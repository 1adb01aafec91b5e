"""Upwork's schema and the named operation documents, loaded once and read with graphql-core."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

SCHEMA_FILE = "upwork.graphql"


def _read(name: str) -> str:
    return files(__name__).joinpath(name).read_text(encoding="utf-8")


@cache
def schema_sdl() -> str:
    return _read(SCHEMA_FILE)


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
            if entry.name.endswith(".graphql") and entry.name != SCHEMA_FILE
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
