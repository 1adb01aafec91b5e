"""The bundled schema starts from a cache after its first build: the same schema, and a damaged cache is rebuilt."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from graphql import print_schema

from upwork_mcp import graphql as documents


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    documents.bundled_schema.cache_clear()
    yield tmp_path / "upwork-mcp"
    documents.bundled_schema.cache_clear()


def test_the_schema_built_from_its_cache_is_the_schema_built_from_sdl(fresh: Path) -> None:
    built = print_schema(documents.bundled_schema())
    [cached] = fresh.glob("schema-*.json")
    documents.bundled_schema.cache_clear()
    assert print_schema(documents.bundled_schema()) == built
    assert cached.stat().st_mtime_ns == next(fresh.glob("schema-*.json")).stat().st_mtime_ns  # read, not rewritten


def test_a_damaged_cache_is_rebuilt_from_sdl_and_rewritten_whole(fresh: Path) -> None:
    built = print_schema(documents.bundled_schema())
    [cached] = fresh.glob("schema-*.json")
    cached.write_text('{"__schema": {"types": [')
    documents.bundled_schema.cache_clear()
    assert print_schema(documents.bundled_schema()) == built
    assert json.loads(cached.read_text())["__schema"]["types"]
    assert not list(fresh.glob("*.tmp"))
