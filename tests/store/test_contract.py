"""The store's contract, the same on the embedded SQLite file and on PostgreSQL: every operation the server
relies on for "exactly once" holds when many writers (threads here, each with its own connection, as
processes would have) race for it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest

from upwork_mcp.store import Database, PostgresDatabase, SQLiteDatabase, Store, WatchStore
from upwork_mcp.store.core import Approval
from upwork_mcp.store.migrations import MIGRATIONS
from upwork_mcp.store.rate import grant
from upwork_mcp.store.team import TeamStore
from upwork_mcp.store.watches import Candidate

T = TypeVar("T")
RACERS = 8


def twin(db: Database) -> Database:
    """Another connection to the same database, as a second process would open."""
    if isinstance(db, SQLiteDatabase):
        return SQLiteDatabase(db.path)
    assert isinstance(db, PostgresDatabase)
    return PostgresDatabase(db.url)


def race(
    db: Database, work: Callable[[Store], T], n: int = RACERS, clock: Callable[[], float] | None = None
) -> list[T]:
    """`work` run by `n` threads at once, each on its own connection and Store, released together."""
    dbs = [twin(db) for _ in range(n)]
    stores = [Store(d, clock=clock) if clock else Store(d) for d in dbs]
    start = threading.Barrier(n)

    def one(store: Store) -> T:
        start.wait()
        return work(store)

    try:
        with ThreadPoolExecutor(n) as pool:
            return list(pool.map(one, stores))
    finally:
        for d in dbs:
            if isinstance(d, PostgresDatabase):
                d.close()


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_migrations_apply_once_and_again_change_nothing(database: Database) -> None:
    other = twin(database)
    assert Store(database).migrate() == Store(other).migrate() == MIGRATIONS[-1][0]
    if isinstance(other, PostgresDatabase):
        other.close()


def test_a_secret_is_made_once_whoever_asks_first(database: Database) -> None:
    Store(database)
    made = iter(range(1000))
    values = race(database, lambda s: s.secret("signing", lambda: f"key-{next(made)}".encode()))
    assert len(set(values)) == 1


def test_an_approval_moves_for_exactly_one_caller(store: Store, database: Database) -> None:
    now = 1_800_000_000.0
    store.add_approval(Approval("a1", "send_message", "d", "{}", "token", "approved", "k", now, now + 10**9, now))
    won = race(database, lambda s: s.move_approval("a1", ["approved"], "sending"))
    assert won.count(True) == 1 and store.approval("a1").state == "sending"  # type: ignore[union-attr]


def test_the_cache_keeps_values_until_they_expire(database: Database) -> None:
    clock = Clock()
    store = Store(database, clock=clock)
    store.cache_put("ns", "k", "v", 10)
    store.cache_put_many("ns", {"a": "1", "b": "2"}, 100)
    assert store.cache_get("ns", "k") == "v" and store.cache_items("ns") == {"k": "v", "a": "1", "b": "2"}
    clock.now += 11
    assert store.cache_get("ns", "k") is None and store.cache_items("ns") == {"a": "1", "b": "2"}


def test_a_watch_reports_each_job_once_however_many_check_at_once(store: Store, database: Database) -> None:
    watches = WatchStore(store)
    watches.add("w", {"source": "feed"})
    watches.claim("w", [Candidate("old", "f", "2026-11-01T00:00:00Z", "{}", sinks=("hook",))])  # seeds
    fresh = [Candidate(f"j{i}", "f", f"2026-11-02T00:00:{i:02d}Z", "{}", sinks=("hook",)) for i in range(20)]
    claimed = race(database, lambda s: [c.job_id for c in WatchStore(s).claim("w", fresh)])
    reported = [job for batch in claimed for job in batch]
    assert sorted(reported) == sorted(c.job_id for c in fresh)  # all of them, none twice
    assert watches.pending() == 1 + 20  # queued once each for the one sink
    leased = race(database, lambda s: [d.key for d in WatchStore(s).lease(limit=100)])
    keys = [k for batch in leased for k in batch]
    assert len(keys) == len(set(keys)) == 21  # every delivery handed to exactly one sender


def test_a_budget_allows_exactly_its_limit(store: Store, database: Database) -> None:
    results = race(database, lambda s: WatchStore(s).take("search:key:20261122", 5, 86_400)[0], n=12)
    assert results.count(True) == 5 and WatchStore(store).used("search:key:20261122") == 5


def test_a_lease_has_one_holder_until_released_or_expired(database: Database) -> None:
    clock = Clock()
    team = TeamStore(Store(database, clock=clock))
    holders = race(
        database, lambda s: TeamStore(s).acquire("refresh:u1", threading.current_thread().name, 30), clock=clock
    )
    assert holders.count(True) == 1
    assert not team.acquire("refresh:u1", "someone-else", 30)
    clock.now += 10**10  # far past any lease taken by the racers
    assert team.acquire("refresh:u1", "someone-else", 30)
    team.release("refresh:u1", "someone-else")
    assert team.acquire("refresh:u1", "a-third", 30)


def test_the_shared_rate_limit_grants_one_of_many_asking_at_one_instant(database: Database) -> None:
    Store(database)
    answers = race(database, lambda s: grant(s, "upwork:key", 0.1), n=10, clock=lambda: 1_800_000_000.0)
    waits = sorted(wait for wait, _ in answers)
    assert waits[0] == 0 and waits[1:] == pytest.approx([0.1] * 9)  # the others ask again when it is their turn


def test_logins_are_kept_as_sealed_bytes_and_grants_are_single_use(store: Store, database: Database) -> None:
    team = TeamStore(store)
    team.save_login("user-1", b"\x00sealed\xff", name="Ada")
    team.save_login("user-1", b"\x01resealed")
    login = team.login("user-1")
    assert login is not None and login.sealed == b"\x01resealed" and login.name == "Ada"
    team.put_grant("code", "h1", "fam", {"subject": "user-1"}, expires=10**12)
    taken = race(database, lambda s: TeamStore(s).take_grant("code", "h1"))
    assert [t for t in taken if t] == [{"subject": "user-1"}]
    team.put_grant("access", "h2", "fam2", {"x": 1}, expires=10**12)
    team.put_grant("refresh", "h3", "fam2", {"x": 2}, expires=10**12)
    assert team.revoke_family("fam2") == 2 and team.grant("access", "h2") is None


def test_rotating_the_key_reseals_every_login(store: Store) -> None:
    from upwork_mcp.store.sealing import Sealer, new_key

    old, new = new_key(), new_key()
    team = TeamStore(store)
    team.save_login("u1", Sealer(old).seal(b"secret login"))
    rotated = Sealer(f"{new},{old}")
    assert team.reseal_all(rotated.reseal) == 1
    sealed = team.login("u1").sealed  # type: ignore[union-attr]
    assert Sealer(new).open(sealed) == b"secret login"  # the old key is no longer needed


def test_one_job_is_applied_to_once_however_many_approved_submissions_race(store: Store, database: Database) -> None:
    from upwork_mcp.store.proposals import ProposalLedger

    claims = race(database, lambda s: ProposalLedger(s, "user-1").claim("job-9"))
    assert [c for c in claims if c is None] == [None]  # one claimant sends; the others see its application
    ledger = ProposalLedger(store, "user-1")
    assert ledger.claim("job-9") is not None and ProposalLedger(store, "user-2").claim("job-9") is None
    ledger.settle("job-9", "refused")  # Upwork made nothing: the job may be tried again, once
    assert [c for c in race(database, lambda s: ProposalLedger(s, "user-1").claim("job-9")) if c is None] == [None]
    ledger.settle("job-9", "unknown")
    unknown = ledger.claim("job-9")
    assert unknown is not None and unknown.state == "unknown"  # never claimed again


def test_a_proposal_change_is_recorded_by_exactly_one_checker(store: Store, database: Database) -> None:
    from upwork_mcp.store.proposals import ProposalLedger

    first = race(database, lambda s: ProposalLedger(s, "user-1").first_look({"p1": {"status": "Pending"}}))
    assert first.count(True) == 1  # the first check records; nobody reports
    before, after = {"status": "Pending"}, {"status": "Declined"}
    moved = race(database, lambda s: ProposalLedger(s, "user-1").advance("p1", before, after))
    assert sum(m is not None for m in moved) == 1 and ProposalLedger(store, "user-1").seen() == {"p1": after}
    new = race(database, lambda s: ProposalLedger(s, "user-1").advance("p2", None, before))
    assert sum(m is not None for m in new) == 1 and ProposalLedger(store, "user-2").seen() == {}  # per user
