"""The composition root's one decision: real Upwork or the embedded sandbox.

Everything below this module is handed its collaborators; this is where they are chosen: the
HTTP transport (the network, or the sandbox in process), the token source (the saved login, a
token from the environment, or the sandbox's own login) and the credentials.

    async with open_client(Settings.from_env(os.environ)) as client:
        me = await client.account.me()
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .auth.store import FileTokenStore, KeyringTokenStore, MemoryTokenStore, TokenStore
from .config import Settings
from .errors import ConfigError

if TYPE_CHECKING:
    import httpx

    from ._http import Limiter, RequestLoop
    from .api import UpworkClient
    from .auth.manager import Login
    from .auth.source import TokenSource
    from .store import Store
    from .store.sealing import Sealer
    from .watches.config import ConfigFile
    from .watches.service import Watches


@dataclass(frozen=True)
class World:
    """Where requests go and how they are authenticated."""

    settings: Settings  # as used: in the sandbox, its own URLs and credentials
    # None: the network. A function: the transport, made when the first request needs it (the embedded
    # sandbox's data and app are built then, not at start-up).
    transport: httpx.AsyncBaseTransport | Callable[[], httpx.AsyncBaseTransport] | None
    store: TokenStore
    login: Login | None  # a login that needs no person (the sandbox's); None for real Upwork

    def resolved_transport(self) -> httpx.AsyncBaseTransport | None:
        return self.transport() if callable(self.transport) else self.transport


def world_for(
    settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None, store: TokenStore | None = None
) -> World:
    """The world `settings` ask for. A `transport` given here replaces the default one (tests, benchmarks)."""
    if settings.sandbox_faults:
        from .sandbox.faults import Faults  # lazy: only when faults are set

        try:
            Faults.parse(settings.sandbox_faults)
        except ValueError as exc:
            raise ConfigError(f"UPWORK_SANDBOX_FAULTS={settings.sandbox_faults!r} is not valid: {exc}") from exc
    if not settings.sandbox:
        return World(settings, transport, store or default_store(settings), None)
    from . import sandbox  # lazy: only the sandbox world needs it

    used = sandbox.settings_for(settings)
    faults = settings.sandbox_faults

    board = sandbox.board_path(settings.resolved_data_dir())

    def embedded() -> httpx.AsyncBaseTransport:
        return sandbox.embedded_transport(faults, board)

    chosen = transport or embedded

    async def login(loop: RequestLoop) -> Any:
        return await sandbox.sandbox_login(loop, used)

    return World(used, chosen, store or MemoryTokenStore(), login)


def state_path(settings: Settings) -> Path:
    """The embedded database: one per world, so the sandbox's state never mixes with a real account's."""
    return settings.resolved_data_dir() / ("sandbox.sqlite3" if settings.sandbox else "state.sqlite3")


def pulled_schema_path(settings: Settings) -> Path:
    """Where `schema pull` keeps what Upwork told this key (one per world)."""
    return settings.resolved_data_dir() / ("schema-sandbox.json" if settings.sandbox else "schema.json")


def open_store(settings: Settings) -> Store:
    """The store every process of this user shares (the embedded SQLite database in the data dir)."""
    from .store import Store, open_database  # lazy: the store loads when state is first needed

    url = settings.database_url.get_secret_value() if settings.database_url else None
    return Store(open_database(url, state_path(settings)))


def sealer_for(settings: Settings) -> Sealer:
    from .store.sealing import Sealer  # lazy: cryptography loads only where logins are sealed

    if settings.encryption_key is None:
        raise ConfigError(
            "Logins kept in the database are sealed: set UPWORK_ENCRYPTION_KEY (`upwork-mcp keys new` prints one)."
        )
    return Sealer(settings.encryption_key.get_secret_value())


def sink_sealer(settings: Settings) -> Sealer:
    """What seals a sink's secrets (its URL, signing key or bot token) in the store.

    A team deployment (or anyone who sets UPWORK_ENCRYPTION_KEY) seals them with the operator's key, as it
    seals logins. The embedded single-user store seals them with a key of this user's kept beside the saved
    login in the config dir (0600), not in the data dir's database: a copy of the database alone (a backup,
    a synced folder, a file attached to a bug report) does not give them away."""
    if settings.encryption_key is not None or settings.database_url is not None:
        return sealer_for(settings)
    from .store.sealing import Sealer, new_key  # lazy: cryptography loads only where secrets are sealed

    path = settings.resolved_token_file().parent / "sinks.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(fd, "w") as out:
                out.write(new_key())
    return Sealer(path.read_text(encoding="utf-8").strip())


def default_store(settings: Settings) -> TokenStore:
    if settings.database_url is not None:
        # Several processes or machines: the one login lives in the shared database, sealed.
        from .store.team import TeamStore  # lazy: as above
        from .store.tokens import DatabaseTokenStore

        return DatabaseTokenStore(TeamStore(open_store(settings)), sealer_for(settings), "default")
    path = settings.resolved_token_file()
    if settings.token_store == "keyring":
        # One keychain entry per user, whatever key: a client started without UPWORK_CLIENT_ID finds it too.
        return KeyringTokenStore("login", path)
    return FileTokenStore(path)


def token_source(world: World, loop: RequestLoop) -> TokenSource:
    from .auth.manager import StaticToken, TokenManager  # lazy: authlib loads with the first call, not at start

    if world.settings.access_token is not None:
        return StaticToken(world.settings.access_token)
    return TokenManager(world.settings, world.store, loop, login=world.login)


def limiter_for(settings: Settings, store: Store) -> Limiter:
    """Upwork's limit (per IP), shared through the store: by every process of this data directory, or on a
    team's database by every process and machine using this API key."""
    from .store.rate import StoreLimiter  # lazy: with the engine

    if settings.database_url is None:
        return StoreLimiter(store, "upwork", settings.rate_limit)
    from .api.client import key_id  # lazy: with the engine

    return StoreLimiter(store, f"upwork:{key_id(settings)}", settings.rate_limit)


class Engine:
    """One world's HTTP client, request loop, token source and Upwork client, made together."""

    def __init__(self, world: World, *, limiter: Limiter | None = None, store: Store | None = None) -> None:
        # lazy: httpx (which imports rich and pygments when present) and the engine load with the first call
        from ._http import RequestLoop, RetryPolicy, new_http_client
        from .api import UpworkClient

        settings = world.settings
        self.world = world
        self._own_store = store is None  # closed with the engine; a store handed in belongs to the caller
        self.store = store or open_store(settings)
        self.http = new_http_client(settings.timeout, world.resolved_transport())
        self.loop = RequestLoop(
            self.http,
            timeout=settings.timeout,
            policy=RetryPolicy(max_retries=settings.max_retries),
            limiter=limiter or limiter_for(settings, self.store),
        )
        self.tokens = token_source(world, self.loop)
        from .store import StoreMemory  # lazy: with the engine

        self.memory = StoreMemory(self.store)
        self.client: UpworkClient = UpworkClient(settings, self.loop, self.tokens, memory=self.memory)
        self._watches: dict[str | None, Watches] = {}
        self._users: dict[str, UpworkClient] = {}
        self._config: ConfigFile | None = None

    def client_for(self, user: str) -> UpworkClient:
        """The Upwork client of one user of a team deployment: their sealed login, this engine's loop and limit."""
        client = self._users.get(user)
        if client is None:
            from .api import UpworkClient  # lazy: with the engine
            from .auth.manager import TokenManager
            from .store.team import TeamStore
            from .store.tokens import DatabaseTokenStore

            settings = self.world.settings
            tokens = DatabaseTokenStore(TeamStore(self.store), sealer_for(settings), user)
            manager = TokenManager(settings, tokens, self.loop)
            client = UpworkClient(settings, self.loop, manager, memory=self.memory, user=user)
            if len(self._users) >= 1000:  # a long-running server forgets the least recent users
                self._users.pop(next(iter(self._users)))
            self._users[user] = client
        return client

    def watches(self, owner: str | None = None) -> Watches:
        """The watches over this engine and its store, with the user's watch settings (read again when the
        file changes) and sinks; in a team deployment, one user's, checked with that user's login."""
        if owner not in self._watches:
            from .api.client import key_id  # lazy: with the first watch
            from .store import WatchStore
            from .store.sinks import SinkStore
            from .watches.config import ConfigFile
            from .watches.service import Watches

            settings = self.world.settings
            if self._config is None:
                self._config = ConfigFile(settings.resolved_watch_config(), sandbox=settings.sandbox)
            client = self.client_for(owner) if owner else self.client
            sinks = SinkStore(self.store, _LazySealer(settings), owner=owner)
            self._watches[owner] = Watches(
                client, WatchStore(self.store), self._config, key=key_id(settings), owner=owner, sinks=sinks
            )
        return self._watches[owner]

    def owners(self) -> list[str | None]:
        """Everyone whose watches this engine's store holds (the runner's scope): None for the store's own
        user, then each user of a team deployment."""
        from .store import WatchStore  # lazy: with the first watch

        return WatchStore(self.store).owners()

    async def aclose(self) -> None:
        await self.http.aclose()
        if self._own_store:
            self.store.close()


class _LazySealer:
    """The sink sealer, made when a sink is first read or written (a key file, or cryptography, only then)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._sealer: Sealer | None = None

    def _get(self) -> Sealer:
        if self._sealer is None:
            self._sealer = sink_sealer(self._settings)
        return self._sealer

    def seal(self, plain: bytes) -> bytes:
        return self._get().seal(plain)

    def open(self, sealed: bytes) -> bytes:
        return self._get().open(sealed)


@asynccontextmanager
async def open_client(
    settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None, token_store: TokenStore | None = None
) -> AsyncIterator[UpworkClient]:
    """An UpworkClient for `settings`' world, with its own HTTP client, closed on exit."""
    engine = Engine(world_for(settings, transport=transport, store=token_store))
    try:
        yield engine.client
    finally:
        await engine.aclose()
