"""The store's operations, the same on every backend. Each method is one transaction."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread

from ._db import Database
from .migrations import MIGRATIONS

# Approvals are kept this long after they expire, so a late replay is told "expired", not "unknown".
APPROVAL_KEEP = 86_400.0


@dataclass(frozen=True)
class Approval:
    """One write waiting for, holding or having used its approval."""

    id: str
    kind: str
    digest: str
    payload: str  # JSON of exactly what will be written, for the approval page and the terminal
    mode: str  # "human": a person approves out of band; "token": the token itself is the approval
    state: str  # pending | approved | declined | sending | sent | unknown
    page_key: str
    created: float
    expires: float
    updated: float
    result: str | None = None


class Store:
    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self._clock = clock
        self.migrate()

    def close(self) -> None:
        """Close the database connections this process holds (on shutdown)."""
        self.db.close()

    def migrate(self) -> int:
        """Apply the migrations this database lacks; return the version it is at."""
        with self.db.transaction(lock="migrate") as tx:
            tx.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = tx.one("SELECT MAX(version) AS v FROM schema_version")
            current = int(row["v"]) if row and row["v"] is not None else 0
            for version, _, statements in MIGRATIONS:
                if version <= current:
                    continue
                for statement in statements:
                    tx.execute(self.db.ddl(statement))
                tx.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
                current = version
        return current

    # -- secrets ---------------------------------------------------------------------------------------

    def secret(self, name: str, make: Callable[[], bytes]) -> bytes:
        """The secret `name`, created once (the first writer wins, every process reads the same)."""
        with self.db.transaction(lock=f"secret:{name}") as tx:
            row = tx.one("SELECT value FROM secrets WHERE name = ?", (name,))
            if row is not None:
                return bytes(row["value"])
            value = make()
            tx.execute("INSERT INTO secrets (name, value, created) VALUES (?, ?, ?)", (name, value, self._clock()))
            return value

    # -- approvals -------------------------------------------------------------------------------------

    def add_approval(self, approval: Approval) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM approvals WHERE expires < ?", (self._clock() - APPROVAL_KEEP,))
            tx.execute(
                "INSERT INTO approvals (id, kind, digest, payload, mode, state, page_key, created, expires, updated, "
                "result) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    approval.id,
                    approval.kind,
                    approval.digest,
                    approval.payload,
                    approval.mode,
                    approval.state,
                    approval.page_key,
                    approval.created,
                    approval.expires,
                    approval.updated,
                    approval.result,
                ),
            )

    def approval(self, approval_id: str) -> Approval | None:
        with self.db.transaction() as tx:
            row = tx.one("SELECT * FROM approvals WHERE id = ?", (approval_id,))
        return Approval(**row) if row else None

    def move_approval(
        self, approval_id: str, from_states: Iterable[str], to: str, *, result: str | None = None
    ) -> bool:
        """Compare-and-set the state: True only for the one caller that found it in `from_states`."""
        states = tuple(from_states)
        marks = ", ".join("?" for _ in states)
        with self.db.transaction(lock=f"approval:{approval_id}") as tx:
            changed = tx.execute(
                f"UPDATE approvals SET state = ?, updated = ?, result = COALESCE(?, result) "  # noqa: S608
                f"WHERE id = ? AND state IN ({marks})",
                (to, self._clock(), result, approval_id, *states),
            )
        return changed == 1

    def approvals(self, states: Iterable[str]) -> list[Approval]:
        states = tuple(states)
        marks = ", ".join("?" for _ in states)
        with self.db.transaction() as tx:
            rows = tx.all(
                f"SELECT * FROM approvals WHERE state IN ({marks}) AND expires > ? ORDER BY created",  # noqa: S608
                (*states, self._clock()),
            )
        return [Approval(**row) for row in rows]

    # -- cache -----------------------------------------------------------------------------------------

    def cache_get(self, namespace: str, key: str) -> str | None:
        with self.db.transaction() as tx:
            row = tx.one("SELECT value, expires FROM cache WHERE namespace = ? AND key = ?", (namespace, key))
        if row is None or row["expires"] <= self._clock():
            return None
        return str(row["value"])

    def cache_put(self, namespace: str, key: str, value: str, ttl: float) -> None:
        now = self._clock()
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO cache (namespace, key, value, expires) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, expires = excluded.expires",
                (namespace, key, value, now + ttl),
            )

    def cache_put_many(self, namespace: str, items: dict[str, str], ttl: float) -> None:
        if not items:
            return
        now = self._clock()
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM cache WHERE expires <= ?", (now,))
            for key, value in items.items():
                tx.execute(
                    "INSERT INTO cache (namespace, key, value, expires) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, expires = excluded.expires",
                    (namespace, key, value, now + ttl),
                )

    def cache_items(self, namespace: str) -> dict[str, Any]:
        with self.db.transaction() as tx:
            rows = tx.all(
                "SELECT key, value FROM cache WHERE namespace = ? AND expires > ?", (namespace, self._clock())
            )
        return {row["key"]: row["value"] for row in rows}


class StoreMemory:
    """The engine's `Memory` over the store (every call in a worker thread): shared by all processes.

    What is new is written once: a value this process wrote, unchanged, less than REWRITE_AFTER seconds ago
    is not written again by `put_many` (a search that finds the jobs it found a minute ago writes nothing).
    Its expiry then comes at most that much sooner than the repeated write asked. Writes with a ttl no
    longer than that (forgetting, short-lived values) are always made.
    """

    REWRITE_AFTER = 600.0
    _WRITTEN_MAX = 20_000  # entries remembered; beyond, forgotten at once (the next writes are made again)

    def __init__(self, store: Store, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._clock = clock
        self._written: dict[tuple[str, str], tuple[str, float]] = {}  # (namespace, key) -> (value, expires)

    async def get(self, namespace: str, key: str) -> str | None:
        return await anyio.to_thread.run_sync(self._store.cache_get, namespace, key)

    async def put(self, namespace: str, key: str, value: str, ttl: float) -> None:
        self._written.pop((namespace, key), None)
        await anyio.to_thread.run_sync(self._store.cache_put, namespace, key, value, ttl)

    async def put_many(self, namespace: str, items: dict[str, str], ttl: float) -> None:
        now = self._clock()
        if ttl > self.REWRITE_AFTER:
            lasts = now + ttl - self.REWRITE_AFTER
            items = {
                key: value
                for key, value in items.items()
                if (known := self._written.get((namespace, key))) is None or known[0] != value or known[1] <= lasts
            }
        if not items:
            return
        await anyio.to_thread.run_sync(self._store.cache_put_many, namespace, items, ttl)
        if len(self._written) > self._WRITTEN_MAX:
            self._written.clear()
        for key, value in items.items():
            self._written[(namespace, key)] = (value, now + ttl)

    async def items(self, namespace: str) -> dict[str, str]:
        return await anyio.to_thread.run_sync(self._store.cache_items, namespace)
