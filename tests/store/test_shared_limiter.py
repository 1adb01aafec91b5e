"""The shared rate limit on a fake clock: several processes (each its own connection and Store on one
database) take their requests from one limit, asserted on the times the limiter granted, never on how
arrivals bunch on a busy machine. Upwork counts at most 10 requests in any second and 300 in any minute."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from tests.conftest import FakeClock
from tests.store.test_contract import twin
from upwork_mcp.config import Settings
from upwork_mcp.store import Database, Store
from upwork_mcp.store import rate as rate_module
from upwork_mcp.store.rate import MARGIN, MINUTE, StoreLimiter
from upwork_mcp.world import limiter_for, open_store

pytestmark = pytest.mark.anyio

KEY = "upwork"
INTERVAL = MARGIN / 10


@pytest.fixture
def granted(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The time of every grant, as the store's clock read it when it counted the request as sent."""
    times: list[float] = []
    real = rate_module.grant

    def recording(store: Store, *args: Any) -> tuple[float, float]:
        wait, now = real(store, *args)
        if wait <= 0:
            times.append(now)
        return wait, now

    monkeypatch.setattr(rate_module, "grant", recording)
    return times


Processes = Callable[..., list[StoreLimiter]]


@pytest.fixture
def processes(database: Database, clock: FakeClock) -> Iterator[Processes]:
    """`n` limiters, each on its own connection, as `n` server processes on one data directory have."""
    Store(database)  # the schema
    opened: list[Database] = []

    def make(n: int, sleep: Callable[[float], Awaitable[None]] | None = None) -> list[StoreLimiter]:
        opened.extend(twin(database) for _ in range(n))
        return [StoreLimiter(Store(db, clock=clock), KEY, 10, sleep=sleep or clock.sleep) for db in opened[-n:]]

    yield make
    for db in opened:
        db.close()


def most_in_any(window: float, times: list[float]) -> int:
    ordered = sorted(times)
    return max(bisect.bisect_left(ordered, t + window) - i for i, t in enumerate(ordered))


async def test_three_processes_at_once_send_at_most_ten_in_any_second_between_them(
    processes: Processes, clock: FakeClock, granted: list[float]
) -> None:
    limiters = processes(3)
    # Ninety requests at one instant, thirty from each process, all waiting at once: on this clock each
    # sleeper's wait moves time on for everyone, so most wake late, as requests on a busy machine do.
    async with anyio.create_task_group() as tg:
        for limiter in itertools.islice(itertools.cycle(limiters), 90):
            tg.start_soon(limiter.acquire)
    assert len(granted) == 90
    ordered = sorted(granted)
    assert all(b - a >= INTERVAL - 1e-6 for a, b in itertools.pairwise(ordered))
    assert most_in_any(1.0, granted) <= 10


async def test_a_request_that_wakes_late_does_not_go_beside_the_next(
    processes: Processes, clock: FakeClock, granted: list[float]
) -> None:
    """A late waker asks again when it wakes: it takes the opening then, not the slot it was promised."""

    async def oversleep(seconds: float) -> None:
        await clock.sleep(seconds + 0.09)  # wakes 90 ms late: almost a whole interval

    late, on_time = processes(1, oversleep) + processes(1)
    await on_time.acquire()  # the opening is now one interval away
    async with anyio.create_task_group() as tg:
        tg.start_soon(late.acquire)  # told to wait; wakes late
        await anyio.lowlevel.checkpoint()
        tg.start_soon(on_time.acquire)
    assert len(granted) == 3
    assert all(b - a >= INTERVAL - 1e-6 for a, b in itertools.pairwise(sorted(granted)))


async def test_the_three_hundred_and_first_request_in_a_minute_waits_for_the_first_to_age(
    processes: Processes, clock: FakeClock, granted: list[float]
) -> None:
    limiters = processes(2)
    for limiter in itertools.islice(itertools.cycle(limiters), 320):
        await limiter.acquire()
    assert len(granted) == 320 and most_in_any(60.0, granted) <= 300
    assert granted[300] >= granted[0] + MINUTE  # the 301st waited for the first to leave Upwork's minute
    assert most_in_any(1.0, granted) <= 10


async def test_a_quiet_spell_lets_the_next_request_go_at_once(
    processes: Processes, clock: FakeClock, granted: list[float]
) -> None:
    one, two = processes(2)
    await one.acquire()
    await two.acquire()
    assert clock.sleeps == pytest.approx([INTERVAL])
    clock.now += 120
    clock.sleeps.clear()
    await two.acquire()
    assert clock.sleeps == []


async def test_every_server_process_on_one_data_directory_takes_from_one_limit(
    tmp_path: Path, clock: FakeClock, granted: list[float]
) -> None:
    """As the server and the CLI make their limiter (world.limiter_for), with no setting: one per machine."""
    settings = Settings.from_env({"UPWORK_SANDBOX": "1", "UPWORK_DATA_DIR": str(tmp_path)})
    stores = [open_store(settings) for _ in "123"]  # three processes' stores of one data directory
    limiters = []
    for store in stores:
        store._clock = clock
        limiter = limiter_for(settings, store)
        assert isinstance(limiter, StoreLimiter)
        limiter._sleep = clock.sleep
        limiters.append(limiter)
    try:
        for limiter in limiters * 4:
            await limiter.acquire()
    finally:
        for store in stores:
            store.db.close()
    assert len(granted) == 12 and most_in_any(1.0, granted) <= 10
    assert all(b - a >= INTERVAL - 1e-6 for a, b in itertools.pairwise(granted))


def test_the_minute_keeps_upworks_proportion_to_the_rate(store: Store) -> None:
    """300 a minute at Upwork's 10 a second; a sandbox run at 1,000 a second is not held to Upwork's minute."""
    assert StoreLimiter(store, KEY, 10).per_minute == 300
    assert StoreLimiter(store, KEY, 2.5).per_minute == 75
    assert StoreLimiter(store, KEY, 1000).per_minute == 30_000


async def test_a_clock_set_back_holds_requests_no_longer_than_an_interval(
    processes: Processes, clock: FakeClock, granted: list[float]
) -> None:
    one, two = processes(2)
    for _ in range(5):
        await one.acquire()
    clock.now -= 3_600  # the machine's clock set back an hour
    clock.sleeps.clear()
    await two.acquire()
    await one.acquire()
    assert clock.sleeps == pytest.approx([INTERVAL])  # not an hour
