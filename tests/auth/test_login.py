"""The login flow over real loopback HTTP, a test client playing the browser."""

from __future__ import annotations

import socket

import anyio
import httpx
import pytest

from tests.auth.conftest import LoopbackSandbox
from upwork_mcp.api import UpworkClient
from upwork_mcp.auth.store import FileTokenStore
from upwork_mcp.commands.auth import cmd_login, cmd_logout, cmd_orgs, cmd_status, cmd_use_org
from upwork_mcp.config import Settings
from upwork_mcp.errors import ConfigError, NotAuthenticatedError, UpworkError
from upwork_mcp.world import open_client

pytestmark = pytest.mark.anyio


def _settings(loopback: LoopbackSandbox, tmp_path, **extra: str) -> Settings:
    return Settings.from_env(
        loopback.env(
            UPWORK_TOKEN_FILE=str(tmp_path / "cfg" / "tokens.json"),
            UPWORK_REDIRECT_URI="http://127.0.0.1:0/callback",  # any free port: no find-a-port race
            **extra,
        )
    )


def browser(follow: bool = True, tamper=None):  # type: ignore[no-untyped-def]
    """A 'browser': visits the authorization URL, then follows the redirect to the local listener."""
    shown: list[str] = []

    def show(url: str) -> None:
        shown.append(url)

    async def visit(url: str) -> None:
        async with httpx.AsyncClient(timeout=60) as http:
            consent = await http.get(url)
            location = consent.headers["location"]
            if tamper:
                location = tamper(location)
            if follow:  # urllib: a browser keeps no log of the code it carries
                import urllib.request

                def fetch() -> str:
                    with urllib.request.urlopen(location, timeout=10) as page:
                        return page.read().decode()

                assert "Login received" in await anyio.to_thread.run_sync(fetch)

    return shown, show, visit


async def _run(client: UpworkClient, tamper=None, follow=True, timeout=10.0):  # type: ignore[no-untyped-def]
    shown, show, visit = browser(follow=follow, tamper=tamper)
    result: dict[str, object] = {}

    async def run_login() -> None:
        try:
            result["lines"] = await cmd_login(client, show_url=show, open_browser=None, paste=None, timeout=timeout)
        except UpworkError as exc:
            result["error"] = exc

    with anyio.fail_after(30):
        async with anyio.create_task_group() as tg:
            tg.start_soon(run_login)
            while not shown:
                await anyio.sleep(0.01)
            await visit(shown[0])
    return result


async def test_login_saves_tokens_and_status_never_shows_one(loopback: LoopbackSandbox, tmp_path) -> None:
    settings = _settings(loopback, tmp_path)
    async with open_client(settings) as client:
        result = await _run(client)
        assert "Logged in as Sandy Freelancer" in result["lines"][0]
        status = await cmd_status(client)
    stored = FileTokenStore(settings.resolved_token_file()).load()
    assert stored is not None and stored.refresh_token is not None
    text = "\n".join(status)
    assert "Sandy Freelancer" in text and "expires" in text
    assert stored.access_token.get_secret_value() not in text and stored.refresh_token.get_secret_value() not in text
    assert (settings.resolved_token_file().stat().st_mode & 0o777) == 0o600
    assert (settings.resolved_token_file().parent.stat().st_mode & 0o777) == 0o700


async def test_a_login_forgets_what_the_key_was_refused_before(loopback: LoopbackSandbox, tmp_path) -> None:
    """Permissions change in Upwork's API Center, then the user logs in: old refusals must not outlive the fix."""
    settings = _settings(loopback, tmp_path)
    async with open_client(settings) as client:
        await client.capabilities.remember(["Query.transactionHistory", "FreelancerProfile.countryDetails"], "no")
        result = await _run(client)
        left = await client.capabilities.refused()
    assert left == {} and any("Forgot 2 refusals" in line and "doctor" in line for line in result["lines"])
    async with open_client(settings) as again:  # another process, the same store
        assert await again.capabilities.refused() == {}


async def test_the_authorization_url_carries_state_and_pkce(loopback: LoopbackSandbox, tmp_path) -> None:
    from upwork_mcp.auth.oauth import authorization_request

    request = authorization_request(_settings(loopback, tmp_path))
    params = httpx.URL(request.url).params
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert params["state"] == request.state and params["client_id"] == "sandbox-client"
    assert request.url.startswith(loopback.url + "/ab/account-security/oauth2/authorize?")


async def test_denied_consent_is_explained_and_nothing_is_stored(loopback: LoopbackSandbox, tmp_path) -> None:
    settings = _settings(loopback, tmp_path)
    loopback.box.faults.deny_consent = True
    async with open_client(settings) as client:
        result = await _run(client)
    assert isinstance(result["error"], NotAuthenticatedError) and "denied" in str(result["error"])
    assert not settings.resolved_token_file().exists()


async def test_a_forged_callback_is_ignored_and_the_login_goes_on(loopback: LoopbackSandbox, tmp_path) -> None:
    """Any local page can hit the callback; one with the wrong state must not end (or fake) the login."""
    settings = _settings(loopback, tmp_path)
    shown: list[str] = []
    result: dict[str, object] = {}

    async def run_login(client: UpworkClient) -> None:
        result["lines"] = await cmd_login(client, show_url=shown.append, open_browser=None, paste=None, timeout=20)

    async with open_client(settings) as client, httpx.AsyncClient(timeout=60) as http:
        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                tg.start_soon(run_login, client)
                while not shown:
                    await anyio.sleep(0.01)
                location = httpx.URL((await http.get(shown[0])).headers["location"])
                forged = await http.get(location.copy_set_param("state", "forged").copy_set_param("code", "stolen"))
                genuine = await http.get(location)
    assert forged.status_code == 400 and "Login received" not in forged.text and "ignored" in forged.text
    assert "Login received" in genuine.text
    assert "Logged in as Sandy Freelancer" in result["lines"][0] and settings.resolved_token_file().exists()


async def test_a_redirect_uri_the_key_does_not_know_is_reported(loopback: LoopbackSandbox, tmp_path) -> None:
    from upwork_mcp.auth.oauth import authorization_request, code_from_redirect

    request = authorization_request(_settings(loopback, tmp_path))
    with pytest.raises(UpworkError, match="UPWORK_REDIRECT_URI must equal"):
        code_from_redirect(request, "http://127.0.0.1:1/elsewhere?code=x&state=" + request.state)
    from upwork_mcp.auth.login import listener_address

    with pytest.raises(ConfigError, match="--manual"):
        listener_address("https://myapp.example.com/callback")


async def test_nobody_coming_back_times_out_with_advice(loopback: LoopbackSandbox, tmp_path) -> None:
    settings = _settings(loopback, tmp_path)
    async with open_client(settings) as client:
        with pytest.raises(NotAuthenticatedError, match="No login came back"):
            await cmd_login(client, show_url=lambda url: None, open_browser=None, paste=None, timeout=0.3)


async def test_a_port_in_use_is_reported(loopback: LoopbackSandbox, tmp_path) -> None:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        settings = Settings.from_env(
            loopback.env(
                UPWORK_TOKEN_FILE=str(tmp_path / "t.json"),
                UPWORK_REDIRECT_URI=f"http://127.0.0.1:{busy.getsockname()[1]}/cb",
            )
        )
        async with open_client(settings) as client:
            with pytest.raises(UpworkError, match="Another program uses the port"):
                await cmd_login(client, show_url=lambda url: None, open_browser=None, paste=None, timeout=1)
    finally:
        busy.close()


async def test_manual_login_takes_the_pasted_address(loopback: LoopbackSandbox, tmp_path) -> None:
    settings = _settings(loopback, tmp_path)
    shown: list[str] = []

    async def paste() -> str:
        async with httpx.AsyncClient(timeout=60) as http:
            return (await http.get(shown[0])).headers["location"] + "\n"

    async with open_client(settings) as client:
        lines = await cmd_login(client, show_url=shown.append, open_browser=None, paste=paste, timeout=5)
    assert "Logged in" in lines[0] and settings.resolved_token_file().exists()


async def test_orgs_use_org_and_logout(loopback: LoopbackSandbox, tmp_path) -> None:
    settings = _settings(loopback, tmp_path)
    agency = loopback.box.data.organizations[1]
    async with open_client(settings) as client:
        await _run(client)
        assert len([line for line in await cmd_orgs(client) if line.startswith(("*", " "))]) == 3
        with pytest.raises(ConfigError, match="not one of your organizations"):
            await cmd_use_org(client, "999")
        await cmd_use_org(client, agency["id"])
    async with open_client(settings) as client:  # a new process reads the chosen tenant from the store
        me = await client.account.me()
        assert me.organization.name == agency["name"]
        refresh = FileTokenStore(settings.resolved_token_file()).load().refresh_token.get_secret_value()
        lines = await cmd_logout(client)
    assert "Revoked" in lines[0] and not settings.resolved_token_file().exists()
    assert refresh not in loopback.box.refresh_tokens


def test_the_cli_prints_the_url_alone_on_stdout_and_saves_the_login(loopback: LoopbackSandbox, tmp_path) -> None:
    import os
    import subprocess
    import sys
    import urllib.request
    from pathlib import Path

    token_file = tmp_path / "cfg" / "tokens.json"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("UPWORK_")},
        **loopback.env(UPWORK_TOKEN_FILE=str(token_file), UPWORK_REDIRECT_URI="http://127.0.0.1:0/callback"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "upwork_mcp", "auth", "login", "--no-browser", "--timeout", "60"],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = proc.stdout.readline().strip()
    assert url.startswith(loopback.url + "/ab/account-security/oauth2/authorize?")  # the URL alone on its line
    location = httpx.get(url, timeout=60).headers["location"]
    with urllib.request.urlopen(location, timeout=10) as page:
        assert b"Login received" in page.read()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out == "" and "Logged in as Sandy Freelancer" in err
    assert FileTokenStore(token_file).load() is not None
