"""The local check of a document a caller wrote: linear in the document, bounded in CPU, as strict as
graphql-core where it replaces graphql-core's rules, and answers cut to a size bound."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from typing import Any

import anyio
import pytest
from graphql import GraphQLSchema, parse, validate
from graphql.validation import NoUndefinedVariablesRule, NoUnusedVariablesRule, VariablesInAllowedPositionRule

from upwork_mcp.graphql import bundled_schema
from upwork_mcp.graphql.analysis import CHECK_BUDGET, LIMITS, DocumentError, examine, examine_off_loop, fit_answer
from upwork_mcp.graphql.validation import validate_linear

SEARCH = (
    'marketplaceJobPostingsSearch(marketPlaceJobFilter: {{searchExpression_eq: "python {i}", pagination_eq: '
    '{{first: 10, after: "0"}}}}, searchType: USER_JOBS_SEARCH) {{ totalCount edges {{ node {{ id title '
    "description createdDateTime amount {{ rawValue currency }} client {{ totalHires totalSpent {{ rawValue }} "
    "location {{ country }} }} skills {{ name }} }} }} pageInfo {{ hasNextPage endCursor }} }}"
)


def _largest_within_6kb(make: Callable[[int], str]) -> int:
    """The largest n for which `make(n)` is at most 6 KB and inside every limit."""

    def fits(n: int) -> bool:
        try:
            examine(make(n))
        except DocumentError:
            return False
        return len(make(n)) <= 6_144

    low, high = 1, 6_144  # fits(low); not fits(high)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    return low


# Documents made of n repeats, each a shape that made some check cost more than linear time.
SHAPES: dict[str, Callable[[int], str]] = {
    "aliased searches": lambda n: "query { " + " ".join(f"a{i}: " + SEARCH.format(i=i) for i in range(n)) + " }",
    "one field repeated": lambda n: "{ user { " + " ".join(["email"] * n) + " } }",
    "one root repeated": lambda n: "{ " + " ".join(["user { id }"] * n) + " }",
    "a root repeated, asking a little more each time": lambda n: (
        "{ " + " ".join(f"user {{ id {'name ' * (i % 3)}}}" for i in range(n)) + " }"
    ),
    "inline fragments side by side": lambda n: "{ " + " ".join(["... on Query { user { id } }"] * n) + " }",
    "named fragments side by side": lambda n: (
        "{ "
        + " ".join(f"...F{i}" for i in range(n))
        + " } "
        + " ".join(f"fragment F{i} on Query {{ user {{ id }} }}" for i in range(n))
    ),
    "one fragment spread again and again": lambda n: (
        "{ user { " + " ".join(["...UserIdentity"] * n) + " } } fragment UserIdentity on User { id }"
    ),
    "variables": lambda n: "query(" + " ".join(f"$v{i}: String" for i in range(n)) + ") { user { id } }",
    "a long list argument": lambda n: (
        "{ marketplaceJobPostingsContents(ids: [" + ",".join(["12345"] * n) + "]) { id } }"
    ),
    "a long list of strings": lambda n: (
        "{ marketplaceJobPostingsContents(ids: [" + ",".join(['"1"'] * n) + "]) { id } }"
    ),
}
# n for a document of about 6 KB inside every limit, per shape (bench/graphql_check.py times these)
SIX_KB_N = {shape: _largest_within_6kb(make) for shape, make in SHAPES.items()}
SIX_KB = {shape: SHAPES[shape](n) for shape, n in SIX_KB_N.items()}


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    schema = bundled_schema()
    examine("{ user { id } }", None, schema)  # graphql-core's first-use costs are not the check's
    return schema


def _calls_to_check(text: str, schema: GraphQLSchema) -> int:
    """Python function calls one whole check of `text` makes (no budget): a count of the work that is the
    same on a busy machine as on a quiet one. Time is bench/graphql_check.py's to measure, not a test's."""
    examine.__globals__["_recent"].cache_clear()  # parse it anew
    calls = 0

    def count(_frame: Any, event: str, _arg: Any) -> None:
        nonlocal calls
        calls += event in ("call", "c_call")

    sys.setprofile(count)
    try:
        examined = examine(text, None, schema, budget=3_600.0)
    finally:
        sys.setprofile(None)
    assert examined.checked
    return calls


@pytest.mark.parametrize("shape", SHAPES)
def test_a_document_twice_as_long_costs_at_most_about_twice_the_work(shape: str, schema: GraphQLSchema) -> None:
    """Linear, whatever the shape: graphql-core's pairwise rule made the 6 KB "one root repeated" cost
    2.4 s of CPU, four times the work for twice the document."""
    full = SIX_KB_N[shape]
    assert 5_000 < len(SIX_KB[shape]) <= 6_144  # and inside every limit (_largest_within_6kb)
    half = _calls_to_check(SHAPES[shape](full // 2), schema)
    whole = _calls_to_check(SHAPES[shape](full // 2 * 2), schema)
    assert whole <= 2.3 * half, (half, whole)


def test_a_check_stopped_at_its_budget_says_so_and_a_small_one_is_done_whole(schema: GraphQLSchema) -> None:
    assert examine(SIX_KB["one root repeated"], None, schema, budget=0.0).checked is False
    small = examine("query J($id: ID!) { marketplaceJobPosting(id: $id) { id } }", None, schema)
    assert small.checked is True and small.problems == () and CHECK_BUDGET < 0.050


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ("{ user { id: name id } }", "'name' and 'id' are different fields"),
        (
            '{ a: marketplaceJobPosting(id: "1") { id } a: marketplaceJobPosting(id: "2") { id } }',
            "differing arguments",
        ),
        ("{ user { id } ...F } fragment F on Query { user { id: name } }", "'user.id' conflict"),
        ("{ user { x: id } organization { x: id } }", None),  # different parents: each one field
        ("{ user { id } user { id name } }", None),  # the same field asked twice merges
    ],
)
def test_fields_that_cannot_be_merged_are_refused_as_graphql_refuses_them(
    document: str, says: str | None, schema: GraphQLSchema
) -> None:
    problems = examine(document, None, schema, budget=3_600.0).problems  # not a timing test
    if says is None:
        assert problems == ()
    else:
        assert any(says in p for p in problems), problems
        assert validate(schema, parse(document))  # graphql-core's own rule refuses it too


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ("{ user { id } } fragment Spare on User { id }", "Fragment 'Spare' is never used."),
        ("{ user { id @include(if: true) @include(if: false) } }", "'@include' can only be used once"),
        ("{ user { id @include(if: true) } organization { id @include(if: true) } }", None),
    ],
)
def test_unused_fragments_and_repeated_directives_are_refused_as_graphql_refuses_them(
    document: str, says: str | None, schema: GraphQLSchema
) -> None:
    problems = examine(document, None, schema, budget=3_600.0).problems
    assert (problems == ()) if says is None else any(says in p for p in problems), problems
    assert bool(validate(schema, parse(document))) == (says is not None)


VARIABLE_DOCUMENTS = [
    "query ($id: ID!) { marketplaceJobPosting(id: $id) { id } }",
    "query ($id: ID) { marketplaceJobPosting(id: $id) { id } }",
    "query Q($id: ID!, $unused: String) { marketplaceJobPosting(id: $id) { id } }",
    "query Q { marketplaceJobPosting(id: $missing) { id } }",
    "query ($id: ID!) { ...F } fragment F on Query { marketplaceJobPosting(id: $id) { id } }",
    "query Q { ...F } fragment F on Query { marketplaceJobPosting(id: $gone) { id } }",
    "query ($f: String) { marketplaceJobPostingsSearch(marketPlaceJobFilter: {searchExpression_eq: $f}) "
    "{ totalCount } }",
    "query ($f: Int) { marketplaceJobPostingsSearch(marketPlaceJobFilter: {searchExpression_eq: $f}) { totalCount } }",
    "query ($ids: [ID!]) { marketplaceJobPostingsContents(ids: $ids) { id } }",
    "query ($i: ID) { marketplaceJobPostingsContents(ids: [$i]) { id } }",
    "query A($a: ID!) { marketplaceJobPosting(id: $a) { id } } query B($b: ID) { marketplaceJobPosting(id: $a) "
    "{ id } }",
]


@pytest.mark.parametrize("document", VARIABLE_DOCUMENTS)
def test_variables_are_checked_as_graphql_core_checks_them(document: str, schema: GraphQLSchema) -> None:
    parsed = parse(document)
    rules = [NoUndefinedVariablesRule, NoUnusedVariablesRule, VariablesInAllowedPositionRule]
    theirs = sorted(e.message for e in validate(schema, parsed, rules))
    ours = validate_linear(schema, parsed, parsed.definitions[0], {}, limit=50)  # type: ignore[arg-type]
    assert sorted(p.split(" (line")[0] for p in ours if p.startswith("Variable")) == theirs


def test_fragments_nested_past_the_limit_are_refused_not_a_crash() -> None:
    depth = LIMITS.fragment_nesting + 10
    chain = " ".join(f"fragment F{i} on User {{ ...F{i + 1} }}" for i in range(depth))
    text = f"{{ user {{ ...F0 }} }} {chain} fragment F{depth} on User {{ id }}"
    with pytest.raises(DocumentError, match="more than"):
        examine(text)
    deep = " ".join(f"fragment F{i} on User {{ ...F{i + 1} }}" for i in range(600))
    with pytest.raises(DocumentError):
        examine(f"{{ user {{ ...F0 }} }} {deep} fragment F600 on User {{ id }}")


def test_an_answer_over_the_bound_keeps_whole_items_of_every_page_and_says_where() -> None:
    node = {"id": "1", "title": "x" * 200, "skills": [{"name": "python"}, {"name": "sql"}]}
    data = {f"a{i}": {"edges": [{"node": node}] * 100, "totalCount": 1000} for i in range(30)}
    assert len(json.dumps(data)) > 500_000
    cut, where = fit_answer(data, 50_000)
    assert len(json.dumps(cut, separators=(",", ":")).encode()) <= 50_000
    assert all(0 < len(cut[f"a{i}"]["edges"]) < 100 for i in range(30))
    assert all(e["node"] == node for i in range(30) for e in cut[f"a{i}"]["edges"])  # items whole
    assert cut["a0"]["totalCount"] == 1000 and len(where) == 30 and "a0.edges: kept" in where[0]
    assert fit_answer({"a": [1, 2]}, 1_000) == ({"a": [1, 2]}, [])
    assert fit_answer({"a": "x" * 5_000}, 1_000)[0] is None


@pytest.mark.anyio
async def test_checks_run_off_the_event_loop_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thirty documents at once: each is checked in a worker thread, never two together, so the event loop
    (and every other request) keeps its turn. Each check waits a moment for company: a second check running
    beside it would be seen."""
    from upwork_mcp.graphql import analysis

    inside, most, threads = 0, 0, set()
    count = threading.Lock()

    def check(text: str, operation_name: str | None, schema: Any, **budget: float) -> str:
        nonlocal inside, most
        threads.add(threading.get_ident())
        with count:
            inside += 1
            most = max(most, inside)
        threading.Event().wait(0.01)
        with count:
            inside -= 1
        return text

    monkeypatch.setattr(analysis, "examine", check)
    async with anyio.create_task_group() as tg:
        for i in range(30):
            tg.start_soon(examine_off_loop, f"{{ a{i} }}")
    assert most == 1 and threading.get_ident() not in threads
