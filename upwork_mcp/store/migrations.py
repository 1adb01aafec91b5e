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
    (
        2,
        "watches: saved searches, what each reported, the latest results, the outbox, request budgets",
        [
            """CREATE TABLE IF NOT EXISTS watches (
            name TEXT PRIMARY KEY,
            spec TEXT NOT NULL,
            created {real} NOT NULL,
            updated {real} NOT NULL,
            checked {real},
            watermark TEXT,
            seeded INTEGER NOT NULL DEFAULT 0)""",
            """CREATE TABLE IF NOT EXISTS watch_seen (
            watch TEXT NOT NULL,
            job_id TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            seen {real} NOT NULL,
            PRIMARY KEY (watch, job_id))""",
            "CREATE INDEX IF NOT EXISTS watch_seen_time ON watch_seen (seen)",
            """CREATE TABLE IF NOT EXISTS watch_jobs (
            watch TEXT NOT NULL,
            job_id TEXT NOT NULL,
            posted TEXT,
            payload TEXT NOT NULL,
            fetched {real} NOT NULL,
            PRIMARY KEY (watch, job_id))""",
            "CREATE INDEX IF NOT EXISTS watch_jobs_time ON watch_jobs (fetched)",
            """CREATE TABLE IF NOT EXISTS outbox (
            key TEXT PRIMARY KEY,
            watch TEXT NOT NULL,
            sink TEXT NOT NULL,
            payload TEXT NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt {real} NOT NULL,
            lease {real} NOT NULL DEFAULT 0,
            created {real} NOT NULL,
            delivered {real},
            last_error TEXT)""",
            "CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_attempt)",
            """CREATE TABLE IF NOT EXISTS budgets (
            key TEXT PRIMARY KEY,
            used INTEGER NOT NULL,
            expires {real} NOT NULL)""",
        ],
    ),
    (
        3,
        "teams: Upwork logins per user (encrypted), leases, the shared rate limit, the server's own OAuth",
        [
            """CREATE TABLE IF NOT EXISTS user_tokens (
            user_key TEXT PRIMARY KEY,
            sealed {blob} NOT NULL,
            name TEXT,
            tenant_id TEXT,
            updated {real} NOT NULL)""",
            """CREATE TABLE IF NOT EXISTS leases (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            until {real} NOT NULL)""",
            """CREATE TABLE IF NOT EXISTS rate_limits (
            key TEXT PRIMARY KEY,
            next_at {real} NOT NULL)""",
            """CREATE TABLE IF NOT EXISTS oauth_clients (
            client_id TEXT PRIMARY KEY,
            info TEXT NOT NULL,
            created {real} NOT NULL)""",
            """CREATE TABLE IF NOT EXISTS oauth_grants (
            handle TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            family TEXT NOT NULL,
            data TEXT NOT NULL,
            expires {real} NOT NULL)""",
            "CREATE INDEX IF NOT EXISTS oauth_grants_expires ON oauth_grants (expires)",
            "CREATE INDEX IF NOT EXISTS oauth_grants_family ON oauth_grants (family)",
        ],
    ),
    (
        4,
        "the human step and team sign-in: browser sessions (a paired browser, a signed-in person), consents",
        [
            """CREATE TABLE IF NOT EXISTS web_sessions (
            handle TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            user_key TEXT,
            created {real} NOT NULL,
            expires {real} NOT NULL)""",
            "CREATE INDEX IF NOT EXISTS web_sessions_expires ON web_sessions (expires)",
            """CREATE TABLE IF NOT EXISTS oauth_consents (
            user_key TEXT NOT NULL,
            client_id TEXT NOT NULL,
            created {real} NOT NULL,
            PRIMARY KEY (user_key, client_id))""",
            """CREATE TABLE IF NOT EXISTS oauth_client_use (
            client_id TEXT PRIMARY KEY,
            used {real} NOT NULL)""",
        ],
    ),
    (
        5,
        "alerts: sinks per user (secrets sealed), each user's ranking criteria, what shared feed rounds saw",
        [
            """CREATE TABLE IF NOT EXISTS sinks (
            owner TEXT NOT NULL,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            sealed {blob} NOT NULL,
            shown TEXT NOT NULL,
            options TEXT NOT NULL,
            created {real} NOT NULL,
            updated {real} NOT NULL,
            PRIMARY KEY (owner, name))""",
            """CREATE TABLE IF NOT EXISTS criteria (
            owner TEXT PRIMARY KEY,
            spec TEXT NOT NULL,
            origin TEXT NOT NULL,
            updated {real} NOT NULL)""",
            """CREATE TABLE IF NOT EXISTS feed_seen (
            query TEXT NOT NULL,
            job_id TEXT NOT NULL,
            seen {real} NOT NULL,
            PRIMARY KEY (query, job_id))""",
            "CREATE INDEX IF NOT EXISTS feed_seen_time ON feed_seen (seen)",
            "ALTER TABLE watch_jobs ADD COLUMN score TEXT",
        ],
    ),
    (
        6,
        "proposals: the jobs each user applied to through this server, and what each last saw of their proposals",
        [
            """CREATE TABLE IF NOT EXISTS applications (
            owner TEXT NOT NULL,
            job_id TEXT NOT NULL,
            state TEXT NOT NULL,
            proposal_id TEXT,
            created {real} NOT NULL,
            updated {real} NOT NULL,
            PRIMARY KEY (owner, job_id))""",
            """CREATE TABLE IF NOT EXISTS proposal_seen (
            owner TEXT NOT NULL,
            proposal_id TEXT NOT NULL,
            seen TEXT NOT NULL,
            updated {real} NOT NULL,
            PRIMARY KEY (owner, proposal_id))""",
            """CREATE TABLE IF NOT EXISTS proposal_checks (
            owner TEXT PRIMARY KEY,
            first {real} NOT NULL,
            last {real} NOT NULL)""",
        ],
    ),
]
