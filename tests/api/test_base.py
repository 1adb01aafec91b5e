from __future__ import annotations

import itertools

import httpx
import pytest

from tests.conftest import FakeClock, make_loop, sandbox_client
from upwork_mcp._http import RateLimiter, RetryPolicy, error_from_response, parse_retry_after
from upwork_mcp.api import JobSearchFilters, UpworkClient
from upwork_mcp.errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from upwork_mcp.sandbox import Faults, Sandbox

pytestmark = pytest.mark.anyio


async def test_a_5xx_is_retried_with_growing_backoff_until_it_succeeds(
    client: UpworkClient, sandbox: Sandbox, clock: FakeClock
) -> None:
    await client.account.me()  # log in first, so only the search meets the faults
    clock.sleeps.clear()
    sandbox.faults.server_error = 2
    page = await client.jobs.search(JobSearchFilters())
    assert page.jobs
    backoffs = [s for s in clock.sleeps if s >= 0.3]
    assert backoffs == [0.375, 0.75]  # rand=0.5: half to full of 0.5 s, then of 1 s


async def test_retry_after_is_honoured_on_429(client: UpworkClient, sandbox: Sandbox, clock: FakeClock) -> None:
    await client.account.me()
    clock.sleeps.clear()
    sandbox.faults = Faults(rate_limit=1, retry_after=2.5)
    await client.account.me(refresh=True)
    assert 2.5 in clock.sleeps


async def test_retries_stop_at_the_bound_and_raise_the_last_error(client: UpworkClient, sandbox: Sandbox) -> None:
    await client.account.me()
    sandbox.faults.server_error = 10
    sent_before = client.loop.requests_sent
    with pytest.raises(ServerError) as info:
        await client.account.me(refresh=True)
    assert client.loop.requests_sent - sent_before == 4  # 1 try + max_retries=3
    assert "Try again shortly" in str(info.value)


async def test_total_wait_is_bounded_even_when_retry_after_is_long(
    http: httpx.AsyncClient, sandbox: Sandbox, clock: FakeClock, settings
) -> None:
    c = sandbox_client(http, settings, make_loop(http, clock, max_retries=5))
    await c.account.me()
    sandbox.faults = Faults(rate_limit=5, retry_after=20)
    with pytest.raises(RateLimitError) as info:
        await c.account.me(refresh=True)
    assert info.value.retry_after == 20
    assert sum(s for s in clock.sleeps if s >= 20) <= RetryPolicy().max_wait_total


async def test_a_mutation_is_never_resent(client: UpworkClient, sandbox: Sandbox) -> None:
    rooms = await client.messages.rooms(first=1)
    sandbox.faults.server_error = 1
    sent_before = client.loop.requests_sent
    with pytest.raises(ServerError):
        await client.messages.send(rooms.rooms[0].id, "hello once")
    assert client.loop.requests_sent - sent_before == 1
    assert sandbox.sent_messages == []


async def test_a_slow_answer_times_out_with_advice(sandbox: Sandbox, settings, clock: FakeClock) -> None:
    from upwork_mcp.sandbox import create_app

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(sandbox))) as http:
        c = sandbox_client(http, settings, make_loop(http, clock, max_retries=0, timeout=0.05))
        sandbox.faults.slow = 1.0
        with pytest.raises(APIConnectionError) as info:
            await c.account.me()
    assert "UPWORK_TIMEOUT" in str(info.value)


async def test_connection_errors_are_retried_then_reported(clock: FakeClock) -> None:
    calls = 0

    def refuse(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ConnectError("refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as http:
        loop = make_loop(http, clock, max_retries=2)
        with pytest.raises(APIConnectionError) as info:
            await loop.send("GET", "http://feed.test/health", service="The feed")
    assert calls == 3 and "feed.test" in str(info.value)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
        (408, ServerError),
        (418, APIError),
    ],
)
def test_each_status_maps_to_its_error_class(status: int, cls: type[APIError]) -> None:
    response = httpx.Response(status, json={"message": "because"}, headers={"Retry-After": "3"})
    error = error_from_response(response, "Upwork")
    assert type(error) is cls and error.status_code == status and "because" in str(error)
    if cls is RateLimitError:
        assert error.retry_after == 3.0


def test_error_messages_never_echo_a_whole_body() -> None:
    response = httpx.Response(400, json={"detail": "Bearer sk-secret-value", "message": "bad filter"})
    assert "sk-secret" not in str(error_from_response(response, "Upwork"))


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Sun, 22 Nov 2026 12:00:10 GMT", now=lambda: 1795348800.0) == 10.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


async def test_a_burst_past_the_rate_limit_is_spaced_so_upwork_never_answers_429(
    http: httpx.AsyncClient, sandbox: Sandbox, clock: FakeClock, settings
) -> None:
    import anyio

    c = sandbox_client(http, settings, make_loop(http, clock, max_retries=0, rate=10))
    await c.account.me()
    start = clock.now
    errors: list[Exception] = []

    async def one() -> None:
        try:
            await c.account.me(refresh=True)
        except Exception as exc:
            errors.append(exc)

    async with anyio.create_task_group() as tg:
        for _ in range(30):
            tg.start_soon(one)
    assert errors == []
    assert clock.now - start >= 2.9  # 30 requests at 10 per second


async def test_without_our_limiter_the_same_burst_meets_upworks_429(
    http: httpx.AsyncClient, sandbox: Sandbox, clock: FakeClock, settings
) -> None:
    import anyio

    c = sandbox_client(http, settings, make_loop(http, clock, max_retries=0, rate=None))
    await c.account.me()
    failures: list[type] = []

    async def one() -> None:
        try:
            await c.account.me(refresh=True)
        except RateLimitError as exc:
            failures.append(type(exc))

    async with anyio.create_task_group() as tg:
        for _ in range(30):
            tg.start_soon(one)
    assert len(failures) >= 15  # the sandbox enforces Upwork's 10 per second


async def test_the_limiter_spaces_requests_evenly(clock: FakeClock) -> None:
    limiter = RateLimiter(4, clock=clock, sleep=clock.sleep)
    stamps = []
    for _ in range(5):
        await limiter.acquire()
        stamps.append(clock.now)
    gaps = [round(b - a, 6) for a, b in itertools.pairwise(stamps)]
    assert gaps == [0.2625] * 4  # 1/4 s plus the 5% margin
