"""Errors a user can act on, and the small things that break a first hour with the server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from pydantic import SecretStr

from tests.auth.conftest import LoopbackSandbox
from tests.mcp_client import Connect, tool_names
from upwork_mcp.advice import explain
from upwork_mcp.auth.store import FileTokenStore
from upwork_mcp.auth.tokens import TokenSet
from upwork_mcp.cli import main
from upwork_mcp.commands.auth import cmd_logout
from upwork_mcp.commands.doctor import run_checks
from upwork_mcp.config import Settings
from upwork_mcp.errors import NotAuthenticatedError
from upwork_mcp.server import build_server, first_sentence
from upwork_mcp.world import open_client

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parent.parent


async def test_a_wrong_feed_key_points_at_the_feed_key_not_at_login(loopback: LoopbackSandbox) -> None:
    settings = Settings.from_env(loopback.env(UPWORK_JOB_FEED_API_KEY="not-the-key", UPWORK_MAX_RETRIES="0"))
    async with Client(build_server(settings)) as client:
        result = await client.call_tool("job_feed_status", {})
    text = result.content[0].text
    assert result.is_error and "UPWORK_JOB_FEED_API_KEY" in text and "auth login" not in text


async def test_an_unknown_operation_resource_lists_the_names_without_a_traceback(
    connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    async with connect() as client:
        with pytest.raises(MCPError, match=r"known: .*SearchJobs"):
            await client.read_resource("upwork://operations/Nope")
    assert not [r for r in caplog.records if r.exc_info]


def test_schema_with_an_unknown_name_lists_the_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "NoSuch"]) == 2
    err = capsys.readouterr().err
    assert "SearchJobs" in err and "GetJob" in err and "Traceback" not in err
    assert main(["schema", "FreelancerProfil"]) == 2
    assert "types like it: FreelancerProfile," in capsys.readouterr().err


async def test_an_id_sent_as_a_number_is_taken_as_its_string(connect: Connect, sandbox) -> None:  # type: ignore[no-untyped-def]
    contract = sandbox.data.contracts[0]
    async with connect() as client:
        result = await client.call_tool("get_contract", {"contract_id": int(contract["id"])})
    assert not result.is_error and result.structured_content["id"] == contract["id"]


async def test_a_refused_token_without_a_refresh_token_says_log_in_again(
    loopback: LoopbackSandbox, tmp_path: Path
) -> None:
    path = tmp_path / "tokens.json"
    FileTokenStore(path).save(TokenSet(access_token=SecretStr("sbx_at_revoked"), expires_at=time.time() + 3600))
    settings = Settings.from_env(loopback.env(UPWORK_TOKEN_FILE=str(path)))
    async with open_client(settings) as client:
        with pytest.raises(NotAuthenticatedError) as info:
            await client.account.me()
    said = explain(info.value, "person")
    assert "auth login" in said and "refresh token was" not in said.lower()
    assert "no refresh token" in str(info.value)


async def test_doctor_prints_its_whole_checklist_with_a_garbled_token_file_and_logout_removes_it(
    loopback: LoopbackSandbox, tmp_path: Path
) -> None:
    path = tmp_path / "tokens.json"
    path.write_text('{"access_token": ')
    settings = Settings.from_env(loopback.env(UPWORK_TOKEN_FILE=str(path)))
    async with open_client(settings) as client:
        checks = {c.name: c for c in await run_checks(client)}
        lines = await cmd_logout(client)
    assert {"settings", "credentials", "login and reachability", "job feed"} <= set(checks)
    assert checks["credentials"].ok is False and "auth login" in checks["credentials"].detail
    assert "unreadable" in lines[0] and not path.exists()


async def test_a_login_keeps_its_api_key_so_a_client_without_it_still_refreshes(
    loopback: LoopbackSandbox, tmp_path: Path
) -> None:
    path = tmp_path / "tokens.json"
    issued = loopback.box.issue_tokens()
    FileTokenStore(path).save(
        TokenSet.from_response(issued).model_copy(
            update={
                "expires_at": time.time() - 60,
                "client_id": "sandbox-client",
                "client_secret": SecretStr("sandbox-secret"),
            }
        )
    )
    env = {
        k: v
        for k, v in loopback.env(UPWORK_TOKEN_FILE=str(path)).items()
        if k not in ("UPWORK_CLIENT_ID", "UPWORK_CLIENT_SECRET")
    }  # what a desktop client's config holds
    async with open_client(Settings.from_env(env)) as client:
        me = await client.account.me()
    assert me.user.name == "Sandy Freelancer" and loopback.box.token_requests == 1
    stored = FileTokenStore(path).load()
    assert stored.client_id == "sandbox-client" and stored.refresh_token.get_secret_value() != issued["refresh_token"]


def test_tools_lists_whole_first_sentences(capsys: pytest.CaptureFixture[str]) -> None:
    from upwork_mcp._bundled import tools_package

    assert main(["tools", "--sandbox"]) == 0
    out = capsys.readouterr().out
    for spec in tools_package().all_specs():
        assert first_sentence(spec.fn.__doc__ or "") in out, spec.name


@pytest.mark.parametrize("env", [{"UPWORK_TOOLSETS": "jobs"}, {"UPWORK_READ_ONLY": "1"}, {}])
async def test_prompts_follow_toolsets_and_read_only(env: dict[str, str]) -> None:
    settings = Settings.from_env({"UPWORK_SANDBOX": "1", **env})
    served = tool_names(
        toolsets=set(env["UPWORK_TOOLSETS"].split(",")) if "UPWORK_TOOLSETS" in env else None,
        read_only="UPWORK_READ_ONLY" in env,
    )
    async with Client(build_server(settings)) as client:
        prompts = {p.name for p in (await client.list_prompts()).prompts}
    from upwork_mcp._bundled import prompts_dir
    from upwork_mcp.prompt_templates import load

    templates = load(prompts_dir())
    assert all(set(t.tools) <= served for t in templates if t.name in prompts)
    assert all(not set(t.tools) <= served for t in templates if t.name not in prompts)
    assert all(set(t.tools) <= tool_names() and t.tools for t in templates), "every prompt names real tools"
    if env.get("UPWORK_TOOLSETS") == "jobs":
        assert prompts == {"triage_jobs"}  # draft_proposal ends with submit_proposal (toolset applying)


def test_serve_logs_to_a_file_with_v(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "upwork-mcp.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("UPWORK_")}
    done = subprocess.run(
        [sys.executable, "-m", "upwork_mcp", "serve", "--sandbox", "--log-file", str(log), "-v"],
        input="",
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0 and log.exists() and (log.stat().st_mode & 0o777) == 0o600
    assert done.stderr == ""  # the log went to the file


def test_a_closed_pipe_ends_quietly() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("UPWORK_")}
    head = subprocess.run(
        f"{sys.executable} -m upwork_mcp call search_jobs limit=50 --sandbox | head -1",
        shell=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert "jobs match" in head.stdout and "Traceback" not in head.stderr and "BrokenPipe" not in head.stderr
