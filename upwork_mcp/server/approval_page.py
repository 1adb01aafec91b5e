"""The human step for writes: an approval page on this machine's loopback address.

A client that cannot ask its user (no elicitation) gets, with the preview, a link to a page served
here on 127.0.0.1 that shows the exact payload and needs a click. The model cannot take that step:
the page answers a POST only with the form's own one-time field and the page's own Origin (what a
browser sends on a click), and the approval is recorded in the store, where the server reads it.
`upwork-mcp approve ID` in a terminal does the same.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import threading
from typing import Any

from ..approvals import ApprovalError, Approvals, Ticket

_PAGE = """<!doctype html><meta charset=utf-8><meta name=viewport content="width=device-width">
<title>Approve an Upwork write</title>
<body style="font-family:sans-serif;max-width:46em;margin:2em auto;line-height:1.4">
<h2>{heading}</h2>{body}</body>"""


def _csrf(page_key: str) -> str:
    return hmac.new(page_key.encode(), b"approve-form", hashlib.sha256).hexdigest()[:32]


def render_payload(kind: str, payload: dict[str, Any]) -> str:
    """The exact payload as HTML: every field, long text kept as written (escaped, never interpreted)."""
    rows = []
    for key, value in payload.items():
        if value in (None, "", {}):
            continue
        shown = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)
        rows.append(
            f"<dt><b>{html.escape(key)}</b></dt><dd><pre style='white-space:pre-wrap;background:#f4f4f4;"
            f"padding:.6em'>{html.escape(shown)}</pre></dd>"
        )
    return f"<p>Write: <code>{html.escape(kind)}</code></p><dl>{''.join(rows)}</dl>"


class ApprovalPage:
    """Serves /approve/{id} on 127.0.0.1 in a background thread, started on first use."""

    def __init__(self, approvals: Approvals, *, port: int = 0) -> None:
        self.approvals = approvals
        self.port = port
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
        import uvicorn  # lazy: only a client without elicitation in human mode needs the page

        from ..serving import listening_socket  # lazy: with the page (serving loads uvicorn)

        sock = listening_socket("127.0.0.1", self.port)
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        server = uvicorn.Server(uvicorn.Config(self.app(base), log_level="warning", lifespan="off"))
        threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="approval-page").start()
        return base

    def app(self, base: str) -> Any:
        from starlette.applications import Starlette  # lazy: with the page
        from starlette.requests import Request
        from starlette.responses import HTMLResponse
        from starlette.routing import Route

        approvals = self.approvals

        def page(heading: str, body: str, status: int = 200) -> HTMLResponse:
            return HTMLResponse(
                _PAGE.format(heading=html.escape(heading), body=body),
                status_code=status,
                headers={
                    "Cache-Control": "no-store",
                    "X-Frame-Options": "DENY",
                    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
                },
            )

        def find(approval_id: str, key: str) -> Any:
            record = approvals.store.approval(approval_id)
            if record is None or record.mode != "human" or not hmac.compare_digest(key, record.page_key):
                return None
            return record

        async def show(request: Request) -> HTMLResponse:
            record = find(request.path_params["id"], request.query_params.get("k", ""))
            if record is None:
                return page("Not found", "<p>No such approval on this machine.</p>", 404)
            body = render_payload(record.kind, json.loads(record.payload))
            if record.state != "pending":
                return page(f"Already answered: {record.state}", body)
            form = (
                f"<form method=post><input type=hidden name=k value='{html.escape(record.page_key)}'>"
                f"<input type=hidden name=csrf value='{_csrf(record.page_key)}'>"
                "<button name=decision value=approve style='font-size:1.1em'>Approve this write</button> "
                "<button name=decision value=decline>Decline</button></form>"
            )
            return page("Approve this Upwork write?", body + form)

        async def decide(request: Request) -> HTMLResponse:
            form = await request.form()
            key, csrf = str(form.get("k", "")), str(form.get("csrf", ""))
            record = find(request.path_params["id"], key)
            # A click in the browser sends the page's own Origin; a script or another site does not.
            if (
                record is None
                or request.headers.get("origin") != base
                or request.headers.get("sec-fetch-site", "same-origin") != "same-origin"
                or not hmac.compare_digest(csrf, _csrf(key))
            ):
                return page("Refused", "<p>This approval can only be given from its own page.</p>", 403)
            approve = form.get("decision") == "approve"
            try:
                approvals.decide(record.id, approve)
            except ApprovalError as exc:
                return page("Not changed", f"<p>{html.escape(str(exc))}</p>", 409)
            if approve:
                return page("Approved", "<p>Go back to your assistant: it can make the write now, once.</p>")
            return page("Declined", "<p>Nothing will be written.</p>")

        return Starlette(
            routes=[Route("/approve/{id}", show, methods=["GET"]), Route("/approve/{id}", decide, methods=["POST"])]
        )
