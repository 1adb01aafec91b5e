"""The human step for writes, in a browser: a page that shows the exact payload and takes a person's answer.

The link a model is given (`/approve/{id}?k=...`) shows the payload and grants nothing. Answering needs
a secret that only the person's own action puts in their browser, and that nothing the model saw derives:

- on one machine, a browser paired once by `upwork-mcp approve --pair`, run by the person in their
  terminal: it opens the browser on a one-time link that sets an HttpOnly, SameSite=Strict cookie (the
  store keeps its hash). The page listens on 127.0.0.1 in a thread of the server, with a header
  timeout and a small connection cap, so slow sockets cannot starve the server beside it;
- on a team server, the person's own sign-in to the server (through Upwork, as for their MCP client):
  only the person who asked for a write sees and answers it.

A cross-site form cannot carry a Strict cookie, and the page also checks the Origin of every answer.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import re
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

import anyio.to_thread

from ..approvals import ApprovalError, Approvals, Ticket, owner_of
from ..config import Settings
from ..store.web import WebStore
from ..world import state_path

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from ..store import Approval

PAGE_CONNECTIONS = 32  # one person answers a few writes; more sockets than this are not theirs
PAIRING_TTL = 365 * 86_400.0
SESSION_COOKIE = "upwork_mcp_session"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # ids and page keys as issued; anything else is not found

_PAGE = """<!doctype html><meta charset=utf-8><meta name=viewport content="width=device-width">
<title>Approve an Upwork write</title>
<body style="font-family:sans-serif;max-width:46em;margin:2em auto;line-height:1.4">
<h2>{heading}</h2>{body}</body>"""


def pairing_cookie_for(settings: Settings) -> str:
    """The cookie of browsers paired with one store: cookies ignore ports, so the name keeps the pairings of
    different data dirs (the sandbox's, a test's) apart. (A database URL holds a password: not hashed in.)"""
    where = "database" if settings.database_url is not None else str(state_path(settings).resolve())
    return "upwork_mcp_pair_" + hashlib.sha256(where.encode()).hexdigest()[:12]


def page(heading: str, body: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    from starlette.responses import HTMLResponse  # lazy: the page loads with its first request

    return HTMLResponse(
        _PAGE.format(heading=html.escape(heading), body=body),
        status_code=status,
        headers={
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
            **(headers or {}),
        },
    )


def render_payload(kind: str, payload: dict[str, Any]) -> str:
    """The exact payload as HTML: every field, long text kept as written (escaped, never interpreted)."""
    rows = []
    for key, value in payload.items():
        if value in (None, "", {}) or key == "as_user":
            continue
        shown = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)
        rows.append(
            f"<dt><b>{html.escape(key)}</b></dt><dd><pre style='white-space:pre-wrap;background:#f4f4f4;"
            f"padding:.6em'>{html.escape(shown)}</pre></dd>"
        )
    return f"<p>Write: <code>{html.escape(kind)}</code></p><dl>{''.join(rows)}</dl>"


def same_origin(request: Request, base: str) -> bool:
    """What a click on the page's own form sends; a script may forge it, which is why it is not enough alone."""
    return request.headers.get("origin") == base and request.headers.get("sec-fetch-site", "same-origin") in (
        "same-origin",
        "none",
    )


class Gate(Protocol):
    """Who may see and answer an approval on a page: None lets the request through; else the answer to give."""

    async def check(self, request: Request, record: Approval, *, answering: bool) -> Response | None: ...

    def owner(self, request: Request) -> str | None:
        """The owner the answer is given as (after check passed)."""
        ...


class PairedBrowser:
    """One machine: anyone with the link sees the payload; only a browser paired in a terminal answers."""

    def __init__(self, web: WebStore, cookie: str, pair_command: str) -> None:
        self.web = web
        self.cookie = cookie
        self.pair_command = pair_command

    async def check(self, request: Request, record: Approval, *, answering: bool) -> Response | None:
        if not answering:
            return None
        secret = request.cookies.get(self.cookie, "")
        paired = TOKEN.match(secret) is not None and await anyio.to_thread.run_sync(
            lambda: self.web.session("pairing", secret) is not None
        )
        if paired:
            return None
        return page(
            "This browser is not paired",
            "<p>Approving needs a browser paired with upwork-mcp by its user: run "
            f"<code>{html.escape(self.pair_command)}</code> in your own terminal (once; it opens this browser), "
            "then come back to this page and answer again.</p>",
            403,
        )

    def owner(self, request: Request) -> str | None:
        return None


class SignedIn:
    """A team server: only the person who asked for the write, signed in to this server, sees and answers it."""

    def __init__(self, web: WebStore, signin_path: str) -> None:
        self.web = web
        self.signin_path = signin_path

    async def user(self, request: Request) -> str | None:
        secret = request.cookies.get(SESSION_COOKIE, "")
        if not TOKEN.match(secret):
            return None
        session = await anyio.to_thread.run_sync(self.web.session, "team", secret)
        return session.user_key if session else None

    async def check(self, request: Request, record: Approval, *, answering: bool) -> Response | None:
        from starlette.responses import RedirectResponse  # lazy: as page()

        user = await self.user(request)
        if user is None:
            if answering:
                return page("Sign in first", "<p>Open the approval link again and sign in.</p>", 403)
            back = quote(f"{request.url.path}?{request.url.query}", safe="")
            return RedirectResponse(f"{self.signin_path}?next={back}", 302, headers={"Cache-Control": "no-store"})
        if user != owner_of(record):
            return page("Not yours", "<p>Another person asked for this write; only they can answer it.</p>", 403)
        request.state.user = user
        return None

    def owner(self, request: Request) -> str | None:
        return str(request.state.user)


Handler = Callable[["Request"], Awaitable["Response"]]


def approval_handlers(approvals: Approvals, gate: Gate, base: str) -> tuple[Handler, Handler]:
    """GET and POST /approve/{id}: the payload, and the person's answer."""

    def find(approval_id: str, key: str) -> Approval | None:
        if not TOKEN.match(approval_id) or not TOKEN.match(key):
            return None  # not an id or key this server issued (and nothing odd reaches the database)
        record = approvals.store.approval(approval_id)
        if record is None or record.mode != "human" or not hmac.compare_digest(key, record.page_key):
            return None
        return record

    async def show(request: Request) -> Response:
        record = await anyio.to_thread.run_sync(find, request.path_params["id"], request.query_params.get("k", ""))
        if record is None:
            return page("Not found", "<p>No such approval here.</p>", 404)
        refused = await gate.check(request, record, answering=False)
        if refused is not None:
            return refused
        body = render_payload(record.kind, json.loads(record.payload))
        if record.state != "pending":
            return page(f"Already answered: {record.state}", body)
        form = (
            f"<form method=post><input type=hidden name=k value='{html.escape(record.page_key)}'>"
            "<button name=decision value=approve style='font-size:1.1em'>Approve this write</button> "
            "<button name=decision value=decline>Decline</button></form>"
        )
        return page("Approve this Upwork write?", body + form)

    async def decide(request: Request) -> Response:
        form = await request.form()
        record = await anyio.to_thread.run_sync(find, request.path_params["id"], str(form.get("k", "")))
        if record is None:
            return page("Not found", "<p>No such approval here.</p>", 404)
        if not same_origin(request, base):
            return page("Refused", "<p>This approval can only be given from its own page.</p>", 403)
        refused = await gate.check(request, record, answering=True)
        if refused is not None:
            return refused
        approve = form.get("decision") == "approve"
        try:
            await anyio.to_thread.run_sync(lambda: approvals.decide(record.id, approve, owner=gate.owner(request)))
        except ApprovalError as exc:
            return page("Not changed", f"<p>{html.escape(str(exc))}</p>", 409)
        if approve:
            return page("Approved", "<p>Go back to your assistant: it can make the write now, once.</p>")
        return page("Declined", "<p>Nothing will be written.</p>")

    return show, decide


class ApprovalPage:
    """The page on 127.0.0.1 for one machine, in a background thread, started on first use."""

    def __init__(
        self, approvals: Approvals, gate: PairedBrowser, *, port: int = 0, header_timeout: float = 10.0
    ) -> None:
        self.approvals = approvals
        self.gate = gate
        self.port = port
        self.header_timeout = header_timeout
        self._base: str | None = None
        self._lock = threading.Lock()

    def link(self, ticket: Ticket) -> str:
        return f"{self.base_url()}/approve/{ticket.id}?k={ticket.page_key}"

    def base_url(self) -> str:
        with self._lock:
            if self._base is None:
                self._base = self._start()
            return self._base

    def _start(self) -> str:
        import uvicorn  # lazy: only a write approved in a browser needs the page

        from ..serving import guarded_config, listening_socket  # lazy: with the page (serving loads uvicorn)

        # A short queue too: connections beyond the cap wait in the kernel, holding none of the server's files.
        sock = listening_socket("127.0.0.1", self.port, backlog=PAGE_CONNECTIONS)
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = guarded_config(
            self.app(base), header_timeout=self.header_timeout, cap=PAGE_CONNECTIONS, lifespan="off"
        )
        server = uvicorn.Server(config)
        threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="approval-page").start()
        return base

    def app(self, base: str) -> Any:
        from starlette.applications import Starlette  # lazy: with the page
        from starlette.routing import Route

        show, decide = approval_handlers(self.approvals, self.gate, base)
        return Starlette(
            routes=[Route("/approve/{id}", show, methods=["GET"]), Route("/approve/{id}", decide, methods=["POST"])]
        )
