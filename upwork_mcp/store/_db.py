"""A small portable SQL layer: one `Database` per backend, the same SQL for both.

SQL is written once with `?` placeholders and `{blob}`/`{real}`/`{bigint}` type tokens in DDL; each
backend translates. Every call opens what it needs and commits or rolls back as one transaction, so a
crash leaves either the old state or the new one. Calls are synchronous: async code runs them in a
worker thread (`anyio.to_thread`).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
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


class SQLiteDatabase:
    """The embedded default: one file in the data dir (0600), WAL, shared safely by several processes."""

    name = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        with contextlib.closing(self._connect()) as db:
            db.execute("PRAGMA journal_mode=WAL")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA busy_timeout=30000")
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    @contextlib.contextmanager
    def transaction(self, *, lock: str | None = None) -> Iterator[Transaction]:
        # BEGIN IMMEDIATE takes the write lock at once: read-then-write sequences cannot interleave,
        # across threads and processes alike (SQLite has one writer at a time, so `lock` needs no more).
        with contextlib.closing(self._connect()) as db:
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
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")

    def ddl(self, statement: str) -> str:
        return statement.format(blob="BLOB", real="REAL", bigint="INTEGER")


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
        self._idle: list[Any] = []
        self._guard = threading.Lock()
        self._slots = threading.BoundedSemaphore(pool_size)
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


def open_database(url: str | None, sqlite_path: Path) -> Database:
    """PostgreSQL when a URL is given (postgresql://...), else the embedded SQLite file."""
    if url:
        if not url.startswith(("postgresql://", "postgres://")):
            raise ConfigError("UPWORK_DATABASE_URL must be a postgresql:// URL (or unset for the embedded SQLite).")
        return PostgresDatabase(url)
    return SQLiteDatabase(sqlite_path)
