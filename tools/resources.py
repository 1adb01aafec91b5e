"""MCP resources: Upwork objects by URI, and Upwork's schema and our documents for writing run_graphql queries.

Objects come back as JSON inside the same untrusted marking the tools use, cleaned the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver.exceptions import ResourceError
from pydantic import BaseModel

from upwork_mcp import graphql as documents

from ._app import Ctx, app
from ._text import clean_all, untrusted


def _marked(model: BaseModel, source: str) -> str:
    body = json.dumps(clean_all(model.model_dump(mode="json", exclude_none=True)), ensure_ascii=False)
    return untrusted(body, source)


async def job_resource(job_id: str, ctx: Ctx) -> str:
    from ._job_out import job_detail  # lazy: the server lists resources at start-up without loading tool modules

    found = await app(ctx).client.jobs.details(job_id)
    return _marked(job_detail(found, detailed=True), "a job written by its client")


async def contract_resource(contract_id: str, ctx: Ctx) -> str:
    contract = await app(ctx).client.contracts.get(contract_id)
    return _marked(contract, "a contract; titles and names are written by clients")


async def freelancer_resource(profile_key: str, ctx: Ctx) -> str:
    profile = await app(ctx).client.freelancers.profile(profile_key)
    return _marked(profile, "a profile written by the freelancer")


async def watch_resource(name: str, ctx: Ctx) -> str:
    """A watch and the jobs its checks returned within the last 24 hours, as they were ranked, best first."""
    import anyio.to_thread  # lazy: the watches load with the first read

    from upwork_mcp.watches.listing import Listing  # lazy: as above
    from upwork_mcp.watches.scoring import Score
    from upwork_mcp.watches.service import Found

    from ._watch_out import found_out, watch_out  # lazy: as above

    watches = app(ctx).watches
    watch, row = await watches.get(name)
    stored = await anyio.to_thread.run_sync(watches.store.latest, name)
    ranked = sorted(
        (Found(Listing.from_json(p), Score.from_json(s)) for p, s in stored if s),
        key=lambda f: -(f.score.score if f.score.score is not None else -1),
    )
    body = {
        "watch": watch_out(watch).model_dump(exclude_none=True),
        "last_checked": row.checked,
        "ranked_by": ranked[0].score.by if ranked else None,
        "jobs": [found_out(f, detailed=False).model_dump(exclude_none=True) for f in ranked],
    }
    return untrusted(json.dumps(clean_all(body), ensure_ascii=False), "job titles are written by clients")


async def schema_resource() -> str:
    """An index of the schema (a few KB): loading it costs a client little; each type is behind the template."""
    import anyio.to_thread  # lazy: the server lists resources at start-up without loading their code

    from upwork_mcp.graphql.describe import index  # lazy: graphql-core

    text = await anyio.to_thread.run_sync(lambda: index(documents.bundled_schema()))
    return text + "# Each type: upwork://schema/{type_name}, or the describe_type tool.\n"


def operation_resource(name: str) -> str:
    try:
        return documents.operation(name)
    except KeyError as exc:
        raise ResourceError(f"No operation {name!r}; known: {', '.join(documents.operation_names())}.") from exc


async def schema_type_resource(type_name: str, ctx: Ctx) -> str:
    """One type as the describe_type tool shows it, from the schema run_graphql checks documents against."""
    import anyio.to_thread  # lazy: the server lists resources at start-up without loading their code

    from upwork_mcp.graphql.describe import look_up  # lazy: graphql-core

    schema, _ = await app(ctx).schema()
    _, sdl, close = await anyio.to_thread.run_sync(look_up, schema, type_name)
    if sdl is None:
        raise ResourceError(
            f"Upwork's schema has no type {type_name!r}." + (f" Close: {', '.join(close)}." if close else "")
        )
    return sdl + "\n"


@dataclass(frozen=True)
class ResourceSpec:
    uri: str
    fn: Callable[..., Any]
    name: str
    title: str
    description: str
    mime_type: str
    toolset: str


RESOURCES = [
    ResourceSpec(
        "upwork://watches/{name}",
        watch_resource,
        "watch",
        "An Upwork job watch",
        "A watch and its latest jobs, scored (marked JSON). Subscribe: check_watches announces new jobs.",
        "text/plain",
        "watches",
    ),
    ResourceSpec(
        "upwork://jobs/{job_id}",
        job_resource,
        "job",
        "An Upwork job",
        "One job posting by numeric id (from search_jobs), as marked JSON.",
        "text/plain",
        "jobs",
    ),
    ResourceSpec(
        "upwork://contracts/{contract_id}",
        contract_resource,
        "contract",
        "An Upwork contract",
        "One contract by id (from list_contracts), as marked JSON.",
        "text/plain",
        "contracts",
    ),
    ResourceSpec(
        "upwork://freelancers/{profile_key}",
        freelancer_resource,
        "freelancer",
        "A freelancer profile",
        "One profile by its ~01 key (from search_freelancers), as marked JSON.",
        "text/plain",
        "freelancers",
    ),
    ResourceSpec(
        "upwork://schema",
        schema_resource,
        "schema",
        "Upwork GraphQL schema",
        "An index of Upwork's GraphQL API: its root fields and their types; upwork://schema/{type_name}: one type.",
        "text/plain",
        "graphql",
    ),
    ResourceSpec(
        "upwork://schema/{type_name}",
        schema_type_resource,
        "schema-type",
        "A type of Upwork's schema",
        "One type's fields and arguments as SDL, e.g. upwork://schema/MarketplaceJobPosting.",
        "text/plain",
        "graphql",
    ),
    ResourceSpec(
        "upwork://operations/{name}",
        operation_resource,
        "operation",
        "A bundled GraphQL document",
        "One of the named operations this server sends (e.g. SearchJobs), as GraphQL text.",
        "text/plain",
        "graphql",
    ),
]
