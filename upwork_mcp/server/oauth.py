"""Per-user login over HTTP (`--auth oauth`): each person signs in to their own Upwork.

This server is the OAuth authorization server its MCP clients discover (the MCP authorization spec,
served by the SDK's routes), and Upwork's OAuth client for each of their users:

    MCP client --/authorize--> this server's consent page (this client, its redirect URI, what it can do)
    person: Allow --302--> Upwork's login and consent
    Upwork --302 /oauth/upwork/callback--> this server: exchanges Upwork's code (with the server's API
        key and PKCE), learns who logged in, seals their Upwork login into the store
    this server --302 with its own code--> MCP client --/token--> this server's access token

A server that logs people in to a third party for any client that registers must ask before it acts
(the spec's confused-deputy rule): the consent page names the client, the person's yes is remembered per
person and client, and the browser that said yes is the only one whose return from Upwork counts
(`pages.py`). The tokens this server issues are its own: random, short-lived (an hour), only for this
server's MCP endpoint (the RFC 8707 resource), revocable, and kept only as hashes. A code used twice, or
a refresh token used after it was rotated, revokes everything it issued. Upwork's tokens never leave
the server.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import anyio.to_thread
from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    AuthorizeError,
    RefreshToken,
    RegistrationError,
    TokenError,
)
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions, RevocationOptions
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken

from .._http import RequestLoop
from ..auth.tokens import TokenSet
from ..config import Settings
from ..errors import ConfigError
from ..store.sealing import Sealer
from ..store.team import TeamStore
from ..store.watches import WatchStore
from ..store.web import WebStore

CALLBACK_PATH = "/oauth/upwork/callback"
CONSENT_PATH = "/oauth/consent"
SIGNIN_PATH = "/oauth/signin"
SCOPE = "upwork"
ACCESS_TTL = 3600
REFRESH_TTL = 30 * 86_400
CODE_TTL = 300
PENDING_TTL = 600  # a person has ten minutes to say yes and log in to Upwork
UNUSED_CLIENT_TTL = 86_400.0  # a client that never got a token within a day of registering is dropped
IDLE_CLIENT_TTL = REFRESH_TTL + 86_400.0  # ... and one whose last token can no longer be refreshed
REGISTRATIONS_PER_ADDRESS = 20  # per hour, from one address
REGISTRATIONS = 500  # per hour, for the whole server
MAX_REDIRECT_URIS = 5
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")

# Who logged in: their Upwork user id and name, asked of Upwork with their fresh tokens.
Identify = Callable[[TokenSet], Awaitable[tuple[str, str | None]]]


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def public_base(settings: Settings, host: str, port: int) -> str:
    return settings.public_url or f"http://{'localhost' if host in ('127.0.0.1', '::1') else host}:{port}"


def auth_settings(base: str) -> AuthSettings:
    return AuthSettings(
        issuer_url=base,  # type: ignore[arg-type]  # pydantic validates the URL
        resource_server_url=f"{base}/mcp",  # type: ignore[arg-type]
        validate_token_resource=True,
        required_scopes=[SCOPE],
        client_registration_options=ClientRegistrationOptions(
            enabled=True, valid_scopes=[SCOPE], default_scopes=[SCOPE]
        ),
        revocation_options=RevocationOptions(enabled=True),
    )


def user_key(upwork_user_id: str) -> str:
    return f"upwork:{upwork_user_id}"


def redirect_problem(uri: str) -> str | None:
    """Why `uri` cannot be a client's redirect URI (https anywhere, http only to this machine), or None."""
    parts = urlsplit(uri)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return None
    return f"redirect URI {uri[:80]!r}: use https, or http to 127.0.0.1, localhost or [::1]"


class UpworkLogins:
    """OAuthAuthorizationServerProvider: the SDK's routes call it; state lives in the shared store."""

    def __init__(
        self,
        settings: Settings,
        team: TeamStore,
        sealer: Sealer,
        loop: Callable[[], RequestLoop],
        identify: Identify,
        base: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not settings.client_id or settings.client_secret is None:
            raise ConfigError(
                "--auth oauth needs the server's Upwork API key: set UPWORK_CLIENT_ID and UPWORK_CLIENT_SECRET."
            )
        self.settings = settings
        self.team = team
        self.web = WebStore(team.store)
        self.sealer = sealer
        self.loop = loop
        self.identify = identify
        self.base = base
        self.resource = f"{base}/mcp"
        self.clock = clock

    async def put(self, kind: str, secret: str, family: str, data: dict[str, Any], ttl: float) -> None:
        await anyio.to_thread.run_sync(
            lambda: self.team.put_grant(kind, _hash(secret), family, data, self.clock() + ttl)
        )

    async def take(self, kind: str, secret: str) -> dict[str, Any] | None:
        return await anyio.to_thread.run_sync(self.team.take_grant, kind, _hash(secret))

    async def peek(self, kind: str, secret: str) -> dict[str, Any] | None:
        return await anyio.to_thread.run_sync(self.team.grant, kind, _hash(secret))

    # -- clients ---------------------------------------------------------------------------------------

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        if not CLIENT_ID.match(client_id):
            return None  # not an id this server issued: nothing odd reaches the database
        info = await anyio.to_thread.run_sync(self.team.client, client_id)
        return OAuthClientInformationFull.model_validate_json(info) if info else None

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        uris = [str(u) for u in client_info.redirect_uris or []]
        if not uris or len(uris) > MAX_REDIRECT_URIS:
            raise RegistrationError("invalid_redirect_uri", f"give 1 to {MAX_REDIRECT_URIS} redirect URIs")
        for uri in uris:
            problem = redirect_problem(uri)
            if problem:
                raise RegistrationError("invalid_redirect_uri", problem)
        for name in ("client_uri", "logo_uri", "tos_uri", "policy_uri", "jwks_uri"):
            value = getattr(client_info, name, None)
            if value is not None and urlsplit(str(value)).scheme not in ("https", "http"):
                raise RegistrationError("invalid_client_metadata", f"{name}: use an https address")
        if client_info.client_name is not None and len(client_info.client_name) > 100:
            raise RegistrationError("invalid_client_metadata", "client_name: at most 100 characters")

        def save() -> None:
            self.web.expire_clients(unused_for=UNUSED_CLIENT_TTL, idle_for=IDLE_CLIENT_TTL)
            self.team.put_client(str(client_info.client_id), client_info.model_dump_json())

        await anyio.to_thread.run_sync(save)

    def allow_registration(self, address: str) -> bool:
        """Registration is open to anyone: at most so many per address and in all, per hour."""
        budgets = WatchStore(self.team.store)
        mine, _ = budgets.take(f"oauth-register:{address}", REGISTRATIONS_PER_ADDRESS, 3600)
        return mine and budgets.take("oauth-register", REGISTRATIONS, 3600)[0]

    # -- the login: first the consent page (pages.py) -----------------------------------------------------

    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        if params.resource is not None and params.resource.rstrip("/") != self.resource:
            raise AuthorizeError("invalid_target", f"this server issues tokens only for {self.resource}")
        request = uuid.uuid4().hex
        pending = {
            "client_id": client.client_id,
            "redirect_uri": str(params.redirect_uri),
            "explicit": params.redirect_uri_provided_explicitly,
            "code_challenge": params.code_challenge,
            "state": params.state,
            "scopes": params.scopes or [SCOPE],
            "resource": self.resource,
        }
        await self.put("consent", request, request, pending, PENDING_TTL)
        return f"{self.base}{CONSENT_PATH}?request={request}"

    # -- codes and tokens ------------------------------------------------------------------------------

    async def load_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: str
    ) -> AuthorizationCode | None:
        data = await self.peek("code", authorization_code)
        if data is None:
            await self._revoke_if_spent("code", authorization_code)
            return None
        if data["client_id"] != client.client_id:
            return None
        return AuthorizationCode(
            code=authorization_code,
            scopes=data["scopes"],
            expires_at=data["expires_at"],
            client_id=data["client_id"],
            code_challenge=data["code_challenge"],
            redirect_uri=data["redirect_uri"],
            redirect_uri_provided_explicitly=data["explicit"],
            resource=data["resource"],
            subject=data["subject"],
        )

    async def _revoke_if_spent(self, kind: str, secret: str) -> None:
        """A code or refresh token used a second time: whoever holds it, revoke all it led to."""
        family = await anyio.to_thread.run_sync(self.team.family_of, f"spent-{kind}", _hash(secret))
        if family is not None:
            await anyio.to_thread.run_sync(self.team.revoke_family, family)

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: AuthorizationCode
    ) -> OAuthToken:
        keep = self.clock() + REFRESH_TTL  # a replay is caught as long as what the code issued could live
        spent = await anyio.to_thread.run_sync(
            self.team.spend_grant, "code", _hash(authorization_code.code), "spent-code", keep
        )
        if spent is None:
            await self._revoke_if_spent("code", authorization_code.code)
            raise TokenError("invalid_grant", "the authorization code is invalid, expired or used")
        family, data = spent
        return await self._issue(family, data["client_id"], data["subject"], data["scopes"], data["resource"])

    async def _issue(self, family: str, client_id: str, subject: str, scopes: list[str], resource: str) -> OAuthToken:
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self.clock()
        common = {"client_id": client_id, "subject": subject, "scopes": scopes, "resource": resource}
        await self.put("access", access, family, {**common, "expires_at": int(now + ACCESS_TTL)}, ACCESS_TTL)
        await self.put("refresh", refresh, family, {**common, "expires_at": int(now + REFRESH_TTL)}, REFRESH_TTL)
        await anyio.to_thread.run_sync(self.web.client_used, client_id)
        return OAuthToken(
            access_token=access,
            token_type="Bearer",
            expires_in=ACCESS_TTL,
            refresh_token=refresh,
            scope=" ".join(scopes),
        )

    async def load_refresh_token(self, client: OAuthClientInformationFull, refresh_token: str) -> RefreshToken | None:
        data = await self.peek("refresh", refresh_token)
        if data is None:
            await self._revoke_if_spent("refresh", refresh_token)
            return None
        if data["client_id"] != client.client_id:
            return None
        return RefreshToken(
            token=refresh_token,
            client_id=data["client_id"],
            scopes=data["scopes"],
            expires_at=data["expires_at"],
            resource=data["resource"],
            subject=data["subject"],
        )

    async def exchange_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: RefreshToken, scopes: list[str]
    ) -> OAuthToken:
        keep = self.clock() + REFRESH_TTL
        spent = await anyio.to_thread.run_sync(
            self.team.spend_grant, "refresh", _hash(refresh_token.token), "spent-refresh", keep
        )
        if spent is None:
            await self._revoke_if_spent("refresh", refresh_token.token)
            raise TokenError("invalid_grant", "the refresh token is invalid, expired or used")
        family, data = spent
        await anyio.to_thread.run_sync(self.team.revoke_kind, family, "access")  # the old access token too
        granted = [s for s in scopes if s in data["scopes"]] or data["scopes"]
        return await self._issue(family, data["client_id"], data["subject"], granted, data["resource"])

    async def load_access_token(self, token: str) -> AccessToken | None:
        data = await self.peek("access", token)
        if data is None:
            return None
        return AccessToken(
            token=token,
            client_id=data["client_id"],
            scopes=data["scopes"],
            expires_at=data["expires_at"],
            resource=data["resource"],
            subject=data["subject"],
            claims={"iss": self.base},
        )

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        for kind in ("access", "refresh"):
            family = await anyio.to_thread.run_sync(self.team.family_of, kind, _hash(token.token))
            if family is not None:
                await anyio.to_thread.run_sync(self.team.revoke_family, family)
                return
