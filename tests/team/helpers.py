"""A team server on a loopback port (per-user login through the loopback sandbox's Upwork), and people who
sign in to it through a real MCP client, each with their own browser."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import httpx2
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
from pydantic import AnyUrl

from tests.conftest import LoopbackSandbox
from tests.serving import serving_app
from upwork_mcp.config import Settings
from upwork_mcp.server import build_server
from upwork_mcp.server.transports import http_app

KEY = "b4SMb0t71PLpz3u5RcgY0VYEn6HC5A4SXfuvA5edSD4="  # a Fernet key for the test
SECOND = "B0ILDUe_4knc1EQYtdbmvDsu7NH1j4cpA1cH3u2DOWg="


class Memory:
    """The MCP client's token storage, in memory."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


def team_env(loopback: LoopbackSandbox, data: Path, **extra: str) -> dict[str, str]:
    return loopback.env(
        UPWORK_MCP_AUTH="oauth", UPWORK_ENCRYPTION_KEY=f"{KEY},{SECOND}", UPWORK_DATA_DIR=str(data), **extra
    )


@contextmanager
def oauth_server(loopback: LoopbackSandbox, data: Path, **extra: str) -> Iterator[str]:
    settings = Settings.from_env(team_env(loopback, data, **extra))

    def make(port: int) -> Any:
        base = f"http://localhost:{port}"
        return http_app(build_server(settings, oauth_base=base), settings, "streamable-http", port=port)

    with serving_app(make) as url:
        yield url.replace("127.0.0.1", "localhost")


def form_of(page: str) -> dict[str, str]:
    return dict(re.findall(r"name=(\w+) value='([^']*)'", page))


async def consent(browser: httpx.AsyncClient, answer: httpx.Response, decision: str = "allow") -> httpx.Response:
    """The person reads the consent page `answer` and clicks `decision` on it."""
    assert answer.status_code == 200 and "Allow" in answer.text, answer.text
    base = f"{answer.url.scheme}://{answer.url.netloc.decode()}"
    fields = {**form_of(answer.text), "decision": decision}
    return await browser.post(str(answer.url).split("?")[0], data=fields, headers={"Origin": base})


async def through_upwork(browser: httpx.AsyncClient, to_upwork: httpx.Response, person: int) -> httpx.Response:
    """Upwork's login as sandbox person `person`, then this server's callback, in `browser`."""
    assert to_upwork.status_code == 302, to_upwork.text
    back = await browser.get(to_upwork.headers["location"] + f"&sandbox_user={person}")
    return await browser.get(back.headers["location"])


async def log_in(browser: httpx.AsyncClient, url: str, person: int) -> httpx.Response:
    """The browser part of a login: this server's consent page (answered yes unless remembered), Upwork, back."""
    answer = await browser.get(url)
    assert answer.status_code == 302, answer.text
    asked = await browser.get(answer.headers["location"])
    to_upwork = await consent(browser, asked) if asked.status_code == 200 else asked
    return await through_upwork(browser, to_upwork, person)


@asynccontextmanager
async def signed_in(
    base: str,
    person: int,
    browser: httpx.AsyncClient | None = None,
    *,
    mode: str = "auto",
    name: str = "test client",
    handler: Any = None,
) -> AsyncIterator[tuple[Client, OAuthClientProvider]]:
    """An MCP client that logs in as sandbox person `person`; `browser` (theirs) is driven here."""
    result: dict[str, AuthorizationCodeResult] = {}

    async def open_in_browser(url: str) -> None:
        async with _browser(browser) as b:
            to_client = await log_in(b, url, person)
            assert to_client.status_code == 302, to_client.text
            query = parse_qs(urlsplit(to_client.headers["location"]).query)
            result["code"] = AuthorizationCodeResult(code=query["code"][0], state=query.get("state", [None])[0])

    async def callback() -> AuthorizationCodeResult:
        return result["code"]

    auth = OAuthClientProvider(
        server_url=f"{base}/mcp",
        client_metadata=OAuthClientMetadata(
            client_name=name, redirect_uris=[AnyUrl("http://localhost:1/callback")], scope="upwork"
        ),
        storage=Memory(),
        redirect_handler=open_in_browser,
        callback_handler=callback,
    )
    async with (
        httpx2.AsyncClient(auth=auth, timeout=30) as http,
        Client(streamable_http_client(f"{base}/mcp", http_client=http), mode=mode, message_handler=handler) as client,
    ):
        yield client, auth


@asynccontextmanager
async def _browser(given: httpx.AsyncClient | None) -> AsyncIterator[httpx.AsyncClient]:
    if given is not None:
        yield given
        return
    async with httpx.AsyncClient(timeout=60) as fresh:  # generous: a loaded 2-core machine
        yield fresh


async def approved(client: Client, browser: httpx.AsyncClient, base: str, tool: str, args: dict[str, Any]) -> Any:
    """`tool` called by the person, approved by them on the server's approval page (signed in in `browser`),
    and called again with the approval: the write done."""
    preview = (await client.call_tool(tool, args)).structured_content or {}
    link = preview["approval_url"]
    form = {"k": link.split("k=")[1], "decision": "approve"}
    clicked = await browser.post(link.split("?")[0], data=form, headers={"Origin": base})
    assert clicked.status_code == 200 and "Approved" in clicked.text, clicked.text
    done = await client.call_tool(tool, {**args, "confirmation_token": preview["approval_id"]})
    assert not done.is_error, done.content
    return done


async def own_criteria(client: Client, browser: httpx.AsyncClient, base: str) -> None:
    """The person accepts the starting point as their ranking criteria (nothing is ranked before they do)."""
    await approved(client, browser, base, "set_criteria", {"accept_starting_point": True})
