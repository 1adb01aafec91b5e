"""Where a user's alerts go (sinks), kept like watches: one row per user and name, the secrets sealed.

What is secret about a sink (its URL, which for Slack, Discord and ntfy is the credential; a webhook's
signing key; a Telegram bot token) is sealed as one blob before it reaches the database. What a list
shows (`shown`: the kind of place, its host, never a token) and the options (which verdicts it gets,
digest) stay readable. The caller hands the sealer: the operator's key in a team deployment, or a key of
this user's kept apart from the database (the composition root decides).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import ConfigError
from .core import Store


class Seal(Protocol):
    def seal(self, plain: bytes) -> bytes: ...
    def open(self, sealed: bytes) -> bytes: ...


@dataclass(frozen=True)
class StoredSink:
    name: str
    kind: str
    secrets: dict[str, str] = field(repr=False)  # url, secret, token, chat_id: never shown
    shown: str = ""
    options: dict[str, Any] = field(default_factory=dict)


class SinkStore:
    """One user's sinks (`owner` None: the single user of an embedded store, or a team's operator)."""

    def __init__(self, store: Store, sealer: Seal, *, owner: str | None = None) -> None:
        self.db = store.db
        self._clock = store._clock
        self._sealer = sealer
        self.owner = owner or ""

    def add(self, sink: StoredSink, *, replace: bool = False) -> bool:
        """Save a sink; False when its name is taken and `replace` is not set."""
        sealed = self._sealer.seal(json.dumps(sink.secrets, sort_keys=True).encode())
        now = self._clock()
        with self.db.transaction(lock=f"sink:{self.owner}/{sink.name}") as tx:
            exists = tx.one("SELECT name FROM sinks WHERE owner = ? AND name = ?", (self.owner, sink.name))
            if exists and not replace:
                return False
            if exists:
                tx.execute("DELETE FROM sinks WHERE owner = ? AND name = ?", (self.owner, sink.name))
            tx.execute(
                "INSERT INTO sinks (owner, name, kind, sealed, shown, options, created, updated) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (self.owner, sink.name, sink.kind, sealed, sink.shown, json.dumps(sink.options), now, now),
            )
        return True

    def get(self, name: str) -> StoredSink | None:
        with self.db.transaction() as tx:
            row = tx.one("SELECT * FROM sinks WHERE owner = ? AND name = ?", (self.owner, name))
        return self._opened(row) if row else None

    def all(self) -> list[StoredSink]:
        with self.db.transaction() as tx:
            rows = tx.all("SELECT * FROM sinks WHERE owner = ? ORDER BY name", (self.owner,))
        return [self._opened(r) for r in rows]

    def names(self) -> list[str]:
        """The sinks' names, without opening a secret."""
        with self.db.transaction() as tx:
            rows = tx.all("SELECT name FROM sinks WHERE owner = ? ORDER BY name", (self.owner,))
        return [str(r["name"]) for r in rows]

    def remove(self, name: str) -> bool:
        with self.db.transaction(lock=f"sink:{self.owner}/{name}") as tx:
            return tx.execute("DELETE FROM sinks WHERE owner = ? AND name = ?", (self.owner, name)) == 1

    def _opened(self, row: dict[str, Any]) -> StoredSink:
        try:
            secrets = json.loads(self._sealer.open(bytes(row["sealed"])))
        except ConfigError:
            raise ConfigError(
                f"The sink {row['name']!r} cannot be opened with the key it was sealed with (UPWORK_ENCRYPTION_KEY, "
                "or the sink key file next to the saved login): put that key back, or remove the sink and add it "
                "again."
            ) from None
        return StoredSink(row["name"], row["kind"], secrets, row["shown"], json.loads(row["options"]))


def reseal_sinks(store: Store, reseal: Callable[[bytes], bytes]) -> int:
    """Every user's sinks sealed again with the newest key (key rotation): how many."""
    with store.db.transaction() as tx:
        rows = tx.all("SELECT owner, name, sealed FROM sinks")
    for row in rows:
        with store.db.transaction(lock=f"sink:{row['owner']}/{row['name']}") as tx:
            tx.execute(
                "UPDATE sinks SET sealed = ? WHERE owner = ? AND name = ?",
                (reseal(bytes(row["sealed"])), row["owner"], row["name"]),
            )
    return len(rows)
