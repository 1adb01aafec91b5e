"""The one request loop: credentials, rate limit, timeout, retries with backoff, Retry-After, status -> error.

The bottom floor of the engine: it knows HTTP, not Upwork. Every request to Upwork and to the job
feed goes through `RequestLoop.send`. Retries happen here and nowhere else; status codes become
`UpworkError`s in `error_from_response` and nowhere else.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import anyio
import httpx

from .errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TenantError,
    UpworkError,
)

log = logging.getLogger("upwork_mcp.http")

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
USER_AGENT = "upwork-mcp (+https://github.com/upwork-mcp/upwork-mcp)"


class Limiter(Protocol):
    """Grants one request slot at a time; shared by everything that sends under one limit."""

    async def acquire(self) -> None: ...


class RateLimiter:
    """Spaces requests evenly at `rate` per second, shared by every task that holds it.

    Even spacing (a bucket of one) never exceeds `rate` in any one-second window, which is
    how Upwork counts (10 requests per second per IP). The 5% margin absorbs jitter on the
    wire that would bunch evenly spaced requests together on arrival.
    """

    MARGIN = 1.05

    def __init__(self, rate: float, *, clock: Clock = time.monotonic, sleep: Sleep = anyio.sleep) -> None:
        self.interval = self.MARGIN / rate
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = anyio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            now = self._clock()
            wait = self._next - now
            if wait > 0:
                await self._sleep(wait)
                now = self._clock()
            self._next = max(now, self._next) + self.interval


class Credentials(Protocol):
    """What the loop asks for the headers that authenticate a request."""

    async def headers(self) -> dict[str, str]:
        """Headers for the next attempt (may wait for a refresh)."""
        ...

    async def rejected(self, sent: Mapping[str, str]) -> bool:
        """The server answered 401 to `sent`: renew if possible; True when a resend may succeed."""
        ...


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    # Bound on the time spent waiting between attempts, Retry-After included.
    max_wait_total: float = 30.0

    def backoff(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Exponential backoff with full jitter on the upper half: attempt 0 -> [0.25, 0.5] s."""
        cap = min(self.max_delay, self.base_delay * (2**attempt))
        return float(cap / 2 + rand() * cap / 2)


class RequestLoop:
    """Sends requests with the house rules. Owns no client: the composition root does."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        timeout: float,
        policy: RetryPolicy,
        limiter: Limiter | None = None,
        sleep: Sleep = anyio.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.http = http
        self.timeout = timeout
        self.policy = policy
        self.limiter = limiter
        self._sleep = sleep
        self._rand = rand
        self.requests_sent = 0

    async def back_off(self, attempt: int) -> None:
        """Wait as a retry would, for a caller retrying what only it can judge transient (a 200 whose
        GraphQL errors say Upwork timed out inside)."""
        await self._sleep(self.policy.backoff(attempt, self._rand))

    async def send(
        self,
        method: str,
        url: str,
        *,
        service: str,
        retry: bool = True,
        json: Any = None,
        params: dict[str, Any] | None = None,
        data: dict[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        credentials: Credentials | None = None,
        ok_statuses: frozenset[int] = frozenset(),
        auth_hint: str = "",
    ) -> httpx.Response:
        """Send one logical request; return the response or raise an UpworkError.

        `retry=False` is for writes: once a request may have reached the server it is never
        sent again (a connection that was never made, or a 401, is resent: nothing was done).
        `ok_statuses` are failure statuses the caller wants back as a response.
        The rate-limit slot is taken after the credentials are ready, so requests that waited
        for a token refresh leave one by one, not in a burst.
        """
        waited = 0.0
        attempt = 0
        renewed = False
        while True:
            sent_headers = dict(await credentials.headers()) if credentials is not None else {}
            sent_headers.update(headers or {})
            if self.limiter is not None:
                await self.limiter.acquire()
            self.requests_sent += 1
            try:
                with anyio.fail_after(self.timeout):
                    response = await self.http.request(
                        method, url, json=json, params=params, data=data, headers=sent_headers
                    )
            except TimeoutError as exc:
                error: UpworkError = APIConnectionError(
                    f"{service} did not answer within {self.timeout:g} s. Try again; "
                    "raise UPWORK_TIMEOUT if this keeps happening."
                )
                error.__cause__ = exc
                retryable = retry
                retry_after = None
            except httpx.ConnectError as exc:
                error = APIConnectionError(
                    f"Could not connect to {service} ({_host(url)}): {exc.__class__.__name__}.", may_have_arrived=False
                )
                error.__cause__ = exc
                retryable = True  # nothing was sent
                retry_after = None
            except httpx.TransportError as exc:
                error = APIConnectionError(f"The connection to {service} failed: {exc.__class__.__name__}.")
                error.__cause__ = exc
                retryable = retry
                retry_after = None
            else:
                if response.status_code == 401 and credentials is not None and not renewed:
                    renewed = True
                    if await credentials.rejected(sent_headers):
                        continue  # a 401 was not processed: resending is safe, even for a write
                if response.status_code < 400 or response.status_code in ok_statuses:
                    return response
                error = error_from_response(response, service, auth_hint=auth_hint)
                retryable = retry and response.status_code in RETRY_STATUSES
                retry_after = getattr(error, "retry_after", None)
            if not retryable or attempt >= self.policy.max_retries:
                raise error
            delay = retry_after if retry_after is not None else self.policy.backoff(attempt, self._rand)
            if waited + delay > self.policy.max_wait_total:
                raise error
            log.info("%s: %s; retrying in %.2f s (attempt %d)", service, error.__class__.__name__, delay, attempt + 2)
            await self._sleep(delay)
            waited += delay
            attempt += 1


def new_http_client(timeout: float, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """The process's one AsyncClient (made by the composition root; `transport` picks the world)."""
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(timeout),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
    )


def parse_retry_after(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now())


def body_message(response: httpx.Response) -> str | None:
    """The server's own short explanation, if its body has one. Bodies are never echoed whole."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    for key in ("message", "error_description", "error"):
        value = body.get(key)
        if isinstance(value, str) and value:
            details = body.get("details")
            if isinstance(details, list) and details and isinstance(details[0], dict):
                first = details[0]
                field = first.get("field")
                said = first.get("message")
                example = first.get("example")
                if isinstance(said, str):
                    value = f"{value}: {field + ' ' if isinstance(field, str) else ''}{said}"
                    if isinstance(example, str | int | float) and not isinstance(example, bool):
                        value += f" (e.g. {example})"
            return value[:300]
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        msg = errors[0].get("message")
        if isinstance(msg, str):
            return msg[:300]
    return None


def error_from_response(response: httpx.Response, service: str, *, auth_hint: str = "") -> APIError:
    """Map a failure status to its error class. `auth_hint` says what to do about a 401 for this service."""
    status = response.status_code
    said = body_message(response)
    detail = f" ({said})" if said else ""
    if status == 400:
        return BadRequestError(
            f"{service} rejected the request as invalid{detail}. Check the arguments.", status_code=400
        )
    if status == 401:
        hint = f" {auth_hint}" if auth_hint else ""
        return AuthenticationError(f"{service} refused the credentials{detail}.{hint}", status_code=401)
    if status == 403 and said and "tenant" in said.lower():
        return TenantError(f"{service} refused the organization{detail}.", permission=None)
    if status == 403:
        return PermissionDeniedError(
            f"{service} denied access{detail}. The API key may lack a permission: enable it for the key in "
            "Upwork's API Center.",
        )
    if status == 404:
        return NotFoundError(f"{service} found nothing there{detail}. Check the id.", status_code=404)
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        when = f" Retry after {retry_after:g} s." if retry_after is not None else " Wait a moment and retry."
        return RateLimitError(f"{service} rate limit reached{detail}.{when}", retry_after=retry_after)
    if status == 408 or status >= 500:
        return ServerError(f"{service} failed with HTTP {status}{detail}. Try again shortly.", status_code=status)
    return APIError(f"{service} answered HTTP {status}{detail}.", status_code=status)


def _host(url: str) -> str:
    return httpx.URL(url).host
