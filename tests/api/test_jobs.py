from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.conftest import FakeClock
from upwork_mcp.advice import explain
from upwork_mcp.api import JobSearchFilters, UpworkClient
from upwork_mcp.api.jobs import LOOKUP_PAGE, JobLink, JobsAPI, parse_job_ref, read_job_link, title_phrase
from upwork_mcp.api.memory import CIPHERTEXT_TTL, InMemory
from upwork_mcp.errors import NotFoundError, UpworkError
from upwork_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio


def test_filters_become_upworks_filter_names() -> None:
    v = JobSearchFilters(
        query="python",
        skills=("Django", "FastAPI"),
        job_type="fixed",
        budget_min=500,
        hourly_max=80,
        experience_level="expert",
        days_posted=3,
        proposals_max=10,
        client_hires_min=1,
        verified_payment_only=True,
        locations=("US",),
        sort="client_rating",
        offset=40,
        limit=20,
    ).to_variables()
    f = v["filter"]
    assert f["searchExpression_eq"] == "python" and f["skillExpression_eq"] == "Django,FastAPI"
    assert f["jobType_eq"] == "FIXED" and f["experienceLevel_eq"] == "EXPERT"
    assert f["daysPosted_eq"] == 3 and f["proposalRange_eq"] == {"rangeEnd": 10}
    assert f["clientHiresRange_eq"] == {"rangeStart": 1} and f["verifiedPaymentOnly_eq"] is True
    assert f["pagination_eq"] == {"first": 20, "after": "40"}  # offset as a string, as Upwork wants
    assert v["sort"] == [{"field": "CLIENT_RATING"}]


def test_what_upwork_ignores_or_answers_with_nothing_is_never_sent() -> None:
    # budgetRange_eq and hourlyRate_eq do nothing at Upwork; workload_eq empties every search (facts page).
    filters = JobSearchFilters(budget_min=500, budget_max=900, hourly_min=20, hourly_max=80, workload="full_time")
    sent = filters.to_variables()["filter"]
    assert not {"budgetRange_eq", "hourlyRate_eq", "workload_eq"} & set(sent)
    assert [f.name for f in filters.local()] == ["budget/hourly", "workload"]


def test_a_range_upside_down_is_refused_with_the_fix() -> None:
    with pytest.raises(UpworkError, match="swap"):
        JobSearchFilters(budget_min=900, budget_max=100).to_variables()


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("1790123456789012345", ("1790123456789012345", None)),
        ("~01abcdef0123456789", (None, "~01abcdef0123456789")),
        ("~021978704153911649005", ("1978704153911649005", "~021978704153911649005")),
        ("https://www.upwork.com/jobs/~021978704153911649005", ("1978704153911649005", "~021978704153911649005")),
        (
            "https://www.upwork.com/jobs/Website-Redesign_~021978704153911649005/?referrer_url_path=find",
            ("1978704153911649005", "~021978704153911649005"),
        ),
        ("https://www.upwork.com/jobs/~01abcdef0123456789", (None, "~01abcdef0123456789")),
        ("https://www.upwork.com/jobs/Build-an-app_~01abcdef0123456789/?referrer=x", (None, "~01abcdef0123456789")),
    ],
)
def test_job_references_are_normalised(ref: str, expected: tuple[str | None, str | None]) -> None:
    assert parse_job_ref(ref) == expected


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        (
            "https://www.upwork.com/jobs/Full-Stack-Dev-Node.js_~01abcdef0123456789/?referrer=x",
            JobLink(None, "~01abcdef0123456789", "Full Stack Dev Node.js"),
        ),
        (
            "https://www.upwork.com/jobs/%7E021978704153911649005",
            JobLink("1978704153911649005", "~021978704153911649005"),
        ),
        ("021978704153911649005", JobLink("1978704153911649005", "~021978704153911649005")),
        ("1978704153911649005", JobLink("1978704153911649005", None)),
        (
            " <https://www.upwork.com/jobs/~021978704153911649005> ",
            JobLink("1978704153911649005", "~021978704153911649005"),
        ),
    ],
)
def test_a_pasted_link_yields_its_id_ciphertext_and_title(ref: str, expected: JobLink) -> None:
    assert read_job_link(ref) == expected


@pytest.mark.parametrize(
    ("ref", "about"),
    [
        ("https://www.upwork.com/freelancers/~01abcdef0123456789", "freelancerProfileByProfileKey"),
        ("https://www.upwork.com/nx/search/jobs/?q=python", "marketplaceJobPosting"),
    ],
)
def test_a_link_to_something_else_is_refused_neutrally(ref: str, about: str) -> None:
    with pytest.raises(UpworkError) as raised:
        read_job_link(ref)
    assert raised.value.root == about and "search_jobs" not in str(raised.value)


def test_a_title_becomes_one_phrase_without_operators() -> None:
    assert title_phrase('Fix "legacy" API (Node.js/TS) - ASAP!') == '"Fix legacy API Node.js TS ASAP"'
    assert title_phrase("--- !!! ---") == ""


async def test_the_targeted_search_finds_open_jobs_by_their_title(client: UpworkClient, sandbox: Sandbox) -> None:
    """What get_job relies on for a client's record: one search by a job's title finds it among the first
    LOOKUP_PAGE results (every 15th open job of the seeded 600 here)."""
    jobs = [j for j in sandbox.data.jobs if j["_status"] == "ACTIVE"][::15]
    found = [
        await client.jobs.find_in_search(j["title"], job_id=j["id"], job_type="FIXED" if j["_fixed"] else "HOURLY")
        for j in jobs
    ]
    assert [f.id if f else None for f in found] == [j["id"] for j in jobs]
    assert found[0] is not None and found[0].client is not None and LOOKUP_PAGE == 50


async def test_an_empty_search_is_asked_again_without_each_filter(client: UpworkClient, sandbox: Sandbox) -> None:
    filters = JobSearchFilters(query="python", locations=("Narnia",), days_posted=30, hourly_min=20)
    assert filters.upstream() == ["days_posted", "locations", "query"]  # hourly_min is applied here, not by Upwork
    totals = await client.jobs.relax(filters)
    assert totals["locations"] and totals["days_posted"] == 0 and totals["query"] == 0
    assert await client.jobs.relax(JobSearchFilters(query="zzz")) == {}  # one filter: it is the culprit, unasked


def test_a_non_job_reference_says_which_forms_work() -> None:
    with pytest.raises(UpworkError, match="ciphertext"):
        parse_job_ref("python developer")


async def search(client: UpworkClient, **kw) -> list:
    page = await client.jobs.search(JobSearchFilters(limit=100, **kw))
    return page.jobs


async def test_keywords_match_and_exclude(client: UpworkClient) -> None:
    python = await search(client, query="python")
    assert python and all("python" in (j.title + j.description + str(j.skills)).lower() for j in python)
    without = await search(client, query="python -django")
    assert without and all("django" not in (j.title + j.description + str(j.skills)).lower() for j in without)
    either = await search(client, query="flutter OR swift")
    assert {s.pretty_name for j in either for s in j.skills or []} & {"Flutter", "Swift"}


async def test_skills_budget_hourly_and_type_filters(client: UpworkClient) -> None:
    skilled = await search(client, skills=("Figma",))
    assert skilled and all(any(s.pretty_name == "Figma" for s in j.skills) for j in skilled)
    fixed = await search(client, budget_min=1000, budget_max=5000)
    assert fixed and all(j.is_fixed and 1000 <= j.amount.amount <= 5000 for j in fixed)
    hourly = await search(client, hourly_min=50)
    assert hourly and all(not j.is_fixed and j.hourly_budget_max.amount >= 50 for j in hourly)
    assert all(not j.is_fixed for j in await search(client, job_type="hourly"))


async def test_days_posted_proposals_and_verified_payment(client: UpworkClient, sandbox: Sandbox) -> None:
    recent = await search(client, days_posted=2)
    since = sandbox.now - timedelta(days=2)
    assert recent and all(datetime.fromisoformat(j.published_date_time) >= since for j in recent)
    few = await search(client, proposals_max=4)
    assert few and all(j.total_applicants <= 4 for j in few)
    verified = await search(client, verified_payment_only=True)
    assert verified and all(j.client.verification_status == "VERIFIED" for j in verified)


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("recency", lambda j: j.published_date_time),
        ("client_total_charge", lambda j: j.client.total_spent.amount),
        ("client_rating", lambda j: j.client.total_feedback),
    ],
)
async def test_each_sort_order_orders_results(client: UpworkClient, sort: str, key) -> None:
    jobs = await search(client, sort=sort)
    values = [key(j) for j in jobs]
    assert len(values) == 100 and values == sorted(values, reverse=True)


async def test_relevance_puts_title_matches_first(client: UpworkClient) -> None:
    jobs = await search(client, query="react", sort="relevance")
    assert "react" in jobs[0].title.lower()
    assert any("react" not in j.title.lower() for j in jobs)  # description-only matches rank lower


async def test_offset_paging_walks_without_overlap(client: UpworkClient) -> None:
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None and len(seen) < 120:
        page = await client.jobs.search(JobSearchFilters(query="python", offset=offset, limit=20))
        seen += [j.id for j in page.jobs]
        offset = page.next_offset
    assert len(seen) == len(set(seen)) == page.total


async def test_get_by_url_ciphertext_or_id(client: UpworkClient) -> None:
    job = (await search(client))[0]
    by_id = await client.jobs.get(job.id)
    by_url = await client.jobs.get(f"https://www.upwork.com/jobs/{job.ciphertext}")
    assert by_id.content.title == by_url.content.title == job.title
    assert by_url.ciphertext == job.ciphertext


async def test_an_unseen_ciphertext_explains_how_to_get_the_numeric_id(client: UpworkClient) -> None:
    with pytest.raises(NotFoundError, match="give the numeric id") as raised:
        await client.jobs.get("~01ffffffffffffffff")
    # The engine names no tool; the surface says where the ids come from.
    assert "search_jobs" not in str(raised.value) and raised.value.root == "marketplaceJobPosting"
    assert "Job ids come from search_jobs" in explain(raised.value, "model")


async def test_a_job_seen_in_a_search_keeps_its_client_record_for_a_day(client: UpworkClient) -> None:
    job = (await search(client))[4]
    details = await client.jobs.details(job.id)
    assert details.listing_from == "search" and details.listing == job and details.posting.id == job.id
    assert await client.jobs.seen_in_search("1") is None


async def test_a_remembered_client_record_is_forgotten_after_24_hours(client: UpworkClient, clock: FakeClock) -> None:
    jobs = JobsAPI(client.graphql, InMemory(clock=clock))
    job = (await jobs.search(JobSearchFilters(limit=5))).jobs[4]
    assert (await jobs.details(job.id)).listing_from == "search"
    clock.now += CIPHERTEXT_TTL + 1  # Upwork's terms: cached at most 24 hours; then it is asked for again
    assert await jobs.seen_in_search(job.id) is None and (await jobs.details(job.id)).listing_from == "lookup"


async def test_the_sandbox_answers_upworks_batch_lookup_for_the_ids_it_has(client: UpworkClient) -> None:
    jobs = await search(client)
    query = "query($ids: [ID!]!) { marketplaceJobPostingsContents(ids: $ids) { id ciphertext title } }"
    got = await client.graphql.execute(query, {"ids": [jobs[0].id, jobs[1].id, "1"]})
    assert [c["id"] for c in got.data["marketplaceJobPostingsContents"]] == [jobs[0].id, jobs[1].id]
