"""What a tool depends on: the server's runtime (`App`, as the lifespan yields it) and the context type.

Kept apart from `_common` so the resources (listed at start-up) load without the tools' output models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from mcp.server.mcpserver import Context

if TYPE_CHECKING:
    from upwork_mcp.api import UpworkClient
    from upwork_mcp.approvals import AsyncApprovals, Ticket
    from upwork_mcp.config import Settings
    from upwork_mcp.store.proposals import AsyncProposalLedger
    from upwork_mcp.watches.delivery import Outcome
    from upwork_mcp.watches.service import Watches


class App(Protocol):
    """What the tools depend on: the server's runtime, as the lifespan yields it (one per server, shared by
    every session). The Upwork client is made on first use, so start-up pays no HTTP imports."""

    @property
    def settings(self) -> Settings: ...

    @property
    def read_only(self) -> bool: ...

    @property
    def client(self) -> UpworkClient:
        """The Upwork client of the user this request acts for."""
        ...

    @property
    def watches(self) -> Watches:
        """This user's watches."""
        ...

    @property
    def approvals(self) -> AsyncApprovals: ...

    def proposal_ledger(self, owner: str) -> AsyncProposalLedger:
        """What this server keeps of the proposals of `owner` (an Upwork user id): applications, what was seen."""
        ...

    def principal(self) -> str | None:
        """The user a request acts for in a team deployment (their Upwork login); None with one login."""
        ...

    async def notify_updated(self, ctx: Any, uri: str) -> None:
        """A watch resource changed: tell the sessions that subscribed to it (either protocol era)."""
        ...

    async def deliver(self) -> Outcome | None:
        """Deliver what watches queued for their sinks, now, as far as the sinks answer (None: still going when
        its time was up)."""
        ...

    def approval_link(self, ticket: Ticket) -> str:
        """Where a person approves the write `ticket` stands for."""
        ...

    async def schema(self) -> tuple[Any, str]:
        """The schema documents are checked against, and its label."""
        ...


Ctx = Context[App, Any]


def app(ctx: Ctx) -> App:
    return ctx.request_context.lifespan_context
