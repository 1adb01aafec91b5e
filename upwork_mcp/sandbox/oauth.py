"""The sandbox's OAuth 2.0 endpoints: authorize (auto-approves), token (code + PKCE, rotating refresh), revoke."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlencode, urlsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from .personas import MAX_PERSONAS
from .state import CODE_TTL, Grant, Sandbox

LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}


def _redirect_ok(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and parts.hostname in LOCAL_HOSTS


def _back(uri: str, **params: str) -> RedirectResponse:
    sep = "&" if "?" in uri else "?"
    return RedirectResponse(uri + sep + urlencode(params), status_code=302)


async def authorize(request: Request) -> Response:
    box: Sandbox = request.app.state.sandbox
    q = request.query_params
    client_id, redirect_uri = q.get("client_id", ""), q.get("redirect_uri", "")
    # Errors about the client or the redirect URI are shown, never redirected (RFC 6749 4.1.2.1).
    if client_id != box.client_id:
        return PlainTextResponse(f"Unknown client_id. The sandbox's client id is {box.client_id}.", status_code=400)
    if not _redirect_ok(redirect_uri):
        return PlainTextResponse(
            "redirect_uri is not registered for this key: the sandbox accepts http://localhost or 127.0.0.1 URIs.",
            status_code=400,
        )
    state = q.get("state", "")
    if q.get("response_type") != "code":
        return _back(redirect_uri, error="unsupported_response_type", state=state)
    if box.faults.deny_consent or q.get("sandbox_decision") == "deny":
        return _back(redirect_uri, error="access_denied", error_description="The user denied access", state=state)
    challenge = q.get("code_challenge")
    if challenge and q.get("code_challenge_method", "plain") != "S256":
        return _back(redirect_uri, error="invalid_request", error_description="only S256 is supported", state=state)
    persona_raw = q.get("sandbox_user", "0")
    if not persona_raw.isdigit() or int(persona_raw) >= MAX_PERSONAS:
        return PlainTextResponse(f"sandbox_user must be 0 to {MAX_PERSONAS - 1}.", status_code=400)
    code = "sbx_code_" + secrets.token_urlsafe(24)  # prefixed so tests can spot a leak
    box.codes[code] = Grant(
        client_id=client_id,
        redirect_uri=redirect_uri,
        code_challenge=challenge,
        expires_at=box.clock() + CODE_TTL,
        persona=int(persona_raw),
    )
    return _back(redirect_uri, code=code, state=state)


def _oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


async def token(request: Request) -> Response:
    box: Sandbox = request.app.state.sandbox
    box.token_requests += 1
    form = await request.form()
    client_id = str(form.get("client_id") or "")
    if not client_id:
        return JSONResponse({"message": "Missing parameters: client_id"}, status_code=400)
    if client_id != box.client_id or not hmac.compare_digest(str(form.get("client_secret") or ""), box.client_secret):
        return _oauth_error("invalid_client", "client authentication failed", 401)
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        grant = box.codes.pop(str(form.get("code") or ""), None)  # single use
        if grant is None or grant.expires_at <= box.clock():
            return _oauth_error("invalid_grant", "the authorization code is invalid or expired")
        if form.get("redirect_uri") != grant.redirect_uri:
            return _oauth_error("invalid_grant", "redirect_uri does not match the authorization request")
        if grant.code_challenge:
            verifier = str(form.get("code_verifier") or "")
            if not verifier or not hmac.compare_digest(create_s256_code_challenge(verifier), grant.code_challenge):
                return _oauth_error("invalid_grant", "PKCE verification failed")
        return JSONResponse(box.issue_tokens(grant.persona))
    if grant_type == "refresh_token":
        issued = box.rotate(str(form.get("refresh_token") or ""))
        if issued is None:
            return _oauth_error("invalid_grant", "the refresh token is invalid or expired")
        return JSONResponse(issued)
    return _oauth_error("unsupported_grant_type", "use authorization_code or refresh_token")


async def revoke(request: Request) -> Response:
    box: Sandbox = request.app.state.sandbox
    form = await request.form()
    if form.get("client_id") != box.client_id:
        return _oauth_error("invalid_client", "unknown client", 401)
    tok = str(form.get("token") or "")
    box.access_tokens.pop(tok, None)
    box.refresh_tokens.pop(tok, None)
    return JSONResponse({})
