"""The offline Upwork: GraphQL over Upwork's schema, OAuth, and the Jobs API feed, with seeded data and faults.

    app = create_app(Sandbox.create(seed=2026))       # a Starlette app
    httpx.AsyncClient(transport=httpx.ASGITransport(app=app))   # in process
    upwork-mcp sandbox --port 8766                      # on 127.0.0.1

Only the composition root (`upwork_mcp.world`, the CLI) imports this package.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .credentials import settings_for

if TYPE_CHECKING:
    import httpx  # lazy: httpx (with rich and pygments) loads with the first call
    from starlette.applications import Starlette

    from .._http import RequestLoop
    from ..auth.tokens import TokenSet
    from ..config import Settings
    from .faults import Faults
    from .state import Sandbox


def __getattr__(name: str) -> Any:
    """`Sandbox` and `Faults` load when first named: a server on the sandbox starts without its seeded data."""
    if name == "Sandbox":
        from .state import Sandbox  # lazy: as the docstring says

        return Sandbox
    if name == "Faults":
        from .faults import Faults  # lazy: as above

        return Faults
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Faults", "Sandbox", "create_app", "embedded_transport", "sandbox_login", "settings_for"]


async def sandbox_login(loop: RequestLoop, settings: Settings) -> TokenSet:
    """The sandbox's own login: no person, no browser (the OAuth flow runs against the sandbox in process)."""
    from .login import sandbox_login as login  # lazy: the OAuth client loads with the first call

    return await login(loop, settings)


def create_app(sandbox: Sandbox | None = None) -> Starlette:
    from .app import create_app as _create  # lazy: starlette and graphql-core load when served

    return _create(sandbox)


@cache
def embedded_sandbox(faults: str = "", board: Path | None = None) -> Sandbox:
    """The one sandbox of this process, used by `--sandbox` (faults: UPWORK_SANDBOX_FAULTS; `board`: the file
    through which `upwork-mcp sandbox post-job` posts to it from another process)."""
    from .faults import Faults  # lazy: with the first request
    from .posting import Board
    from .state import Sandbox

    box = Sandbox.create(faults=Faults.parse(faults))
    box.board = Board(board) if board is not None else None
    return box


def embedded_transport(faults: str = "", board: Path | None = None) -> httpx.AsyncBaseTransport:
    """The process's embedded sandbox as an httpx transport (faults as UPWORK_SANDBOX_FAULTS spells them)."""
    import httpx  # lazy: httpx (with rich and pygments) loads with the first call

    return httpx.ASGITransport(app=create_app(embedded_sandbox(faults, board)))


def board_path(data_dir: Path) -> Path:
    """Where the embedded sandbox's board lives: in the user's data dir, shared by their processes."""
    return data_dir / "sandbox-board.jsonl"
