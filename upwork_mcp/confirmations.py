"""One-time confirmation tokens bound to an exact write payload.

A token is signed (HMAC-SHA256) over its nonce, expiry and the payload's digest, so any worker
holding the key can check it; spending it is recorded in a ledger, so it works once. In one
process both live in memory; with several stateless workers (UPWORK_MCP_STATELESS) the key and
the ledger live in the data dir (a 0600 key file and a SQLite table) that the workers share.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

PREFIX = "confirm_"


class ConfirmationError(ValueError):
    """The token can't be used for this payload; the message says what to do."""


class Ledger(Protocol):
    def spend(self, nonce: str, expires: float) -> bool: ...


class MemoryLedger:
    def __init__(self) -> None:
        self._spent: dict[str, float] = {}

    def spend(self, nonce: str, expires: float) -> bool:
        now = time.time()
        self._spent = {n: e for n, e in self._spent.items() if e > now}
        if nonce in self._spent:
            return False
        self._spent[nonce] = expires
        return True


class SqliteLedger:
    """Spent nonces in SQLite: an INSERT that collides means the token was used, in any process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS spent (nonce TEXT PRIMARY KEY, expires REAL NOT NULL)")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10, isolation_level=None)

    def spend(self, nonce: str, expires: float) -> bool:
        with contextlib.closing(self._connect()) as db:
            db.execute("DELETE FROM spent WHERE expires < ?", (time.time(),))
            try:
                db.execute("INSERT INTO spent (nonce, expires) VALUES (?, ?)", (nonce, expires))
            except sqlite3.IntegrityError:
                return False
            return True


def shared_key(path: Path) -> bytes:
    """The signing key in the data dir, created once with mode 0600 (first writer wins)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_bytes()
        if len(key) < 32:
            raise ConfirmationError(
                f"{path} is damaged; delete it (pending confirmations will need renewing)."
            ) from None
        return key
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
        handle.flush()
        os.fsync(handle.fileno())
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Confirmations:
    def __init__(
        self,
        *,
        key: bytes | None = None,
        ledger: Ledger | None = None,
        ttl: float = 600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = key or secrets.token_bytes(32)
        self._ledger = ledger or MemoryLedger()
        self.ttl = ttl
        self._clock = clock

    @classmethod
    def shared(cls, data_dir: Path) -> Confirmations:
        return cls(key=shared_key(data_dir / "confirm.key"), ledger=SqliteLedger(data_dir / "confirmations.sqlite3"))

    @staticmethod
    def digest(kind: str, payload: Any) -> bytes:
        blob = json.dumps([kind, payload], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(blob.encode()).digest()

    def _mac(self, nonce: bytes, expires: float, digest: bytes) -> bytes:
        return hmac.new(self._key, nonce + struct.pack(">d", expires) + digest, hashlib.sha256).digest()[:18]

    def issue(self, kind: str, payload: Any) -> str:
        nonce = secrets.token_bytes(9)
        expires = self._clock() + self.ttl
        body = nonce + struct.pack(">d", expires)
        return PREFIX + _b64(body) + "." + _b64(self._mac(nonce, expires, self.digest(kind, payload)))

    def redeem(self, kind: str, payload: Any, token: str) -> None:
        """Spend `token` for exactly this payload, or raise ConfirmationError saying what to do."""
        try:
            body_text, mac_text = token.removeprefix(PREFIX).split(".")
            body, mac = _unb64(body_text), _unb64(mac_text)
            nonce, (expires,) = body[:9], struct.unpack(">d", body[9:17])
        except (ValueError, struct.error):
            raise ConfirmationError(
                "That is not a confirmation token this server issued. Call again without "
                "confirmation_token to get a preview, and show it to the user."
            ) from None
        if not hmac.compare_digest(mac, self._mac(nonce, expires, self.digest(kind, payload))):
            raise ConfirmationError(
                "The confirmation token does not match this payload: the text or target "
                "changed (or the token is not from this server). Call again without "
                "confirmation_token to preview exactly what will be sent."
            )
        if expires <= self._clock():
            raise ConfirmationError(
                "That confirmation token expired. Call again without confirmation_token for a new preview."
            )
        if not self._ledger.spend(_b64(nonce), expires):
            raise ConfirmationError(
                "That confirmation token was already used: the write went through once and "
                "will not be repeated. Check the result (e.g. list_messages) before writing again."
            )
