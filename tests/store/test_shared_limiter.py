"""The shared rate limit on a fake clock: every request, from whichever process, waits for the slot the one
schedule in the database grants it (no wall clock, so no dependence on how busy the machine is)."""

from __future__ import annotations

import pytest

from tests.conftest import FakeClock
from upwork_mcp.store import Database, Store
from upwork_mcp.store.team import SharedLimiter, TeamStore

pytestmark = pytest.mark.anyio


async def test_two_processes_requests_wait_for_one_schedules_slots(database: Database, clock: FakeClock) -> None:
    # Two limiters on the one database, as two processes sharing an API key have.
    teams = [TeamStore(Store(database, clock=clock)) for _ in "12"]
    one, two = (SharedLimiter(team, "upwork:key", 10, sleep=clock.sleep) for team in teams)
    interval = SharedLimiter.MARGIN / 10
    for limiter in (one, two, one, two, two):  # a burst at one instant
        await limiter.acquire()
    assert clock.sleeps == pytest.approx([interval] * 4)  # the first goes at once, then each waits for its slot
    clock.now += 10  # a quiet spell: the schedule has caught up with the clock
    clock.sleeps.clear()
    await one.acquire()
    await two.acquire()
    assert clock.sleeps == pytest.approx([interval])
