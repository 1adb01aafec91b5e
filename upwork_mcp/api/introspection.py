"""`schema pull`: introspect Upwork's schema with this key, the way this key is allowed to.

First the standard full introspection query; where Upwork refuses it, one `__type` per request (never
`inputFields` twice in one document), through the same request loop and so within the rate limit.
Without `everything`, the per-type walk covers the types this project's operations use, which is
what drift is measured on; with it, every type reachable from the roots.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio

from ..errors import UpworkError
from ..graphql.introspection import ONE_TYPE, TYPE_NAMES, Pulled, full_query, referenced, used_type_names

if TYPE_CHECKING:
    from . import UpworkClient

Progress = Callable[[int, int], Awaitable[None]]
IN_FLIGHT = 4  # type requests at once; the rate limiter still spaces them


async def pull(client: UpworkClient, *, everything: bool = False, progress: Progress | None = None) -> Pulled:
    try:
        result = await client.graphql.execute(full_query(), operation_name="IntrospectionQuery")
        schema = result.data["__schema"]
        types = {t["name"]: t for t in schema["types"]}
        return Pulled(
            types=types,
            query_type=(schema.get("queryType") or {}).get("name", "Query"),
            mutation_type=(schema.get("mutationType") or {}).get("name"),
            complete=True,
            mode="full",
            pulled_at=time.time(),
        )
    except (UpworkError, KeyError, TypeError) as exc:
        refusal = str(exc)
    pulled = await _one_type_at_a_time(client, everything=everything, progress=progress)
    pulled.notes.append(f"Full introspection was refused ({refusal[:160]}); pulled one type per request.")
    return pulled


async def _one_type_at_a_time(client: UpworkClient, *, everything: bool, progress: Progress | None) -> Pulled:
    wanted: set[str]
    if everything:
        try:
            names = (await client.graphql.execute(TYPE_NAMES, operation_name="TypeNames")).data["__schema"]["types"]
            wanted = {n["name"] for n in names if not n["name"].startswith("__")}
        except (UpworkError, KeyError, TypeError):
            wanted = {"Query", "Mutation"}  # walk from the roots instead
    else:
        wanted = used_type_names()
    fetched: dict[str, dict[str, Any]] = {}
    unanswered: list[str] = []
    queue = sorted(wanted)
    limit = anyio.Semaphore(IN_FLIGHT)

    async def fetch(name: str) -> None:
        async with limit:
            result = await client.graphql.execute(ONE_TYPE, {"name": name}, operation_name="OneType")
        found = result.data.get("__type")
        if not found:
            unanswered.append(name)
            return
        fetched[name] = found
        if everything:
            for ref in sorted(referenced(found) - wanted):
                if not ref.startswith("__"):
                    wanted.add(ref)
                    queue.append(ref)
        if progress is not None:
            await progress(len(fetched), len(wanted))

    while queue:
        batch, queue[:] = list(queue), []
        async with anyio.create_task_group() as tg:
            for name in batch:
                tg.start_soon(fetch, name)
    complete = (
        everything and not unanswered and all(referenced(t) <= set(fetched) | _BUILT_IN for t in fetched.values())
    )
    pulled = Pulled(
        types=fetched,
        complete=complete,
        mode="per-type",
        pulled_at=time.time(),
        mutation_type="Mutation" if "Mutation" in fetched else None,
    )
    if unanswered:
        pulled.notes.append(f"Upwork answered nothing for {len(unanswered)} types (e.g. {unanswered[0]}).")
    return pulled


_BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}
