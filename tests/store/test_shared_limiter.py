"""The shared rate limit on a fake clock: every request, from whichever process, waits for the slot the one
schedule in the database grants it (no wall clock, so no dependence on how busy the machine is)."""

from __future__ import annotations

import pytest

from upwork_mcp.store import Database, Store
from upwork_mcp.store.team import SharedLimiter, TeamStore

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_two_processes_requests_wait_for_one_schedules_slots(database: Database) -> None:
    clock = Clock()
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(round(seconds, 6))

    # Two limiters on the one database, as two processes sharing an API key have.
    one, two = (SharedLimiter(TeamStore(Store(database, clock=clock)), "upwork:key", 10, sleep=sleep) for _ in "12")
    interval = round(SharedLimiter.MARGIN / 10, 6)
    for limiter in (one, two, one, two, two):  # a burst at one instant
        await limiter.acquire()
    assert waits == [round(interval * k, 6) for k in range(1, 5)]  # the first goes at once, then a slot each
    clock.now += 10  # a quiet spell: the schedule has caught up with the clock
    waits.clear()
    await one.acquire()
    await two.acquire()
    assert waits == [interval]
