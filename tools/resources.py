"""MCP resources: Upwork objects by URI, and our GraphQL schema and documents for writing run_graphql queries."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver import Context

from ._common import app


async def job_resource(job_id: str, ctx: Context) -> str:
    from .jobs import _detail

    return _json(_detail(await app(ctx).client.jobs.get(job_id), detailed=True))


async def contract_resource(contract_id: str, ctx: Context) -> str:
    contract = await app(ctx).client.contracts.get(contract_id)
    return json.dumps(contract.model_dump(mode="json", exclude_none=True), ensure_ascii=False)


async def freelancer_resource(profile_key: str, ctx: Context) -> str:
    profile = await app(ctx).client.freelancers.profile(profile_key)
    return json.dumps(profile.model_dump(mode="json", exclude_none=True), ensure_ascii=False)


def schema_resource() -> str:
    from upwork_mcp import graphql as documents

    return documents.schema_sdl()


def operation_resource(name: str) -> str:
    from upwork_mcp import graphql as documents

    try:
        return documents.operation(name)
    except KeyError:
        raise ValueError(f"no operation {name!r}; known: {', '.join(documents.operation_names())}") from None


def _json(model: Any) -> str:
    return json.dumps(model.model_dump(mode="json", exclude_none=True), ensure_ascii=False)


@dataclass(frozen=True)
class ResourceSpec:
    uri: str
    fn: Any
    name: str
    title: str
    description: str
    mime_type: str
    toolset: str


RESOURCES = [
    ResourceSpec("upwork://jobs/{job_id}", job_resource, "job", "An Upwork job",
                 "One job posting by numeric id (from search_jobs), as JSON.", "application/json", "jobs"),
    ResourceSpec("upwork://contracts/{contract_id}", contract_resource, "contract", "An Upwork contract",
                 "One contract by id (from list_contracts), as JSON.", "application/json", "contracts"),
    ResourceSpec("upwork://freelancers/{profile_key}", freelancer_resource, "freelancer", "A freelancer profile",
                 "One profile by its ~01 key (from search_freelancers), as JSON.", "application/json", "freelancers"),
    ResourceSpec("upwork://schema", schema_resource, "schema", "Upwork GraphQL schema (known part)",
                 "The SDL of the part of Upwork's GraphQL API this server knows to exist; write run_graphql "
                 "queries against it.", "text/plain", "graphql"),
    ResourceSpec("upwork://operations/{name}", operation_resource, "operation", "A bundled GraphQL document",
                 "One of the named operations this server sends (e.g. SearchJobs), as GraphQL text.", "text/plain",
                 "graphql"),
]
