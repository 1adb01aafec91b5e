"""A small portable SQL layer: one `Database` per backend, the same SQL for both.

SQL is written once with `?` placeholders and `{blob}`/`{real}`/`{bigint}` type tokens in DDL; each
backend translates. Every call commits or rolls back as one transaction, so a crash leaves either the
old state or the new one. Calls are synchronous: async code runs them in a worker thread
(`anyio.to_thread`).

Connections are kept, not opened per transaction: on SQLite one per thread (opening and closing one
costs milliseconds, mostly the last close checkpointing the WAL to disk; a kept one makes a small
transaction cost tens of microseconds), on PostgreSQL a small pool. A process made by `fork()` never
uses its parent's connections (SQLite and PostgreSQL both forbid it): it drops them unclosed and opens
its own. `close()` closes what a process holds; a thread's SQLite connection also closes when the
thread ends.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from ..errors import ConfigError

Row = dict[str, Any]


class Cursor(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    @property
    def rowcount(self) -> int: ...


class Transaction:
    """SQL inside one transaction, rows as dicts."""

    def __init__(self, cursor: Any, placeholder: str) -> None:
        self._cursor = cursor
        self._placeholder = placeholder

    def _sql(self, sql: str) -> str:
        return sql if self._placeholder == "?" else sql.replace("?", self._placeholder)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        self._cursor.execute(self._sql(sql), tuple(params))
        return int(self._cursor.rowcount)

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        self._cursor.execute(self._sql(sql), tuple(params))
        row = self._cursor.fetchone()
        if row is None:
            return None
        return dict(zip([d[0] for d in self._cursor.description], row, strict=True))

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        self._cursor.execute(self._sql(sql), tuple(params))
        names = [d[0] for d in self._cursor.description]
        return [dict(zip(names, row, strict=True)) for row in self._cursor.fetchall()]


class Database(Protocol):
    """What the store needs from a backend."""

    name: str

    def transaction(self, *, lock: str | None = None) -> contextlib.AbstractContextManager[Transaction]:
        """One transaction; `lock` serialises writers that name the same key (a row or advisory lock)."""
        ...

    def ddl(self, statement: str) -> str: ...

    def close(self) -> None:
        """Close the connections this process holds (on shutdown); a later transaction opens new ones."""
        ...


class _Kept:
    """One thread's SQLite connection, held by that thread's local storage: it closes when the thread ends
    (its locals go) or when the database is closed."""

    __slots__ = ("__weakref__", "conn", "inherited")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.inherited = False  # true in a forked child: the parent's, never to be used or closed here

    def __del__(self) -> None:
        if not self.inherited:
            self.conn.close()


# What a forked child inherited: kept referenced so that it is never used, nor closed, in the child.
_INHERITED: list[object] = []
_LIVE: weakref.WeakSet[SQLiteDatabase | PostgresDatabase] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for database in list(_LIVE):
        database._forget_parent()


os.register_at_fork(after_in_child=_after_fork_in_child)


class SQLiteDatabase:
    """The embedded default: one file in the data dir (0600), WAL, shared safely by several processes."""

    name = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        self._local = threading.local()
        self._kept: weakref.WeakSet[_Kept] = weakref.WeakSet()  # every thread's, for close()
        self._guard = threading.Lock()
        _LIVE.add(self)
        self._connection().execute("PRAGMA journal_mode=WAL")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA busy_timeout=30000")
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection, opened on its first transaction and kept."""
        kept: _Kept | None = getattr(self._local, "kept", None)
        if kept is None:
            kept = _Kept(self._connect())
            self._local.kept = kept
            with self._guard:
                self._kept.add(kept)
        return kept.conn

    def _drop_connection(self) -> None:
        """This thread's connection, closed: the next transaction opens a fresh one."""
        kept: _Kept | None = getattr(self._local, "kept", None)
        self._local.kept = None
        if kept is not None:
            with self._guard:
                self._kept.discard(kept)
            kept.conn.close()

    @contextlib.contextmanager
    def transaction(self, *, lock: str | None = None) -> Iterator[Transaction]:
        # BEGIN IMMEDIATE takes the write lock at once: read-then-write sequences cannot interleave,
        # across threads and processes alike (SQLite has one writer at a time, so `lock` needs no more).
        db = self._connection()
        cursor = db.cursor()
        for attempt in range(50):
            try:
                cursor.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == 49:
                    raise
                time.sleep(0.02)
        try:
            yield Transaction(cursor, "?")
            cursor.execute("COMMIT")
        except BaseException:
            try:
                if db.in_transaction:
                    cursor.execute("ROLLBACK")
            except sqlite3.Error:
                self._drop_connection()  # a connection that cannot roll back is not used again
            raise

    def ddl(self, statement: str) -> str:
        return statement.format(blob="BLOB", real="REAL", bigint="INTEGER")

    def close(self) -> None:
        """Close every thread's connection (the last one to close folds the WAL into the file). A
        transaction after this opens a fresh connection."""
        with self._guard:
            kept, self._kept = list(self._kept), weakref.WeakSet()
        self._local = threading.local()
        for one in kept:
            one.conn.close()

    def _forget_parent(self) -> None:
        # In a forked child: one thread, no transaction of ours open, the parent's locks held by the parent.
        for one in self._kept:
            one.inherited = True
            _INHERITED.append(one)
        self._kept = weakref.WeakSet()
        self._local = threading.local()
        self._guard = threading.Lock()


class PostgresDatabase:
    """PostgreSQL, for deployments of several processes or machines (`UPWORK_DATABASE_URL`).

    A transaction's `lock` is a transaction-scoped advisory lock on the name's hash: writers that
    name the same key run one at a time, as they do on SQLite's single writer, and the lock goes with
    the transaction whatever happens to the process. Connections are pooled per process.
    """

    name = "postgresql"

    def __init__(self, url: str, *, pool_size: int = 8) -> None:
        import psycopg  # lazy: only deployments on PostgreSQL need the driver

        self._psycopg = psycopg
        self.url = url
        self._pool_size = pool_size
        self._idle: list[Any] = []
        self._guard = threading.Lock()
        self._slots = threading.BoundedSemaphore(pool_size)
        _LIVE.add(self)
        try:
            with self.transaction() as tx:
                tx.execute("SELECT 1")
        except psycopg.OperationalError as exc:
            raise ConfigError(f"Cannot connect to the PostgreSQL database in UPWORK_DATABASE_URL: {exc}") from None

    def _take(self) -> Any:
        self._slots.acquire()
        with self._guard:
            conn = self._idle.pop() if self._idle else None
        if conn is None or conn.closed:
            try:
                conn = self._psycopg.connect(self.url, connect_timeout=10, autocommit=True)
            except BaseException:
                self._slots.release()
                raise
        return conn

    def _give(self, conn: Any) -> None:
        with self._guard:
            if not conn.closed and not conn.broken:
                self._idle.append(conn)
        self._slots.release()

    @contextlib.contextmanager
    def transaction(self, *, lock: str | None = None) -> Iterator[Transaction]:
        conn = self._take()
        try:
            with conn.transaction(), conn.cursor() as cursor:
                if lock is not None:
                    cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (lock,))
                yield Transaction(cursor, "%s")
        finally:
            self._give(conn)

    def ddl(self, statement: str) -> str:
        return statement.format(blob="BYTEA", real="DOUBLE PRECISION", bigint="BIGINT")

    def close(self) -> None:
        with self._guard:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def _forget_parent(self) -> None:
        # In a forked child: closing the parent's connections would end its sessions (the socket is
        # shared), so they are only put out of reach. Slots the parent's threads held are not ours.
        _INHERITED.extend(self._idle)
        self._idle = []
        self._guard = threading.Lock()
        self._slots = threading.BoundedSemaphore(self._pool_size)


def open_database(url: str | None, sqlite_path: Path) -> Database:
    """PostgreSQL when a URL is given (postgresql://...), else the embedded SQLite file."""
    if url:
        if not url.startswith(("postgresql://", "postgres://")):
            raise ConfigError("UPWORK_DATABASE_URL must be a postgresql:// URL (or unset for the embedded SQLite).")
        return PostgresDatabase(url)
    return SQLiteDatabase(sqlite_path)
