"""`upwork-mcp schema`: show the schema or an operation, and `schema pull` it from Upwork with this key."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from .. import graphql as documents
from ..api import UpworkClient
from ..api.introspection import pull
from ..errors import ConfigError
from ..graphql import introspection


def show(name: str | None) -> str:
    """The bundled schema (no name), an operation document, or one type's SDL."""
    if not name:
        return documents.schema_sdl()
    if name in documents.operation_names():
        return documents.operation(name)
    from ..graphql.describe import look_up  # lazy: graphql-core, for a type's SDL

    _, sdl, close = look_up(documents.bundled_schema(), name)
    if sdl is not None:
        return sdl + "\n"
    raise ConfigError(
        f"{name!r} is neither an operation nor a type. Operations: "
        f"{', '.join(documents.operation_names())}; types like it: {', '.join(close) or 'none'}."
    )


async def cmd_pull(client: UpworkClient, path: Path, *, everything: bool) -> list[str]:
    async def progress(done: int, total: int) -> None:
        print(f"\r{done}/{total} types", end="", file=sys.stderr, flush=True)

    pulled = await pull(client, everything=everything, progress=progress)
    introspection.save(path, pulled)
    when = datetime.fromtimestamp(pulled.pulled_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    how = "full introspection" if pulled.mode == "full" else "one type per request"
    lines = [f"Pulled {len(pulled.types)} types by {how} at {when}; saved to {path}."]
    lines += pulled.notes
    if pulled.complete:
        lines.append("run_graphql checks documents against this schema from now on.")
    else:
        lines.append(
            "This pull covers the types this project's operations use; run_graphql keeps checking "
            "documents against the bundled snapshot (`schema pull --all` walks every type)."
        )
    found = introspection.drift(pulled)
    if found:
        lines.append(f"Drift: {len(found)} field(s) this project uses are not in Upwork's schema for this key:")
        lines += [f"  {line}" for line in found]
    else:
        lines.append("No drift: every field this project's operations use is in Upwork's schema for this key.")
    return lines
