"""Upwork's rate limit, one for every process on this store: at most 10 requests in any second and 300 in
any minute (facts page), counted per IP by Upwork, so shared by the processes of one data directory (SQLite)
or of one deployment (PostgreSQL).

A request is granted when it leaves, never reserved ahead: a process that wakes late asks again and takes
the next opening then, so it can't land beside the request after it. Granted requests are spaced `interval`
apart (the per-second limit with a margin for jitter on the wire), and the time of each of the last
`per_minute` grants is kept (rows of `rate_limits`, a ring), so a grant that would make `per_minute + 1` in
one `minute` waits for the oldest to age out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio
import anyio.to_thread

from .core import Store

# Jitter on the wire must not bunch requests past the limit: spacing is 5% wider than 1/rate, and the
# minute 1 s longer than Upwork's.
MARGIN = 1.05
MINUTE = 61.0
PER_MINUTE = 300
# Upwork allows in a minute what it allows in 30 seconds at full rate (300 at 10/s); a rate set otherwise
# (UPWORK_RATE_LIMIT, for a sandbox or a smaller share) keeps that proportion.
SECONDS_PER_MINUTE_BUDGET = PER_MINUTE / 10


def grant(
    store: Store, key: str, interval: float, per_minute: int = PER_MINUTE, minute: float = MINUTE
) -> tuple[float, float]:
    """(0, now) when a request under `key` may leave now (it is counted as sent at `now`), or (how long to
    wait before asking again, now)."""
    with store.db.transaction(lock=f"rate:{key}") as tx:
        now = store._clock()  # read holding the lock: a grant is never dated before the one it follows
        found = tx.all("SELECT key, next_at FROM rate_limits WHERE key IN (?, ?)", (key, f"{key}:count"))
        rows = {str(r["key"]): float(r["next_at"]) for r in found}
        count = int(rows.get(f"{key}:count", 0))
        ring = f"{key}:{count % per_minute}"
        row = tx.one("SELECT next_at FROM rate_limits WHERE key = ?", (ring,))
        # Times past `now` are from before the clock was set back: they would hold every request for as
        # long as it moved, so they count as gone.
        oldest = float(row["next_at"]) if row else None
        oldest = oldest if oldest is not None and oldest <= now else None
        next_at = rows.get(key, now)
        next_at = next_at if next_at <= now + interval else now
        wait = max(next_at - now, (oldest + minute - now) if oldest is not None else 0.0)
        if wait > 0:
            return wait, now
        for name, value in ((key, now + interval), (f"{key}:count", float(count + 1)), (ring, now)):
            tx.execute(
                "INSERT INTO rate_limits (key, next_at) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET next_at = excluded.next_at",
                (name, value),
            )
    return 0.0, now


class StoreLimiter:
    """The request loop's limiter on the store: every process using `key` shares one limit."""

    def __init__(
        self,
        store: Store,
        key: str,
        rate: float,
        *,
        per_minute: int | None = None,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self.store = store
        self.key = key
        self.interval = MARGIN / rate
        self.per_minute = per_minute or max(1, round(rate * SECONDS_PER_MINUTE_BUDGET))
        self._sleep = sleep
        self._lock = anyio.Lock()  # one task of this process asks the store at a time, in the order they came

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                wait, _ = await anyio.to_thread.run_sync(grant, self.store, self.key, self.interval, self.per_minute)
                if wait <= 0:
                    return
                await self._sleep(wait)
