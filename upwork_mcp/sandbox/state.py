"""The sandbox's mutable world: seeded data, issued tokens, faults, sent messages, a clock."""

from __future__ import annotations

import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..config import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_FEED_KEY
from .data import DEFAULT_SEED, Dataset, generate

ACCESS_TTL = 86_400.0  # 24 h, as Upwork
REFRESH_TTL = 14 * 86_400.0  # 14 days
REFRESH_GRACE = 86_400.0  # a rotated-out refresh token stays valid 24 h
CODE_TTL = 600.0


@dataclass
class Faults:
    """Faults switchable per run (CLI --fault, UPWORK_SANDBOX_FAULTS, or POST /__sandbox__/faults)."""

    rate_limit: int = 0  # the next N API requests answer 429
    retry_after: float = 1.0
    server_error: int = 0  # the next N API requests answer 503
    slow: float = 0.0  # seconds added before every API answer
    partial: bool = False  # every 7th job-search node is nulled with an error
    deny: set[str] = field(default_factory=set)  # "Type.field" the API key may not read
    deny_consent: bool = False  # the consent page answers access_denied

    @classmethod
    def parse(cls, spec: str) -> Faults:
        """From 'rate_limit=2,server_error=1,slow=0.5,partial,deny=Query.vendorContracts'."""
        faults = cls()
        for part in (p.strip() for p in spec.split(",") if p.strip()):
            name, _, value = part.partition("=")
            faults.set(name.strip(), value.strip())
        return faults

    def set(self, name: str, value: str) -> None:
        if name in ("rate_limit", "server_error"):
            setattr(self, name, int(value or 1))
        elif name in ("retry_after", "slow"):
            setattr(self, name, float(value))
        elif name in ("partial", "deny_consent"):
            setattr(self, name, value.lower() not in ("0", "false", "off", "no"))
        elif name == "deny":
            if "." not in value:
                raise ValueError("deny takes Type.field, e.g. deny=Query.vendorContracts")
            self.deny.add(value)
        else:
            raise ValueError(
                f"unknown fault {name!r}; use rate_limit=N, server_error=N, retry_after=S, slow=S, partial, "
                "deny=Type.field or deny_consent"
            )

    def as_dict(self) -> dict[str, Any]:
        return {"rate_limit": self.rate_limit, "retry_after": self.retry_after, "server_error": self.server_error,
                "slow": self.slow, "partial": self.partial, "deny": sorted(self.deny),
                "deny_consent": self.deny_consent}


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    code_challenge: str | None
    expires_at: float


@dataclass
class Sandbox:
    seed: int = DEFAULT_SEED
    anchor: datetime | None = None  # the data's "now"; the creation time when not given
    faults: Faults = field(default_factory=Faults)
    clock: Callable[[], float] = time.time
    client_id: str = SANDBOX_CLIENT_ID
    client_secret: str = SANDBOX_CLIENT_SECRET
    feed_key: str = SANDBOX_FEED_KEY
    rate_limit: float = 10.0  # API requests per second per client address, as Upwork
    feed_rate_limit: int = 120  # feed requests per minute per key

    codes: dict[str, Grant] = field(default_factory=dict)
    access_tokens: dict[str, float] = field(default_factory=dict)  # token -> expires_at
    refresh_tokens: dict[str, float] = field(default_factory=dict)
    sent_messages: list[dict[str, Any]] = field(default_factory=list)
    token_requests: int = 0
    api_requests: int = 0
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
            self._data = generate(self.seed, anchor=self.anchor)
        return self._data

    @classmethod
    def create(cls, seed: int = DEFAULT_SEED, *, anchor: datetime | None = None, faults: Faults | None = None,
               clock: Callable[[], float] = time.time) -> Sandbox:
        return cls(seed=seed, anchor=anchor, faults=faults or Faults(), clock=clock)

    @property
    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def issue_tokens(self) -> dict[str, Any]:
        now = self.clock()
        access = "sbx_at_" + secrets.token_urlsafe(24)
        refresh = "sbx_rt_" + secrets.token_urlsafe(24)
        self.access_tokens[access] = now + ACCESS_TTL
        self.refresh_tokens[refresh] = now + REFRESH_TTL
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
        return self.issue_tokens()

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

    def previous_client_keys(self) -> set[str]:
        return {c["_client_key"] for c in self.data.contracts}
