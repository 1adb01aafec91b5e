"""Upwork logins kept in the store, sealed: the token store of a deployment with several processes.

Each user's login is one row (`user_tokens`), sealed with the operator's key before it is written. A
refresh happens under a lease on the user's row: whichever process takes it refreshes, the others
wait and then read what it saved, so one refresh serves the whole deployment. A holder that dies
loses the lease after `LEASE` seconds; the rotated refresh token was saved before anyone used the
new access token, and Upwork keeps the previous one valid for a grace period meanwhile.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator

from ..auth.tokens import TokenSet
from ..errors import UpworkError
from .sealing import Sealer
from .team import TeamStore

LEASE = 30.0  # longer than a refresh takes (Upwork's token endpoint, with retries)
WAIT = 35.0


class DatabaseTokenStore:
    def __init__(self, team: TeamStore, sealer: Sealer, user_key: str, *, name: str | None = None) -> None:
        self.team = team
        self.sealer = sealer
        self.user_key = user_key
        self.name = name

    def load(self) -> TokenSet | None:
        login = self.team.login(self.user_key)
        if login is None:
            return None
        return TokenSet.model_validate(json.loads(self.sealer.open(login.sealed)))

    def save(self, tokens: TokenSet) -> None:
        sealed = self.sealer.seal(json.dumps(tokens.to_json()).encode())
        self.team.save_login(self.user_key, sealed, name=self.name)

    def clear(self) -> None:
        self.team.forget_login(self.user_key)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        holder = uuid.uuid4().hex
        name = f"refresh:{self.user_key}"
        deadline = time.monotonic() + WAIT
        while not self.team.acquire(name, holder, LEASE):
            if time.monotonic() > deadline:
                raise UpworkError("Another process has been refreshing this login for too long; try again.")
            time.sleep(0.05)
        try:
            yield
        finally:
            self.team.release(name, holder)
