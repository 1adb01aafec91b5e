"""Real Upwork answers (tests/samples/, each with its source) replayed as the body of Upwork's HTTP response:
through the engine's parsers and error translation, and through the tools a model calls."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client

from tests.mcp_client import CheckedClient
from upwork_mcp import graphql as documents
from upwork_mcp.api._graphql import classify_errors, refused_names
from upwork_mcp.api.jobs import parse_job_ref
from upwork_mcp.config import Settings
from upwork_mcp.errors import GraphQLError, PermissionDeniedError
from upwork_mcp.models._base import iso_instant
from upwork_mcp.models.contracts import TalentContract
from upwork_mcp.models.hours import TimeReportRow
from upwork_mcp.server import build_server

pytestmark = pytest.mark.anyio
SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> dict[str, Any]:
    return dict(json.loads((SAMPLES / name).read_text(encoding="utf-8")))


SEARCH = "01-marketplaceJobPostingsSearch-nodes-2025-10.json"
REFUSED = "03-error-permission-ExecutionAborted.json"
UNDEFINED = "04-error-validation-FieldUndefined.json"
TIMEOUT = "05-error-vendorProposals-transform-timeout.json"
PROPOSALS_PAGE = {
    "data": {
        "vendorProposals": {
            "totalCount": 1,
            "edges": [
                {
                    "node": {
                        "id": "1500000001",
                        "status": {"status": "Pending"},
                        # sample 07: proposal dates are epoch milliseconds as a string
                        "auditDetails": {"createdDateTime": {"rawValue": "1787306400000"}},
                    }
                }
            ],
            "pageInfo": {"hasNextPage": False, "endCursor": None},
        }
    }
}


@asynccontextmanager
async def replaying(*answers: dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]) -> AsyncIterator[Any]:
    """An MCP client on a server whose Upwork answers each GraphQL request with the next body (the last one
    again once they run out). Yields the client and the request bodies sent."""
    sent: list[dict[str, Any]] = []

    def upwork(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        sent.append(body)
        answer = answers[min(len(sent), len(answers)) - 1]
        return httpx.Response(200, json=answer(body) if callable(answer) else answer)

    settings = Settings.from_env(
        {"UPWORK_ACCESS_TOKEN": "replayed-token", "UPWORK_MAX_RETRIES": "0", "UPWORK_RATE_LIMIT": "1000"}
    )
    server = build_server(settings, transport=httpx.MockTransport(upwork))
    async with Client(server) as client:
        yield CheckedClient(client), sent


async def test_a_real_search_page_renders_right() -> None:
    async with replaying(sample(SEARCH)) as (client, sent):
        result = await client.call_tool("search_jobs", {"limit": 3})
    hourly, fixed, bigger = result.structured_content["jobs"]
    assert (hourly["type"], hourly["budget"]) == ("hourly", "$5-$15/hr")  # amount.rawValue "0.0" on hourly jobs
    assert (fixed["type"], fixed["budget"], bigger["budget"]) == ("fixed", "$10", "$30")  # null hourly fields
    assert hourly["url"] == "https://www.upwork.com/jobs/~021978704153911649005"
    assert hourly["client"] == {"total_spent": 72.11, "hires": 2, "payment_verified": True, "country": "Canada"}
    assert fixed["client"]["rating"] == 5.0  # an integer totalFeedback, with reviews
    text = result.content[0].text
    assert "d ago" in text and "+0000" not in text  # `2025-10-16T06:06:47+0000` read as a moment
    assert parse_job_ref(hourly["url"]) == (hourly["id"], "~021978704153911649005")
    pagination = sent[0]["variables"]["filter"]["pagination_eq"]
    assert pagination["after"] == "0" and sent[0]["operationName"] == "SearchJobs"


async def test_a_real_search_page_is_filtered_here_for_what_upwork_ignores() -> None:
    async with replaying(sample(SEARCH)) as (client, sent):
        budget = await client.call_tool("search_jobs", {"budget_min": 20, "limit": 3})
        part_time = await client.call_tool("search_jobs", {"workload": "part_time", "limit": 3})
    assert [j["budget"] for j in budget.structured_content["jobs"]] == ["$30"]
    assert [j["type"] for j in part_time.structured_content["jobs"]] == ["hourly"]  # "Less than 30 hrs/week"
    assert part_time.structured_content["applied_here"] and budget.structured_content["scanned"] == 3
    assert not {"budgetRange_eq", "workload_eq"} & {k for body in sent for k in body["variables"]["filter"]}


async def test_a_permission_refusal_names_the_permission_and_how_to_recheck() -> None:
    errors = sample(REFUSED)["errors"]
    error = classify_errors(errors, None, ("marketplaceJobPostingsSearch",))
    assert isinstance(error, PermissionDeniedError) and error.permission == "Read marketplace Job Postings"
    assert list(refused_names(errors)) == [
        "Money.currency",
        "Money.rawValue",
        "PageInfo.endCursor",
        "PageInfo.hasNextPage",
    ]
    async with replaying(sample(REFUSED)) as (client, sent):
        result = await client.call_tool("search_jobs", {})
        again = await client.call_tool("search_jobs", {})
    text = result.content[0].text
    assert result.is_error and "Read marketplace Job Postings" in text and "upwork-mcp doctor" in text
    # Money and PageInfo are in every answer: the key lacks the operation, which is remembered, not pruned.
    assert len(sent) == 1 and again.is_error and "within the last day" in again.content[0].text


async def test_a_field_upwork_does_not_have_is_a_schema_mismatch_not_a_permission() -> None:
    errors = sample(UNDEFINED)["errors"]
    error = classify_errors(errors, None, ("roomStories",))
    assert type(error) is GraphQLError and "FieldUndefined" in str(error)
    assert refused_names(errors) == {"RoomStory.systemStory": "it is gone from Upwork's schema"}
    async with replaying(sample(UNDEFINED)) as (client, _):
        result = await client.call_tool("list_messages", {"room_id": "room_1"})
    text = result.content[0].text
    assert result.is_error and "is undefined" in text and "permission" not in text.lower()


async def test_a_transform_timeout_is_retried_then_reported_as_transient() -> None:
    async with replaying(sample(TIMEOUT), PROPOSALS_PAGE) as (client, sent):
        once = await client.call_tool("list_proposals", {"status": "Pending"})
    # Asked twice; then the proposals' rooms are asked for (answered here with the page again: unknown).
    assert not once.is_error and [s["operationName"] for s in sent[:3]] == ["ListProposals", "ListProposals", "Account"]
    assert once.structured_content["proposals"][0]["created"] == "2026-08-21"  # 1787306400000 ms
    async with replaying(sample(TIMEOUT)) as (client, sent):
        twice = await client.call_tool("list_proposals", {"status": "Pending"})
    text = twice.content[0].text
    assert twice.is_error and len(sent) == 2 and "transient" in text and "permission" not in text.lower()


def _exception_occurred(body: dict[str, Any]) -> dict[str, Any]:
    return {"errors": [{"message": "Exception occurred"}], "data": {"marketplaceJobPostingsSearch": None}}


async def test_reported_live_a_search_exception_says_what_upwork_needs() -> None:
    async with replaying(_exception_occurred) as (client, _):
        result = await client.call_tool("run_graphql", {"query": "{ marketplaceJobPostingsSearch { totalCount } }"})
    assert result.is_error and 'after: "0"' in result.content[0].text and "searchType" in result.content[0].text


async def test_reported_live_authorization_failed_names_the_permission() -> None:
    failed = [{"message": "Authorization failed"}]
    contracts = classify_errors(failed, None, ("vendorContracts",))
    money = classify_errors(failed, None, ("transactionHistory",))
    assert isinstance(contracts, PermissionDeniedError) and contracts.permission == "the contracts read permission"
    assert isinstance(money, PermissionDeniedError) and money.permission == "the payments permission"


async def test_reported_live_a_page_size_refused_with_vjca_6_is_asked_smaller() -> None:
    refused = {"errors": [{"message": "VJCA-6: incorrect value"}], "data": None}
    async with replaying(refused, PROPOSALS_PAGE) as (client, sent):
        result = await client.call_tool("list_proposals", {"status": "Pending", "limit": 40})
    asked = [b["variables"]["pagination"]["first"] for b in sent if b["operationName"] == "ListProposals"]
    assert not result.is_error and asked == [40, 20]


async def test_reported_live_a_job_url_is_asked_by_its_numeric_id() -> None:
    job = {"data": {"marketplaceJobPosting": {"id": "1978704153911649005", "content": {"title": "Redesign"}}}}
    async with replaying(job) as (client, sent):
        result = await client.call_tool("get_job", {"job": "https://www.upwork.com/jobs/~021978704153911649005"})
    assert not result.is_error and sent[0]["variables"] == {"id": "1978704153911649005"}


def test_reported_live_fields_upwork_refuses_on_ordinary_keys_are_never_asked_for() -> None:
    assert "ownership" not in documents.operation("GetJob")  # 403 view_client_company
    assert "occupationLabel" not in documents.operation("SearchJobs")  # 403
    assert "fullName" not in documents.operation("ProbeFreelancerProfile")


async def test_reported_live_a_null_name_and_a_refused_country_leave_the_rest_of_the_profile() -> None:
    null_name = {
        "data": None,
        "errors": [
            {
                "message": "The field at path '/freelancerProfileByProfileKey/fullName' was declared as a non null "
                "type, but the code involved in retrieving data has wrongly returned a null value.  The graphql "
                "specification requires that the parent field be set to null, or if that is non nullable that it "
                "bubble up null to its parent and so on. The non-nullable type is 'String' within parent type "
                "'FreelancerProfile'",
                "path": ["freelancerProfileByProfileKey", "fullName"],
                "extensions": {"classification": "NullValueInNonNullableField"},
            }
        ],
    }
    refused = {
        "errors": [
            {
                "message": "The client or authentication token doesn't have enough oauth2 permissions/scopes to "
                "access: [FreelancerProfile.countryDetails].",
                "extensions": {"classification": "ExecutionAborted"},
            }
        ]
    }
    profile = {"data": {"freelancerProfileByProfileKey": {"personalData": {"title": "Data engineer"}}}}
    async with replaying(refused, null_name, profile) as (client, sent):
        result = await client.call_tool("get_freelancer_profile", {"profile_key": "~01abcdef0123456789"})
    text = result.content[0].text
    assert not result.is_error and result.structured_content["title"] == "Data engineer" and len(sent) == 3
    assert "fullName" not in sent[2]["query"] and "countryDetails" not in sent[2]["query"]
    assert "null" in text and "lacks the permission" in text


def test_field_values_seen_live_parse() -> None:
    # sample 07, one value per row where this project reads that field
    assert iso_instant("1787306400000") == "2026-08-21T10:00:00Z"  # proposal rawValue, epoch ms
    assert iso_instant("2025-10-16T06:06:47+0000") == "2025-10-16T06:06:47Z"  # search createdDateTime
    assert iso_instant("2026-04-26T00:00:00+0000") == "2026-04-26T00:00:00Z"  # transactionCreationDate
    assert str(TimeReportRow.model_validate({"dateWorkedOn": "2026-03-31"}).day) == "2026-03-31"
    terms = TalentContract.model_validate({"id": "1", "terms": {"hourlyRate": "45.00", "fixedAmount": None}})
    assert terms.terms is not None and terms.terms.hourly_rate == "45.00"  # strings, not Money
    assert iso_instant("2026-11-20T09:15:00.000Z") == "2026-11-20T09:15:00Z"  # Room/RoomStory createdDateTime
