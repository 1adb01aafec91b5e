"""Delivery: a signed webhook gets each new job once; a failing sink is retried and still gets it once;
a crash in the middle of a check loses nothing and doubles nothing; quiet hours hold, digests group."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.watches.helpers import feed_watch, watching
from upwork_mcp.errors import UpworkError
from upwork_mcp.sandbox import Sandbox
from upwork_mcp.sandbox.posting import post_job
from upwork_mcp.watches import delivery
from upwork_mcp.watches.delivery import Deliverer, signature
from upwork_mcp.watches.runner import OneUser, run
from upwork_mcp.watches.service import Watch

pytestmark = pytest.mark.anyio
SECRET = "test-signing-key-41f"
CONFIG = f"""
[sinks.hook]
type = "webhook"
url = "http://receiver.test/hook"
secret = "{SECRET}"

[sinks.chat]
type = "slack"
url = "http://receiver.test/slack"
"""


class Receiver:
    """A webhook receiver that checks signatures and can fail its first answers."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.accepted: list[dict[str, Any]] = []
        self.refused = 0
        self.bad_signatures = 0

    def app(self) -> Starlette:
        async def hook(request: Request) -> JSONResponse:
            body = await request.body()
            if request.url.path == "/hook" and request.headers.get(delivery.SIGNATURE_HEADER) != signature(
                SECRET, body
            ):
                self.bad_signatures += 1
                return JSONResponse({"error": "bad signature"}, status_code=401)
            if self.fail_first > 0:
                self.fail_first -= 1
                self.refused += 1
                return JSONResponse({"error": "down"}, status_code=503)
            self.accepted.append(
                {"path": request.url.path, "id": request.headers[delivery.DELIVERY_HEADER], **json.loads(body)}
            )
            return JSONResponse({"ok": True})

        return Starlette(routes=[Route("/hook", hook, methods=["POST"]), Route("/slack", hook, methods=["POST"])])

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app()))


async def test_a_signed_webhook_gets_each_new_job_once(sandbox: Sandbox, tmp_path: Path) -> None:
    receiver = Receiver()
    async with watching(sandbox, CONFIG, tmp_path) as watches, receiver.client() as http:
        await watches.create(Watch("hooked", "feed", feed_watch().filters, sinks=("hook",), min_verdict="SKIP"))
        deliverer = Deliverer(OneUser(watches), http)
        await run(watches, deliverer, once=True, say=lambda _: None)  # the first check: the newest three
        post_job(sandbox, title="A brand new job")
        await _due_again(watches)
        await run(watches, deliverer, once=True, say=lambda _: None)
        await run(watches, deliverer, once=True, say=lambda _: None)
    hooks = [a for a in receiver.accepted if a["path"] == "/hook"]
    titles = [job["title"] for a in hooks for job in a["jobs"]]
    assert receiver.bad_signatures == 0 and len(titles) == len(set(titles)) == 4 and "A brand new job" in titles
    assert len({a["id"] for a in hooks}) == len(hooks)  # a distinct delivery id each, for the receiver to dedupe
    assert all(job["verdict"] in ("APPLY", "REVIEW", "SKIP") and job["reasons"] for a in hooks for job in a["jobs"])
    lines = [(job["line"], f"{job['verdict']} {job['score']}: {job['reasons'][0]}") for a in hooks for job in a["jobs"]]
    assert all(said in line for line, said in lines)  # each with its score and top reason, in one line


async def _due_again(watches: Any) -> None:
    """Make every watch due now (as if its interval had passed)."""
    with watches.store.db.transaction() as tx:
        tx.execute("UPDATE watches SET checked = 0")


async def test_a_sink_that_fails_twice_then_accepts_gets_the_job_once(sandbox: Sandbox, tmp_path: Path) -> None:
    receiver = Receiver(fail_first=2)
    now = [1_800_000_000.0]
    async with watching(sandbox, CONFIG, tmp_path) as watches, receiver.client() as http:
        await watches.create(Watch("flaky", "feed", feed_watch().filters, sinks=("chat",), min_verdict="SKIP"))
        await watches.check("flaky")  # seeds: three jobs queued
        deliverer = Deliverer(OneUser(watches), http, clock=lambda: now[0])
        watches.store._clock = lambda: now[0]
        outcomes = []
        for _ in range(6):
            outcomes.append(await deliverer.deliver_due())
            now[0] += 600  # past the backoff
    assert receiver.refused == 2
    ids = [a["id"] for a in receiver.accepted]
    assert len(ids) == len(set(ids)) == 3  # each of the three jobs once, none twice
    assert sum(o.delivered for o in outcomes) == 3 and sum(o.retrying for o in outcomes) == 2


async def test_a_crash_in_the_middle_of_a_check_loses_nothing_and_doubles_nothing(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import upwork_mcp.store.watches as store_module

    async with watching(sandbox, CONFIG, tmp_path) as watches:
        await watches.create(Watch("crashy", "feed", feed_watch().filters, sinks=("hook",), min_verdict="SKIP"))
        await watches.check("crashy")
        post_job(sandbox, title="Posted before the crash")
        real = store_module._delivery_payload

        def crash(item: Any) -> str:
            raise RuntimeError("the process died here")

        monkeypatch.setattr(store_module, "_delivery_payload", crash)
        with pytest.raises(UpworkError, match="the process died here"):
            await watches.check("crashy")
        monkeypatch.setattr(store_module, "_delivery_payload", real)
        after = await watches.check("crashy")
        again = await watches.check("crashy")
    assert [f.job.title for f in after.found] == ["Posted before the crash"] and not again.found
    assert watches.store.pending() == 3 + 1  # the seeding three and the new one, each queued once


async def test_quiet_hours_hold_deliveries_and_a_digest_sends_one_message(sandbox: Sandbox, tmp_path: Path) -> None:
    config = CONFIG + '\n[delivery]\nquiet_hours = "00:00-23:59"\ntimezone = "UTC"\n'
    receiver = Receiver()
    async with watching(sandbox, config, tmp_path) as watches, receiver.client() as http:
        await watches.create(Watch("night", "feed", feed_watch().filters, sinks=("hook",), min_verdict="SKIP"))
        await watches.check("night")
        held = await Deliverer(OneUser(watches), http).deliver_due()
    assert held.held == 3 and not receiver.accepted
    digest = CONFIG.replace('secret = "', 'digest = true\nsecret = "', 1)
    async with watching(sandbox, digest, tmp_path) as watches, receiver.client() as http:
        await watches.create(Watch("daily", "feed", feed_watch().filters, sinks=("hook",), min_verdict="SKIP"))
        await watches.check("daily")
        sent = await Deliverer(OneUser(watches), http).deliver_due()
    assert sent.delivered == 3 and len(receiver.accepted) == 1 and len(receiver.accepted[0]["jobs"]) == 3
