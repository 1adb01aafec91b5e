"""The one job-filter vocabulary: its reading of what a person writes, and its mapping to each source."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from upwork_mcp.api.job_feed import FeedQuery
from upwork_mcp.api.job_filters import JobView, Tally
from upwork_mcp.api.job_query import JobFilters, not_applied_line
from upwork_mcp.api.jobs import JobSearchFilters


def hourly(low: float | None, high: float | None) -> JobView:
    return JobView(fixed=False, rate_low=low, rate_high=high)


@pytest.mark.parametrize(
    ("job", "hourly_min", "hourly_max", "passes"),
    [
        (hourly(10, 50), 50, None, False),  # "$10-$50/hr" is not "at least $50/hour"
        (hourly(50, 80), 50, None, True),
        (hourly(60, None), 50, None, True),  # one stated end stands for the range
        (hourly(10, 50), None, 30, False),  # nor "at most $30/hour"
        (hourly(10, 30), None, 30, True),
        (hourly(20, 40), 20, 40, True),
        (hourly(None, None), 1, None, False),  # no rate stated: never passes a rate filter
        (JobView(fixed=True, budget=500), 1, None, False),  # a rate means hourly jobs
    ],
)
def test_an_hourly_range_reads_as_a_person_means_it(
    job: JobView, hourly_min: float | None, hourly_max: float | None, passes: bool
) -> None:
    (rate,) = JobFilters(hourly_min=hourly_min, hourly_max=hourly_max).local("search")
    assert rate.test(job) is passes


def test_jobs_stating_no_figure_are_left_out_and_counted() -> None:
    filters = JobFilters(hourly_min=40, client_spend_min=1000).local("search")
    tally: Tally[JobView] = Tally(filters, lambda j: j)
    kept = tally.keep(
        [
            JobView(fixed=False, rate_low=45, rate_high=60, client_spent=5000),
            JobView(fixed=False, client_spent=5000),  # no rate
            JobView(fixed=False, rate_low=50, rate_high=50),  # spend unknown
            JobView(fixed=False, rate_low=20, rate_high=45, client_spent=0),
        ]
    )
    rate, spend = tally.reports()
    assert len(kept) == 1 and tally.scanned == 4
    assert (rate.kept, rate.unstated) == (2, 1) and (spend.kept, spend.unstated) == (2, 1)
    assert "Upwork ignores hourlyRate_eq" in rate.why and "no client-spend filter" in spend.why


def test_skills_are_a_list_or_a_comma_string_and_country_a_code_or_a_name() -> None:
    assert JobFilters(skills="python, django,python").skills == ("python", "django")
    assert JobFilters(skills=["Figma", " ", "UX"]).skills == ("Figma", "UX")
    assert [JobFilters(country=c).country for c in ("de", "Germany", "united kingdom", "USA")] == [
        "DE",
        "DE",
        "GB",
        "US",
    ]
    with pytest.raises(ValidationError) as bad:
        JobFilters(country="Germ")
    said = str(bad.value)
    assert "ISO 3166-1 alpha-2" in said and "English name" in said and "Germany" in said


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"hourly_min": 80, "hourly_max": 20}, "swap"),
        ({"budget_min": 900, "budget_max": 100}, "swap"),
        ({"job_type": "fixed", "hourly_min": 30}, "hourly jobs only"),
        ({"job_type": "hourly", "budget_max": 300}, "fixed-price jobs only"),
        ({"posted_within_days": 0}, "greater than or equal to 1"),
        ({"experience_level": "senior"}, "'entry', 'intermediate' or 'expert'"),
    ],
)
def test_bad_filters_say_what_to_change(given: dict[str, object], said: str) -> None:
    with pytest.raises(ValidationError) as bad:
        JobFilters.model_validate(given)
    assert said in str(bad.value)


def test_the_search_gets_what_upwork_honours_and_the_rest_is_applied_here() -> None:
    f = JobFilters(
        q="django",
        skills=("python",),
        experience_level="expert",
        hourly_min=50,
        client_spend_min=10_000,
        client_hires_min=3,
        payment_verified=True,
        country="de",
        posted_within_days=3,
    )
    search = JobSearchFilters(**f.search_fields(("531770282580668418",)), limit=5)
    sent = search.to_variables()["filter"]
    assert sent["searchExpression_eq"] == "django" and sent["skillExpression_eq"] == "python"
    assert sent["experienceLevel_eq"] == "EXPERT" and sent["verifiedPaymentOnly_eq"] is True
    assert sent["locations_any"] == ["Germany"] and sent["daysPosted_eq"] == 3
    assert sent["clientHiresRange_eq"] == {"rangeStart": 3} and sent["categoryIds_any"] == ["531770282580668418"]
    assert "hourlyRate_eq" not in sent and "budgetRange_eq" not in sent
    assert [x.name for x in search.local()] == ["hourly", "client_spend_min"]
    assert f.not_applied_by("search") == {
        "hourly_min": "Upwork ignores hourlyRate_eq",
        "client_spend_min": "Upwork's search has no client-spend filter",
    }
    assert "Not applied by Upwork's search" in (not_applied_line(f, "search") or "")


def test_the_feed_gets_its_own_parameters_and_keywords_are_matched_here() -> None:
    now = datetime(2026, 11, 28, 12, tzinfo=UTC)
    f = JobFilters(
        q="shopify app",
        skills="liquid,react",
        category="Web, Mobile & Software Dev",
        experience_level="entry",
        hourly_min=25,
        client_spend_min=500,
        client_hires_min=2,
        payment_verified=True,
        country="United States",
        posted_within_days=2,
    )
    params = FeedQuery(limit=50, **f.feed_fields(now)).to_params()
    assert params["skills"] == "liquid,react" and params["category"] == "web-mobile-software-dev"
    assert params["contractor_tier"] == "1" and params["country"] == "US" and params["payment_verified"] == "true"
    assert params["hourly_min"] == "25" and params["buyer.total_spent_min"] == "500"
    assert params["buyer.total_assignments_min"] == "2"
    assert params["posted_after"] == (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert set(f.not_applied_by("feed")) == {"q", "hourly_min"}  # the rate is checked here too
    assert [x.name for x in f.local("feed")] == ["hourly", "q"]
    with pytest.raises(ValueError, match="an Upwork category id"):
        JobFilters(category="531770282580668418").feed_fields(now)


def test_a_budget_and_a_rate_together_pass_a_job_by_its_type_on_every_source() -> None:
    f = JobFilters(budget_min=500, hourly_min=40)
    fields = f.feed_fields(datetime.now(UTC))
    assert fields["budget_min"] is None and fields["hourly_min"] is None  # the feed would require both
    (either,) = f.local("feed")
    assert either.test(JobView(fixed=True, budget=800)) and either.test(hourly(45, 60))
    assert not either.test(hourly(30, 60)) and not either.test(JobView(fixed=True, budget=100))
