"""The watches' state: their definitions, what each reported, the latest results, the outbox, budgets.

Exactly once: a check's new jobs are claimed, marked seen and queued for every sink of the watch in one
transaction, so two runners checking at once split the jobs between them (each job to one of them) and
a crash leaves either nothing claimed or everything queued. A queued delivery is leased to one sender
at a time and marked delivered only after its sink accepted it.

Upwork's data (job payloads) is kept at most 24 hours. The ids a watch reported are kept as long; older
jobs are told apart by the watch's high-water mark (the newest posting time it has seen), which is ours.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .core import Store

KEEP = 86_400.0  # Upwork's terms: API data is cached at most 24 hours
SEED_REPORT = 3  # a watch's first check reports its newest few and marks the rest seen


@dataclass(frozen=True)
class WatchRow:
    name: str
    spec: dict[str, Any]
    created: float
    updated: float
    checked: float | None
    watermark: str | None
    seeded: bool


@dataclass(frozen=True)
class Candidate:
    job_id: str
    fingerprint: str
    posted: str | None
    payload: str  # the job as JSON (a Listing)
    score: str | None = None  # its score as JSON, made once: what every sink and the tool show
    sinks: tuple[str, ...] = ()  # the sinks it goes to if this caller reports it (by its verdict)


@dataclass(frozen=True)
class Claimed:
    job_id: str
    payload: str
    previous: str | None  # the fingerprint it was reported with before: a change, or None for a new job
    score: str | None = None


@dataclass(frozen=True)
class Queued:
    """A message for one sink, queued in the transaction that decided it is news (the watch as stored)."""

    key: str  # the delivery id: one message per key, ever
    watch: str
    sink: str
    payload: str


def enqueue(tx: Any, item: Queued, now: float) -> None:
    """Queue `item` in the open transaction `tx`; a key queued before is not queued again."""
    tx.execute(
        "INSERT INTO outbox (key, watch, sink, payload, state, attempts, next_attempt, lease, created) "
        "VALUES (?, ?, ?, ?, 'pending', 0, ?, 0, ?) ON CONFLICT (key) DO NOTHING",
        (item.key, item.watch, item.sink, item.payload, now, now),
    )


@dataclass(frozen=True)
class Delivery:
    key: str
    watch: str
    sink: str
    payload: str
    attempts: int


class WatchStore:
    """`owner` scopes the watches to one user of a team deployment (their names are stored as owner/name)."""

    def __init__(self, store: Store, *, owner: str | None = None) -> None:
        self.store = store
        self.db = store.db
        self._clock = store._clock
        self.owner = owner
        self._prefix = f"{owner}/" if owner else ""

    def _n(self, name: str) -> str:
        return self._prefix + name

    # -- definitions -----------------------------------------------------------------------------------

    def add(self, name: str, spec: dict[str, Any], *, replace: bool = False) -> bool:
        """Save a watch; False when `name` exists and `replace` is not set."""
        name = self._n(name)
        now = self._clock()
        with self.db.transaction(lock=f"watch:{name}") as tx:
            exists = tx.one("SELECT name FROM watches WHERE name = ?", (name,))
            if exists and not replace:
                return False
            if exists:
                tx.execute("UPDATE watches SET spec = ?, updated = ? WHERE name = ?", (json.dumps(spec), now, name))
            else:
                tx.execute(
                    "INSERT INTO watches (name, spec, created, updated, seeded) VALUES (?, ?, ?, ?, 0)",
                    (name, json.dumps(spec), now, now),
                )
        return True

    def get(self, name: str) -> WatchRow | None:
        with self.db.transaction() as tx:
            row = tx.one("SELECT * FROM watches WHERE name = ?", (self._n(name),))
        return _watch({**row, "name": name}) if row else None

    def all(self) -> list[WatchRow]:
        with self.db.transaction() as tx:
            rows = tx.all("SELECT * FROM watches ORDER BY name")
        mine = [r for r in rows if r["name"].startswith(self._prefix) and "/" not in r["name"][len(self._prefix) :]]
        return [_watch({**r, "name": r["name"][len(self._prefix) :]}) for r in mine]

    def remove(self, name: str) -> bool:
        name = self._n(name)
        with self.db.transaction(lock=f"watch:{name}") as tx:
            gone = tx.execute("DELETE FROM watches WHERE name = ?", (name,))
            for table in ("watch_seen", "watch_jobs"):
                tx.execute(f"DELETE FROM {table} WHERE watch = ?", (name,))  # noqa: S608
            tx.execute("DELETE FROM outbox WHERE watch = ? AND state = 'pending'", (name,))
        return gone == 1

    def delivery_error(self, name: str) -> str | None:
        """Why the watch's latest waiting delivery has not gone yet (its sink's last answer), if it was tried."""
        with self.db.transaction() as tx:
            row = tx.one(
                "SELECT last_error FROM outbox WHERE watch = ? AND state = 'pending' AND last_error IS NOT NULL "
                "ORDER BY created DESC LIMIT 1",
                (self._n(name),),
            )
        return str(row["last_error"]) if row else None

    def counts(self, name: str) -> dict[str, int]:
        name = self._n(name)
        with self.db.transaction() as tx:
            seen = tx.one("SELECT COUNT(*) AS n FROM watch_seen WHERE watch = ?", (name,))
            rows = tx.all("SELECT state, COUNT(*) AS n FROM outbox WHERE watch = ? GROUP BY state", (name,))
        out = {"seen": int(seen["n"]) if seen else 0}
        out.update({f"deliveries_{r['state']}": int(r["n"]) for r in rows})
        return out

    # -- checks ----------------------------------------------------------------------------------------

    def claim(
        self,
        name: str,
        candidates: Sequence[Candidate],
        *,
        newest: str | None = None,
        news: Callable[[str, Candidate], bool] | None = None,
        rank: Callable[[Candidate], Candidate] | None = None,
    ) -> list[Claimed]:
        """Mark `candidates` seen for the watch; return the ones this caller reports (new, or changed in a way
        `news` says matters), newest first, each queued for its sinks in the same transaction. `rank` gives a
        reported candidate its score and sinks (only those are ranked: once, here). `newest`: the posting time
        of the newest job the check saw, matching or not (the watch has seen all up to it)."""
        name = self._n(name)
        now = self._clock()
        reported: list[tuple[Claimed, Candidate]] = []
        with self.db.transaction(lock=f"watch:{name}") as tx:
            row = tx.one("SELECT seeded, watermark FROM watches WHERE name = ?", (name,))
            if row is None:
                return []
            seeded, watermark = bool(row["seeded"]), row["watermark"]
            # A job posted well before the newest the watch saw, and not in its seen set, was seen and pruned.
            settled = _hours_before(watermark, 1) if watermark else None
            ordered = sorted(candidates, key=lambda c: c.posted or "", reverse=True)
            marks = ", ".join("?" for _ in ordered)
            prints = {
                r["job_id"]: r["fingerprint"]
                for r in tx.all(
                    f"SELECT job_id, fingerprint FROM watch_seen WHERE watch = ? AND job_id IN ({marks})",  # noqa: S608
                    (name, *[c.job_id for c in ordered]),
                )
            } if ordered else {}  # fmt: skip
            for c in ordered:
                known = prints.get(c.job_id)
                if known == c.fingerprint:
                    continue  # seen as it is: nothing to write (its stored copy ages out 24 h after it came)
                seen = {"fingerprint": known} if known is not None else None
                previous: str | None = None
                report = False
                if seen is None:
                    tx.execute(
                        "INSERT INTO watch_seen (watch, job_id, fingerprint, seen) VALUES (?, ?, ?, ?)",
                        (name, c.job_id, c.fingerprint, now),
                    )
                    older = settled is not None and c.posted is not None and _instant(c.posted) < settled
                    report = not older and (seeded or len(reported) < SEED_REPORT)
                elif seen["fingerprint"] != c.fingerprint:
                    tx.execute(
                        "UPDATE watch_seen SET fingerprint = ?, seen = ? WHERE watch = ? AND job_id = ?",
                        (c.fingerprint, now, name, c.job_id),
                    )
                    previous = seen["fingerprint"]
                    report = seeded and (news is None or news(previous, c))
                if report:
                    c = rank(c) if rank is not None else c
                    reported.append((Claimed(c.job_id, c.payload, previous, c.score), c))
                tx.execute(
                    "INSERT INTO watch_jobs (watch, job_id, posted, payload, fetched, score) VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (watch, job_id) DO UPDATE SET payload = excluded.payload, posted = excluded.posted, "
                    "fetched = excluded.fetched, score = COALESCE(excluded.score, watch_jobs.score)",
                    (name, c.job_id, c.posted, c.payload, now, c.score),
                )
            times = [c.posted for c in candidates if c.posted] + [t for t in (watermark, newest) if t]
            mark = max(times, key=_instant, default=None)
            tx.execute("UPDATE watches SET checked = ?, watermark = ?, seeded = 1 WHERE name = ?", (now, mark, name))
            for item, candidate in reported:
                for sink in candidate.sinks:
                    key = f"{name}|{item.job_id}|{candidate.fingerprint}|{sink}"
                    enqueue(tx, Queued(key, name, sink, _delivery_payload(item)), now)
        return [item for item, _ in reported]

    def touch(self, name: str, *, first_done: bool = True) -> None:
        """Record a check of a watch that claims no jobs (a proposals watch): checked now, and (`first_done`)
        past its first check."""
        with self.db.transaction(lock=f"watch:{self._n(name)}") as tx:
            tx.execute(
                "UPDATE watches SET checked = ?, seeded = CASE WHEN ? = 1 THEN 1 ELSE seeded END WHERE name = ?",
                (self._clock(), 1 if first_done else 0, self._n(name)),
            )

    def stored_name(self, name: str) -> str:
        """The watch's name as stored (owner/name in a team): what its outbox rows carry."""
        return self._n(name)

    def known(self, name: str, job_ids: Sequence[str]) -> set[str]:
        """Which of `job_ids` the watch has reported or marked seen (read only: nothing is claimed)."""
        return self._ids_in("watch_seen", "watch", self._n(name), job_ids)

    def _ids_in(self, table: str, column: str, key: str, job_ids: Sequence[str]) -> set[str]:
        """Which of `job_ids` the rows of `table` with `column` = `key` hold (`table` and `column` are ours)."""
        if not job_ids:
            return set()
        marks = ", ".join("?" for _ in job_ids)
        with self.db.transaction() as tx:
            rows = tx.all(
                f"SELECT job_id FROM {table} WHERE {column} = ? AND job_id IN ({marks})",  # noqa: S608
                (key, *job_ids),
            )
        return {r["job_id"] for r in rows}

    def find(self, job_id: str) -> str | None:
        """A job (JSON) one of this owner's watches fetched within the last 24 hours (never another's)."""
        args: tuple[Any, ...] = ()
        mine = "watch NOT LIKE '%/%'"  # one login: its watches are the names without an owner
        if self._prefix:
            mine, args = "SUBSTR(watch, 1, ?) = ?", (len(self._prefix), self._prefix)
        with self.db.transaction() as tx:
            row = tx.one(
                f"SELECT payload FROM watch_jobs WHERE job_id = ? AND fetched > ? AND {mine} "  # noqa: S608
                "ORDER BY fetched DESC LIMIT 1",
                (job_id, self._clock() - KEEP, *args),
            )
        return str(row["payload"]) if row else None

    def latest(self, name: str) -> list[tuple[str, str | None]]:
        """The jobs (JSON) the watch's last checks returned, newest first, within the last 24 hours, each with
        the score (JSON) it was given when it was claimed."""
        name = self._n(name)
        with self.db.transaction() as tx:
            rows = tx.all(
                "SELECT payload, score FROM watch_jobs WHERE watch = ? AND fetched > ? ORDER BY posted DESC",
                (name, self._clock() - KEEP),
            )
        return [(r["payload"], r["score"]) for r in rows]

    # -- the outbox ------------------------------------------------------------------------------------

    def lease(self, *, limit: int = 100, hold: float = 120.0, mine: bool = False) -> list[Delivery]:
        """Deliveries due now, leased to this caller for `hold` seconds (no other sender takes them); `mine`:
        only this store's user's (a call in a conversation delivers its own user's, a runner everyone's)."""
        now = self._clock()
        scope: str = ""
        params: tuple[Any, ...] = ()
        if mine:  # the user's own: names under their prefix, or (the store's own user) names without one
            scope, params = (
                ("AND substr(watch, 1, ?) = ? ", (len(self._prefix), self._prefix))
                if self._prefix
                else ("AND replace(watch, '/', '') = watch ", ())
            )
        with self.db.transaction(lock="outbox") as tx:
            rows = tx.all(
                "SELECT key, watch, sink, payload, attempts FROM outbox WHERE state = 'pending' "  # noqa: S608
                f"AND next_attempt <= ? AND lease <= ? {scope}ORDER BY created LIMIT ?",
                (now, now, *params, limit),
            )
            for r in rows:
                tx.execute("UPDATE outbox SET lease = ? WHERE key = ?", (now + hold, r["key"]))
        return [Delivery(r["key"], r["watch"], r["sink"], r["payload"], int(r["attempts"])) for r in rows]

    def delivered(self, keys: Sequence[str]) -> None:
        now = self._clock()
        with self.db.transaction(lock="outbox") as tx:
            for key in keys:
                tx.execute(
                    "UPDATE outbox SET state = 'delivered', delivered = ?, lease = 0, last_error = NULL WHERE key = ?",
                    (now, key),
                )

    def retry(self, keys: Sequence[str], *, at: float, error: str, give_up: bool = False, count: bool = True) -> None:
        """A failed (or held) delivery: try again at `at`; `give_up` ends it as failed."""
        with self.db.transaction(lock="outbox") as tx:
            for key in keys:
                tx.execute(
                    "UPDATE outbox SET state = ?, attempts = attempts + ?, next_attempt = ?, lease = 0, "
                    "last_error = ? WHERE key = ?",
                    ("failed" if give_up else "pending", 1 if count else 0, at, error[:300], key),
                )

    def pending(self) -> int:
        with self.db.transaction() as tx:
            row = tx.one("SELECT COUNT(*) AS n FROM outbox WHERE state = 'pending'")
        return int(row["n"]) if row else 0

    # -- budgets and retention -------------------------------------------------------------------------

    def take(self, key: str, limit: int, ttl: float) -> tuple[bool, int]:
        """Use one request of the budget `key` (at most `limit` until it expires): (allowed, used)."""
        now = self._clock()
        with self.db.transaction(lock=f"budget:{key}") as tx:
            row = tx.one("SELECT used, expires FROM budgets WHERE key = ?", (key,))
            used = int(row["used"]) if row and row["expires"] > now else 0
            if used >= limit:
                return False, used
            tx.execute(
                "INSERT INTO budgets (key, used, expires) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
                "used = excluded.used, expires = CASE WHEN budgets.expires > ? THEN budgets.expires "
                "ELSE excluded.expires END",
                (key, used + 1, now + ttl, now),
            )
        return True, used + 1

    def used(self, key: str) -> int:
        with self.db.transaction() as tx:
            row = tx.one("SELECT used, expires FROM budgets WHERE key = ?", (key,))
        return int(row["used"]) if row and row["expires"] > self._clock() else 0

    def prune(self) -> None:
        """Drop Upwork data older than 24 hours: job payloads, reported ids, deliveries done or dead."""
        cutoff = self._clock() - KEEP
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM watch_jobs WHERE fetched < ?", (cutoff,))
            tx.execute("DELETE FROM watch_seen WHERE seen < ?", (cutoff,))
            tx.execute("DELETE FROM outbox WHERE created < ? AND state != 'pending'", (cutoff,))
            tx.execute(
                "UPDATE outbox SET state = 'expired', payload = '{}' WHERE created < ? AND state = 'pending'", (cutoff,)
            )
            tx.execute("DELETE FROM budgets WHERE expires < ?", (self._clock(),))
            tx.execute("DELETE FROM feed_seen WHERE seen < ?", (cutoff,))

    # -- shared feed rounds ----------------------------------------------------------------------------

    def round_known(self, query: str, job_ids: Sequence[str]) -> set[str]:
        """Which of `job_ids` an earlier round of the shared feed query `query` fetched."""
        return self._ids_in("feed_seen", "query", query, job_ids)

    def round_mark(self, query: str, job_ids: Sequence[str]) -> None:
        now = self._clock()
        with self.db.transaction() as tx:
            for job_id in job_ids:
                tx.execute(
                    "INSERT INTO feed_seen (query, job_id, seen) VALUES (?, ?, ?) "
                    "ON CONFLICT (query, job_id) DO UPDATE SET seen = excluded.seen",
                    (query, job_id, now),
                )

    # -- the user's ranking criteria and the team's users ----------------------------------------------

    def criteria(self) -> tuple[dict[str, Any], str, float] | None:
        """This user's stated criteria (as the [scoring] settings), who stated them and how, and when."""
        with self.db.transaction() as tx:
            row = tx.one("SELECT spec, origin, updated FROM criteria WHERE owner = ?", (self.owner or "",))
        return (json.loads(row["spec"]), str(row["origin"]), float(row["updated"])) if row else None

    def set_criteria(self, spec: dict[str, Any], origin: str) -> None:
        owner = self.owner or ""
        with self.db.transaction(lock=f"criteria:{owner}") as tx:
            tx.execute(
                "INSERT INTO criteria (owner, spec, origin, updated) VALUES (?, ?, ?, ?) ON CONFLICT (owner) "
                "DO UPDATE SET spec = excluded.spec, origin = excluded.origin, updated = excluded.updated",
                (owner, json.dumps(spec), origin, self._clock()),
            )

    def owners(self) -> list[str | None]:
        """Everyone with a watch: None for the store's own user, then each user of a team deployment."""
        with self.db.transaction() as tx:
            rows = tx.all("SELECT name FROM watches ORDER BY name")
        named = sorted({r["name"].rpartition("/")[0] for r in rows if "/" in r["name"]})
        return ([None] if any("/" not in r["name"] for r in rows) else []) + list(named)


def _instant(iso: str) -> datetime:
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _hours_before(iso: str, hours: float) -> datetime:
    return _instant(iso) - timedelta(hours=hours)


def _watch(row: dict[str, Any]) -> WatchRow:
    return WatchRow(
        name=row["name"],
        spec=json.loads(row["spec"]),
        created=row["created"],
        updated=row["updated"],
        checked=row["checked"],
        watermark=row["watermark"],
        seeded=bool(row["seeded"]),
    )


def owner_of(watch: str) -> str | None:
    """The user a stored watch name (owner/name) belongs to; None for the store's own user."""
    return watch.rpartition("/")[0] or None


def _delivery_payload(item: Claimed) -> str:
    score = json.loads(item.score) if item.score else None
    body = {"job": json.loads(item.payload), "previous": item.previous, "score": score}
    return json.dumps(body, separators=(",", ":"))
