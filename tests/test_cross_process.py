"""A new server process per call (LangChain's default get_tools, the Inspector CLI, `upwork-mcp call`): an
approval from one process verifies in the next, once, and a job URL seen by one resolves in another."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serving import serving
from upwork_mcp.sandbox import Sandbox, create_app

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Sandbox, dict[str, str]]]:
    box = Sandbox.create()
    box.rate_limit = 1e6
    with serving(create_app(box), lifespan="off") as url:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("UPWORK_")},
            "UPWORK_API_URL": f"{url}/graphql",
            "UPWORK_OAUTH_URL": url,
            "UPWORK_CLIENT_ID": "sandbox-client",
            "UPWORK_ACCESS_TOKEN": box.issue_tokens()["access_token"],
            "UPWORK_DATA_DIR": str(tmp_path),
        }
        yield box, env


def call(env: dict[str, str], tool: str, **arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "upwork_mcp", "call", tool, "--structured", "--json", json.dumps(arguments)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT.parent,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_a_preview_from_one_process_sends_once_from_another(served: tuple[Sandbox, dict[str, str]]) -> None:
    box, env = served
    env = {**env, "UPWORK_WRITE_APPROVAL": "token"}
    room = box.data.rooms[2]["id"]
    preview = call(env, "send_message", room_id=room, message="Confirmed across processes.")
    token = json.loads(preview.stdout)["confirmation_token"]
    sent = call(env, "send_message", room_id=room, message="Confirmed across processes.", confirmation_token=token)
    replay = call(env, "send_message", room_id=room, message="Confirmed across processes.", confirmation_token=token)
    assert json.loads(sent.stdout)["status"] == "sent", sent.stderr
    assert replay.returncode == 1 and "already used" in replay.stdout + replay.stderr
    assert [m["message"] for m in box.sent_messages] == ["Confirmed across processes."]


def test_a_job_url_from_one_process_resolves_in_another(served: tuple[Sandbox, dict[str, str]]) -> None:
    _, env = served
    found = json.loads(call(env, "search_jobs", q="python").stdout)["jobs"][0]
    detail = call(env, "get_job", job=found["url"])
    assert detail.returncode == 0, detail.stderr
    assert json.loads(detail.stdout)["title"] == found["title"]
