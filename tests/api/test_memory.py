"""The remembered refusals every GraphQL call consults: read from the shared memory at most every
REFUSALS_FRESH seconds, this process's own changes at once, another process's within that bound."""

from __future__ import annotations

import anyio
import pytest

from tests.conftest import FakeClock
from upwork_mcp.api.memory import REFUSALS_FRESH, Capabilities, InMemory

pytestmark = pytest.mark.anyio


class Counted(InMemory):
    """Shared memory (as the store is between processes) that counts reads."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    async def items(self, namespace: str) -> dict[str, str]:
        self.reads += 1
        return await super().items(namespace)


async def test_refusals_are_read_once_per_freshness_window(clock: FakeClock) -> None:
    memory = Counted()
    caps = Capabilities(memory, "key", clock=clock)
    for _ in range(50):
        assert await caps.refused() == {}
    assert memory.reads == 1
    clock.now += REFUSALS_FRESH
    await caps.refused()
    assert memory.reads == 2


async def test_own_changes_count_at_once_and_another_processs_within_the_bound(clock: FakeClock) -> None:
    memory = Counted()
    here, there = Capabilities(memory, "key", clock=clock), Capabilities(memory, "key", clock=clock)
    assert await here.refused() == {} and await there.refused() == {}
    await here.remember(["Query.vendorContracts"], "no contracts permission")
    assert await here.refused() == {"Query.vendorContracts": "no contracts permission"}
    assert await there.refused() == {}  # another process's news: not yet
    clock.now += REFUSALS_FRESH
    assert await there.refused() == {"Query.vendorContracts": "no contracts permission"}
    await there.forget(["Query.vendorContracts"])
    assert await there.refused() == {}
    clock.now += REFUSALS_FRESH
    assert await here.refused() == {}


async def test_a_read_that_overlaps_a_change_is_not_kept(clock: FakeClock) -> None:
    """A read that began before this process remembered a refusal may miss it: it is used, not kept."""
    memory = Counted()
    caps = Capabilities(memory, "key", clock=clock)
    entered, release = anyio.Event(), anyio.Event()
    plain_items = memory.items

    async def slow_items(namespace: str) -> dict[str, str]:
        found = await plain_items(namespace)  # what was there when the read began
        entered.set()
        await release.wait()
        return found

    memory.items = slow_items  # type: ignore[method-assign]
    async with anyio.create_task_group() as tg:
        tg.start_soon(caps.refused)
        await entered.wait()
        memory.items = plain_items  # type: ignore[method-assign]
        await caps.remember(["Query.offer"], "no offers permission")
        release.set()
    assert await caps.refused() == {"Query.offer": "no offers permission"}
