from __future__ import annotations

import pytest

from upwork_mcp.api import JobSearchFilters, UpworkClient
from upwork_mcp.errors import GraphQLError, NotFoundError, PermissionDeniedError
from upwork_mcp.notes import collecting
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


async def test_a_nested_field_the_key_may_not_read_is_left_out_not_fatal(
    client: UpworkClient, sandbox: Sandbox
) -> None:
    sandbox.faults.deny.add("MarketplaceJobPosting.activityStat")  # Upwork fails the whole query for it
    page = await client.jobs.search(JobSearchFilters(limit=2))
    before = sandbox.requests_seen
    with collecting() as notes:
        job = await client.jobs.get(page.jobs[0].id)
    assert job.content.title == page.jobs[0].title and job.activity_stat is None
    assert sandbox.requests_seen - before == 2  # refused once, then asked without the field
    assert any("activityStat" in n and "permission" in n for n in notes)
    before = sandbox.requests_seen
    again = await client.jobs.get(page.jobs[1].id)  # remembered for the key: asked without it at once
    assert again.activity_stat is None and sandbox.requests_seen - before == 1


async def test_a_field_upwork_no_longer_has_is_left_out(client: UpworkClient, sandbox: Sandbox) -> None:
    sandbox.faults.drop.add("MarketplaceJobPostingSearchClientInfo.totalReviews")  # schema drift
    page = await client.jobs.search(JobSearchFilters(limit=3))
    assert len(page.jobs) == 3 and all(j.client.total_reviews is None for j in page.jobs)


async def test_a_refused_operation_is_remembered_and_not_asked_again(client: UpworkClient, sandbox: Sandbox) -> None:
    sandbox.faults.deny.add("Query.roomList")
    with pytest.raises(PermissionDeniedError):
        await client.messages.rooms(first=1)
    before = sandbox.requests_seen
    with pytest.raises(PermissionDeniedError, match="messaging read permission"):
        await client.messages.rooms(first=1)
    assert sandbox.requests_seen == before


async def test_a_mutation_is_never_rewritten(client: UpworkClient, sandbox: Sandbox) -> None:
    room = (await client.messages.rooms(first=1)).rooms[0]
    sandbox.faults.deny.add("RoomStory.user")
    with pytest.raises(PermissionDeniedError):
        await client.messages.send(room.id, "kept whole or not sent")
    assert sandbox.sent_messages == []


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
