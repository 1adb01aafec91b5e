from __future__ import annotations

import pytest

from upwork_mcp.api import JobSearchFilters, UpworkClient
from upwork_mcp.errors import GraphQLError, NotFoundError, PermissionDeniedError
from upwork_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio


async def test_partial_data_is_kept_and_its_errors_reported(client: UpworkClient, sandbox: Sandbox) -> None:
    sandbox.faults.partial = True
    page = await client.jobs.search(JobSearchFilters(limit=14))
    assert len(page.jobs) == 12  # offsets 3 and 10 were nulled
    assert len(page.warnings) == 2 and all("forbidden" in w for w in page.warnings)
    # The nulled nodes still take their slots: the next page starts after all 14 edges.
    assert page.next_offset == 14


async def test_a_field_beyond_the_keys_permissions_names_the_permission(client: UpworkClient, sandbox: Sandbox) -> None:
    sandbox.faults.deny.add("Query.marketplaceJobPostingsSearch")
    with pytest.raises(PermissionDeniedError) as info:
        await client.jobs.search(JobSearchFilters())
    assert info.value.permission == "Read marketplace Job Postings"
    assert "API Center" in str(info.value)


async def test_a_nested_denied_field_fails_the_whole_query(client: UpworkClient, sandbox: Sandbox) -> None:
    sandbox.faults.deny.add("MarketplaceJobPosting.activityStat")
    page = await client.jobs.search(JobSearchFilters(limit=1))
    with pytest.raises(PermissionDeniedError):
        await client.jobs.get(page.jobs[0].id)


async def test_a_document_the_schema_rejects_is_a_graphql_error(client: UpworkClient) -> None:
    with pytest.raises(GraphQLError) as info:
        await client.graphql.execute("{ marketplaceJobPostingsSearch { total } }")
    assert info.value.errors[0]["extensions"]["classification"] == "ValidationError"
    assert "total" in str(info.value)


async def test_not_found_is_its_own_error(client: UpworkClient) -> None:
    with pytest.raises(NotFoundError):
        await client.contracts.get("999")


async def test_the_tenant_header_selects_the_organization(client: UpworkClient, sandbox: Sandbox) -> None:
    agency = sandbox.data.organizations[1]
    result = await client.graphql.execute("{ organization { id name } }", tenant_id=agency["id"])
    assert result.data["organization"]["name"] == agency["name"]
