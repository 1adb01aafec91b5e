"""`upwork-mcp approve --pair`: the person pairs their browser with this machine's approval page.

The command (run in the person's own terminal) serves a one-time link on 127.0.0.1 and opens the
browser on it; the visit sets the pairing cookie (HttpOnly, SameSite=Strict; the store keeps only its
hash) and the command ends. Cookies ignore ports, so the approval page, on whatever port the server
gave it, reads the same cookie. Nothing a model is shown carries the link or the cookie.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from ..store.web import WebStore
from .approval_page import PAIRING_TTL, page

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response


def pairing_app(web: WebStore, cookie: str, code: str, done: threading.Event) -> Any:
    from starlette.applications import Starlette  # lazy: only this command serves the pairing link
    from starlette.background import BackgroundTask
    from starlette.routing import Route

    unused = threading.Lock()  # held by the one visit that pairs

    async def pair(request: Request) -> Response:
        given = request.path_params["code"]
        if not secrets.compare_digest(given.encode(), code.encode()) or not unused.acquire(blocking=False):
            return page("Not found", "<p>This pairing link was used or is not this one.</p>", 404)
        secret = await anyio.to_thread.run_sync(lambda: web.open_session("pairing", PAIRING_TTL))
        answer = page(
            "This browser is paired",
            "<p>You can approve writes on upwork-mcp's approval pages in this browser now. Close this tab.</p>",
        )
        answer.set_cookie(cookie, secret, max_age=int(PAIRING_TTL), httponly=True, samesite="strict")
        answer.background = BackgroundTask(done.set)  # once the answer is out: the command may stop serving
        return answer

    return Starlette(routes=[Route("/pair/{code}", pair, methods=["GET"])])


def pair_browser(
    web: WebStore,
    cookie: str,
    *,
    open_browser: Callable[[str], bool],
    say: Callable[[str], None],
    timeout: float = 300.0,
    header_timeout: float = 10.0,
) -> bool:
    """Serve the one-time link, open it, and wait (at most `timeout` s) for the browser: True once paired."""
    import uvicorn  # lazy: only this command serves

    from ..serving import guarded_config, listening_socket  # lazy: with uvicorn

    code = secrets.token_urlsafe(24)
    done = threading.Event()
    sock = listening_socket("127.0.0.1", 0, backlog=8)
    link = f"http://127.0.0.1:{sock.getsockname()[1]}/pair/{code}"
    server = uvicorn.Server(
        guarded_config(pairing_app(web, cookie, code, done), header_timeout=header_timeout, cap=8, lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="pairing")
    thread.start()
    try:
        if open_browser(link):
            say("Opened your browser to pair it; waiting for it (Ctrl-C to stop)...")
        else:
            say(f"Open this link in the browser you approve writes in (once, within {int(timeout)} s):\n{link}")
        paired = done.wait(timeout)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
    say("Paired: approve writes on their approval pages in that browser." if paired else "Not paired (timed out).")
    return paired
