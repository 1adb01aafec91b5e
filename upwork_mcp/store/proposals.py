"""Proposals' local state, per user (their Upwork user id): the jobs they applied to through this server, and
what they last saw of each proposal (for `check_proposals`).

One application per job: a submission claims its job first (compare-and-set in one transaction), so two
approved submissions to one job, in any processes, send one proposal. A claim is settled as sent, unknown
(the answer was lost: never sent again) or refused (Upwork made nothing: the job may be claimed again). An
unknown one is settled later by what Upwork shows: sent when a proposal for the job appears, refused when
none has appeared well after the attempt.

What a proposal looked like is advanced by compare-and-set too: two checks that see the same change both
try to move the record from the old look to the new, and only one of them reports it. A user's first check
records what is there without reporting it (their whole history is not news).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import anyio.to_thread

from .core import Store
from .watches import Queued, enqueue

Settled = Literal["sent", "unknown", "refused"]


@dataclass(frozen=True)
class ApplicationRow:
    job_id: str
    state: str  # sending | sent | unknown | refused | absent (unknown, and Upwork made none)
    proposal_id: str | None
    created: float
    updated: float = 0.0  # the last attempt (or settling)


class ProposalLedger:
    """`owner`: the Upwork user; `view`: the organization their proposals were read as (None: their default),
    kept as a record of its own (what one organization shows is not news against another's)."""

    def __init__(self, store: Store, owner: str, *, view: str | None = None) -> None:
        self.store = store
        self.db = store.db
        self.owner = owner
        self._looks = owner if view is None else f"{owner}|{view}"
        self._clock = store._clock

    # -- applications ----------------------------------------------------------------------------------

    def claim(self, job_id: str) -> ApplicationRow | None:
        """Claim `job_id` for one submission: None when this caller may send, else the earlier application."""
        now = self._clock()
        with self.db.transaction(lock=f"apply:{self.owner}:{job_id}") as tx:
            row = tx.one("SELECT * FROM applications WHERE owner = ? AND job_id = ?", (self.owner, job_id))
            if row is not None and row["state"] not in ("refused", "absent"):
                return _application(row)
            if row is None:
                tx.execute(
                    "INSERT INTO applications (owner, job_id, state, created, updated) VALUES (?, ?, 'sending', ?, ?)",
                    (self.owner, job_id, now, now),
                )
            else:
                moved = tx.execute(
                    "UPDATE applications SET state = 'sending', updated = ? WHERE owner = ? AND job_id = ? "
                    "AND state IN ('refused', 'absent')",
                    (now, self.owner, job_id),
                )
                if moved != 1:
                    return ApplicationRow(job_id, "sending", None, now)
        return None

    def settle(self, job_id: str, state: Settled, proposal_id: str | None = None) -> None:
        with self.db.transaction(lock=f"apply:{self.owner}:{job_id}") as tx:
            tx.execute(
                "UPDATE applications SET state = ?, proposal_id = COALESCE(?, proposal_id), updated = ? "
                "WHERE owner = ? AND job_id = ?",
                (state, proposal_id, self._clock(), self.owner, job_id),
            )

    def application(self, job_id: str) -> ApplicationRow | None:
        with self.db.transaction() as tx:
            row = tx.one("SELECT * FROM applications WHERE owner = ? AND job_id = ?", (self.owner, job_id))
        return _application(row) if row else None

    def sent(self) -> set[str]:
        """The jobs this user applied to through this server (Upwork took the proposal)."""
        with self.db.transaction() as tx:
            rows = tx.all("SELECT job_id FROM applications WHERE owner = ? AND state = 'sent'", (self.owner,))
        return {r["job_id"] for r in rows}

    def unknown(self) -> set[str]:
        """The jobs whose submission has an unknown outcome (the answer was lost)."""
        with self.db.transaction() as tx:
            rows = tx.all("SELECT job_id FROM applications WHERE owner = ? AND state = 'unknown'", (self.owner,))
        return {r["job_id"] for r in rows}

    def found(self, job_id: str, proposal_id: str) -> bool:
        """Upwork shows `proposal_id` for a job whose submission had an unknown outcome: it arrived. True when
        this call settled it."""
        with self.db.transaction(lock=f"apply:{self.owner}:{job_id}") as tx:
            moved = tx.execute(
                "UPDATE applications SET state = 'sent', proposal_id = ?, updated = ? WHERE owner = ? AND job_id = ? "
                "AND state = 'unknown'",
                (proposal_id, self._clock(), self.owner, job_id),
            )
        return moved == 1

    def absent(self, job_id: str, before: float) -> bool:
        """Upwork shows no proposal for a job whose submission had an unknown outcome, and the attempt was before
        `before`: Upwork made none, so the job may be applied to again (with a new approval). True when this
        call settled it."""
        with self.db.transaction(lock=f"apply:{self.owner}:{job_id}") as tx:
            moved = tx.execute(
                "UPDATE applications SET state = 'absent', updated = ? WHERE owner = ? AND job_id = ? "
                "AND state = 'unknown' AND updated < ?",
                (self._clock(), self.owner, job_id, before),
            )
        return moved == 1

    # -- what each proposal last looked like -----------------------------------------------------------

    def seen(self) -> dict[str, dict[str, Any]]:
        with self.db.transaction() as tx:
            rows = tx.all("SELECT proposal_id, seen FROM proposal_seen WHERE owner = ?", (self._looks,))
        return {r["proposal_id"]: json.loads(r["seen"]) for r in rows}

    def first_checked(self) -> float | None:
        """When the user's first check recorded their proposals (None: never checked)."""
        with self.db.transaction() as tx:
            row = tx.one("SELECT first FROM proposal_checks WHERE owner = ?", (self._looks,))
        return float(row["first"]) if row else None

    def first_look(self, looks: dict[str, dict[str, Any]]) -> bool:
        """On the user's first check, record every look and return True; False when they were checked before."""
        now = self._clock()
        with self.db.transaction(lock=f"proposals:{self._looks}") as tx:
            if tx.one("SELECT owner FROM proposal_checks WHERE owner = ?", (self._looks,)) is not None:
                return False
            tx.execute("INSERT INTO proposal_checks (owner, first, last) VALUES (?, ?, ?)", (self._looks, now, now))
            for proposal_id, look in looks.items():
                tx.execute(
                    "INSERT INTO proposal_seen (owner, proposal_id, seen, updated) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (owner, proposal_id) DO NOTHING",
                    (self._looks, proposal_id, _text(look), now),
                )
        return True

    def advance(
        self, proposal_id: str, before: dict[str, Any] | None, after: dict[str, Any], queue: Sequence[Queued] = ()
    ) -> set[str] | None:
        """Move a proposal's record from `before` (None: never seen) to `after`: None unless this caller did (then
        the sinks it queued for). `queue`: messages for the sinks of the user's proposals watches, queued only
        by that caller, in the same transaction (a crash leaves the change unreported and unqueued, or both)."""
        now = self._clock()
        with self.db.transaction(lock=f"proposal:{self._looks}:{proposal_id}") as tx:
            if before is None:
                changed = tx.execute(
                    "INSERT INTO proposal_seen (owner, proposal_id, seen, updated) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (owner, proposal_id) DO NOTHING",
                    (self._looks, proposal_id, _text(after), now),
                )
            else:
                changed = tx.execute(
                    "UPDATE proposal_seen SET seen = ?, updated = ? WHERE owner = ? AND proposal_id = ? AND seen = ?",
                    (_text(after), now, self._looks, proposal_id, _text(before)),
                )
            tx.execute("UPDATE proposal_checks SET last = ? WHERE owner = ?", (now, self._looks))
            if changed != 1:
                return None
            queued = set()
            for item in queue:
                if _follows(tx, item.watch):
                    enqueue(tx, item, now)
                    queued.add(item.sink)
        return queued


def _follows(tx: Any, watch: str) -> bool:
    """Whether `watch` (as stored) is, now, a proposals watch past its first check (a watch deleted or
    replaced since its routes were read gets nothing; a new one starts from what is there)."""
    row = tx.one("SELECT spec, seeded FROM watches WHERE name = ?", (watch,))
    return row is not None and bool(row["seeded"]) and json.loads(row["spec"]).get("source") == "proposals"


def _application(row: Any) -> ApplicationRow:
    return ApplicationRow(row["job_id"], row["state"], row["proposal_id"], row["created"], row["updated"])


def _text(look: dict[str, Any]) -> str:
    return json.dumps(look, sort_keys=True, separators=(",", ":"))


class AsyncProposalLedger:
    """The same, for async callers: every store call runs in a worker thread."""

    def __init__(self, inner: ProposalLedger) -> None:
        self.inner = inner

    async def claim(self, job_id: str) -> ApplicationRow | None:
        return await anyio.to_thread.run_sync(self.inner.claim, job_id)

    async def settle(self, job_id: str, state: Settled, proposal_id: str | None = None) -> None:
        await anyio.to_thread.run_sync(self.inner.settle, job_id, state, proposal_id)

    async def application(self, job_id: str) -> ApplicationRow | None:
        return await anyio.to_thread.run_sync(self.inner.application, job_id)

    async def sent(self) -> set[str]:
        return await anyio.to_thread.run_sync(self.inner.sent)

    async def unknown(self) -> set[str]:
        return await anyio.to_thread.run_sync(self.inner.unknown)

    async def found(self, job_id: str, proposal_id: str) -> bool:
        return await anyio.to_thread.run_sync(self.inner.found, job_id, proposal_id)

    async def absent(self, job_id: str, before: float) -> bool:
        return await anyio.to_thread.run_sync(self.inner.absent, job_id, before)

    async def seen(self) -> dict[str, dict[str, Any]]:
        return await anyio.to_thread.run_sync(self.inner.seen)

    async def first_checked(self) -> float | None:
        return await anyio.to_thread.run_sync(self.inner.first_checked)

    async def first_look(self, looks: dict[str, dict[str, Any]]) -> bool:
        return await anyio.to_thread.run_sync(self.inner.first_look, looks)

    async def advance(
        self, proposal_id: str, before: dict[str, Any] | None, after: dict[str, Any], queue: Sequence[Queued] = ()
    ) -> set[str] | None:
        return await anyio.to_thread.run_sync(self.inner.advance, proposal_id, before, after, queue)
