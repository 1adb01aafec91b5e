"""What a team deployment shares between its processes and machines, on the same store as everything else.

- Each user's Upwork login, sealed (encrypted) by the caller before it reaches the database.
- Leases: a named lock one holder has until it releases it or its time runs out (a holder that died
  does not block the others for longer than the lease).
- The shared rate limit is the store's (store/rate.py), keyed per API key on a team's database.
- The server's own OAuth state for MCP clients: registered clients, pending logins, codes and tokens,
  stored by a hash of the secret (a database leak does not hand out working tokens).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .core import Store


@dataclass(frozen=True)
class UserLogin:
    user_key: str
    sealed: bytes
    name: str | None
    tenant_id: str | None


class TeamStore:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db
        self._clock = store._clock

    # -- Upwork logins per user ------------------------------------------------------------------------

    def save_login(self, user_key: str, sealed: bytes, *, name: str | None = None) -> None:
        with self.db.transaction(lock=f"user:{user_key}") as tx:
            tx.execute(
                "INSERT INTO user_tokens (user_key, sealed, name, updated) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (user_key) DO UPDATE SET sealed = excluded.sealed, "
                "name = COALESCE(excluded.name, user_tokens.name), updated = excluded.updated",
                (user_key, sealed, name, self._clock()),
            )

    def login(self, user_key: str) -> UserLogin | None:
        with self.db.transaction() as tx:
            row = tx.one("SELECT * FROM user_tokens WHERE user_key = ?", (user_key,))
        if row is None:
            return None
        return UserLogin(row["user_key"], bytes(row["sealed"]), row["name"], row["tenant_id"])

    def logins(self) -> list[UserLogin]:
        with self.db.transaction() as tx:
            rows = tx.all("SELECT * FROM user_tokens ORDER BY user_key")
        return [UserLogin(r["user_key"], bytes(r["sealed"]), r["name"], r["tenant_id"]) for r in rows]

    def reseal_all(self, reseal: Callable[[bytes], bytes]) -> int:
        """Every stored login sealed again (with the newest key): how many."""
        count = 0
        for login in self.logins():
            with self.db.transaction(lock=f"user:{login.user_key}") as tx:
                row = tx.one("SELECT sealed FROM user_tokens WHERE user_key = ?", (login.user_key,))
                if row is None:
                    continue
                tx.execute(
                    "UPDATE user_tokens SET sealed = ? WHERE user_key = ?",
                    (reseal(bytes(row["sealed"])), login.user_key),
                )
                count += 1
        return count

    def forget_login(self, user_key: str) -> None:
        with self.db.transaction(lock=f"user:{user_key}") as tx:
            tx.execute("DELETE FROM user_tokens WHERE user_key = ?", (user_key,))

    # -- leases ----------------------------------------------------------------------------------------

    def acquire(self, name: str, holder: str, ttl: float) -> bool:
        """Take the lease `name` for `ttl` seconds if it is free, expired, or already `holder`'s."""
        now = self._clock()
        with self.db.transaction(lock=f"lease:{name}") as tx:
            row = tx.one("SELECT holder, until FROM leases WHERE name = ?", (name,))
            if row is not None and row["until"] > now and row["holder"] != holder:
                return False
            tx.execute(
                "INSERT INTO leases (name, holder, until) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until",
                (name, holder, now + ttl),
            )
        return True

    def release(self, name: str, holder: str) -> None:
        with self.db.transaction(lock=f"lease:{name}") as tx:
            tx.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))

    # -- the server's own OAuth ------------------------------------------------------------------------

    def put_grant(self, kind: str, handle: str, family: str, data: dict[str, Any], expires: float) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM oauth_grants WHERE expires < ?", (self._clock(),))
            tx.execute(
                "INSERT INTO oauth_grants (handle, kind, family, data, expires) VALUES (?, ?, ?, ?, ?)",
                (handle, kind, family, json.dumps(data), expires),
            )

    def grant(self, kind: str, handle: str) -> dict[str, Any] | None:
        with self.db.transaction() as tx:
            row = tx.one(
                "SELECT data FROM oauth_grants WHERE handle = ? AND kind = ? AND expires > ?",
                (handle, kind, self._clock()),
            )
        return json.loads(row["data"]) if row else None

    def take_grant(self, kind: str, handle: str) -> dict[str, Any] | None:
        """A single-use grant: returned to exactly one caller, and gone."""
        row = self._claim(kind, handle, "DELETE FROM oauth_grants WHERE handle = ?", (handle,))
        return dict(json.loads(row["data"])) if row else None

    def _claim(self, kind: str, handle: str, then: str, args: tuple[Any, ...]) -> Any:
        """The grant's row for the one caller that finds it, changed by `then` in the same transaction."""
        with self.db.transaction(lock=f"grant:{handle}") as tx:
            row = tx.one(
                "SELECT family, data FROM oauth_grants WHERE handle = ? AND kind = ? AND expires > ?",
                (handle, kind, self._clock()),
            )
            if row is not None:
                tx.execute(then, args)
        return row

    def revoke_family(self, family: str) -> int:
        with self.db.transaction() as tx:
            return tx.execute("DELETE FROM oauth_grants WHERE family = ?", (family,))

    def spend_grant(self, kind: str, handle: str, spent: str, until: float) -> tuple[str, dict[str, Any]] | None:
        """A single-use grant, turned into a `spent` marker kept until `until`, in the same transaction (so a
        second use can be told from a made-up one): its family and data for exactly one caller."""
        row = self._claim(
            kind,
            handle,
            "UPDATE oauth_grants SET kind = ?, data = '{}', expires = ? WHERE handle = ?",
            (spent, until, handle),
        )
        return (str(row["family"]), dict(json.loads(row["data"]))) if row else None

    def family_of(self, kind: str, handle: str) -> str | None:
        """The family of a grant (or of a `spent` marker), while it is kept."""
        with self.db.transaction() as tx:
            row = tx.one(
                "SELECT family FROM oauth_grants WHERE handle = ? AND kind = ? AND expires > ?",
                (handle, kind, self._clock()),
            )
        return str(row["family"]) if row else None

    def revoke_kind(self, family: str, kind: str) -> int:
        with self.db.transaction() as tx:
            return tx.execute("DELETE FROM oauth_grants WHERE family = ? AND kind = ?", (family, kind))

    def put_client(self, client_id: str, info: str) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO oauth_clients (client_id, info, created) VALUES (?, ?, ?)",
                (client_id, info, self._clock()),
            )

    def client(self, client_id: str) -> str | None:
        with self.db.transaction() as tx:
            row = tx.one("SELECT info FROM oauth_clients WHERE client_id = ?", (client_id,))
        return str(row["info"]) if row else None
