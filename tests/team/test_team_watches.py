"""Watches in a team deployment, on a real PostgreSQL: one `watch run` checks every user's watches (their
feed watches together in one feed request, their search watches with their own login), each user's jobs
go to that user's own sinks, once; neither user sees, checks nor receives the other's; and two runners on
one database, held at the same moment, deliver every job once; `watch list` shows every user's watches."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from upwork_mcp.auth.tokens import TokenSet
from upwork_mcp.cli import main
from upwork_mcp.config import Settings
from upwork_mcp.errors import InvalidInputError
from upwork_mcp.sandbox import Sandbox, create_app
from upwork_mcp.sandbox.posting import post_job
from upwork_mcp.store.sealing import Sealer
from upwork_mcp.store.sinks import StoredSink
from upwork_mcp.store.team import TeamStore
from upwork_mcp.store.tokens import DatabaseTokenStore
from upwork_mcp.watches.criteria import starting_point
from upwork_mcp.watches.delivery import Deliverer
from upwork_mcp.watches.filters import WatchFilters
from upwork_mcp.watches.runner import run
from upwork_mcp.watches.service import Watch
from upwork_mcp.watches.sinks import parse_sink
from upwork_mcp.world import Engine, world_for

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
KEY = "b4SMb0t71PLpz3u5RcgY0VYEn6HC5A4SXfuvA5edSD4="
ALICE, BOB = "upwork:1001", "upwork:1002"


class Held(httpx.AsyncBaseTransport):
    """The sandbox, with feed requests held until `parties` of them have arrived (when armed)."""

    def __init__(self, app: Any, gate: dict[str, Any]) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.gate = gate

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/jobs" and self.gate.get("armed"):
            self.gate["arrived"] += 1
            if self.gate["arrived"] >= self.gate["parties"]:
                self.gate["open"].set()
            with anyio.fail_after(20):
                await self.gate["open"].wait()
        return await self.inner.handle_async_request(request)


@asynccontextmanager
async def team_engine(url: str, sandbox: Sandbox, data: Path, gate: dict[str, Any]) -> AsyncIterator[Engine]:
    env = {
        "UPWORK_SANDBOX": "1",
        "UPWORK_DATABASE_URL": url,
        "UPWORK_ENCRYPTION_KEY": KEY,
        "UPWORK_RATE_LIMIT": "1000",
        "UPWORK_MAX_RETRIES": "0",
        "UPWORK_DATA_DIR": str(data),
    }
    engine = Engine(world_for(Settings.from_env(env), transport=Held(create_app(sandbox), gate)))
    try:
        yield engine
    finally:
        await engine.aclose()
        engine.store.db.close()  # type: ignore[attr-defined]


def receivers(got: dict[str, list[dict[str, Any]]]) -> httpx.AsyncClient:
    async def hook(request: Request) -> JSONResponse:
        got.setdefault(request.url.path.strip("/"), []).append(json.loads(await request.body()))
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/{who}", hook, methods=["POST"])])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app))


async def _user(engine: Engine, owner: str, path: str, feed: WatchFilters) -> None:
    watches = engine.watches(owner)
    await watches.set_criteria(starting_point(), "the starting point (accepted in a test)")
    for name, where in (("phone", path), (f"only-{path}", path)):
        sink = parse_sink(name, f"http://receiver.test/{where}", min_verdict="SKIP")
        assert watches.sink_store is not None
        watches.sink_store.add(StoredSink(sink.name, sink.type, sink.settings, sink.shown(), sink.options()))
    await watches.create(Watch("jobs", "feed", feed, sinks=("phone",), interval_minutes=1))
    await watches.create(Watch("search", "search", WatchFilters(q="api"), interval_minutes=15))


def _login(engine: Engine, sandbox: Sandbox, owner: str) -> None:
    issued = sandbox.issue_tokens()
    store = DatabaseTokenStore(TeamStore(engine.store), Sealer(KEY), owner)
    store.save(
        TokenSet(
            access_token=SecretStr(issued["access_token"]),
            refresh_token=SecretStr(issued["refresh_token"]),
            expires_at=time.time() + 3600,
        )
    )


def _titles(got: dict[str, list[dict[str, Any]]], who: str) -> list[str]:
    return [j["title"] for message in got.get(who, []) for j in message["jobs"]]


async def test_one_runner_checks_every_users_watches_and_keeps_each_users_own(
    postgres_url: str, sandbox: Sandbox, tmp_path: Path
) -> None:
    gate: dict[str, Any] = {}
    got: dict[str, list[dict[str, Any]]] = {}
    async with team_engine(postgres_url, sandbox, tmp_path, gate) as engine, receivers(got) as http:
        await _user(engine, ALICE, "alice", WatchFilters(q="python"))
        await _user(engine, BOB, "bob", WatchFilters(job_type="fixed"))
        _login(engine, sandbox, ALICE)  # Bob has not logged in to Upwork: his search watch cannot run
        deliverer = Deliverer(engine, http)
        said: list[str] = []
        await run(engine, deliverer, once=True, allow_search=True, say=said.append)  # seeds both
        got.clear()
        post_job(sandbox, title="Python scraper", hourly=(30, 50))
        post_job(sandbox, title="Logo for a bakery", budget=400)
        post_job(sandbox, title="Python invoice tool", budget=900)
        with engine.store.db.transaction() as tx:
            tx.execute("UPDATE watches SET checked = 0")
        before = len(sandbox.feed_log)
        said.clear()
        await run(engine, deliverer, once=True, allow_search=True, say=said.append)
        feed_requests = len(sandbox.feed_log) - before
        alice, bob = engine.watches(ALICE), engine.watches(BOB)
        alice_names = sorted(w.name for w, _ in await alice.all())
        bob_sinks = sorted(s.name for s in await bob.sinks())
        with pytest.raises(InvalidInputError, match="No sink 'only-bob'"):
            await alice.create(Watch("peek", "feed", WatchFilters(), sinks=("only-bob",)))
        leased = alice.store.lease(mine=True)
        owners = engine.owners()
    assert owners == [ALICE, BOB] and feed_requests == 1  # both users' feed watches in one request
    assert sorted(_titles(got, "alice")) == ["Python invoice tool", "Python scraper"]
    assert sorted(_titles(got, "bob")) == ["Logo for a bakery", "Python invoice tool"]  # each to its own, once
    assert alice_names == ["jobs", "search"] and bob_sinks == ["only-bob", "phone"]
    assert not [d for d in leased if not d.watch.startswith(f"{ALICE}/")]
    mine = [line for line in said if f"{ALICE}/search: " in line]
    assert mine and not [line for line in mine if "check failed" in line]  # her search ran with her login
    assert any(f"{BOB}/search: check failed" in line for line in said)  # his login, not Alice's or the operator's


async def test_two_runners_on_one_database_deliver_each_job_once(
    postgres_url: str, sandbox: Sandbox, tmp_path: Path
) -> None:
    gate: dict[str, Any] = {"arrived": 0, "parties": 2, "open": anyio.Event()}
    got: dict[str, list[dict[str, Any]]] = {}
    async with (
        team_engine(postgres_url, sandbox, tmp_path / "one", gate) as one,
        team_engine(postgres_url, sandbox, tmp_path / "two", gate) as two,
        receivers(got) as http,
    ):
        await _user(one, ALICE, "alice", WatchFilters())
        await _user(one, BOB, "bob", WatchFilters(job_type="fixed"))
        await run(one, Deliverer(one, http), once=True, say=lambda _: None)  # seeds
        got.clear()
        posted = [post_job(sandbox, title=f"Fixed job {i}", budget=500 + i)["id"] for i in range(6)]
        with one.store.db.transaction() as tx:
            tx.execute("UPDATE watches SET checked = 0")
        gate["armed"] = True  # both runners' feed requests wait for each other: they check at the same moment
        async with anyio.create_task_group() as tg:
            for engine in (one, two):
                tg.start_soon(lambda e=engine: run(e, Deliverer(e, http), once=True, say=lambda _: None))
    for who in ("alice", "bob"):
        ids = [j["id"] for message in got.get(who, []) for j in message["jobs"]]
        assert sorted(ids) == sorted(f"upwork-{i}" for i in posted), who  # every job, once, whichever runner
    assert gate["arrived"] == 2


async def test_watch_list_shows_every_users_watches(
    postgres_url: str,
    sandbox: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with team_engine(postgres_url, sandbox, tmp_path, {}) as engine:
        await _user(engine, ALICE, "alice", WatchFilters(q="python"))
        await _user(engine, BOB, "bob", WatchFilters(job_type="fixed"))
    for name, value in {"UPWORK_SANDBOX": "1", "UPWORK_DATABASE_URL": postgres_url, "UPWORK_ENCRYPTION_KEY": KEY,
                        "UPWORK_DATA_DIR": str(tmp_path)}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    assert await anyio.to_thread.run_sync(main, ["watch", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert sorted(line.split(": ")[0] for line in listed if line.startswith("upwork:")) == [
        f"{who}/{name}" for who in (ALICE, BOB) for name in ("jobs", "search")
    ]
    assert listed[-1].startswith("4 watches")
