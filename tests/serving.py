"""One helper for tests that need a real loopback server: it binds first, serves on the bound socket
(no find-a-free-port race), and every wait is bounded."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

START_TIMEOUT = 10.0


def wait_until(done: Callable[[], bool], *, timeout: float = START_TIMEOUT, what: str = "the condition") -> None:
    """Poll `done` until it is true; fail after `timeout` seconds instead of hanging."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout:g} s")
        time.sleep(0.01)


@contextmanager
def serving(app: Any, *, lifespan: str = "on") -> Iterator[str]:
    """Serve the ASGI `app` on 127.0.0.1 (a port bound here first) in a thread; yield its base URL."""
    with serving_app(lambda _: app, lifespan=lifespan) as base:
        yield base


@contextmanager
def serving_app(make: Callable[[int], Any], *, lifespan: str = "on") -> Iterator[str]:
    """Like `serving`, for an app that must know its own port: `make(port)` builds it once the port is bound."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    app = make(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan=lifespan))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, what="the test server's start")
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(START_TIMEOUT)
        sock.close()


class Spawned:
    """A server process started by `spawned`, with what it wrote to stderr."""

    def __init__(self, proc: Any, base: str, lines: list[str], pump: threading.Thread) -> None:
        self.proc, self.base, self._lines, self._pump = proc, base, lines, pump

    def stderr(self) -> str:
        """Everything the process wrote to stderr; waits (bounded) for it to end."""
        self.proc.terminate()
        self.proc.wait(10)
        self._pump.join(10)
        return "".join(self._lines)


@contextmanager
def spawned(args: list[str], env: dict[str, str], cwd: Any = None, **popen: Any) -> Iterator[tuple[Any, str]]:
    """Run `python -m upwork_mcp ARGS` (given --port 0); yield (process, base URL from its banner).

    The banner is printed once the port is bound, so the URL is ready when it is read: no polling.
    """
    with spawned_server(args, env, cwd, **popen) as server:
        yield server.proc, server.base


@contextmanager
def spawned_server(args: list[str], env: dict[str, str], cwd: Any = None, **popen: Any) -> Iterator[Spawned]:
    import queue
    import re
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "upwork_mcp", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )
    lines: queue.Queue[str] = queue.Queue()
    collected: list[str] = []

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            collected.append(line)
            lines.put(line)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"no banner within 60 s; stderr so far: {''.join(collected)[-500:]}") from None
            found = re.search(r"http://127\.0\.0\.1:\d+", line)
            if found:
                break
        yield Spawned(proc, found.group(0), collected, thread)
    finally:
        proc.terminate()
        proc.wait(10)
        thread.join(10)
        if proc.stderr is not None:
            proc.stderr.close()
