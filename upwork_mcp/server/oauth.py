"""Per-user login over HTTP (`--auth oauth`): each person signs in to their own Upwork.

This server is the OAuth authorization server its MCP clients discover (the MCP authorization spec,
served by the SDK's routes), and Upwork's OAuth client for each of their users:

    MCP client --/authorize--> this server --302--> Upwork's login and consent
    Upwork --302 /oauth/upwork/callback--> this server: exchanges Upwork's code (with the server's API
        key and PKCE), learns who logged in, seals their Upwork login into the store
    this server --302 with its own code--> MCP client --/token--> this server's access token

The tokens this server issues are its own: random, short-lived (an hour), bound to this server's MCP
endpoint (the RFC 8707 resource, checked on every request), revocable, and kept only as hashes.
Upwork's tokens never leave the server.
"""

from __future__ import annotations

import hashlib
import html
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import anyio.to_thread
from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    RefreshToken,
    TokenError,
    construct_redirect_uri,
)
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions, RevocationOptions
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from .._http import RequestLoop
from ..auth.oauth import AuthorizationRequest, authorization_request, exchange_code
from ..auth.tokens import TokenSet
from ..config import Settings
from ..errors import ConfigError, UpworkError
from ..store.sealing import Sealer
from ..store.team import TeamStore
from ..store.tokens import DatabaseTokenStore

CALLBACK_PATH = "/oauth/upwork/callback"
SCOPE = "upwork"
ACCESS_TTL = 3600
REFRESH_TTL = 30 * 86_400
CODE_TTL = 300
PENDING_TTL = 600  # a person has ten minutes to log in to Upwork

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
        self.sealer = sealer
        self._loop = loop
        self._identify = identify
        self.base = base
        self.resource = f"{base}/mcp"
        self._clock = clock

    async def _put(self, kind: str, secret: str, family: str, data: dict[str, Any], ttl: float) -> None:
        await anyio.to_thread.run_sync(
            lambda: self.team.put_grant(kind, _hash(secret), family, data, self._clock() + ttl)
        )

    # -- clients ---------------------------------------------------------------------------------------

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        info = await anyio.to_thread.run_sync(self.team.client, client_id)
        return OAuthClientInformationFull.model_validate_json(info) if info else None

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        await anyio.to_thread.run_sync(self.team.put_client, str(client_info.client_id), client_info.model_dump_json())

    # -- the login -------------------------------------------------------------------------------------

    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        upstream = authorization_request(self.settings, redirect_uri=self.base + CALLBACK_PATH)
        pending = {
            "client_id": client.client_id,
            "redirect_uri": str(params.redirect_uri),
            "explicit": params.redirect_uri_provided_explicitly,
            "code_challenge": params.code_challenge,
            "state": params.state,
            "scopes": params.scopes or [SCOPE],
            "resource": params.resource or self.resource,
            "verifier": upstream.code_verifier,
        }
        await self._put("pending", upstream.state, upstream.state, pending, PENDING_TTL)
        return upstream.url

    async def callback(self, request: Request) -> Response:
        """Upwork sends the person back here; they go on to their MCP client with this server's code."""
        state = request.query_params.get("state", "")
        pending = await anyio.to_thread.run_sync(self.team.take_grant, "pending", _hash(state))
        if pending is None:
            return _page(400, "This login link has expired or was already used: start again from your MCP client.")
        if request.query_params.get("error") or not request.query_params.get("code"):
            back = construct_redirect_uri(pending["redirect_uri"], error="access_denied", state=pending["state"])
            return RedirectResponse(back, status_code=302)
        upstream = AuthorizationRequest(
            url="", state=state, code_verifier=pending["verifier"], redirect_uri=self.base + CALLBACK_PATH
        )
        try:
            tokens = await exchange_code(self._loop(), self.settings, upstream, request.query_params["code"])
            upwork_id, name = await self._identify(tokens)
        except UpworkError as exc:
            return _page(502, f"Upwork did not complete the login: {exc}")
        subject = user_key(upwork_id)
        store = DatabaseTokenStore(self.team, self.sealer, subject, name=name)
        await anyio.to_thread.run_sync(store.save, tokens)
        code = secrets.token_urlsafe(32)
        grant = {
            k: pending[k] for k in ("client_id", "redirect_uri", "explicit", "code_challenge", "scopes", "resource")
        }
        await self._put("code", code, uuid.uuid4().hex, {**grant, "subject": subject}, CODE_TTL)
        return RedirectResponse(construct_redirect_uri(pending["redirect_uri"], code=code, state=pending["state"]), 302)

    # -- codes and tokens ------------------------------------------------------------------------------

    async def load_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: str
    ) -> AuthorizationCode | None:
        data = await anyio.to_thread.run_sync(self.team.grant, "code", _hash(authorization_code))
        if data is None or data["client_id"] != client.client_id:
            return None
        return AuthorizationCode(
            code=authorization_code,
            scopes=data["scopes"],
            expires_at=self._clock() + CODE_TTL,
            client_id=data["client_id"],
            code_challenge=data["code_challenge"],
            redirect_uri=data["redirect_uri"],
            redirect_uri_provided_explicitly=data["explicit"],
            resource=data["resource"],
            subject=data["subject"],
        )

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: AuthorizationCode
    ) -> OAuthToken:
        data = await anyio.to_thread.run_sync(self.team.take_grant, "code", _hash(authorization_code.code))
        if data is None:
            raise TokenError("invalid_grant", "the authorization code is invalid, expired or used")
        return await self._issue(data["client_id"], data["subject"], data["scopes"], data["resource"])

    async def _issue(self, client_id: str, subject: str, scopes: list[str], resource: str) -> OAuthToken:
        family = uuid.uuid4().hex
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self._clock()
        common = {"client_id": client_id, "subject": subject, "scopes": scopes, "resource": resource, "family": family}
        await self._put("access", access, family, {**common, "expires_at": int(now + ACCESS_TTL)}, ACCESS_TTL)
        await self._put("refresh", refresh, family, {**common, "expires_at": int(now + REFRESH_TTL)}, REFRESH_TTL)
        return OAuthToken(
            access_token=access,
            token_type="Bearer",
            expires_in=ACCESS_TTL,
            refresh_token=refresh,
            scope=" ".join(scopes),
        )

    async def load_refresh_token(self, client: OAuthClientInformationFull, refresh_token: str) -> RefreshToken | None:
        data = await anyio.to_thread.run_sync(self.team.grant, "refresh", _hash(refresh_token))
        if data is None or data["client_id"] != client.client_id:
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
        data = await anyio.to_thread.run_sync(self.team.take_grant, "refresh", _hash(refresh_token.token))
        if data is None:
            raise TokenError("invalid_grant", "the refresh token is invalid, expired or used")
        await anyio.to_thread.run_sync(self.team.revoke_family, data["family"])  # the old access token too
        granted = [s for s in scopes if s in data["scopes"]] or data["scopes"]
        return await self._issue(data["client_id"], data["subject"], granted, data["resource"])

    async def load_access_token(self, token: str) -> AccessToken | None:
        data = await anyio.to_thread.run_sync(self.team.grant, "access", _hash(token))
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
            data = await anyio.to_thread.run_sync(self.team.grant, kind, _hash(token.token))
            if data is not None:
                await anyio.to_thread.run_sync(self.team.revoke_family, data["family"])
                return


def _page(status: int, text: str) -> HTMLResponse:
    body = f"<!doctype html><meta charset=utf-8><title>upwork-mcp</title><p>{html.escape(text)}</p>"
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
