"""The sandbox's mutable world: seeded data, issued tokens, faults, sent messages, a clock."""

from __future__ import annotations

import pickle
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .credentials import CLIENT_ID, CLIENT_SECRET, FEED_KEY
from .data import DEFAULT_SEED, Dataset
from .faults import Faults
from .work import generate

if TYPE_CHECKING:
    from .posting import Board

ACCESS_TTL = 86_400.0  # 24 h, as Upwork
REFRESH_TTL = 14 * 86_400.0  # 14 days
REFRESH_GRACE = 86_400.0  # a rotated-out refresh token stays valid 24 h
CODE_TTL = 600.0


@lru_cache(maxsize=8)
def _generated(seed: int, anchor: datetime) -> bytes:
    """A dataset generated once per seed and anchor; each sandbox unpickles its own copy (5x faster than
    generating it again, and no two sandboxes share a mutable list)."""
    return pickle.dumps(generate(seed, anchor=anchor), protocol=pickle.HIGHEST_PROTOCOL)


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    code_challenge: str | None
    expires_at: float
    persona: int = 0  # who logged in (sandbox_user=N)


@dataclass
class Sandbox:
    seed: int = DEFAULT_SEED
    anchor: datetime | None = None  # the data's "now"; the creation time when not given
    faults: Faults = field(default_factory=Faults)
    clock: Callable[[], float] = time.time
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    feed_key: str = FEED_KEY
    rate_limit: float = 10.0  # API requests per second per client address, as Upwork
    feed_rate_limit: int = 120  # feed requests per minute per key
    trickle: float = 0.0  # when served: post a new job every this many seconds (0: never)
    board: Board | None = None  # the embedded sandbox's: jobs other processes of this user posted

    codes: dict[str, Grant] = field(default_factory=dict)
    access_tokens: dict[str, float] = field(default_factory=dict)  # token -> expires_at
    refresh_tokens: dict[str, float] = field(default_factory=dict)
    sent_messages: list[dict[str, Any]] = field(default_factory=list)
    token_requests: int = 0
    api_requests: int = 0  # GraphQL requests that got past authentication and the rate limit
    requests_seen: int = 0  # every API request that arrived, faults included
    api_log: list[float] = field(default_factory=list)  # arrival times of authenticated GraphQL requests
    rate_limited: int = 0  # GraphQL requests refused with 429 for going over the per-IP limit
    feed_log: list[dict[str, str]] = field(default_factory=list)  # the query parameters of every /jobs request
    posted: int = 0  # jobs posted while running (POST /__sandbox__/jobs, or the trickle)
    token_persona: dict[str, int] = field(default_factory=dict)  # access or refresh token -> who it is for
    extra_rooms: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # the other people's rooms
    connects: dict[int, int] = field(default_factory=dict)  # each person's Connects balance (sandbox/applying.py)
    _hits: dict[str, deque[float]] = field(default_factory=dict)
    _issued: int = 0
    _data: Dataset | None = None

    def __post_init__(self) -> None:
        if self.anchor is None:
            self.anchor = datetime.fromtimestamp(self.clock(), UTC)

    @property
    def data(self) -> Dataset:
        """The seeded world, generated on first use so a server that never calls it starts faster."""
        if self._data is None:
            assert self.anchor is not None
            self._data = pickle.loads(_generated(self.seed, self.anchor))  # noqa: S301 - our own bytes
        return self._data

    @classmethod
    def create(
        cls,
        seed: int = DEFAULT_SEED,
        *,
        anchor: datetime | None = None,
        faults: Faults | None = None,
        clock: Callable[[], float] = time.time,
    ) -> Sandbox:
        return cls(seed=seed, anchor=anchor, faults=faults or Faults(), clock=clock)

    @property
    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def issue_tokens(self, persona: int = 0) -> dict[str, Any]:
        now = self.clock()
        access = "sbx_at_" + secrets.token_urlsafe(24)
        refresh = "sbx_rt_" + secrets.token_urlsafe(24)
        self.access_tokens[access] = now + ACCESS_TTL
        self.refresh_tokens[refresh] = now + REFRESH_TTL
        if persona:
            self.token_persona[access] = self.token_persona[refresh] = persona
        self._issued += 1
        # Upwork sometimes sends expires_in as a string: so does the sandbox, every other time.
        expires_in: int | str = int(ACCESS_TTL) if self._issued % 2 else str(int(ACCESS_TTL))
        return {"access_token": access, "refresh_token": refresh, "token_type": "bearer", "expires_in": expires_in}

    def rotate(self, refresh: str) -> dict[str, Any] | None:
        now = self.clock()
        expires = self.refresh_tokens.get(refresh)
        if expires is None or expires <= now:
            return None
        self.refresh_tokens[refresh] = min(expires, now + REFRESH_GRACE)
        return self.issue_tokens(self.token_persona.get(refresh, 0))

    def token_valid(self, token: str) -> bool:
        expires = self.access_tokens.get(token)
        return expires is not None and expires > self.clock()

    def over_rate(self, key: str, limit: float, window: float) -> bool:
        """Sliding-window limiter: True when this hit would exceed `limit` in `window` seconds."""
        now = self.clock()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - window:
            hits.popleft()
        if len(hits) >= limit:
            return True
        hits.append(now)
        return False

    def hits(self, key: str, window: float) -> deque[float]:
        """The limiter's hits for `key` within the last `window` seconds (oldest first)."""
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= self.clock() - window:
            hits.popleft()
        return hits

    def previous_client_keys(self) -> set[str]:
        return {c["_client_key"] for c in self.data.contracts}
