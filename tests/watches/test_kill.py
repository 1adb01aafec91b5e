"""`watch run` killed with SIGKILL and started again (`--once`), as real processes against a real webhook:
every queued job arrives, nothing arrives twice but the one message whose answer the kill cut off (it comes
again with the same delivery id, for the receiver to drop), and a runner started again with nothing new
sends nothing."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from upwork_mcp.cli import main
from upwork_mcp.config import Settings
from upwork_mcp.world import open_store

pytestmark = pytest.mark.slow


class Hook:
    """A webhook on 127.0.0.1 that records (delivery id, job id) on arrival and can hold its answers."""

    def __init__(self) -> None:
        self.got: list[tuple[str, str]] = []
        self.hold = threading.Event()
        self.arrived = threading.Event()
        self.release = threading.Event()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                hook.got += [(body["delivery_id"], job["id"]) for job in body["jobs"]]
                if hook.hold.is_set():
                    hook.arrived.set()
                    hook.release.wait(30)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@contextmanager
def hook() -> Iterator[Hook]:
    h = Hook()
    thread = threading.Thread(target=h.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield h
    finally:
        h.release.set()
        h.server.shutdown()
        h.server.server_close()


def runner(*more: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("UPWORK_")}
    return subprocess.Popen(
        [sys.executable, "-E", "-m", "upwork_mcp.cli", "watch", "run", "--sandbox", *more],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip


def _sql(statement: str) -> None:
    store = open_store(Settings.from_env({"UPWORK_SANDBOX": "1"}))
    with store.db.transaction() as tx:
        tx.execute(statement)
    store.close()


def test_a_runner_killed_and_started_again_sends_each_job_once(capsys: pytest.CaptureFixture[str]) -> None:
    with hook() as h:
        assert main(["watch", "criteria", "--accept", "--sandbox"]) == 0
        assert main(["sink", "add", "hook", h.url, "--sandbox"]) == 0
        assert (
            main(["watch", "add", "k", "--interval", "1", "--sink", "hook", "--min-verdict", "SKIP", "--sandbox"]) == 0
        )
        capsys.readouterr()
        assert main(["watch", "check", "k", "--sandbox"]) == 0  # the first check queues the newest few
        seeded = int(re.search(r"^k: (\d+) new", capsys.readouterr().out, re.M)[1])  # type: ignore[index]
        h.hold.set()  # the first message's answer never comes: the kill lands while it is in flight
        first = runner()
        try:
            assert h.arrived.wait(60), "the runner sent nothing"
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        h.hold.clear()
        h.release.set()
        in_flight = h.got[0]
        assert main(["sandbox", "post-job", "--count", "3"]) == 0
        # What 120 s do for a dead runner's leases, and the watch's next minute: without waiting for them.
        _sql("UPDATE outbox SET lease = 0")
        _sql("UPDATE watches SET checked = 0")
        # The restart, once: its round claims the new jobs, its pass sends what is queued, then it ends.
        assert runner("--once").wait(120) == 0
        before_third = len(h.got)
        _sql("UPDATE outbox SET lease = 0")  # any lease a runner holds runs out
        _sql("UPDATE watches SET checked = 0")  # due at once: a check that finds nothing new
        assert runner("--once").wait(120) == 0
    jobs = {job for _, job in h.got}
    assert len(jobs) == seeded + 3 and seeded >= 1
    repeated = [pair for pair in set(h.got) if h.got.count(pair) > 1]
    assert repeated in ([], [in_flight])  # only the message in flight at the kill, and under its own id
    assert len({delivery for delivery, _ in h.got}) == len(jobs)  # one delivery id per job: never two messages
    assert len(h.got) == before_third  # a runner started again with nothing new sent nothing
