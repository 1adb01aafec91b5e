"""`upwork-mcp watch ...` on the embedded sandbox, in process; the sandbox's job-posting endpoint; and
`upwork-mcp sandbox post-job`, which every embedded sandbox of the user sees."""

from __future__ import annotations

import httpx
import pytest

from upwork_mcp.cli import main
from upwork_mcp.config import Settings
from upwork_mcp.sandbox import Sandbox, board_path, create_app
from upwork_mcp.sandbox.posting import Board, post_job

pytestmark = pytest.mark.anyio
URL = "https://www.upwork.com/nx/search/jobs/?q=api&amount=100-&t=1&contractor_tier=2&duration_v3=week"


def test_watch_commands_add_list_check_preview_run_remove(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["watch", "add", "apis", "--sandbox", "--url", URL]) == 1  # no criteria of the user's yet
    refused = capsys.readouterr().err
    assert "none are stated yet" in refused and "upwork-mcp watch criteria --accept" in refused
    assert main(["watch", "criteria", "--sandbox", "--want", "api,python", "--rate-floor", "40"]) == 0
    assert "Ranking by your criteria (set with `upwork-mcp watch criteria`)" in capsys.readouterr().out
    assert main(["watch", "add", "apis", "--sandbox", "--url", URL]) == 0
    added = capsys.readouterr().out
    assert (
        "q=api job_type=fixed budget_min=100.0 experience_level=intermediate" in added and "duration_v3=week" in added
    )
    assert "up to 4,320 a month" in added and "nothing checks it otherwise" in added
    assert main(["watch", "add", "apis", "--sandbox"]) == 1  # the name is taken
    assert "exists" in capsys.readouterr().err
    assert main(["watch", "add", "quick", "--sandbox", "--source", "search", "--interval", "5"]) == 1
    assert "must be 15 to 1440 minutes" in capsys.readouterr().err
    assert main(["watch", "list", "--sandbox"]) == 0 and "apis: feed" in capsys.readouterr().out
    assert main(["watch", "check", "--sandbox"]) == 0
    assert "first check" in capsys.readouterr().out
    assert main(["watch", "check", "--sandbox"]) == 0 and "apis: 0 new" in capsys.readouterr().out
    assert (
        main(["watch", "add", "everything", "--sandbox"]) == 0
        and main(["watch", "check", "everything", "--sandbox"]) == 0
    )
    assert main(["sandbox", "post-job", "--title", "Fixed API work", "--budget", "700"]) == 0
    capsys.readouterr()
    assert main(["watch", "check", "everything", "--sandbox"]) == 0  # another process's post, seen here
    assert "Fixed API work | $700 fixed |" in capsys.readouterr().out
    assert main(["watch", "remove", "everything", "--sandbox"]) == 0
    assert main(["watch", "preview", "apis", "--sandbox", "--limit", "1"]) == 0
    assert "(from the last check)" in capsys.readouterr().out
    assert main(["watch", "run", "--once", "--sandbox"]) == 0
    assert main(["watch", "remove", "apis", "--sandbox"]) == 0
    assert main(["watch", "remove", "apis", "--sandbox"]) == 1
    assert main(["watch", "config", "--sandbox"]) == 0 and "[scoring.weights]" in capsys.readouterr().out


async def test_the_sandbox_posts_and_changes_jobs_on_request(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(sandbox)), base_url="http://sb") as http:
        made = await http.post("/__sandbox__/jobs", json={"count": 2, "title": "Posted now", "hourly": [30, 60]})
        job_id = made.json()["jobs"][0]["id"]
        changed = await http.post(f"/__sandbox__/jobs/{job_id}", json={"status": "closed"})
        bad = await http.post("/__sandbox__/jobs", json={"count": 0})
        feed = await http.get("/jobs", params={"limit": 5}, headers={"X-API-KEY": sandbox.feed_key})
    assert made.status_code == 200 and len(made.json()["jobs"]) == 2 and changed.status_code == 200
    assert bad.status_code == 400 and "count" in bad.json()["error"]
    titles = [j["title"] for j in feed.json()["data"]]
    assert titles[0] == "Posted now" and titles.count("Posted now") == 1  # the closed one is off the open feed
    assert sandbox.data.job_by_id(job_id)["_status"] == "CLOSED"


def test_sandbox_post_job_reaches_every_embedded_sandbox_of_this_user(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "post-job", "--title", "Posted from a terminal", "--hourly", "40-70"]) == 0
    feed_id = capsys.readouterr().out.split("(feed id ")[1].split(")")[0]
    assert main(["sandbox", "change-job", feed_id, "--budget", "900"]) == 0
    assert main(["sandbox", "post-job", "--hourly", "70-40"]) == 1 and "low first" in capsys.readouterr().err
    settings = Settings.from_env({"UPWORK_SANDBOX": "1"})
    boxes = [Sandbox.create() for _ in range(2)]  # two processes' embedded sandboxes
    for box in boxes:
        box.board = Board(board_path(settings.resolved_data_dir()))
        assert box.board.apply(box) == 2 and box.board.apply(box) == 0  # each event once
    jobs = [box.data.jobs[0] for box in boxes]
    assert jobs[0]["id"] == jobs[1]["id"] == feed_id.removeprefix("upwork-")
    assert all(j["title"] == "Posted from a terminal" and j["amount"]["rawValue"] == "900.0" for j in jobs)


def test_the_trickle_posts_different_jobs(sandbox: Sandbox) -> None:
    titles = {post_job(sandbox)["title"] for _ in range(6)}
    assert len(titles) >= 4


def test_a_client_acting_from_a_terminal_reaches_a_proposals_watch(capsys: pytest.CaptureFixture[str]) -> None:
    seeded = Sandbox.create().data
    pid, other = [
        p["id"] for p in seeded.proposals if p["status"]["status"] == "Pending" and p["id"] not in seeded.proposal_rooms
    ][:2]
    assert main(["sink", "add", "phone", "https://ntfy.example.com/upwork", "--kind", "ntfy", "--sandbox"]) == 0
    assert main(["watch", "add", "mine", "--source", "proposals", "--sandbox"]) == 1  # nowhere to send
    assert "--sink NAME" in capsys.readouterr().err
    assert main(["watch", "add", "mine", "--source", "proposals", "--sink", "phone", "--sandbox"]) == 0
    added = capsys.readouterr().out
    assert "changes to your proposals, every 15 min, to phone" in added and "proposals from now" in added
    assert main(["watch", "check", "mine", "--sandbox"]) == 0
    assert "mine: 0 change(s)" in capsys.readouterr().out  # its baseline was taken when it was added
    assert main(["sandbox", "change-proposal", "123", "--status", "Declined"]) == 1
    assert "No proposal '123'" in capsys.readouterr().err
    assert main(["sandbox", "change-proposal", pid]) == 1 and "Say what the client does" in capsys.readouterr().err
    assert main(["sandbox", "change-proposal", pid, "--reason", "Too late"]) == 1
    assert "--reason goes with --status" in capsys.readouterr().err
    assert main(["sandbox", "change-proposal", pid, "--status", "Declined", "--reason", "Too late"]) == 0
    assert main(["sandbox", "change-proposal", other, "--message", "Thanks!"]) == 0
    capsys.readouterr()
    assert main(["watch", "check", "mine", "--sandbox"]) == 0  # another process's change, seen here
    out = capsys.readouterr().out
    assert "mine: 2 change(s), queued for phone" in out and "now: Declined | Too late" in out
    assert 'the client wrote | "Thanks!"' in out
    assert main(["watch", "check", "mine", "--sandbox"]) == 0 and "mine: 0 change(s)" in capsys.readouterr().out
    settings = Settings.from_env({"UPWORK_SANDBOX": "1"})
    boxes = [Sandbox.create() for _ in range(2)]  # two processes' embedded sandboxes: the same change in each
    for box in boxes:
        box.board = Board(board_path(settings.resolved_data_dir()))
        assert box.board.apply(box) == 2
    rooms = [box.data.stories[box.data.proposal_rooms[other]] for box in boxes]
    assert rooms[0] == rooms[1] and rooms[0][0]["message"] == "Thanks!"
