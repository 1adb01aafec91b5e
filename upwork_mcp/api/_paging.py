"""One helper that turns a GraphQL connection into items, a total and the next cursor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from ..errors import InvalidInputError

T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int | None
    next_cursor: str | None
    edges: int = 0  # slots consumed, nulled nodes included (they still advance an offset)
    positions: list[int] = field(default_factory=list)  # each item's index among the edges
    extra: dict[str, Any] = field(default_factory=dict)


def connection_page(
    conn: dict[str, Any] | None, model: type[T], *, offset: int | None = None, seen: Callable[[T], None] | None = None
) -> Page[T]:
    """Items of `{totalCount, edges {cursor node}, pageInfo {hasNextPage endCursor}}`.

    With `offset` (Upwork's numeric-offset paging), the next cursor is the offset after every edge
    returned; without it, the connection's own `endCursor`. A connection without `pageInfo` pages
    by its total.
    """
    conn = conn or {}
    raw_edges = conn.get("edges") or []
    items: list[T] = []
    positions: list[int] = []
    for index, edge in enumerate(raw_edges):
        node = (edge or {}).get("node")
        if node:
            item = model.model_validate(node)
            if seen is not None:
                seen(item)
            items.append(item)
            positions.append(index)
    total = conn.get("totalCount")
    info = conn.get("pageInfo")
    after = (offset or 0) + len(raw_edges)
    if info is not None:
        more = bool(info.get("hasNextPage")) and bool(raw_edges)
        cursor = (str(after) if offset is not None else info.get("endCursor")) if more else None
    else:
        more = isinstance(total, int) and after < total and bool(raw_edges)
        cursor = str(after) if more else None
    return Page(
        items=items,
        total=total if isinstance(total, int) else None,
        next_cursor=cursor,
        edges=len(raw_edges),
        positions=positions,
    )


def offset_of(cursor: str | None) -> int:
    """A numeric-offset cursor as an int (0 for none); InvalidInputError for anything else."""
    if not cursor:
        return 0
    if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > 9:
        raise InvalidInputError(
            f"cursor {cursor[:20]!r} is not one this server returned: pass next_cursor "
            "unchanged, or omit it for the first page."
        )
    return int(cursor)
