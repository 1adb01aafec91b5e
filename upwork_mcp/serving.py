"""Serving an ASGI app with uvicorn, bounded: bind first, say where, and refuse to be held open.

Uvicorn has no timeout for a request's headers, so a client that opens a socket and sends slowly
holds a connection forever; a few hundred of them exhaust the process's file descriptors and every
legitimate request fails. `GuardedH11Protocol` closes a connection whose request line and headers
have not arrived within `header_timeout`, and refuses connections beyond `max_connections` at once.
"""

from __future__ import annotations

import asyncio
import resource
import socket
import sys
from collections.abc import Callable
from typing import Any, Literal

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from .errors import ConfigError

HEADER_TIMEOUT = 10.0  # seconds for a request's line and headers to arrive
FD_HEADROOM = 64  # descriptors kept free for the upstream client, logs and the database


def max_connections() -> int:
    """Connections to accept at once: below the descriptor limit, so accept() never runs out."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(16, min(1000, soft - FD_HEADROOM))


class GuardedH11Protocol(H11Protocol):
    header_timeout = HEADER_TIMEOUT
    connection_cap = 1000

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_timer: asyncio.TimerHandle | None = None
        if len(self.connections) > self.connection_cap:
            transport.close()
            return
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def handle_events(self) -> None:
        super().handle_events()
        cycle: Any = self.cycle
        if cycle is not None and self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def connection_lost(self, exc: Exception | None) -> None:
        if getattr(self, "_header_timer", None) is not None:
            assert self._header_timer is not None
            self._header_timer.cancel()
            self._header_timer = None
        super().connection_lost(exc)

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        cycle: Any = self.cycle  # None until a request's headers have been parsed
        if cycle is None and not self.transport.is_closing():
            self.transport.close()


def listening_socket(host: str, port: int, *, backlog: int = 256) -> socket.socket:
    """A bound, listening TCP socket. Made with IPPROTO_TCP: asyncio turns Nagle's algorithm off only on
    sockets that say they are TCP, and with it on, a keep-alive client waits ~40 ms for every response
    written in two parts (headers, then body) while its delayed ACK holds the second back."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"Cannot listen on {host}:{port} ({exc.strerror or exc}); choose another --port.") from exc
    sock.listen(backlog)  # listening before the banner: a client that reads it can connect at once
    return sock


def guarded_config(
    app: Any,
    *,
    header_timeout: float = HEADER_TIMEOUT,
    cap: int | None = None,
    lifespan: Literal["auto", "on", "off"] = "auto",
) -> uvicorn.Config:
    """Uvicorn's configuration with the header timeout and at most `cap` connections at once (default: what
    the descriptor limit allows). A page beside a server gets a small cap, so its sockets cannot starve it."""
    small = cap is not None  # a page beside a server: accept no more at once than it serves
    cap = max_connections() if cap is None else cap
    protocol = type("Guarded", (GuardedH11Protocol,), {"header_timeout": header_timeout, "connection_cap": cap})
    return uvicorn.Config(
        app,
        log_level="warning",
        http=protocol,
        timeout_keep_alive=5,
        limit_concurrency=cap,
        backlog=cap if small else 256,
        lifespan=lifespan,
    )


def serve_asgi(
    app: Any, *, host: str, port: int, banner: Callable[[str], str], header_timeout: float = HEADER_TIMEOUT
) -> None:
    """Bind `host:port` (0 picks a free port), print `banner(base_url)` to stderr once bound, then serve."""
    sock = listening_socket(host, port)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    print(banner(f"http://{shown}:{bound}"), file=sys.stderr, flush=True)
    uvicorn.Server(guarded_config(app, header_timeout=header_timeout)).run(sockets=[sock])
