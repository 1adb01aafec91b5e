"""Token sources: the stored login, refreshed before expiry and once after a 401 (one refresh at a time),
or a fixed token from the environment."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

import anyio
import anyio.to_thread
from pydantic import SecretStr

from .._http import RequestLoop
from ..config import Settings
from ..errors import NotAuthenticatedError
from .oauth import InvalidGrant, refresh_tokens
from .store import TokenStore
from .tokens import TokenSet

log = logging.getLogger("upwork_mcp.auth")

# Logs in with no person in the loop (the sandbox's auto-approving consent); None for real Upwork.
Login = Callable[[RequestLoop], Awaitable[TokenSet]]


class TokenManager:
    """Hands out an access token, refreshing it when it is close to expiry or was rejected.

    The rotated refresh token is saved before the new access token is used. A refresh runs
    under an in-process lock and the store's cross-process lock, and re-reads the store
    inside both, so N callers with an expired token cause exactly one refresh.
    """

    def __init__(
        self,
        settings: Settings,
        store: TokenStore,
        loop: RequestLoop,
        *,
        login: Login | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._store = store
        self._loop = loop
        self._login = login
        self._clock = clock
        self._lock = anyio.Lock()
        self._cached: TokenSet | None = None

    async def _load(self) -> TokenSet | None:
        return await anyio.to_thread.run_sync(self._store.load)

    async def current(self) -> TokenSet:
        tokens = self._cached
        if tokens is None or tokens.expiring(self._clock()):
            tokens = await self._renew(rejected=None)
        return tokens

    async def after_rejection(self, rejected: str) -> TokenSet:
        return await self._renew(rejected=rejected)

    @property
    def store(self) -> TokenStore:
        return self._store

    async def stored(self) -> TokenSet | None:
        """What the store holds now, without refreshing or logging in."""
        return await self._load()

    async def save(self, tokens: TokenSet) -> None:
        await anyio.to_thread.run_sync(self._store.save, tokens)
        self._cached = tokens

    async def forget(self) -> None:
        await anyio.to_thread.run_sync(self._store.clear)
        self._cached = None

    async def _renew(self, rejected: str | None) -> TokenSet:
        async with self._lock:
            tokens = await self._load()
            if tokens is None and self._login is not None:
                tokens = await self._login(self._loop)
                await anyio.to_thread.run_sync(self._store.save, tokens)
            if tokens is None:
                raise NotAuthenticatedError()
            if self._usable(tokens, rejected):
                self._cached = tokens
                return tokens
            lock = self._store.locked()
            await anyio.to_thread.run_sync(lock.__enter__)
            try:
                # Another process may have refreshed while we waited for the lock.
                tokens = await self._load() or tokens
                if not self._usable(tokens, rejected):
                    tokens = await self._refresh(tokens)
            finally:
                await anyio.to_thread.run_sync(lock.__exit__, None, None, None)
            self._cached = tokens
            return tokens

    def _usable(self, tokens: TokenSet, rejected: str | None) -> bool:
        if rejected is not None and tokens.access_token.get_secret_value() == rejected:
            return False
        return not tokens.expiring(self._clock())

    async def _refresh(self, tokens: TokenSet) -> TokenSet:
        if tokens.refresh_token is None:
            raise NotAuthenticatedError(
                "Upwork no longer accepts the saved access token, and the saved login has no refresh token to renew it."
            )
        try:
            fresh = await refresh_tokens(self._loop, self._settings, tokens)
        except InvalidGrant:
            # The only path that forgets tokens: the refresh token itself was refused.
            await anyio.to_thread.run_sync(self._store.clear)
            self._cached = None
            raise NotAuthenticatedError(
                "Upwork rejected the saved refresh token, so the saved login was removed."
            ) from None
        # Save the rotated refresh token before anyone uses the new access token.
        await anyio.to_thread.run_sync(self._store.save, fresh)
        log.info("access token refreshed")
        return fresh


class StaticToken:
    """UPWORK_ACCESS_TOKEN: used as given, never refreshed or stored."""

    def __init__(self, token: SecretStr) -> None:
        self._tokens = TokenSet(access_token=token)

    async def current(self) -> TokenSet:
        return self._tokens

    async def after_rejection(self, rejected: str) -> TokenSet:
        raise NotAuthenticatedError("Upwork refused UPWORK_ACCESS_TOKEN: give a fresh token, or unset it and log in.")
