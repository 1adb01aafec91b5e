"""Notes the engine leaves for whoever called it: what a result lacks and why.

The engine stays neutral: it records plain facts ("left out activityStat: this API key can't read
it"); the caller that opened `collecting()` decides how to show them (the MCP surface appends them to
a tool's text). Outside `collecting()` notes go nowhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_NOTES: ContextVar[list[str] | None] = ContextVar("upwork_mcp_notes", default=None)


def note(text: str) -> None:
    notes = _NOTES.get()
    if notes is not None and text not in notes:
        notes.append(text)


@contextmanager
def collecting() -> Iterator[list[str]]:
    notes: list[str] = []
    token = _NOTES.set(notes)
    try:
        yield notes
    finally:
        _NOTES.reset(token)
