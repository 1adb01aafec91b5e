"""The project speaks Upwork's real schema: every document validates against the live snapshot (plus the
sourced overlay), and every value the engine puts in variables is one that schema accepts."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLNonNull, OperationDefinitionNode, parse, validate
from graphql.execution.values import get_variable_values

from upwork_mcp import graphql as documents
from upwork_mcp.api import JobSearchFilters
from upwork_mcp.facts import PROPOSAL_STATUSES

SCHEMA = documents.bundled_schema()


def test_the_bundled_schema_is_upworks_snapshot_plus_its_overlay() -> None:
    assert len(SCHEMA.type_map) >= 2_859
    assert SCHEMA.query_type is not None and "vendorProposals" in SCHEMA.query_type.fields
    search_filter = SCHEMA.get_type("MarketplaceJobPostingsSearchFilter")
    assert {"daysPosted_eq", "duration_any"} <= set(search_filter.fields)  # type: ignore[union-attr]
    changes = documents.overlay_changes()
    assert changes and all(c.kind in ("seen", "gone") and c.on.startswith("2026-") and c.source for c in changes), [
        c for c in changes if not (c.on and c.source)
    ]


def test_the_september_drift_is_applied_what_upwork_dropped_is_gone_and_the_level_may_be_null() -> None:
    result = SCHEMA.get_type("MarketplaceJobPostingSearchResult")
    level = result.fields["experienceLevel"].type  # type: ignore[union-attr]
    assert not isinstance(level, GraphQLNonNull)
    client = SCHEMA.get_type("MarketplaceJobPostingSearchClientInfo")
    assert not {"companyName", "memberSinceDateTime"} & set(client.fields)  # type: ignore[union-attr]
    assert "totalSpent" in client.fields  # type: ignore[union-attr]
    assert "clientCompany" not in SCHEMA.get_type("MarketplaceJobPosting").fields  # type: ignore[union-attr]
    assert {d.name for d in SCHEMA.directives}.isdisjoint({"seen", "gone"})  # the overlay's bookkeeping only
    assert documents.gone("MarketplaceJobPosting.clientCompany") is not None


@pytest.mark.parametrize("name", documents.operation_names())
def test_every_operation_validates_against_upworks_schema(name: str) -> None:
    assert validate(SCHEMA, parse(documents.operation(name))) == []


@pytest.mark.parametrize("name", documents.operation_names())
def test_each_file_holds_one_operation_named_like_the_file(name: str) -> None:
    ops = [d for d in parse(documents.operation(name)).definitions if isinstance(d, OperationDefinitionNode)]
    assert [op.name.value for op in ops if op.name] == [name]


def test_a_made_up_field_is_rejected() -> None:
    # Fields other clients invent, absent from Upwork's schema, must not validate.
    bad = parse("{ marketplaceJobPostingsSearch { edges { node { id budget connectsRequired } } } }")
    messages = [e.message for e in validate(SCHEMA, bad)]
    assert any("budget" in m for m in messages) and any("connectsRequired" in m for m in messages)


def test_the_search_filter_keeps_upworks_capital_p_argument() -> None:
    field = SCHEMA.query_type.fields["marketplaceJobPostingsSearch"]  # type: ignore[union-attr]
    assert set(field.args) == {"marketPlaceJobFilter", "searchType", "sortAttributes"}


def _variables_errors(operation: str, variables: dict[str, Any]) -> list[str]:
    definition = next(
        d for d in parse(documents.operation(operation)).definitions if isinstance(d, OperationDefinitionNode)
    )
    coerced = get_variable_values(SCHEMA, definition.variable_definitions or (), variables)
    return [e.message for e in coerced] if isinstance(coerced, list) else []


@pytest.mark.parametrize("sort", ["recency", "relevance", "client_rating", "client_total_charge"])
@pytest.mark.parametrize("level", ["entry", "intermediate", "expert"])
def test_every_search_filter_value_is_one_upwork_accepts(sort: str, level: str) -> None:
    for job_type in ("hourly", "fixed"):
        filters = JobSearchFilters(
            query="python",
            skills=("Django",),
            title="api",
            job_type=job_type,  # type: ignore[arg-type]
            budget_min=1,
            budget_max=2,
            hourly_min=1,
            hourly_max=2,
            experience_level=level,
            days_posted=3,
            proposals_min=0,  # type: ignore[arg-type]
            proposals_max=5,
            client_hires_min=1,
            client_hires_max=9,
            verified_payment_only=True,
            previous_clients_only=True,
            locations=("US",),
            category_ids=("531",),
            subcategory_ids=("532",),
            workload={"hourly": "full_time", "fixed": "as_needed"}[job_type],  # type: ignore[arg-type]
            durations=("week", "month", "quarter", "semester", "ongoing"),
            timezone="Europe/Berlin",
            sort=sort,
        )  # type: ignore[arg-type]
        assert _variables_errors("SearchJobs", filters.to_variables()) == []


def test_the_proposal_statuses_are_upworks_and_each_is_accepted() -> None:
    enum = SCHEMA.get_type("VendorProposalStatusFilterInput")
    assert set(PROPOSAL_STATUSES) == set(enum.values)  # type: ignore[union-attr]
    for status in PROPOSAL_STATUSES:
        variables = {
            "filter": {"status_eq": status},
            "sort": {"field": "MODIFIEDDATETIME", "sortOrder": "DESC"},
            "pagination": {"first": 40, "after": "40"},
        }
        assert _variables_errors("ListProposals", variables) == []


def test_proposal_submission_is_in_the_overlay_with_its_date_and_source() -> None:
    field = SCHEMA.mutation_type.fields["createJobProposal"]  # type: ignore[union-attr]
    assert str(field.args["input"].type) == "CreateJobProposalInput!"
    assert set(SCHEMA.get_type("CreateJobProposalResult").fields) == {"newProposalId", "status", "error"}  # type: ignore[union-attr]
    needed = {"selectedContractor", "jobReference", "chargedAmount", "coverLetter", "teamOrgId", "questions"}
    assert needed <= set(SCHEMA.get_type("CreateJobProposalInput").fields)  # type: ignore[union-attr]
    marks = {c.name: c for c in documents.overlay_changes()}
    for name in ("Mutation.createJobProposal", "CreateJobProposalInput.jobReference", "CreateJobProposalResult.error"):
        mark = marks[name]
        assert mark.kind == "seen" and mark.on.startswith("2026-08") and "facts page" in mark.source
    # A result field nobody saw does not validate.
    bad = parse('mutation { createJobProposal(input: {jobReference: "1"}) { newProposalId connectsSpent } }')
    assert any("connectsSpent" in e.message for e in validate(SCHEMA, bad))


def test_the_proposal_the_engine_sends_is_one_upworks_schema_accepts() -> None:
    from upwork_mcp.api.applying import Application

    application = Application(
        job_id="1790620090189896406",
        job_title="A job",
        job_url=None,
        kind="hourly",
        amount=45.0,
        currency="USD",
        cover_letter="Hello.",
        answers=(("What is your availability?", "Mornings."),),
        contractor_id="1234567890",
        username="sandyfreelancer",
        organization_id="9876543210",
        budget=None,
    )
    variables = application.variables()
    assert _variables_errors("SubmitProposal", variables) == []
    assert variables["input"]["selectedContractor"] == {"id": "1234567890", "oDeskUserID": "sandyfreelancer"}
    assert variables["input"]["jobReference"] == "1790620090189896406"  # the number, never a ciphertext
