"""What the engine remembers between calls and processes, behind a small interface it is handed.

Two things live here: which parts of Upwork's API this key may not read (learned from refusals, kept
for a day), and which numeric job id a `~01` ciphertext stands for (kept at most 24 hours, as
Upwork's terms allow). The composition root hands the engine the store; alone, it remembers in memory.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Protocol

CAPABILITY_TTL = 86_400.0  # a refusal is believed for a day; permissions change when the key is edited
# Every GraphQL call consults the refusals, so they are read from the shared memory at most this often
# (seconds); what this process remembers or forgets counts at once. Another process's news is seen
# within this long: at worst one more request Upwork refuses, or one refusal repeated after a re-probe.
REFUSALS_FRESH = 5.0
CIPHERTEXT_TTL = 86_400.0  # Upwork's terms: API data is cached at most 24 hours


class Memory(Protocol):
    async def get(self, namespace: str, key: str) -> str | None: ...
    async def put(self, namespace: str, key: str, value: str, ttl: float) -> None: ...
    async def put_many(self, namespace: str, items: dict[str, str], ttl: float) -> None: ...
    async def items(self, namespace: str) -> dict[str, str]: ...


class InMemory:
    """The default: this process only."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._data: dict[tuple[str, str], tuple[str, float]] = {}

    async def get(self, namespace: str, key: str) -> str | None:
        found = self._data.get((namespace, key))
        return found[0] if found and found[1] > self._clock() else None

    async def put(self, namespace: str, key: str, value: str, ttl: float) -> None:
        self._data[(namespace, key)] = (value, self._clock() + ttl)

    async def put_many(self, namespace: str, items: dict[str, str], ttl: float) -> None:
        for key, value in items.items():
            await self.put(namespace, key, value, ttl)

    async def items(self, namespace: str) -> dict[str, str]:
        now = self._clock()
        return {k: v for (ns, k), (v, exp) in self._data.items() if ns == namespace and exp > now}


class Capabilities:
    """What this key was refused: whole operations (`Query.vendorContracts`) and fields within them."""

    def __init__(self, memory: Memory, key_id: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._memory = memory
        self._namespace = f"capabilities:{key_id}"
        self._clock = clock
        self._read: tuple[float, dict[str, str]] | None = None  # (when, what) last read from the memory
        self._changes = 0  # what this process remembered or forgot: a read that overlapped one is not kept

    async def refused(self) -> dict[str, str]:
        """`Type.field` or `parent.field` -> why, for everything refused within the last day (as read at
        most REFUSALS_FRESH seconds ago)."""
        read = self._read
        if read is not None and self._clock() - read[0] < REFUSALS_FRESH:
            return dict(read[1])
        when, changes = self._clock(), self._changes
        known = {
            name: json.loads(value).get("why", "")
            for name, value in (await self._memory.items(self._namespace)).items()
        }
        if changes == self._changes:
            self._read = (when, known)
        return dict(known)

    async def forget(self, names: list[str]) -> None:
        """A refusal that no longer holds (the key was given the permission)."""
        await self._change(dict.fromkeys(names, "{}"), 0.0)

    async def clear(self) -> int:
        """Forget every refusal of this key (a new login, or the key's permissions edited): how many."""
        names = list(await self._memory.items(self._namespace))
        if names:
            await self.forget(names)
        return len(names)

    async def remember(self, names: list[str], why: str) -> None:
        payload = json.dumps({"why": why, "at": time.time()})
        await self._change(dict.fromkeys(names, payload), CAPABILITY_TTL)

    async def _change(self, items: dict[str, str], ttl: float) -> None:
        self._changes += 1
        self._read = None
        try:
            await self._memory.put_many(self._namespace, items, ttl)
        finally:
            self._changes += 1
            self._read = None
