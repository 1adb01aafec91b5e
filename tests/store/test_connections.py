"""Kept connections: one per thread on SQLite (a small pool on PostgreSQL), shared safely by the threads of one
process, never carried into a forked child or an exec'd program, and closed on shutdown."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from upwork_mcp.store import Database, PostgresDatabase, SQLiteDatabase, Store
from upwork_mcp.store.core import Approval
from upwork_mcp.store.rate import grant


def test_a_thread_opens_one_sqlite_connection_and_keeps_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = SQLiteDatabase(tmp_path / "state.sqlite3")
    store = Store(db)
    opened: list[str] = []
    connect = db._connect

    def counted() -> object:
        opened.append(threading.current_thread().name)
        return connect()

    monkeypatch.setattr(db, "_connect", counted)
    for i in range(20):
        store.cache_put("ns", f"k{i}", "v", 60)
        assert store.cache_get("ns", f"k{i}") == "v"
    assert opened == []  # the thread that opened the database already had its connection
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda i: store.cache_get("ns", f"k{i}"), range(20)))
    assert 1 <= len(opened) <= 2 and len(set(opened)) == len(opened)  # one per worker thread, kept


def test_threads_of_one_process_share_one_database_object_safely(database: Database) -> None:
    """As the server does: one Store, its calls in whichever worker thread anyio picks, all at once."""
    store = Store(database)
    now = 1_800_000_000.0
    store.add_approval(Approval("a1", "send_message", "d", "{}", "token", "approved", "k", now, now + 10**9, now))
    at_one_instant = Store(database, clock=lambda: now)
    start = threading.Barrier(8)

    def racer(_: int) -> tuple[bool, float]:
        start.wait()
        won = store.move_approval("a1", ["approved"], "sending")
        return won, grant(at_one_instant, "upwork:key", 0.1)[0]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(racer, range(8)))
    assert [won for won, _ in results].count(True) == 1
    assert sorted(wait for _, wait in results) == pytest.approx([0.0] + [0.1] * 7)  # one request goes


def test_a_failed_transaction_leaves_the_kept_connection_usable(database: Database) -> None:
    store = Store(database)

    def half_way() -> None:
        with database.transaction() as tx:
            tx.execute("INSERT INTO cache (namespace, key, value, expires) VALUES ('ns', 'k', 'lost', 1e12)")
            raise RuntimeError("the caller failed half-way")

    with pytest.raises(RuntimeError):
        half_way()
    assert store.cache_get("ns", "k") is None  # rolled back
    store.cache_put("ns", "k", "kept", 60)
    assert store.cache_get("ns", "k") == "kept"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX")
def test_a_forked_child_opens_its_own_connections_and_the_parent_keeps_working(database: Database) -> None:
    store = Store(database)
    store.cache_put("ns", "parent", "before", 600)
    parent_session = _session(database)
    read, write = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Python 3.12+ warns when any thread is running
        pid = os.fork()
    if pid == 0:  # the child: report, then leave without running the parent's clean-up
        try:
            child_session = _session(database)
            Store(database).cache_put("ns", "child", "from the child", 600)
            os.write(write, b"ok" if child_session != parent_session else b"reused the parent's connection")
        except BaseException as exc:
            os.write(write, repr(exc).encode()[:500])
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        told = pipe.read().decode()
    os.waitpid(pid, 0)
    assert told == "ok"
    assert _session(database) == parent_session  # the parent's connection survived the child
    assert store.cache_get("ns", "child") == "from the child" and store.cache_get("ns", "parent") == "before"


def _session(database: Database) -> object:
    """Which connection this thread's next transaction runs on: the object on SQLite, the server process on
    PostgreSQL (a connection shared with a forked child would show the same server process)."""
    if isinstance(database, SQLiteDatabase):
        return id(database._connection())
    assert isinstance(database, PostgresDatabase)
    with database.transaction() as tx:
        row = tx.one("SELECT pg_backend_pid() AS pid")
    assert row is not None
    return row["pid"]


def test_a_program_started_from_the_process_inherits_no_database_file(tmp_path: Path) -> None:
    db = SQLiteDatabase(tmp_path / "state.sqlite3")
    Store(db).cache_put("ns", "k", "v", 60)  # the connection and its WAL files are open
    listing = (
        "import os\n"
        "for fd in os.listdir('/proc/self/fd'):\n"
        "    try: print(os.readlink(f'/proc/self/fd/{fd}'))\n"
        "    except OSError: pass\n"
    )
    if not Path("/proc/self/fd").exists():
        pytest.skip("needs /proc")
    seen = subprocess.run([sys.executable, "-c", listing], close_fds=False, capture_output=True, text=True, check=True)
    assert "state.sqlite3" not in seen.stdout


def test_a_thread_that_ends_closes_its_connection_and_close_closes_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    db = SQLiteDatabase(path)
    store = Store(db)
    worker = threading.Thread(target=lambda: store.cache_put("ns", "k", "v", 60))
    worker.start()
    worker.join()
    gc.collect()
    assert len(db._kept) == 1  # the opening thread's only: the worker's went with it
    store.cache_put("ns", "k2", "v2", 60)
    assert Path(f"{path}-wal").exists()
    db.close()
    assert not Path(f"{path}-wal").exists()  # the last connection closed: the file alone holds everything
    assert store.cache_get("ns", "k2") == "v2"  # a transaction after close opens a connection again
    db.close()
