"""submit_proposal through a real MCP client on the sandbox: what Upwork would refuse is refused before any
preview, the person approves the exact proposal, it is submitted once and shows in list_proposals and
get_proposal, and nothing sends it twice (a replay, a second submission to the job, a lost answer)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.mcp_client import Connect, answering, each_era
from upwork_mcp.sandbox import Faults, Sandbox
from upwork_mcp.sandbox.applying import CONNECTS_START, change_proposal, connects_for
from upwork_mcp.store import SQLiteDatabase, Store

pytestmark = pytest.mark.anyio

LETTER = "Hello,\n\nI built two booking systems like this one.\n\nBest, Sandy"


def open_job(box: Sandbox, *, questions: int = 2, fixed: bool = False) -> dict[str, Any]:
    return next(
        j
        for j in box.data.jobs
        if j["_status"] == "ACTIVE"
        and len(j["_questions"]) == questions
        and j["_cover_letter"]
        and j["_fixed"] == fixed
    )


def args_for(job: dict[str, Any], **changes: Any) -> dict[str, Any]:
    amount = {"fixed_bid": 900.0} if job["_fixed"] else {"hourly_rate": 45.0}
    answers = [f"My answer to: {q}" for q in job["_questions"]]
    return {
        "job": f"https://www.upwork.com/jobs/~02{job['id']}",
        "cover_letter": LETTER,
        "answers": answers,
        **amount,
        **changes,
    }


def submitted(box: Sandbox) -> list[dict[str, Any]]:
    """Proposals made through createJobProposal (the seeded ones have no answers recorded)."""
    return [p for p in box.data.proposals if "_answers" in p]


@each_era
async def test_a_person_approves_the_exact_proposal_and_it_is_submitted_once(
    connect: Connect, sandbox: Sandbox
) -> None:
    job = open_job(sandbox)
    ask = answering("accept", {"submit": True})
    async with connect(elicit=ask) as client:
        done = await client.call_tool("submit_proposal", args_for(job))
        out = done.structured_content
        listed = await client.call_tool("list_proposals", {"status": "Accepted", "job_id": job["id"]})
        read = await client.call_tool(
            "get_proposal", {"proposal_id": out["proposal_id"], "response_format": "detailed"}
        )
        replay = await client.call_tool("submit_proposal", args_for(job))
    assert out["status"] == "submitted" and [p["id"] for p in submitted(sandbox)] == [out["proposal_id"]]
    asked = ask.asked[0]
    for shown in (job["title"], f"https://www.upwork.com/jobs/~02{job['id']}", "$45.00/hr", LETTER, "Connects"):
        assert shown in asked, shown
    for n, question in enumerate(job["_questions"], start=1):
        assert f"{n}. {question}\n   My answer to: {question}" in asked
    assert sandbox.data.user["nid"] in asked  # the identity is the account's
    assert [p["id"] for p in listed.structured_content["proposals"]] == [out["proposal_id"]]
    assert read.structured_content["cover_letter"] == LETTER and read.structured_content["rate"] == "$45"
    assert sandbox.connects[0] == CONNECTS_START - connects_for(job)
    assert replay.is_error and "already applied" in replay.content[0].text and len(ask.asked) == 1
    assert len(submitted(sandbox)) == 1


async def test_a_token_replay_and_a_second_submission_to_the_job_are_refused(
    connect: Connect, sandbox: Sandbox
) -> None:
    job = open_job(sandbox, fixed=True)
    async with connect(env={"UPWORK_WRITE_APPROVAL": "token"}) as client:
        preview = await client.call_tool("submit_proposal", args_for(job))
        token = preview.structured_content["confirmation_token"]
        assert preview.structured_content["status"] == "needs_confirmation" and not submitted(sandbox)
        assert "NOT SUBMITTED YET" in preview.content[0].text and "$900.00 (fixed-price bid)" in preview.content[0].text
        sent = await client.call_tool("submit_proposal", {**args_for(job), "confirmation_token": token})
        replay = await client.call_tool("submit_proposal", {**args_for(job), "confirmation_token": token})
        other = await client.call_tool("submit_proposal", args_for(job, cover_letter="A different letter."))
    assert sent.structured_content["status"] == "submitted"
    assert replay.is_error and "already applied" in replay.content[0].text
    assert other.is_error and "already applied" in other.content[0].text
    assert len(submitted(sandbox)) == 1


async def test_the_local_record_refuses_a_second_submission_even_when_upwork_does_not_list_it_yet(
    connect: Connect, sandbox: Sandbox
) -> None:
    job = open_job(sandbox)
    async with connect(env={"UPWORK_WRITE_APPROVAL": "token"}) as client:
        token = (await client.call_tool("submit_proposal", args_for(job))).structured_content["confirmation_token"]
        sandbox.faults.lost_write = 1  # processed, then the answer is lost: the outcome is unknown here
        unknown = await client.call_tool("submit_proposal", {**args_for(job), "confirmation_token": token})
        made = submitted(sandbox)
        sandbox.data.proposals.remove(made[0])  # Upwork's list does not show it (yet)
        again = await client.call_tool("submit_proposal", args_for(job, cover_letter="Trying once more."))
    assert unknown.is_error and "may or may not have reached" in unknown.content[0].text
    assert f"list_proposals with job_id={job['id']}" in unknown.content[0].text
    assert len(made) == 1
    assert again.is_error and "unknown outcome" in again.content[0].text and "never sent again" in again.content[0].text
    assert submitted(sandbox) == []  # nothing was sent the second time


def attempted_long_ago(data: Path, minutes: float) -> None:
    """Move the recorded attempts back (as if the lost answer were `minutes` old)."""
    with Store(SQLiteDatabase(data / "sandbox.sqlite3")).db.transaction() as tx:
        tx.execute("UPDATE applications SET updated = updated - ?", (minutes * 60,))


async def test_a_lost_answer_is_settled_by_what_upwork_lists_never_by_resending(
    connect: Connect, sandbox: Sandbox, tmp_path: Path
) -> None:
    arrived, lost = open_job(sandbox), open_job(sandbox, questions=0)
    env = {"UPWORK_WRITE_APPROVAL": "token", "UPWORK_DATA_DIR": str(tmp_path)}
    async with connect(env=env) as client:
        for job in (arrived, lost):
            token = (await client.call_tool("submit_proposal", args_for(job))).structured_content["confirmation_token"]
            sandbox.faults.lost_write = 1  # processed, then the answer is lost: the outcome is unknown here
            await client.call_tool("submit_proposal", {**args_for(job), "confirmation_token": token})
        made = {p["marketplaceJobPosting"]["id"]: p for p in submitted(sandbox)}
        sandbox.data.proposals.remove(made[lost["id"]])  # this one Upwork never made (in this story)
        soon = await client.call_tool("submit_proposal", args_for(lost, cover_letter="Trying once more."))
        there = await client.call_tool("submit_proposal", args_for(arrived, cover_letter="Trying once more."))
        attempted_long_ago(tmp_path, 31)
        later = await client.call_tool("submit_proposal", args_for(lost, cover_letter="Trying once more."))
        token = later.structured_content["confirmation_token"]
        sent = await client.call_tool(
            "submit_proposal", {**args_for(lost, cover_letter="Trying once more."), "confirmation_token": token}
        )
    assert soon.is_error and "unknown outcome" in soon.content[0].text and "Call again after" in soon.content[0].text
    assert there.is_error and f"already applied to job {arrived['id']}: proposal {made[arrived['id']]['id']}" in (
        there.content[0].text
    )
    assert "lost its answer, and Upwork listed no proposal for the job 30 minutes" in later.content[0].text
    assert later.structured_content["status"] == "needs_confirmation"
    assert sent.structured_content["status"] == "submitted"
    letters = [p["proposalCoverLetter"] for p in submitted(sandbox) if p["marketplaceJobPosting"]["id"] == lost["id"]]
    assert letters == ["Trying once more."]  # one proposal to the job, the person's new one


async def test_check_proposals_settles_a_lost_answer_it_sees_on_upwork(
    connect: Connect, sandbox: Sandbox, tmp_path: Path
) -> None:
    job = open_job(sandbox)
    env = {"UPWORK_WRITE_APPROVAL": "token", "UPWORK_DATA_DIR": str(tmp_path)}
    async with connect(env=env) as client:
        token = (await client.call_tool("submit_proposal", args_for(job))).structured_content["confirmation_token"]
        sandbox.faults.lost_write = 1
        await client.call_tool("submit_proposal", {**args_for(job), "confirmation_token": token})
        await client.call_tool("check_proposals", {})
    with Store(SQLiteDatabase(tmp_path / "sandbox.sqlite3")).db.transaction() as tx:
        row = tx.one("SELECT state, proposal_id FROM applications WHERE job_id = ?", (job["id"],))
    assert row is not None and (row["state"], row["proposal_id"]) == ("sent", submitted(sandbox)[0]["id"])


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"answers": ["Only one answer."]}, "asks 2 screening question(s) and 1 answer(s)"),
        ({"answers": ["One.", "  "]}, "Answer 2 is empty"),
        ({"cover_letter": "\u200b"}, "requires a cover letter"),
        ({"hourly_rate": None, "fixed_bid": 500.0}, "is hourly: give hourly_rate"),
    ],
)
async def test_what_upwork_would_refuse_is_refused_before_any_preview(
    connect: Connect, sandbox: Sandbox, change: dict[str, Any], said: str
) -> None:
    job = open_job(sandbox)
    async with connect(env={"UPWORK_WRITE_APPROVAL": "token"}) as client:
        args = {k: v for k, v in args_for(job, **change).items() if v is not None}
        refused = await client.call_tool("submit_proposal", args)
    text = refused.content[0].text
    assert refused.is_error and said in text and "confirmation_token" not in text
    if "screening" in said:
        marked = text.split("<untrusted-content>")[1].split("</untrusted-content>")[0]
        assert all(f"{n}. {q}" in marked for n, q in enumerate(job["_questions"], start=1))  # the client's words
    assert not submitted(sandbox)


async def test_a_closed_job_is_refused(connect: Connect, sandbox: Sandbox) -> None:
    job = open_job(sandbox)
    job["_status"] = "CLOSED"
    async with connect(env={"UPWORK_WRITE_APPROVAL": "token"}) as client:
        refused = await client.call_tool("submit_proposal", args_for(job))
    assert refused.is_error and "not open for proposals" in refused.content[0].text


async def test_a_key_without_submit_proposal_is_told_which_permission_to_enable(
    connect: Connect, sandbox: Sandbox
) -> None:
    job = open_job(sandbox)
    async with connect(env={"UPWORK_WRITE_APPROVAL": "token"}) as client:
        token = (await client.call_tool("submit_proposal", args_for(job))).structured_content["confirmation_token"]
        sandbox.faults = Faults.parse("deny=Mutation.createJobProposal")
        refused = await client.call_tool("submit_proposal", {**args_for(job), "confirmation_token": token})
        sandbox.faults = Faults()  # the permission enabled: the same approval still works, once
        sent = await client.call_tool("submit_proposal", {**args_for(job), "confirmation_token": token})
    text = refused.content[0].text
    assert refused.is_error and '"Submit Proposal" permission' in text and "API Center" in text
    assert "nothing was written" in text and "still valid" in text
    assert sent.structured_content["status"] == "submitted" and len(submitted(sandbox)) == 1


@pytest.mark.parametrize("lacks_it", [True, False])
async def test_a_schema_pulled_with_this_key_is_preferred(
    connect: Connect, sandbox: Sandbox, tmp_path: Path, lacks_it: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import itertools

    from upwork_mcp.graphql import analysis
    from upwork_mcp.graphql.introspection import Pulled, save
    from upwork_mcp.sandbox.graphql_api import full_introspection

    ticks = itertools.count()  # a machine so busy that every look at the CPU clock finds a second gone
    monkeypatch.setattr(analysis.time, "thread_time", lambda: float(next(ticks)))

    drop = frozenset({"Mutation.createJobProposal"} if lacks_it else ())
    types = full_introspection(drop)["__schema"]["types"]
    save(tmp_path / "schema-sandbox.json", Pulled({t["name"]: t for t in types}, complete=True, pulled_at=1.8e9))
    job = open_job(sandbox)
    async with connect(env={"UPWORK_WRITE_APPROVAL": "token", "UPWORK_DATA_DIR": str(tmp_path)}) as client:
        result = await client.call_tool("submit_proposal", args_for(job))
    if lacks_it:
        text = result.content[0].text
        assert result.is_error and "pulled from Upwork with this key on 2027-01-15" in text
        assert '"Submit Proposal"' in text and "upwork-mcp schema pull" in text and "nothing was sent" in text
    else:
        assert result.structured_content["status"] == "needs_confirmation"
    assert not submitted(sandbox)


async def test_the_identity_comes_from_the_account_never_from_the_model(connect: Connect, sandbox: Sandbox) -> None:
    job = open_job(sandbox)
    async with connect(env={"UPWORK_WRITE_APPROVAL": "token"}) as client:
        forged = await client.call_tool("submit_proposal", {**args_for(job), "selectedContractor": {"id": "1"}})
        preview = await client.call_tool("submit_proposal", args_for(job))
    assert forged.is_error and "has no argument 'selectedContractor'" in forged.content[0].text
    user, org = sandbox.data.user, sandbox.data.organizations[0]
    assert f"As: {user['nid']} (user {user['id']}), organization {org['id']}" in preview.content[0].text


async def test_the_person_reads_the_proposal_itself_where_they_approve(
    connect: Connect, sandbox: Sandbox, tmp_path: Path
) -> None:
    from upwork_mcp.approvals import Approvals
    from upwork_mcp.commands.approve import _describe

    job = open_job(sandbox)
    async with connect(env={"UPWORK_DATA_DIR": str(tmp_path)}) as client:
        waiting = await client.call_tool("submit_proposal", args_for(job))
    assert waiting.structured_content["approval_id"], waiting.content[0].text
    [record] = Approvals(Store(SQLiteDatabase(tmp_path / "sandbox.sqlite3"))).pending()
    shown = "\n".join(_describe(record, full=True))  # what `upwork-mcp approve ID` prints before asking
    first = shown.splitlines()[1]
    assert first.startswith("  proposal: Job: ") and job["title"][:30] in first
    assert LETTER.splitlines()[2] in shown and "Submitting spends Connects" in shown
    assert all(f"1. {q}"[:40] in shown for q in job["_questions"][:1])


async def test_a_proposal_sent_through_this_server_is_not_news_to_check_proposals(
    connect: Connect, sandbox: Sandbox
) -> None:
    job = open_job(sandbox)
    async with connect(env={"UPWORK_WRITE_APPROVAL": "token"}) as client:
        await client.call_tool("check_proposals", {})
        token = (await client.call_tool("submit_proposal", args_for(job))).structured_content["confirmation_token"]
        sent = await client.call_tool("submit_proposal", {**args_for(job), "confirmation_token": token})
        after = await client.call_tool("check_proposals", {})
    assert sent.structured_content["status"] == "submitted"
    assert after.structured_content["changes"] == [], after.content[0].text
    assert after.structured_content["tracked"] == len(sandbox.data.proposals)  # recorded all the same


async def test_a_proposal_sent_here_and_declined_before_the_next_look_is_reported(
    connect: Connect, sandbox: Sandbox
) -> None:
    job = open_job(sandbox)
    async with connect(env={"UPWORK_WRITE_APPROVAL": "token"}) as client:
        await client.call_tool("check_proposals", {})
        token = (await client.call_tool("submit_proposal", args_for(job))).structured_content["confirmation_token"]
        sent = await client.call_tool("submit_proposal", {**args_for(job), "confirmation_token": token})
        change_proposal(sandbox, sent.structured_content["proposal_id"], status="Declined", reason="Filled")
        after = await client.call_tool("check_proposals", {})
    assert [(c["kind"], c["status"], c["reason"]) for c in after.structured_content["changes"]] == [
        ("new", "Declined", "Filled")
    ]
