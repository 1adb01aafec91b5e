from __future__ import annotations

import pytest
from graphql import OperationDefinitionNode, build_schema, parse, validate

from upwork_mcp import graphql as documents

SCHEMA = build_schema(documents.schema_sdl())


def test_the_bundle_has_an_operation_for_each_resource() -> None:
    assert {
        "SearchJobs",
        "GetJob",
        "JobContents",
        "ListContracts",
        "GetContract",
        "ListRooms",
        "RoomStories",
        "ContractRoom",
        "SendMessage",
        "SearchFreelancers",
        "GetFreelancerProfile",
        "Account",
    } <= set(documents.operation_names())


@pytest.mark.parametrize("name", documents.operation_names())
def test_every_operation_validates_against_our_sdl(name: str) -> None:
    document = parse(documents.operation(name))
    assert validate(SCHEMA, document) == []


@pytest.mark.parametrize("name", documents.operation_names())
def test_each_file_holds_one_operation_named_like_the_file(name: str) -> None:
    ops = [d for d in parse(documents.operation(name)).definitions if isinstance(d, OperationDefinitionNode)]
    assert [op.name.value for op in ops if op.name] == [name]


def test_a_made_up_field_is_rejected_by_the_sdl() -> None:
    # Fields other clients invent, absent from Upwork's schema, must not validate.
    bad = parse("{ marketplaceJobPostingsSearch { edges { node { id budget connectsRequired } } } }")
    messages = [e.message for e in validate(SCHEMA, bad)]
    assert any("budget" in m for m in messages) and any("connectsRequired" in m for m in messages)


def test_the_search_filter_keeps_upworks_capital_p_argument() -> None:
    field = SCHEMA.query_type.fields["marketplaceJobPostingsSearch"]
    assert set(field.args) == {"marketPlaceJobFilter", "searchType", "sortAttributes"}
