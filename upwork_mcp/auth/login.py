"""`upwork-mcp auth login`: the browser round trip, received on a loopback listener or pasted by hand."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl, urlsplit

import anyio
import anyio.abc
from anyio.abc import SocketListener, SocketStream
from anyio.streams.stapled import MultiListener

from .._http import RequestLoop
from ..config import Settings
from ..errors import ConfigError, NotAuthenticatedError, UpworkError
from .oauth import AuthorizationRequest, authorization_request, code_from_redirect, exchange_code
from .tokens import TokenSet

LOOPBACK_NAMES = {"127.0.0.1", "localhost"}
_DONE_PAGE = (
    "<!doctype html><meta charset=utf-8><title>upwork-mcp</title>"
    "<body style='font-family:sans-serif'><h2>{title}</h2><p>{body}</p></body>"
)


def _page(status: str, title: str, body: str) -> bytes:
    content = _DONE_PAGE.format(title=html.escape(title), body=html.escape(body)).encode()
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {len(content)}\r\n"
        "Connection: close\r\nCache-Control: no-store\r\n\r\n"
    ).encode()
    return head + content


def listener_address(redirect_uri: str) -> tuple[str, int, str]:
    """(host to bind, port, path) for a loopback redirect URI; ConfigError when it is not one.

    Port 0 picks a free port at login time: RFC 8252 (section 7.3) has authorization servers accept any
    port on a loopback redirect, as the sandbox does; a key registered with a fixed port needs that port.
    """
    parts = urlsplit(redirect_uri)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK_NAMES or parts.port is None:
        raise ConfigError(
            f"UPWORK_REDIRECT_URI={redirect_uri} is not a loopback address this machine can listen on "
            "(http://127.0.0.1:PORT/path or http://localhost:PORT/path). Register such a callback on the API key, "
            "or log in with --manual and paste the address the browser lands on."
        )
    return "127.0.0.1", parts.port, parts.path or "/"


async def _read_request_target(stream: SocketStream) -> str | None:
    data = b""
    with anyio.move_on_after(10):
        while b"\r\n" not in data and len(data) < 16_384:
            chunk = await stream.receive(4096)
            if not chunk:
                break
            data += chunk
    line = data.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split(" ")
    return parts[1] if len(parts) == 3 and parts[0] == "GET" else None


async def _bind(host: str, port: int) -> MultiListener[SocketStream]:
    try:
        return await anyio.create_tcp_listener(local_host=host, local_port=port, reuse_port=False)
    except OSError as exc:
        raise UpworkError(
            f"Cannot listen on {host}:{port} for the login redirect ({exc.strerror or exc}). Another program uses "
            "the port: stop it, or register another callback port on the key and set UPWORK_REDIRECT_URI."
        ) from exc


async def receive_redirect(listener: SocketListener, request: AuthorizationRequest, *, timeout: float) -> str:
    """Answer requests on `listener` until the browser comes back with this login's `state`; return its URL.

    Anything else is answered and ignored: a page of another site (or a stale tab) that hits the callback
    with a wrong or missing state cannot end the login, and is not told it was received.
    """
    path = urlsplit(request.redirect_uri).path or "/"
    received: str | None = None
    with anyio.move_on_after(timeout):
        while received is None:
            stream = await listener.accept()
            async with stream:
                target = await _read_request_target(stream)
                if target is None or urlsplit(target).path != path:
                    await stream.send(_page("404 Not Found", "Not here", "This address only receives the login."))
                    continue
                if dict(parse_qsl(urlsplit(target).query)).get("state") != request.state:
                    await stream.send(
                        _page(
                            "400 Bad Request",
                            "Not this login",
                            "This answer does not belong to the login running in the terminal; it was ignored.",
                        )
                    )
                    continue
                received = f"http://{urlsplit(request.redirect_uri).netloc}{target}"
                await stream.send(
                    _page(
                        "200 OK", "upwork-mcp", "Login received. You can close this window and return to the terminal."
                    )
                )
    if received is None:
        raise NotAuthenticatedError(
            f"No login came back within {timeout:.0f} s. Run `upwork-mcp auth login` again and finish it in the "
            "browser, or use --manual on a machine without a browser."
        )
    return received


async def login(
    settings: Settings,
    loop: RequestLoop,
    *,
    show_url: Callable[[str], None],
    open_browser: Callable[[str], object] | None = None,
    paste: Callable[[], Awaitable[str]] | None = None,
    timeout: float = 300.0,
) -> TokenSet:
    """Run the authorization code flow with state and PKCE (S256); return the tokens (not yet stored)."""
    if paste is not None:
        request = authorization_request(settings)
        show_url(request.url)
        redirect = (await paste()).strip()
        if not redirect:
            raise NotAuthenticatedError("Nothing was pasted; run login again.")
    else:
        host, port, path = listener_address(settings.redirect_uri)
        async with await _bind(host, port) as multi:
            listener = multi.listeners[0]  # one address: 127.0.0.1
            assert isinstance(listener, SocketListener)
            bound = listener.extra(anyio.abc.SocketAttribute.local_port)
            netloc = f"{urlsplit(settings.redirect_uri).hostname}:{bound}"
            request = authorization_request(settings, redirect_uri=f"http://{netloc}{path}")
            show_url(request.url)
            if open_browser is not None:
                open_browser(request.url)
            redirect = await receive_redirect(listener, request, timeout=timeout)
    code = code_from_redirect(request, redirect)
    return await exchange_code(loop, settings, request, code)
