"""The engine's memory over the store: what is new is written once, and whatever one process writes,
another reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FakeClock
from upwork_mcp.store import SQLiteDatabase, Store, StoreMemory

pytestmark = pytest.mark.anyio
DAY = 86_400.0


class CountedStore(Store):
    def __init__(self, path: Path) -> None:
        super().__init__(SQLiteDatabase(path))
        self.writes = 0

    def cache_put_many(self, namespace: str, items: dict[str, str], ttl: float) -> None:
        self.writes += 1
        super().cache_put_many(namespace, items, ttl)


async def test_a_repeated_search_writes_only_what_is_new(tmp_path: Path, clock: FakeClock) -> None:
    store = CountedStore(tmp_path / "state.sqlite3")
    memory = StoreMemory(store, clock=clock)
    first = {"~011": "1", "~012": "2"}
    await memory.put_many("job-id-by-ciphertext", first, DAY)
    await memory.put_many("job-id-by-ciphertext", first, DAY)  # the same jobs again: nothing to write
    assert store.writes == 1
    await memory.put_many("job-id-by-ciphertext", {**first, "~013": "3"}, DAY)  # one new job
    assert store.writes == 2 and store.cache_items("job-id-by-ciphertext") == {**first, "~013": "3"}
    clock.now += StoreMemory.REWRITE_AFTER  # long enough: written again, its expiry pushed on
    await memory.put_many("job-id-by-ciphertext", first, DAY)
    assert store.writes == 3
    await memory.put("job-id-by-ciphertext", "~011", "changed", DAY)  # a write by the other method counts too
    await memory.put_many("job-id-by-ciphertext", first, DAY)
    assert store.writes == 4 and store.cache_get("job-id-by-ciphertext", "~011") == "1"
    other = StoreMemory(Store(SQLiteDatabase(tmp_path / "state.sqlite3")))  # another process
    assert await other.get("job-id-by-ciphertext", "~013") == "3"


async def test_forgetting_is_always_written_whatever_was_written_before(tmp_path: Path) -> None:
    here, there = (StoreMemory(Store(SQLiteDatabase(tmp_path / "state.sqlite3"))) for _ in "12")
    await here.put_many("capabilities:key", {"Query.offer": "{}"}, 0.0)
    await there.put_many("capabilities:key", {"Query.offer": '{"why": "refused"}'}, DAY)  # another process
    await here.put_many("capabilities:key", {"Query.offer": "{}"}, 0.0)  # forgotten again, after it
    assert await there.items("capabilities:key") == {}
