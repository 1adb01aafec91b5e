"""The store's schema, as numbered migrations. Append; never edit a migration that has shipped.

DDL uses `{blob}`, `{real}` and `{bigint}` so one text serves SQLite and PostgreSQL.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (
        1,
        "secrets, approvals and the cache",
        [
            """CREATE TABLE IF NOT EXISTS secrets (
            name TEXT PRIMARY KEY,
            value {blob} NOT NULL,
            created {real} NOT NULL)""",
            """CREATE TABLE IF NOT EXISTS approvals (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            digest TEXT NOT NULL,
            payload TEXT NOT NULL,
            mode TEXT NOT NULL,
            state TEXT NOT NULL,
            page_key TEXT NOT NULL,
            created {real} NOT NULL,
            expires {real} NOT NULL,
            updated {real} NOT NULL,
            result TEXT)""",
            "CREATE INDEX IF NOT EXISTS approvals_state ON approvals (state, expires)",
            """CREATE TABLE IF NOT EXISTS cache (
            namespace TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            expires {real} NOT NULL,
            PRIMARY KEY (namespace, key))""",
            "CREATE INDEX IF NOT EXISTS cache_expires ON cache (expires)",
        ],
    ),
]
