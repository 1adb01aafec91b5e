"""What the engine remembers between calls and processes, behind a small interface it is handed.

Two things live here: which parts of Upwork's API this key (or this user in an organization) may not
read (learned from refusals, kept for a day), and which numeric job id a `~01` ciphertext stands for
(kept at most 24 hours, as Upwork's terms allow). The composition root hands the engine the store;
alone, it remembers in memory.
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


# (None for the key's own, or (user, tenant)), `Type.field` -> why
Known = dict[tuple[tuple[str, str] | None, str], str]


class Capabilities:
    """What this key was refused: whole operations (`Query.vendorContracts`) and fields within them.

    Each refusal is remembered for what Upwork decided on. The key's scopes (Upwork's "doesn't have enough
    oauth2 permissions/scopes", "This APP has no access to requested resource") and its schema (a field
    gone) are the key's: remembered for the key, believed by every user of it. Anything else Upwork refuses
    ("Authorization failed", a bare 403, a field it answers null) may depend on who asks and in which
    organization: remembered for this key, this user (`user`: the team member, or "" for the one login of a
    data dir) and the tenant in use only. A refused tenant is not remembered at all (the executor's job).
    All of a key's refusals live in one namespace, so one read serves every user and tenant.
    """

    def __init__(
        self, memory: Memory, key_id: str, *, user: str = "", clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._memory = memory
        self._namespace = f"capabilities:{key_id}"
        self._user = user
        self._clock = clock
        self._read: tuple[float, Known] | None = None  # (when, what) last read from the memory
        self._changes = 0  # what this process remembered or forgot: a read that overlapped one is not kept

    def _scoped(self, name: str, tenant: str | None) -> str:
        return json.dumps([self._user, tenant or "", name])

    async def refused(self, tenant: str | None = None) -> dict[str, str]:
        """`Type.field` or `parent.field` -> why, for everything refused within the last day to this key, or
        to this user in `tenant` (as read at most REFUSALS_FRESH seconds ago)."""
        scope = (self._user, tenant or "")
        out: dict[str, str] = {}
        for (whose, name), why in (await self._all()).items():
            if whose is None or whose == scope:
                out.setdefault(name, why)
        return out

    async def _all(self) -> Known:
        read = self._read
        if read is not None and self._clock() - read[0] < REFUSALS_FRESH:
            return read[1]
        when, changes = self._clock(), self._changes
        known: Known = {}
        for name, value in (await self._memory.items(self._namespace)).items():
            why = str(json.loads(value).get("why", ""))
            if name.startswith("["):
                user, tenant, field = json.loads(name)
                known[((user, tenant), field)] = why
            else:
                known[(None, name)] = why
        if changes == self._changes:
            self._read = (when, known)
        return known

    async def forget(self, names: list[str], tenant: str | None = None) -> None:
        """A refusal that no longer holds (the key was given the permission): for the key, and for this
        user in `tenant`."""
        keys = [*names, *(self._scoped(n, tenant) for n in names)]
        await self._change(dict.fromkeys(keys, "{}"), 0.0)

    async def clear(self) -> int:
        """Forget every refusal of this key, for every user and tenant (a new login, or the key's permissions
        edited): how many."""
        names = list(await self._memory.items(self._namespace))
        if names:
            await self._change(dict.fromkeys(names, "{}"), 0.0)
        return len(names)

    async def remember(self, names: list[str], why: str, *, tenant: str | None = None, for_key: bool = True) -> None:
        """Remember `names` as refused: for the whole key (`for_key`), or for this user in `tenant` only."""
        payload = json.dumps({"why": why, "at": time.time()})
        keys = names if for_key else [self._scoped(n, tenant) for n in names]
        await self._change(dict.fromkeys(keys, payload), CAPABILITY_TTL)

    async def _change(self, items: dict[str, str], ttl: float) -> None:
        self._changes += 1
        self._read = None
        try:
            await self._memory.put_many(self._namespace, items, ttl)
        finally:
            self._changes += 1
            self._read = None
