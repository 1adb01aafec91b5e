"""Serving over HTTP: SSE or streamable HTTP, with Host/Origin checks and an optional bearer token.

    upwork-mcp serve --transport streamable-http --port 8000          # one process
    uvicorn --factory upwork_mcp.server.transports:create_app --workers 4     # stateless, several workers

Binds 127.0.0.1 unless told otherwise. A foreign Host gets 421 and a foreign Origin 403 (the
SDK's DNS-rebinding checks, configured here); with UPWORK_MCP_HTTP_TOKEN every request needs
`Authorization: Bearer <token>` (401 without), compared in constant time.
"""

from __future__ import annotations

import hmac
import json
import os
import sys
from typing import Any, Literal

from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from starlette.requests import Request

from ..config import Settings
from ..errors import ConfigError
from ..serving import serve_asgi
from . import build_server

Transport = Literal["sse", "streamable-http"]
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")  # as a bind address or a Host name
ANY_ADDRESS = ("0.0.0.0", "::")
# As they appear in Host and Origin headers (an IPv6 literal in brackets).
LOOPBACK = tuple(f"[{h}]" if ":" in h else h for h in LOOPBACK_HOSTS)


def security_for(settings: Settings, host: str, port: int) -> TransportSecuritySettings:
    hosts = [f"{name}:*" for name in LOOPBACK] + list(LOOPBACK)
    origins = [f"http://{name}:*" for name in LOOPBACK] + [f"http://{name}" for name in LOOPBACK]
    if host not in LOOPBACK_HOSTS + ANY_ADDRESS:
        hosts += [host, f"{host}:{port}"]
    for extra in settings.allowed_hosts:
        hosts += [extra] if ":" in extra else [extra, f"{extra}:*"]
        origins += [f"https://{extra}", f"http://{extra}"] + (
            [f"http://{extra}:*", f"https://{extra}:*"] if ":" not in extra else []
        )
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


class HostOriginGate:
    """The SDK's Host/Origin checks, applied before any endpoint runs.

    The SDK's SSE endpoint sends its 403/421 and then raises, which breaks the connection; checking
    here first gives every transport a clean answer.
    """

    def __init__(self, app: Any, security: TransportSecuritySettings) -> None:
        self.app = app
        self._checks = TransportSecurityMiddleware(security)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            refusal = await self._checks.validate_request(Request(scope, receive), is_post=False)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


class BearerGate:
    """Every HTTP request must carry the configured bearer token."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not hmac.compare_digest(given, self._expected):
                body = json.dumps(
                    {
                        "error": "unauthorized",
                        "message": "Send Authorization: Bearer <the token in UPWORK_MCP_HTTP_TOKEN>.",
                    }
                ).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"www-authenticate", b'Bearer realm="upwork-mcp"'),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def http_app(
    server: MCPServer[Any], settings: Settings, transport: Transport, *, host: str = "127.0.0.1", port: int = 8000
) -> Any:
    security = security_for(settings, host, port)
    if transport == "sse":
        app: Any = server.sse_app(transport_security=security, host=host)
    else:
        # Stateless: no session lives in a process, so any worker can answer any request.
        app = server.streamable_http_app(
            transport_security=security, host=host, stateless_http=settings.stateless, json_response=settings.stateless
        )
    logins = getattr(server, "_auth_server_provider", None)  # the SDK keeps the provider it was given here
    if logins is not None:
        from .pages import OAuthGuard  # lazy: team deployments only

        app = OAuthGuard(app, logins)
    app = HostOriginGate(app, security)
    if settings.http_token is not None and settings.http_auth != "oauth":
        app = BearerGate(app, settings.http_token.get_secret_value())
    return app


def run_http(server: MCPServer[Any], settings: Settings, transport: Transport, *, host: str, port: int) -> None:
    if host in ANY_ADDRESS and not settings.allowed_hosts:
        print(
            "upwork-mcp: listening on all interfaces, but only loopback Host headers are accepted; set "
            "UPWORK_MCP_ALLOWED_HOSTS to the names clients use.",
            file=sys.stderr,
        )
    if host not in LOOPBACK_HOSTS and settings.http_token is None and settings.http_auth != "oauth":
        print("upwork-mcp: warning: serving beyond loopback without UPWORK_MCP_HTTP_TOKEN.", file=sys.stderr)
    path = "/sse" if transport == "sse" else "/mcp"
    serve_asgi(
        http_app(server, settings, transport, host=host, port=port),
        host=host,
        port=port,
        banner=lambda base: f"upwork-mcp: {transport} on {base}{path}",
        header_timeout=settings.header_timeout,
    )


def create_app() -> Any:
    """ASGI factory for uvicorn/gunicorn workers: settings from the environment, streamable HTTP. With
    UPWORK_MCP_AUTH=oauth the server's address comes from UPWORK_MCP_PUBLIC_URL."""
    settings = Settings.from_env(os.environ)
    if settings.http_auth == "oauth" and settings.public_url is None:
        raise ConfigError("UPWORK_MCP_AUTH=oauth needs UPWORK_MCP_PUBLIC_URL: the address users reach this server at.")
    return http_app(build_server(settings, oauth_base=settings.public_url), settings, "streamable-http")
