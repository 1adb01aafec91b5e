"""What the server's own web pages keep: browser sessions, consents, and when each OAuth client was last used.

- A browser session is a cookie whose secret only the browser holds; the store keeps its hash. Two kinds:
  `pairing` (a browser on this machine, paired by `upwork-mcp approve --pair` in a terminal) and `team`
  (a person signed in to a team server through Upwork, as `user_key`).
- A consent is one person's yes to one OAuth client, given on the server's consent page.
- OAuth clients nobody uses expire: registration is open, so the table must not grow without bound.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Literal

from .core import Store

SessionKind = Literal["pairing", "team"]


def handle_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    kind: SessionKind
    user_key: str | None
    expires: float


class WebStore:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db
        self._clock = store._clock

    # -- browser sessions ------------------------------------------------------------------------------

    def open_session(self, kind: SessionKind, ttl: float, user_key: str | None = None) -> str:
        """A new session: its secret (for the cookie; the store keeps only its hash)."""
        secret = secrets.token_urlsafe(32)
        now = self._clock()
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM web_sessions WHERE expires < ?", (now,))
            tx.execute(
                "INSERT INTO web_sessions (handle, kind, user_key, created, expires) VALUES (?, ?, ?, ?, ?)",
                (handle_of(secret), kind, user_key, now, now + ttl),
            )
        return secret

    def session(self, kind: SessionKind, secret: str) -> Session | None:
        with self.db.transaction() as tx:
            row = tx.one(
                "SELECT kind, user_key, expires FROM web_sessions WHERE handle = ? AND kind = ? AND expires > ?",
                (handle_of(secret), kind, self._clock()),
            )
        return Session(row["kind"], row["user_key"], row["expires"]) if row else None

    def end_sessions(self, kind: SessionKind) -> int:
        """Forget every session of `kind` (e.g. unpair every browser)."""
        with self.db.transaction() as tx:
            return tx.execute("DELETE FROM web_sessions WHERE kind = ?", (kind,))

    # -- consents --------------------------------------------------------------------------------------

    def consented(self, user_key: str, client_id: str) -> bool:
        with self.db.transaction() as tx:
            row = tx.one(
                "SELECT 1 AS yes FROM oauth_consents WHERE user_key = ? AND client_id = ?", (user_key, client_id)
            )
        return row is not None

    def remember_consent(self, user_key: str, client_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO oauth_consents (user_key, client_id, created) VALUES (?, ?, ?) "
                "ON CONFLICT (user_key, client_id) DO NOTHING",
                (user_key, client_id, self._clock()),
            )

    # -- OAuth clients' use ----------------------------------------------------------------------------

    def client_used(self, client_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO oauth_client_use (client_id, used) VALUES (?, ?) "
                "ON CONFLICT (client_id) DO UPDATE SET used = excluded.used",
                (client_id, self._clock()),
            )

    def expire_clients(self, *, unused_for: float, idle_for: float) -> int:
        """Delete clients never used within `unused_for` of registering, or idle for `idle_for`: how many."""
        now = self._clock()
        with self.db.transaction(lock="oauth-clients") as tx:
            rows = tx.all(
                "SELECT c.client_id FROM oauth_clients c LEFT JOIN oauth_client_use u ON u.client_id = c.client_id "
                "WHERE (u.used IS NULL AND c.created < ?) OR u.used < ?",
                (now - unused_for, now - idle_for),
            )
            for row in rows:
                tx.execute("DELETE FROM oauth_clients WHERE client_id = ?", (row["client_id"],))
                tx.execute("DELETE FROM oauth_client_use WHERE client_id = ?", (row["client_id"],))
                tx.execute("DELETE FROM oauth_consents WHERE client_id = ?", (row["client_id"],))
        return len(rows)

    def client_count(self) -> int:
        with self.db.transaction() as tx:
            row = tx.one("SELECT COUNT(*) AS n FROM oauth_clients")
        return int(row["n"]) if row else 0
