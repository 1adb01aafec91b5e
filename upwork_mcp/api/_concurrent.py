"""Several upstream requests at once (the rate limiter still spaces them), failing like one request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import anyio

T = TypeVar("T")


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


async def gather(calls: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
    """Run `calls` concurrently; their results in order. When any fails, the others are cancelled and the
    first error is raised as itself (callers and error translation see an UpworkError, never a group)."""
    results: list[T | None] = [None] * len(calls)

    async def run(index: int) -> None:
        results[index] = await calls[index]()

    try:
        async with anyio.create_task_group() as tg:
            for index in range(len(calls)):
                tg.start_soon(run, index)
    except BaseExceptionGroup as group:
        raise _first_leaf(group) from None
    return results  # type: ignore[return-value]  # every slot was filled: no call failed


A = TypeVar("A")
B = TypeVar("B")


async def both(first: Callable[[], Awaitable[A]], second: Callable[[], Awaitable[B]]) -> tuple[A, B]:
    """Two different requests at once, typed: `gather` for a pair."""
    a, b = await gather([first, second])  # the list is of A | B
    return a, b  # type: ignore[return-value]
