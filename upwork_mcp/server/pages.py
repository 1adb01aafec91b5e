"""A team server's pages for people in a browser: consent, sign-in, Upwork's return, and the approval page.

- `/oauth/consent`: where `/authorize` sends the person first. It names the client (its name, its
  redirect URI, what it will be able to do) and asks; a yes is remembered per person and client (a person
  signed in here who said yes to this client before goes straight on). Only a yes sends them to Upwork.
- `/oauth/signin`: signing in to this server (through Upwork) to answer an approval.
- `/oauth/upwork/callback`: Upwork's return. It counts only in the browser that started the login (a
  cookie set when the person said yes), so a login started by someone else and handed to the person
  cannot land a code at the other's client. It signs the browser in to this server.
- `/approve/{id}`: the approval page, for the person who asked for the write, signed in.

`OAuthGuard` stands in front of these and the SDK's OAuth endpoints: a NUL byte or an oversized body is
refused before anything reaches the database, and registration is rate-limited.
"""

from __future__ import annotations

import hashlib
import html
import json
import secrets
import uuid
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from mcp.server.auth.provider import construct_redirect_uri
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..auth.oauth import AuthorizationRequest, authorization_request, exchange_code
from ..errors import UpworkError
from ..store.tokens import DatabaseTokenStore
from .approval_page import SESSION_COOKIE, TOKEN, SignedIn, approval_handlers, page, same_origin
from .oauth import CALLBACK_PATH, CODE_TTL, CONSENT_PATH, PENDING_TTL, SIGNIN_PATH, UpworkLogins, user_key

if TYPE_CHECKING:
    from mcp.server import MCPServer

    from ..approvals import Approvals

LOGIN_COOKIE = "upwork_mcp_login"  # the browser a login was started in
SESSION_TTL = 7 * 86_400
MAX_BODY = 16_384
GUARDED = ("/register", "/authorize", "/token", "/revoke", "/oauth/", "/approve/")
WHAT_IT_CAN_DO = (
    "use your Upwork account through this server's tools: search jobs, read your proposals, contracts, work "
    "diary and messages, and send messages or run GraphQL mutations only after you approve each one"
)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def add_pages(server: MCPServer[Any], logins: UpworkLogins, approvals: Approvals) -> None:
    pages = Pages(logins, approvals)
    server.custom_route(CALLBACK_PATH, methods=["GET"])(pages.callback)
    server.custom_route(CONSENT_PATH, methods=["GET"])(pages.consent)
    server.custom_route(CONSENT_PATH, methods=["POST"])(pages.answer_consent)
    server.custom_route(SIGNIN_PATH, methods=["GET"])(pages.signin)
    show, decide = approval_handlers(approvals, pages.gate, logins.base)
    server.custom_route("/approve/{id}", methods=["GET"])(show)
    server.custom_route("/approve/{id}", methods=["POST"])(decide)


class Pages:
    def __init__(self, logins: UpworkLogins, approvals: Approvals) -> None:
        self.logins = logins
        self.web = logins.web
        self.base = logins.base
        self.secure = logins.base.startswith("https://")
        self.gate = SignedIn(self.web, SIGNIN_PATH)

    # -- consent ---------------------------------------------------------------------------------------

    async def consent(self, request: Request) -> Response:
        ask_id = request.query_params.get("request", "")
        asked = await self.logins.peek("consent", ask_id) if TOKEN.match(ask_id) else None
        client = await self.logins.get_client(asked["client_id"]) if asked else None
        if asked is None or client is None:
            return page("Expired", "<p>This request has expired. Start again from your MCP client.</p>", 400)
        user = await self.gate.user(request)
        if user is not None and await anyio.to_thread.run_sync(lambda: self.web.consented(user, asked["client_id"])):
            taken = await self.logins.take("consent", ask_id)
            if taken is not None:
                return await self._to_upwork({"purpose": "authorize", **taken})
        name = client.client_name or "An unnamed client"
        body = (
            f"<p><b>{html.escape(name)}</b> asks to {html.escape(WHAT_IT_CAN_DO)}, as you.</p>"
            f"<p>After you log in to Upwork it will be sent to <code>{html.escape(asked['redirect_uri'])}</code>.</p>"
            "<p>If you did not just connect an assistant to this server, choose Deny.</p>"
            f"<form method=post><input type=hidden name=request value='{html.escape(ask_id)}'>"
            "<button name=decision value=allow style='font-size:1.1em'>Allow</button> "
            "<button name=decision value=deny>Deny</button></form>"
        )
        return page(f"Allow {name} to act for you?", body)

    async def answer_consent(self, request: Request) -> Response:
        form = await request.form()
        ask_id = str(form.get("request", ""))
        if not same_origin(request, self.base):
            return page("Refused", "<p>Answer on this server's own consent page.</p>", 403)
        asked = await self.logins.take("consent", ask_id) if TOKEN.match(ask_id) else None
        if asked is None:
            return page("Expired", "<p>This request has expired. Start again from your MCP client.</p>", 400)
        if form.get("decision") != "allow":
            back = construct_redirect_uri(asked["redirect_uri"], error="access_denied", state=asked["state"])
            return RedirectResponse(back, 302, headers={"Cache-Control": "no-store"})
        return await self._to_upwork({"purpose": "authorize", **asked})

    async def signin(self, request: Request) -> Response:
        after = request.query_params.get("next", "/")
        if not after.startswith("/approve/"):
            after = "/"  # only this server's own pages: never an open redirect
        return await self._to_upwork({"purpose": "signin", "next": after})

    async def _to_upwork(self, pending: dict[str, Any]) -> Response:
        """Off to Upwork's login, remembering the browser (a cookie) and what to do on its return."""
        upstream = authorization_request(self.logins.settings, redirect_uri=self.base + CALLBACK_PATH)
        browser = secrets.token_urlsafe(32)
        await self.logins.put(
            "pending",
            upstream.state,
            upstream.state,
            {**pending, "verifier": upstream.code_verifier, "browser": _hash(browser)},
            PENDING_TTL,
        )
        answer = RedirectResponse(upstream.url, 302, headers={"Cache-Control": "no-store"})
        answer.set_cookie(
            LOGIN_COOKIE, browser, max_age=PENDING_TTL, path="/oauth", secure=self.secure, httponly=True, samesite="lax"
        )
        return answer

    # -- Upwork's return -------------------------------------------------------------------------------

    async def callback(self, request: Request) -> Response:
        """Upwork sends the person back here; they go on to their MCP client with this server's code, or back to
        the page they signed in for."""
        state = request.query_params.get("state", "")
        pending = await self.logins.take("pending", state) if state else None
        if pending is None:
            return page("Expired", "<p>This login link has expired or was already used: start again.</p>", 400)
        browser = request.cookies.get(LOGIN_COOKIE, "")
        if not browser or not secrets.compare_digest(_hash(browser), pending["browser"]):
            return page(
                "Not this browser",
                "<p>This login was started in another browser, so it does not count here. Start again from your "
                "MCP client in this browser.</p>",
                400,
            )
        authorizing = pending["purpose"] == "authorize"
        if request.query_params.get("error") or not request.query_params.get("code"):
            if authorizing:
                back = construct_redirect_uri(pending["redirect_uri"], error="access_denied", state=pending["state"])
                return RedirectResponse(back, status_code=302)
            return page("Not signed in", "<p>Upwork did not complete the login.</p>", 400)
        upstream = AuthorizationRequest(
            url="", state=state, code_verifier=pending["verifier"], redirect_uri=self.base + CALLBACK_PATH
        )
        try:
            tokens = await exchange_code(
                self.logins.loop(), self.logins.settings, upstream, request.query_params["code"]
            )
            upwork_id, name = await self.logins.identify(tokens)
        except UpworkError as exc:
            return page("Upwork did not complete the login", f"<p>{html.escape(str(exc))}</p>", 502)
        subject = user_key(upwork_id)
        store = DatabaseTokenStore(self.logins.team, self.logins.sealer, subject, name=name)
        await anyio.to_thread.run_sync(store.save, tokens)
        if authorizing:
            await anyio.to_thread.run_sync(self.web.remember_consent, subject, pending["client_id"])
            code = secrets.token_urlsafe(32)
            keep = ("client_id", "redirect_uri", "explicit", "code_challenge", "scopes", "resource")
            grant = {k: pending[k] for k in keep} | {
                "subject": subject,
                "expires_at": int(self.logins.clock() + CODE_TTL),
            }
            # The code's family is that of the tokens it will be exchanged for: a replay revokes them.
            await self.logins.put("code", code, uuid.uuid4().hex, grant, CODE_TTL)
            target = construct_redirect_uri(pending["redirect_uri"], code=code, state=pending["state"])
        else:
            target = self.base + pending["next"]
        answer = RedirectResponse(target, 302, headers={"Cache-Control": "no-store"})
        session = await anyio.to_thread.run_sync(lambda: self.web.open_session("team", SESSION_TTL, subject))
        answer.set_cookie(
            SESSION_COOKIE, session, max_age=SESSION_TTL, secure=self.secure, httponly=True, samesite="lax"
        )
        answer.delete_cookie(LOGIN_COOKIE, path="/oauth")
        return answer


class OAuthGuard:
    """In front of the OAuth endpoints and these pages: NUL bytes and bodies over MAX_BODY are refused before
    anything reads them, and dynamic registration is rate-limited per address and in all."""

    def __init__(self, app: Any, logins: UpworkLogins) -> None:
        self.app = app
        self.logins = logins

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(GUARDED):
            await self.app(scope, receive, send)
            return
        if _nul(path.encode(errors="replace")) or _nul(scope.get("query_string", b"")):
            await _refuse(send, 400, "a NUL byte is not allowed in a request")
            return
        if path == "/register" and scope.get("method") == "POST":
            address = (scope.get("client") or ("unknown",))[0]
            if not await anyio.to_thread.run_sync(self.logins.allow_registration, address):
                await _refuse(send, 429, "too many client registrations; try again in an hour", retry=3600)
                return
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_BODY:
                await _refuse(send, 413, f"request bodies here are at most {MAX_BODY} bytes")
                return
        if _nul(body):
            await _refuse(send, 400, "a NUL byte is not allowed in a request")
            return
        sent = False

        async def replay() -> Any:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _nul(data: bytes) -> bool:
    lowered = data.lower()
    return b"\x00" in data or b"%00" in lowered or b"\\u0000" in lowered


async def _refuse(send: Any, status: int, description: str, *, retry: int | None = None) -> None:
    body = json.dumps({"error": "invalid_request", "error_description": description}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if retry is not None:
        headers.append((b"retry-after", str(retry).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
