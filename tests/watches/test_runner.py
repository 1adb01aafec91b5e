"""`watch run` speaks and keeps going: a line per round and per delivery, a loud line for each watch it skips
(once, not every round), one broken or failing watch never stops the others, rounds keep within the feed
plan, and through a pipe each line arrives as it happens."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.watches.helpers import watching
from upwork_mcp.api.job_feed import FeedQuota
from upwork_mcp.cli import main
from upwork_mcp.sandbox import Sandbox
from upwork_mcp.sandbox.posting import post_job
from upwork_mcp.store.sinks import StoredSink
from upwork_mcp.watches import service
from upwork_mcp.watches.delivery import Deliverer
from upwork_mcp.watches.filters import WatchFilters
from upwork_mcp.watches.rounds import remember_quota
from upwork_mcp.watches.runner import OneUser, run
from upwork_mcp.watches.service import Watch, Watches
from upwork_mcp.watches.sinks import parse_sink

pytestmark = pytest.mark.anyio


class Stop(Exception):
    pass


class Ticks:
    """The runner's clock and sleep: each sleep moves time on by `step` seconds; after `rounds` sleeps, stop."""

    def __init__(self, rounds: int, step: float = 61.0) -> None:
        self.offset = 0.0
        self.left = rounds
        self.step = step

    def clock(self) -> float:
        return time.time() + self.offset

    async def sleep(self, _: float) -> None:
        self.left -= 1
        if self.left <= 0:
            raise Stop
        self.offset += self.step


def receiver(into: list[dict[str, Any]]) -> httpx.AsyncClient:
    async def hook(request: Request) -> JSONResponse:
        into.append(json.loads(await request.body()))
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app))


async def _hook(watches: Watches) -> None:
    sink = parse_sink("hook", "http://receiver.test/hook", min_verdict="SKIP")
    assert watches.sink_store is not None
    watches.sink_store.add(StoredSink(sink.name, sink.type, sink.settings, sink.shown(), sink.options()))


async def _run(watches: Watches, http: httpx.AsyncClient, ticks: Ticks, **kw: Any) -> tuple[list[str], Any]:
    """Run the runner until `ticks` stops it, every watch due at the start."""
    with watches.store.db.transaction() as tx:
        tx.execute("UPDATE watches SET checked = 0")
    said: list[str] = []
    log = None
    with contextlib.suppress(Stop):
        log = await run(
            watches, Deliverer(OneUser(watches), http), once=False, say=said.append, clock=ticks.clock,
            sleep=ticks.sleep, **kw,
        )  # fmt: skip
    return said, log


async def test_the_runner_says_each_round_each_delivery_and_each_skip_once(sandbox: Sandbox) -> None:
    got: list[dict[str, Any]] = []
    async with watching(sandbox) as watches, receiver(got) as http:
        await _hook(watches)
        await watches.create(Watch("feedy", "feed", WatchFilters(), sinks=("hook",), interval_minutes=1))
        await watches.create(Watch("searchy", "search", WatchFilters(q="python"), interval_minutes=15))
        await watches.check("feedy")
        post_job(sandbox, title="Posted while the runner runs")
        said, _ = await _run(watches, http, Ticks(rounds=3))
    skips = [line for line in said if line.startswith("SKIPPED searchy")]
    assert len(skips) == 1 and "--allow-search" in skips[0]  # loud, and once for as long as the reason stands
    assert [line.split(" at ")[0] for line in said if line.startswith("round ")] == ["round 1", "round 2", "round 3"]
    delivered = [line for line in said if line.startswith("delivered to hook") and "Posted while" in line]
    assert len(delivered) == 1 and re.search(r" \| (APPLY|REVIEW|SKIP) \d+: ", delivered[0])
    assert [j["title"] for m in got for j in m["jobs"]].count("Posted while the runner runs") == 1


async def test_one_broken_and_one_failing_watch_never_stop_the_others(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    got: list[dict[str, Any]] = []
    async with watching(sandbox) as watches, receiver(got) as http:
        await _hook(watches)
        for name in ("good", "failing"):
            await watches.create(Watch(name, "feed", WatchFilters(), sinks=("hook",), interval_minutes=1))
        # A watch stored by an older version, before fields were bounded: a 1 MB skill.
        watches.store.add("huge", {"source": "feed", "filters": {"skills": ["x" * 1_000_000]}})
        await watches.check_many(["good", "failing"])
        post_job(sandbox, title="For the good watch")
        real = Watches.settle

        async def settle(self: Watches, watch: Watch, *args: Any, **kw: Any) -> Any:
            if watch.name == "failing":
                raise RuntimeError("this watch's own trouble")
            return await real(self, watch, *args, **kw)

        monkeypatch.setattr(service.Watches, "settle", settle)
        said, _ = await _run(watches, http, Ticks(rounds=1))
    assert any(line.startswith("SKIPPED huge: watch 'huge' is not valid") for line in said)
    assert any("failing: check failed: RuntimeError: this watch's own trouble" in line for line in said)
    new = [(m["watch"], j["title"]) for m in got for j in m["jobs"] if j["title"] == "For the good watch"]
    assert new == [("good", "For the good watch")]  # the good watch's job, once; the failing one queued nothing


async def test_rounds_keep_within_the_feed_plan(sandbox: Sandbox, tmp_path: Path) -> None:
    settings = "[feed]\nmonthly_requests = 1000\n"  # the entry plan: a round about every 43 minutes
    async with watching(sandbox, settings, tmp_path) as watches, receiver([]) as http:
        await watches.create(Watch("every-minute", "feed", WatchFilters(), interval_minutes=1))
        before = len(sandbox.feed_log)
        said, _ = await _run(watches, http, Ticks(rounds=60, step=60.0))  # an hour of one-minute ticks
    assert len(sandbox.feed_log) - before == 2  # at 0 and at 43 minutes, not 60
    assert sum(line.startswith("feed watches are due; the next feed round waits") for line in said) == 2


async def test_a_used_up_quota_the_feed_reported_holds_the_first_round_until_its_reset(sandbox: Sandbox) -> None:
    async with watching(sandbox) as watches, receiver([]) as http:
        await watches.create(Watch("every-minute", "feed", WatchFilters(), interval_minutes=1))
        reset = time.time() + 30 * 60  # an earlier run (or job_feed_status) saw the quota used up until then
        remember_quota(watches.store, FeedQuota(limit=1000, remaining=0, reset=int(reset), burst=20))
        before = len(sandbox.feed_log)
        said, _ = await _run(watches, http, Ticks(rounds=29, step=60.0))  # 28 minutes: before the reset
        held = len(sandbox.feed_log) - before
        later = Ticks(rounds=1)
        later.offset = 31 * 60.0  # a run started after the reset
        said_after, _ = await _run(watches, http, later)
    assert held == 0 and any(line.startswith("feed watches are due; the next feed round waits") for line in said)
    assert len(sandbox.feed_log) - before == 1 and any(line.startswith("round 1 ") for line in said_after)


@pytest.mark.slow
def test_watch_run_through_a_pipe_prints_each_round_as_it_happens(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["watch", "criteria", "--accept", "--sandbox"]) == 0
    assert main(["watch", "add", "piped", "--sandbox", "--interval", "1"]) == 0
    capsys.readouterr()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UPWORK_", "PYTHONUNBUFFERED"))}
    runner = subprocess.Popen(
        [sys.executable, "-E", "-m", "upwork_mcp.cli", "watch", "run", "--sandbox"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True,
    )  # fmt: skip
    try:
        with anyio.from_thread.start_blocking_portal() as portal:
            lines = portal.call(_read_until_round, runner)
        assert runner.poll() is None  # still running: the line came as it happened, not at exit
        assert lines[0].startswith("watch run:") and lines[-1].startswith("round 1 at ")
    finally:
        runner.terminate()
        runner.wait(10)
        assert runner.stdout is not None
        runner.stdout.close()


async def _read_until_round(process: subprocess.Popen[str]) -> list[str]:
    lines: list[str] = []
    assert process.stdout is not None
    with anyio.fail_after(60):
        while not (lines and lines[-1].startswith("round ")):
            line = await anyio.to_thread.run_sync(process.stdout.readline, abandon_on_cancel=True)
            if not line:
                break
            lines.append(line.rstrip("\n"))
    return lines
