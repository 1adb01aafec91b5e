"""A team server asks before it acts (the MCP authorization spec's confused-deputy rule), and its OAuth refuses
what it should: a client registered by someone else gets no token for a person who did not say yes to it on
the consent page; redirect URIs are https or this machine; registration is bounded; tokens are only for this
server; a code or refresh token used twice revokes what it issued; a NUL byte is a 400, never a 500."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import anyio
import httpx
import pytest

from tests.conftest import LoopbackSandbox
from tests.team.helpers import consent, log_in, oauth_server, signed_in, through_upwork
from upwork_mcp.store import SQLiteDatabase, Store

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
REDIRECT = "http://localhost:1/callback"


def _grants(data: Path) -> list[dict[str, Any]]:
    with Store(SQLiteDatabase(data / "state.sqlite3")).db.transaction() as tx:
        return [dict(r) for r in tx.all("SELECT kind, family, data FROM oauth_grants")]


async def _register(http: httpx.AsyncClient, *uris: str, name: str = "raw client") -> httpx.Response:
    return await http.post("/register", json={"client_name": name, "redirect_uris": list(uris or [REDIRECT])})


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def _authorize(base: str, client: dict[str, Any], challenge: str, **extra: str) -> str:
    query = {
        "response_type": "code",
        "client_id": client["client_id"],
        "redirect_uri": REDIRECT,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "st",
        "scope": "upwork",
        **extra,
    }
    return f"{base}/authorize?{urlencode(query)}"


def _code(answer: httpx.Response) -> str | None:
    location = answer.headers.get("location", "")
    return parse_qs(urlsplit(location).query).get("code", [None])[0] if location.startswith(REDIRECT) else None


async def _token(http: httpx.AsyncClient, client: dict[str, Any], **form: str) -> httpx.Response:
    return await http.post(
        "/token", data={"client_id": client["client_id"], "client_secret": client["client_secret"], **form}
    )


async def test_a_client_someone_else_registered_gets_no_token_for_a_person_who_did_not_consent(
    loopback: LoopbackSandbox, tmp_path: Path
) -> None:
    """The attacker's own MCP client registers and asks; the victim's browser is the only one that logs in as
    the victim. Neither following the attacker's link nor finishing a login the attacker started gets a code."""
    attempts: list[httpx.Response] = []

    async def attack(url: str) -> None:
        async with httpx.AsyncClient(timeout=30) as attacker, httpx.AsyncClient(timeout=30) as victim:
            # The victim follows the attacker's link: the consent page names the attacker's client and waits.
            followed = await victim.get(url)
            attempts.append(await victim.get(followed.headers["location"]))
            # The attacker says yes in their own browser and hands the victim the Upwork login that follows.
            to_upwork = await consent(attacker, await attacker.get((await attacker.get(url)).headers["location"]))
            attempts.append(await through_upwork(victim, to_upwork, person=0))

    async def no_code() -> Any:
        raise RuntimeError("no authorization code came back")

    with oauth_server(loopback, tmp_path) as base:
        import httpx2
        from mcp import Client
        from mcp.client.auth import OAuthClientProvider
        from mcp.client.streamable_http import streamable_http_client
        from mcp.shared.auth import OAuthClientMetadata
        from pydantic import AnyUrl

        from tests.team.helpers import Memory

        auth = OAuthClientProvider(
            server_url=f"{base}/mcp",
            client_metadata=OAuthClientMetadata(
                client_name="Totally Legit Assistant", redirect_uris=[AnyUrl("https://evil.example/cb")]
            ),
            storage=Memory(),
            redirect_handler=attack,
            callback_handler=no_code,
        )

        async def connect() -> None:
            with anyio.fail_after(60):
                async with (
                    httpx2.AsyncClient(auth=auth, timeout=30) as http,
                    Client(streamable_http_client(f"{base}/mcp", http_client=http)) as client,
                ):
                    await client.call_tool("get_account", {})

        with pytest.raises(Exception):  # noqa: B017  # the client cannot connect: how it fails is the SDK's
            await connect()
    page, landed = attempts
    assert page.status_code == 200 and "Totally Legit Assistant" in page.text and "https://evil.example/cb" in page.text
    assert landed.status_code == 400 and "another browser" in landed.text and "location" not in landed.headers
    assert [g["kind"] for g in _grants(tmp_path) if g["kind"] in ("code", "access", "refresh")] == []


async def test_consent_is_asked_once_per_person_and_client_and_a_no_sends_nothing(
    loopback: LoopbackSandbox, tmp_path: Path
) -> None:
    with oauth_server(loopback, tmp_path) as base:
        async with httpx.AsyncClient(timeout=30) as browser, httpx.AsyncClient(base_url=base, timeout=30) as http:
            async with signed_in(base, 0, browser) as (first, _):
                await first.call_tool("get_account", {})
            # The same person, the same browser, a client they have not said yes to: asked again, and says no.
            other = (await _register(http, name="Second Client")).json()
            _, challenge = _pkce()
            asked = await browser.get((await browser.get(_authorize(base, other, challenge))).headers["location"])
            refused = await consent(browser, asked, "deny")
            # A client they said yes to before (registered again under the same metadata is a new client): the
            # remembered consent is per client, so logging in again with the first one goes straight to Upwork.
    assert "Second Client" in asked.text and refused.status_code == 302
    assert parse_qs(urlsplit(refused.headers["location"]).query)["error"] == ["access_denied"]
    assert _code(refused) is None


async def test_a_remembered_consent_skips_the_page_for_that_client_only(
    loopback: LoopbackSandbox, tmp_path: Path
) -> None:
    with oauth_server(loopback, tmp_path) as base:
        async with httpx.AsyncClient(timeout=30) as browser, httpx.AsyncClient(base_url=base, timeout=30) as http:
            client = (await _register(http)).json()
            _, challenge = _pkce()
            first = await log_in(browser, _authorize(base, client, challenge), 0)
            again = await browser.get((await browser.get(_authorize(base, client, challenge))).headers["location"])
            stranger_browser = httpx.AsyncClient(timeout=30)
            async with stranger_browser:
                elsewhere = await stranger_browser.get(
                    (await stranger_browser.get(_authorize(base, client, challenge))).headers["location"]
                )
    assert _code(first) is not None
    assert again.status_code == 302 and again.headers["location"].startswith(loopback.url)  # straight to Upwork
    assert elsewhere.status_code == 200 and "Allow" in elsewhere.text  # another browser: not known, so asked


async def test_redirect_uris_registration_and_resources_are_bounded(loopback: LoopbackSandbox, tmp_path: Path) -> None:
    with oauth_server(loopback, tmp_path) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            bad = [
                await _register(http, uri)
                for uri in ("javascript:alert(1)", "data:text/html,hi", "file:///etc/passwd", "http://evil.example/cb")
            ]
            good = [await _register(http, uri) for uri in ("https://app.example/cb", "http://127.0.0.1:9/cb")]
            huge = await http.post("/register", content=b'{"redirect_uris": ["' + b"a" * 20_000 + b'"]}')
            client = good[0].json()
            _, challenge = _pkce()
            foreign = await http.get(
                _authorize(
                    base, client, challenge, redirect_uri="https://app.example/cb", resource="https://x.example/mcp"
                )
            )
            burst = [await _register(http, "https://app.example/cb") for _ in range(25)]
    assert [r.status_code for r in bad] == [400] * 4 and all("redirect" in r.text for r in bad)
    assert [r.status_code for r in good] == [201, 201]
    assert huge.status_code == 413
    assert "invalid_target" in foreign.headers.get("location", foreign.text)
    assert {r.status_code for r in burst} == {201, 429} and burst[-1].status_code == 429
    assert burst[-1].headers.get("retry-after")


async def test_a_client_nobody_used_expires(loopback: LoopbackSandbox, tmp_path: Path) -> None:
    with oauth_server(loopback, tmp_path) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            old = (await _register(http)).json()
            with Store(SQLiteDatabase(tmp_path / "state.sqlite3")).db.transaction() as tx:
                tx.execute(
                    "UPDATE oauth_clients SET created = created - 2 * 86400 WHERE client_id = ?", (old["client_id"],)
                )
            await _register(http)  # registering sweeps what expired
            _, challenge = _pkce()
            gone = await http.get(_authorize(base, old, challenge))
    assert gone.status_code == 400 and "not found" in gone.text


async def test_a_replayed_code_or_refresh_token_revokes_what_it_issued(
    loopback: LoopbackSandbox, tmp_path: Path
) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    with oauth_server(loopback, tmp_path) as base:
        async with httpx.AsyncClient(timeout=30) as browser, httpx.AsyncClient(base_url=base, timeout=30) as http:

            async def tokens_by_code(replay: bool) -> tuple[dict[str, Any], httpx.Response, httpx.Response | None]:
                client = (await _register(http)).json()
                verifier, challenge = _pkce()
                code = _code(await log_in(browser, _authorize(base, client, challenge), 0))
                assert code is not None
                form = {
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": REDIRECT,
                    "code_verifier": verifier,
                }
                issued = await _token(http, client, **form)
                return client, issued, await _token(http, client, **form) if replay else None

            async def works(access: str) -> int:
                return (
                    await http.post("/mcp", json=body, headers={**headers, "Authorization": f"Bearer {access}"})
                ).status_code

            _, issued, replayed = await tokens_by_code(replay=True)
            after_code_replay = await works(issued.json()["access_token"])
            client, fresh, _ = await tokens_by_code(replay=False)
            old_refresh = fresh.json()["refresh_token"]
            rotated = await _token(http, client, grant_type="refresh_token", refresh_token=old_refresh)
            before = await works(rotated.json()["access_token"])
            reused = await _token(http, client, grant_type="refresh_token", refresh_token=old_refresh)
            after_reuse = await works(rotated.json()["access_token"])
            refresh_after = await _token(
                http, client, grant_type="refresh_token", refresh_token=rotated.json()["refresh_token"]
            )
    assert replayed is not None and replayed.status_code == 400 and "invalid_grant" in replayed.text
    assert issued.status_code == 200
    assert after_code_replay == 401  # the replay revoked the tokens the code had issued
    assert rotated.status_code == 200 and before != 401  # accepted (the request itself is not a session's)
    assert reused.status_code == 400 and after_reuse == 401 and refresh_after.status_code == 400


async def test_nul_bytes_and_odd_input_get_400_never_500(loopback: LoopbackSandbox, tmp_path: Path) -> None:
    with oauth_server(loopback, tmp_path) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            client = (await _register(http)).json()
            answers = [
                await http.get("/authorize?client_id=%00&response_type=code&code_challenge=x"),
                await http.get(
                    f"/authorize?client_id={client['client_id']}&state=a%00b&response_type=code&code_challenge=x"
                ),
                await http.post(
                    "/token",
                    content=b"grant_type=authorization_code&code=a%00b&client_id=x",
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                ),
                await http.post(
                    "/register", content=json.dumps({"client_name": "a\u0000b", "redirect_uris": [REDIRECT]})
                ),
                await http.get("/oauth/consent?request=%C3%A9%00"),
                await http.get("/oauth/consent?request=%C3%A9t%C3%A9"),
                await http.get("/approve/%C3%A9t%C3%A9?k=%C3%A9"),
                await http.get("/oauth/upwork/callback?state=%C3%A9&code=x"),
            ]
    assert all(400 <= a.status_code < 500 for a in answers), [
        (a.request.url, a.status_code, a.text[:80]) for a in answers
    ]
