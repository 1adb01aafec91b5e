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
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

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
