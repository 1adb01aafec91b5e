"""Ranking only by the user's own criteria: nothing is ranked before they state or accept them; what they won't
take is SKIP with a 0 (verdict and number agree); what a job does not show counts half, never a free 100; a
job from search is scored from the client data its search result carried; and set_criteria is a step the
person takes, after which every result names whose criteria ranked it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.mcp_client import Connect, answering
from tests.watches.helpers import feed_watch, watching
from upwork_mcp.approvals import Approvals
from upwork_mcp.config import Settings
from upwork_mcp.errors import CriteriaNeeded
from upwork_mcp.sandbox import Sandbox
from upwork_mcp.watches.criteria import profile_of, starting_point
from upwork_mcp.watches.filters import WatchFilters
from upwork_mcp.watches.listing import Listing
from upwork_mcp.watches.scoring import score
from upwork_mcp.watches.service import Watch
from upwork_mcp.world import open_store

pytestmark = pytest.mark.anyio


async def test_nothing_is_ranked_before_the_user_states_criteria(sandbox: Sandbox) -> None:
    async with watching(sandbox, stated=False) as watches:
        with pytest.raises(CriteriaNeeded, match="starting point, to accept or edit: want: \\(nothing stated\\)"):
            await watches.create(feed_watch())
        watches.store.add("all-feed", feed_watch().spec())  # (as a watch saved by an older version)
        reports, errors = await watches.check_many(["all-feed"])
        assert reports == [] and isinstance(errors[0][1], CriteriaNeeded)
        profile = await watches.set_criteria({**starting_point(), "skills": ["python"]}, "your criteria (a test)")
        await watches.create(feed_watch(), replace=True)
        report = await watches.check("all-feed")
    assert profile.origin.startswith("your criteria (a test) on ")
    assert report.found and all(f.score.by == profile.origin for f in report.found)


def test_what_the_user_wont_take_is_skip_zero_and_unknowns_count_half() -> None:
    profile = profile_of({**starting_point(), "avoid": ["wordpress"]}, "yours")
    two_signals = Listing("search", "1", "Some job", payment_verified=True, client_spent=250_000.0)
    rated = score(two_signals, profile)
    assert rated.score is not None and 40 < rated.score < 70 and rated.verdict == "REVIEW"  # not a free 100
    assert any("counted half" in r for r in rated.reasons)
    avoided = score(Listing("search", "2", "Fix a WordPress site", payment_verified=True), profile)
    assert (avoided.score, avoided.verdict) == (0, "SKIP") and avoided.reasons[0].startswith("disqualified: ")
    hired = score(Listing("feed", "3", "Already filled", hired=1, payment_verified=True), profile)
    assert (hired.score, hired.verdict) == (0, "SKIP")


@pytest.mark.parametrize("source", ["feed", "search"])
async def test_every_verdict_agrees_with_its_number(sandbox: Sandbox, source: str) -> None:
    criteria = {**starting_point(), "skills": ["python", "react"], "avoid": ["wordpress"], "rate_floor": 30}
    async with watching(sandbox, criteria=criteria) as watches:
        await watches.create(Watch("all", source, WatchFilters(), interval_minutes=60))  # type: ignore[arg-type]
        found = (await watches.preview("all")).found
        profile = await watches.profile()
    assert len(found) >= 20 and {f.score.verdict for f in found} >= {"REVIEW", "SKIP"}
    for f in found:
        s = f.score
        wrong = f"{f.job.title}: {s.line()}"
        if s.verdict == "APPLY":
            assert s.score is not None and s.score >= profile.apply_at, wrong
        elif s.verdict == "REVIEW":
            assert s.score is None or profile.review_at <= s.score < profile.apply_at, wrong
        else:  # SKIP: below the review line, or 0 because the user won't take it (never "SKIP 95")
            assert s.score is not None and (s.score < profile.review_at), wrong
            assert s.score == 0 or not s.reasons[0].startswith("disqualified"), wrong
        # The line reads as the numbers do: "SKIP, disqualified: ..." for a 0 the user's refusal made, else "SKIP 12".
        disqualified = s.reasons[0].startswith("disqualified: ") if s.reasons else False
        head = (
            f"{s.verdict}, disqualified: "
            if disqualified
            else f"{s.verdict} {s.score}"
            if s.score is not None
            else s.verdict
        )
        assert s.line().startswith(head) and (disqualified or not re.search(r"SKIP, ", s.line())), wrong


def _stated(tmp_path: Any) -> dict[str, str]:
    path = tmp_path / "watches.toml"
    path.write_text('[scoring]\nskills = ["python"]\n')
    return {"UPWORK_WATCH_CONFIG": str(path)}


async def test_a_search_job_is_scored_from_the_client_data_its_search_result_carried(
    connect: Connect, sandbox: Sandbox, tmp_path: Any
) -> None:
    async with connect(env=_stated(tmp_path)) as client:
        found = (await client.call_tool("search_jobs", {"limit": 5})).structured_content["jobs"]
        job = next(j for j in found if j["client"].get("total_spent"))
        scored = await client.call_tool("score_jobs", {"jobs": [job["id"]], "response_format": "detailed"})
    reasons = " ".join(scored.structured_content["jobs"][0]["reasons"])
    assert f"client spent ${job['client']['total_spent']:,.0f}" in reasons
    assert "client spend unknown" not in reasons and "client hires unknown" not in reasons
    assert scored.structured_content["ranked_by"].startswith("your criteria (the watch settings file ")


async def test_set_criteria_is_the_persons_step_and_results_name_whose_criteria(
    connect: Connect, sandbox: Sandbox
) -> None:
    args = {"want": ["python", "django"], "avoid": ["wordpress"], "rate_floor": 50}
    async with connect() as client:
        refused = await client.call_tool("score_jobs", {"jobs": ["upwork-1"]})
        preview = await client.call_tool("set_criteria", args)
        out = preview.structured_content
        forged = await client.call_tool("set_criteria", {**args, "confirmation_token": out["approval_id"]})
        Approvals(open_store(Settings.from_env({"UPWORK_SANDBOX": "1"}))).decide(out["approval_id"], True)
        changed = await client.call_tool(
            "set_criteria", {**args, "rate_floor": 5, "confirmation_token": out["approval_id"]}
        )
        done = await client.call_tool("set_criteria", {**args, "confirmation_token": out["approval_id"]})
        listed = await client.call_tool("list_watches", {})
    assert (
        refused.is_error and "set_criteria" in refused.content[0].text and "starting point" in refused.content[0].text
    )
    assert out["status"] == "needs_approval" and "want: python, django; won't take: wordpress" in out["criteria"]
    assert forged.is_error and changed.is_error  # not approved yet; then not what was approved
    assert done.structured_content["status"] == "set"
    assert done.structured_content["ranked_by"].startswith("your criteria (stated through set_criteria, approved by")
    assert "Ranked by your criteria (stated through set_criteria" in listed.content[0].text


async def test_a_client_that_can_ask_shows_the_criteria_to_the_user(connect: Connect) -> None:
    yes, no = answering("accept", {"rank": True}), answering("decline")
    async with connect(elicit=no) as client:
        declined = await client.call_tool("set_criteria", {"accept_starting_point": True})
    async with connect(elicit=yes) as client:
        accepted = await client.call_tool("set_criteria", {"accept_starting_point": True})
    assert declined.structured_content["status"] == "declined"
    assert accepted.structured_content["status"] == "set" and "want: (nothing stated)" in yes.asked[0]
    assert accepted.structured_content["ranked_by"].startswith("the starting point you accepted")
