"""Delivery: a signed webhook gets each new job once; a failing sink is retried and still gets it once;
a crash in the middle of a check loses nothing and doubles nothing; quiet hours hold, digests group; each
sink gets the verdicts it allows (no SKIP by default), with the score and reasons in one line; a hanging or
dripping sink costs one deadline and holds up no other; no sink gets hidden or bidi characters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from tests.serving import serving
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


WANTS = {"skills": ["django", "stripe"], "avoid": ["wordpress"], "rate_floor": 40}


async def test_sinks_get_what_their_verdict_allows_and_no_skip_by_default(sandbox: Sandbox, tmp_path: Path) -> None:
    config = CONFIG + '\n[sinks.everything]\ntype = "slack"\nurl = "http://receiver.test/slack"\nmin_verdict = "SKIP"\n'
    config += '\n[sinks.best]\ntype = "slack"\nurl = "http://receiver.test/slack"\nmin_verdict = "APPLY"\n'
    receiver = Receiver()
    async with watching(sandbox, config, tmp_path, criteria=WANTS) as watches, receiver.client() as http:
        await watches.create(Watch("mine", "feed", feed_watch().filters, sinks=("hook", "everything", "best")))
        await watches.check("mine")
        await Deliverer(OneUser(watches), http).deliver_due()
        receiver.accepted.clear()
        post_job(sandbox, title="Django and Stripe billing", hourly=(60, 90), skills=["Django", "Stripe"])
        post_job(sandbox, title="Fix a WordPress theme", hourly=(60, 90))
        report = await watches.check("mine")
        await Deliverer(OneUser(watches), http).deliver_due()
    verdicts = {f.job.title: f.score.verdict for f in report.found}
    assert verdicts["Fix a WordPress theme"] == "SKIP" and verdicts["Django and Stripe billing"] != "SKIP"
    hooked = [j["title"] for a in receiver.accepted if a["path"] == "/hook" for j in a["jobs"]]
    texts = [a["text"] for a in receiver.accepted if a["path"] == "/slack"]
    assert hooked == ["Django and Stripe billing"]  # APPLY and REVIEW by default: no SKIP is pushed
    assert sum("Fix a WordPress theme | $60-90/hr | SKIP, disqualified: you won't take" in t for t in texts) == 1
    best = verdicts["Django and Stripe billing"] == "APPLY"
    assert sum("Django and Stripe billing" in t for t in texts) == (2 if best else 1)


async def test_a_hanging_and_a_dripping_sink_never_hold_up_the_others(sandbox: Sandbox, tmp_path: Path) -> None:
    state = {"hang": "idle", "hang_calls": 0, "drip_calls": 0}
    good: list[str] = []

    async def good_hook(request: Request) -> JSONResponse:
        good.append(state["hang"])  # what the hanging sink was doing when this one was served
        return JSONResponse({"ok": True})

    async def hang_hook(request: Request) -> JSONResponse:
        state["hang"], state["hang_calls"] = "waiting", state["hang_calls"] + 1
        try:
            await anyio.sleep_forever()
        finally:
            state["hang"] = "done"
        raise AssertionError("never answers")

    async def drip(request: Request) -> StreamingResponse:
        state["drip_calls"] += 1

        async def body() -> Any:
            for _ in range(100):  # one byte every 0.2 s: never slow enough for a read timeout
                yield b"x"
                await anyio.sleep(0.2)

        return StreamingResponse(body(), media_type="text/plain")

    asgi = Starlette(routes=[Route("/good", good_hook, methods=["POST"]), Route("/hang", hang_hook, methods=["POST"])])
    with serving(Starlette(routes=[Route("/drip", drip, methods=["POST"])]), lifespan="off") as base:
        config = "".join(
            f'[sinks.{name}]\ntype = "webhook"\nurl = "{url}"\n'
            for name, url in (("good", "http://receiver.test/good"), ("hang", "http://receiver.test/hang"),
                              ("drip", f"{base}/drip"))
        )  # fmt: skip
        mounts = {"http://receiver.test": httpx.ASGITransport(app=asgi)}
        async with (
            watching(sandbox, config, tmp_path) as watches,
            httpx.AsyncClient(mounts=mounts, timeout=httpx.Timeout(10, connect=5)) as http,
        ):
            sinks = ("hang", "drip", "good")  # the good one last: sent one after another, it would wait
            await watches.create(Watch("w", "feed", feed_watch().filters, sinks=sinks, min_verdict="SKIP"))
            await watches.check("w")  # three jobs for each sink
            with anyio.fail_after(30):
                outcome = await Deliverer(OneUser(watches), http, deadline=3.0).deliver_due()
    assert len(good) == 3 and "done" not in good  # all three served before the hanging sink's deadline
    assert state["hang_calls"] == state["drip_calls"] == 1  # one deadline each per pass, not one per message
    assert (outcome.delivered, outcome.retrying, outcome.deferred) == (3, 2, 4)
    assert sum("no complete answer within 3 s" in line for line in outcome.lines) == 2


HIDDEN = "\u202e\u200b\u2066\U000e0041\U000e0042\ufeff"


async def test_every_sink_gets_text_without_hidden_or_bidi_characters(sandbox: Sandbox, tmp_path: Path) -> None:
    bodies: list[bytes] = []

    async def any_sink(request: Request) -> JSONResponse:
        bodies.append(await request.body() + json.dumps(dict(request.headers)).encode())
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/{path:path}", any_sink, methods=["POST"])])
    kinds = {
        "hook": ("webhook", "url", "http://r.test/hook"),
        "slack": ("slack", "url", "http://r.test/slack"),
        "discord": ("discord", "url", "http://r.test/discord"),
        "ntfy": ("ntfy", "url", "http://r.test/topic"),
    }
    config = "".join(f'[sinks.{n}]\ntype = "{k}"\n{f} = "{u}"\n' for n, (k, f, u) in kinds.items())
    config += '[sinks.tg]\ntype = "telegram"\ntoken = "123:abc"\nchat_id = "42"\napi_url = "http://r.test"\n'
    async with (
        watching(sandbox, config, tmp_path) as watches,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http,
    ):
        sinks = ("hook", "slack", "discord", "ntfy", "tg")
        await watches.create(Watch("w", "feed", feed_watch().filters, sinks=sinks, min_verdict="SKIP"))
        await watches.check("w")
        await Deliverer(OneUser(watches), http).deliver_due()
        bodies.clear()
        post_job(sandbox, title=f"Pay{HIDDEN}ment page @everyone", description=f"Hidden{HIDDEN} text")
        await watches.check("w")
        outcome = await Deliverer(OneUser(watches), http).deliver_due()
    assert outcome.delivered == 5 and len(bodies) == 5
    decoded = [b.decode("unicode_escape", errors="replace") for b in bodies] + [b.decode() for b in bodies]
    assert not [c for text in decoded for c in HIDDEN if c in text]
    assert all(b"Payment page" in b for b in bodies)
    assert any(b'"allowed_mentions":{"parse":[]}' in b.replace(b" ", b"") for b in bodies)  # @everyone pings nobody
