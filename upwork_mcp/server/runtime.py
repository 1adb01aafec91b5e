"""What one server shares across its sessions: one rate limiter, one login, one engine, one store.

The lifespan yields the `Runtime` itself; the tools depend on it through the small `tools._common.App`
protocol. SSE and stdio enter the lifespan once per connection; sharing here keeps every session of the
process under one rate limit and one token refresh. The engine's HTTP client closes when the last session
ends and is made again on the next call.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread

from ..config import Settings
from ..errors import NotAuthenticatedError, UpworkError
from ..world import Engine, limiter_for, open_store, pulled_schema_path, world_for

if TYPE_CHECKING:
    import httpx

    from .._http import Limiter
    from ..api import UpworkClient
    from ..approvals import AsyncApprovals, Ticket
    from ..auth.tokens import TokenSet
    from ..store import Store
    from ..store.proposals import AsyncProposalLedger
    from ..watches.delivery import Outcome
    from ..watches.service import Watches
    from .approval_page import ApprovalPage
    from .oauth import UpworkLogins

log = logging.getLogger("upwork_mcp.server")


class Runtime:
    """The server's shared state; what the tools reach as `app(ctx)`."""

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None) -> None:
        self.world = world_for(settings, transport=transport)
        self.limiter: Limiter | None = None
        self.sessions = 0
        self._engine: Engine | None = None
        self._approvals: AsyncApprovals | None = None
        self._page: ApprovalPage | None = None
        self._store: Store | None = None
        self._pulled: tuple[float, tuple[Any, str]] | None = None
        # resources/subscribe (before 2026-07-28): sessions by (the user they act for, the uri)
        self._subscribers: dict[tuple[str | None, str], list[Any]] = {}
        self.team_base: str | None = None  # a team server's public address: its approval page is there

    # -- what the tools read -----------------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        return self.world.settings

    @property
    def read_only(self) -> bool:
        return self.settings.read_only

    @property
    def client(self) -> UpworkClient:
        user = self.principal()
        return self.engine().client_for(user) if user else self.engine().client

    @property
    def watches(self) -> Watches:
        return self.engine().watches(owner=self.principal())

    @property
    def approvals(self) -> AsyncApprovals:
        """Approvals in the store, opened on first use (start-up touches no database)."""
        if self._approvals is None:
            from ..advice import approve_command  # lazy: the store loads with a write
            from ..approvals import Approvals, AsyncApprovals

            settings = self.settings
            self._approvals = AsyncApprovals(
                Approvals(self.store(), command=lambda approval_id: approve_command(settings, approval_id))
            )
        return self._approvals

    def proposal_ledger(self, owner: str) -> AsyncProposalLedger:
        from ..store.proposals import AsyncProposalLedger, ProposalLedger  # lazy: the store loads with a write

        return AsyncProposalLedger(ProposalLedger(self.store(), owner))

    def principal(self) -> str | None:
        """The user this request acts for, in a team deployment (`--auth oauth`); None otherwise."""
        if self.settings.http_auth != "oauth":
            return None
        from mcp.server.auth.middleware.auth_context import get_access_token  # lazy: team deployments only

        token = get_access_token()
        if token is None or not token.subject:
            raise NotAuthenticatedError("This server needs each user's own login: connect with OAuth.")
        return token.subject

    def subject(self) -> str | None:
        """The user of the current request when one is known (never raises): for the subscription bus."""
        try:
            return self.principal()
        except NotAuthenticatedError:
            return None

    async def notify_updated(self, ctx: Any, uri: str) -> None:
        """resources/updated for `uri`: on subscriptions/listen streams (2026-07-28) and to the sessions
        that sent resources/subscribe (earlier versions)."""
        await ctx.notify_resource_updated(uri)  # the bus hands it to this user's listen streams only
        for session in list(self._subscribers.get((self.principal(), uri), ())):
            try:
                await session.send_resource_updated(uri)
            except Exception:  # a session that went away is not this call's failure
                self.unsubscribe(session, uri)

    async def deliver(self) -> Outcome | None:
        """Send what this user's watches queued, within 15 s (what is left waits for `upwork-mcp watch run`):
        what happened, or None when the 15 s ran out first."""
        import httpx  # lazy: with the first delivery

        from ..watches.delivery import Deliverer  # lazy: as above
        from ..watches.runner import OneUser

        watches = self.watches
        with anyio.move_on_after(15):
            async with httpx.AsyncClient(timeout=httpx.Timeout(10, connect=5), follow_redirects=False) as http:
                return await Deliverer(OneUser(watches), http, mine=watches).deliver_due()
        return None

    def approval_link(self, ticket: Ticket) -> str:
        """On a team server, its own page at its public address (behind the person's sign-in); otherwise the
        page on this machine's 127.0.0.1 (answered from a browser paired in a terminal)."""
        if self.team_base is not None:
            return f"{self.team_base}/approve/{ticket.id}?k={ticket.page_key}"
        if self._page is None:
            # lazy: only a client that cannot be asked needs the page
            from ..advice import approve_command
            from ..store.web import WebStore
            from .approval_page import ApprovalPage, PairedBrowser, pairing_cookie_for

            settings = self.settings
            gate = PairedBrowser(
                WebStore(self.store()), pairing_cookie_for(settings), approve_command(settings, pair=True)
            )
            self._page = ApprovalPage(
                self.approvals.inner, gate, port=settings.approval_port, header_timeout=settings.header_timeout
            )
        return self._page.link(ticket)

    async def schema(self) -> tuple[Any, str]:
        """The schema run_graphql checks documents against: a complete pull with this key, else the bundle."""
        return await anyio.to_thread.run_sync(self._load_schema)

    # -- what the server itself uses ---------------------------------------------------------------------

    def store(self) -> Store:
        """The state this user's processes share, opened on first use (start-up touches no database)."""
        if self._store is None:
            self._store = open_store(self.settings)
        return self._store

    def engine(self) -> Engine:
        if self._engine is None:
            self.limiter = self.limiter or self._limiter()
            self._engine = Engine(self.world, limiter=self.limiter, store=self.store())
        return self._engine

    def _limiter(self) -> Limiter:
        if self.settings.database_url is not None:
            log.info("the Upwork rate limit is shared through the database")
        return limiter_for(self.settings, self.store())

    def logins(self, base: str) -> UpworkLogins:
        """This server as the OAuth authorization server of its users, each logging in to their own Upwork."""
        from ..store.team import TeamStore  # lazy: team deployments only
        from ..world import sealer_for
        from .oauth import UpworkLogins

        team = TeamStore(self.store())
        self.team_base = base
        return UpworkLogins(
            self.settings, team, sealer_for(self.settings), lambda: self.engine().loop, self.identify, base
        )

    async def identify(self, tokens: TokenSet) -> tuple[str, str | None]:
        """Who a fresh Upwork login belongs to (their user id and name), asked of Upwork with it."""
        from ..api import UpworkClient  # lazy: with the engine
        from ..auth.manager import StaticToken

        engine = self.engine()
        client = UpworkClient(self.settings, engine.loop, StaticToken(tokens.access_token), memory=engine.memory)
        me = await client.account.me()
        if me.user is None:
            raise UpworkError("Upwork did not say who logged in.")
        return me.user.id, me.user.name

    def subscribe(self, session: Any, uri: str) -> None:
        # Held strongly: the SDK keeps no other reference between requests. A session that has gone away
        # is dropped the first time a notification to it fails. Keyed by the user too: on a team server two
        # people's watches may share a name, and each hears only of their own.
        subscribers = self._subscribers.setdefault((self.principal(), uri), [])
        if all(s is not session for s in subscribers):
            subscribers.append(session)

    def unsubscribe(self, session: Any, uri: str) -> None:
        for key in [k for k in self._subscribers if k[1] == uri]:
            self._subscribers[key] = [s for s in self._subscribers[key] if s is not session]

    def _load_schema(self) -> tuple[Any, str]:
        from .. import graphql as documents  # lazy: graphql-core and a 2,859-type schema load off the event loop
        from ..graphql import introspection

        path = pulled_schema_path(self.settings)
        stamp = path.stat().st_mtime if path.exists() else None
        if stamp is not None and self._pulled is not None and self._pulled[0] == stamp:
            return self._pulled[1]
        pulled = introspection.load(path) if stamp is not None else None
        if stamp is not None and pulled is not None and pulled.complete:
            when = datetime.fromtimestamp(pulled.pulled_at, UTC).strftime("%Y-%m-%d")
            self._pulled = (stamp, (pulled.schema(), f"the schema pulled from Upwork with this key on {when}"))
            return self._pulled[1]
        return documents.bundled_schema(), documents.BUNDLED_LABEL

    async def enter(self) -> None:
        self.sessions += 1

    async def leave(self) -> None:
        """The last session gone: close the HTTP client, and the store's connections (which folds SQLite's
        write-ahead log into the database file). A later session opens both again on first use."""
        self.sessions -= 1
        if self.sessions > 0:
            return
        if self._engine is not None:
            engine, self._engine = self._engine, None
            await engine.aclose()
        if self._store is not None:
            await anyio.to_thread.run_sync(self._store.close)
