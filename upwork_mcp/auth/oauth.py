"""The authorization code flow, through authlib's protocol functions and our request loop."""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import parse_qsl

from authlib.common.security import generate_token
from authlib.oauth2.rfc6749 import errors as oauth_errors
from authlib.oauth2.rfc6749.parameters import (
    parse_authorization_code_response,
    prepare_grant_uri,
    prepare_token_request,
)
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from pydantic import SecretStr

from .._http import RequestLoop
from ..config import Settings
from ..errors import APIError, AuthenticationError, BadRequestError, ConfigError, NotAuthenticatedError, UpworkError
from .tokens import TokenSet

SERVICE = "Upwork's OAuth server"


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    state: str
    code_verifier: str
    redirect_uri: str


def _client(settings: Settings, saved: TokenSet | None = None) -> tuple[str, str | None]:
    """The API key: from the settings, else the one the saved login was made with."""
    if settings.client_id:
        secret = settings.client_secret.get_secret_value() if settings.client_secret else None
        return settings.client_id, secret
    if saved is not None and saved.client_id:
        return saved.client_id, saved.client_secret.get_secret_value() if saved.client_secret else None
    raise ConfigError("Set UPWORK_CLIENT_ID (and UPWORK_CLIENT_SECRET) to the API key from Upwork's API Center.")


def authorization_request(settings: Settings, *, redirect_uri: str | None = None) -> AuthorizationRequest:
    """A fresh authorization URL with `state` and a PKCE S256 challenge (to `redirect_uri`, default the setting's)."""
    client_id, _ = _client(settings)
    redirect_uri = redirect_uri or settings.redirect_uri
    state = generate_token(32)
    verifier = generate_token(64)
    url = prepare_grant_uri(
        settings.authorize_url,
        client_id,
        "code",
        redirect_uri=redirect_uri,
        state=state,
        code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256",
    )
    return AuthorizationRequest(url=url, state=state, code_verifier=verifier, redirect_uri=redirect_uri)


def code_from_redirect(request: AuthorizationRequest, redirect_url: str) -> str:
    """The authorization code from the URL the browser was sent back to, with its state checked."""
    if not redirect_url.split("?")[0].rstrip("/") == request.redirect_uri.split("?")[0].rstrip("/"):
        raise UpworkError(
            f"The redirect went to {redirect_url.split('?')[0]}, not to {request.redirect_uri}. "
            "UPWORK_REDIRECT_URI must equal the callback registered on the API key."
        )
    query = dict(parse_qsl(redirect_url.partition("?")[2]))
    if "error" in query:
        reason = query.get("error_description") or query["error"]
        if query["error"] == "access_denied":
            raise NotAuthenticatedError(
                "Consent was denied in the browser; nothing was stored. Run login again to retry."
            )
        raise NotAuthenticatedError(f"Upwork refused the authorization ({reason[:200]}).")
    try:
        return str(parse_authorization_code_response(redirect_url, state=request.state)["code"])
    except oauth_errors.MismatchingStateException:
        raise NotAuthenticatedError(
            "The login answer's state does not match this login (a stale or forged redirect). Start login again."
        ) from None
    except oauth_errors.MissingCodeException:
        raise NotAuthenticatedError("The redirect carried no authorization code. Start login again.") from None


def _body(settings: Settings, grant_type: str, saved: TokenSet | None = None, **fields: str) -> dict[str, str]:
    client_id, secret = _client(settings, saved)
    extra = {"client_id": client_id, **fields}
    if secret:
        extra["client_secret"] = secret
    # Upwork wants client_id (and the secret, where there is one) in the body.
    encoded = prepare_token_request(grant_type, **extra)
    return dict(parse_qsl(encoded))


async def _token_call(
    loop: RequestLoop, settings: Settings, body: dict[str, str], *, retry: bool, previous: TokenSet | None = None
) -> TokenSet:
    response = await loop.send(
        "POST", settings.token_url, service=SERVICE, data=body, retry=retry, ok_statuses=frozenset({400, 401})
    )
    try:
        payload = response.json()
    except ValueError:
        raise APIError(
            f"{SERVICE} answered with something that is not JSON.", status_code=response.status_code
        ) from None
    if response.status_code >= 400 or "error" in payload:
        error = str(payload.get("error", "unknown_error"))
        if error == "invalid_grant":
            raise InvalidGrant("Upwork rejected the grant (invalid_grant).")
        if response.status_code == 401 or error == "invalid_client":
            raise AuthenticationError(
                f"{SERVICE} refused the client credentials ({error}). Check UPWORK_CLIENT_ID and UPWORK_CLIENT_SECRET.",
                status_code=response.status_code,
            )
        raise BadRequestError(f"{SERVICE} refused the token request ({error}).", status_code=response.status_code)
    try:
        return TokenSet.from_response(payload, now=time.time(), previous=previous)
    except ValueError as exc:
        raise APIError(f"{SERVICE}: {exc}.") from None


class InvalidGrant(AuthenticationError):
    """The code or refresh token was rejected: only a new login helps."""


async def exchange_code(loop: RequestLoop, settings: Settings, request: AuthorizationRequest, code: str) -> TokenSet:
    body = _body(
        settings,
        "authorization_code",
        code=code,
        redirect_uri=request.redirect_uri,
        code_verifier=request.code_verifier,
    )
    # A code is single-use: never resend it.
    tokens = await _token_call(loop, settings, body, retry=False)
    client_id, secret = _client(settings)
    return tokens.model_copy(update={"client_id": client_id, "client_secret": SecretStr(secret) if secret else None})


async def refresh_tokens(loop: RequestLoop, settings: Settings, tokens: TokenSet) -> TokenSet:
    if tokens.refresh_token is None:
        raise InvalidGrant("There is no refresh token to use.")
    body = _body(settings, "refresh_token", tokens, refresh_token=tokens.refresh_token.get_secret_value())
    # Resending a refresh is safe: Upwork keeps the previous refresh token valid for a grace period.
    return await _token_call(loop, settings, body, retry=True, previous=tokens)


async def revoke(loop: RequestLoop, settings: Settings, tokens: TokenSet) -> None:
    client_id, secret = _client(settings, tokens)
    for token, hint in ((tokens.refresh_token, "refresh_token"), (tokens.access_token, "access_token")):
        if token is None:
            continue
        data = {"client_id": client_id, "token": token.get_secret_value(), "token_type_hint": hint}
        if secret:
            data["client_secret"] = secret
        await loop.send("POST", settings.revoke_url, service=SERVICE, data=data, retry=True)
