"""check_proposals through a real MCP client on the sandbox: the first check records, each later change (a
status with its reason, the client's first message, an offer) is reported once, with the next step and
without taking it, however many checks run at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest

from tests.mcp_client import Connect
from tests.watches.helpers import quiet_pending
from upwork_mcp.sandbox import Sandbox
from upwork_mcp.sandbox.applying import change_proposal
from upwork_mcp.sandbox.personas import persona_user

pytestmark = pytest.mark.anyio


def changes(result: Any) -> list[dict[str, Any]]:
    assert not result.is_error, result.content[0].text
    return list(result.structured_content["changes"])


async def test_each_change_is_reported_once_with_its_next_step(connect: Connect, sandbox: Sandbox) -> None:
    declined, written = quiet_pending(sandbox, 2)
    async with connect() as client:
        first = await client.call_tool("check_proposals", {})
        change_proposal(sandbox, declined["id"], status="Declined", reason="The client hired someone else")
        change_proposal(sandbox, written["id"], message="Could you start on Monday?")
        second = await client.call_tool("check_proposals", {})
        third = await client.call_tool("check_proposals", {})
    assert first.structured_content["first_check"] and changes(first) == []
    waiting = {(w["proposal_id"], w["kind"]) for w in first.structured_content["waiting"]}  # shown, not a change
    assert any(kind == "quiet" for _, kind in waiting) and any(kind == "client_wrote" for _, kind in waiting)
    assert "Already waiting on you" in first.content[0].text
    assert first.structured_content["tracked"] >= len(sandbox.data.proposals) - 3  # (the newest page per status)
    found = {(c["proposal_id"], c["kind"]): c for c in changes(second)}
    assert set(found) == {(declined["id"], "status"), (written["id"], "client_wrote")}
    status = found[(declined["id"], "status")]
    assert status["status"] == "Declined" and status["reason"] == "The client hired someone else"
    wrote = found[(written["id"], "client_wrote")]
    room = sandbox.data.proposal_rooms[written["id"]]
    assert wrote["room_id"] == room and wrote["message"] == "Could you start on Monday?"
    assert f"list_messages room_id={room}" in wrote["next_step"] and "send_message" in wrote["next_step"]
    text = second.content[0].text
    assert "Could you start on Monday?" in text.split("<untrusted-content>")[1]  # the client's words, marked
    assert "Next steps (not taken)" in text and sandbox.sent_messages == []
    assert changes(third) == []


async def test_an_offer_on_the_job_is_reported_with_what_to_do(connect: Connect, sandbox: Sandbox) -> None:
    (offered,) = quiet_pending(sandbox, 1)
    async with connect() as client:
        await client.call_tool("check_proposals", {})
        change_proposal(sandbox, offered["id"], offer=True)
        found = changes(await client.call_tool("check_proposals", {}))
    offer_id = sandbox.data.offers[0]["id"]
    assert [(c["kind"], c.get("status"), c.get("offer_id")) for c in found] == [("offer", "Offered", offer_id)]
    assert any(f"get_offer offer_id={offer_id}" in c["next_step"] for c in found)


async def test_concurrent_checks_report_each_change_once(connect: Connect, sandbox: Sandbox, tmp_path: Path) -> None:
    env = {"UPWORK_DATA_DIR": str(tmp_path)}  # two servers (as two processes would be) on one store
    declined, written = quiet_pending(sandbox, 2)
    async with connect(env=env) as one, connect(env=env) as two:
        firsts: list[Any] = []
        async with anyio.create_task_group() as tg:
            for client in (one, two):
                tg.start_soon(lambda c=client: _call(c, firsts))
        change_proposal(sandbox, declined["id"], status="Declined", reason="Job was closed")
        change_proposal(sandbox, written["id"], message="Are you available?")
        seconds: list[Any] = []
        async with anyio.create_task_group() as tg:
            for client in (one, two, one, two):
                tg.start_soon(lambda c=client: _call(c, seconds))
    assert sum(r.structured_content["first_check"] for r in firsts) == 1  # one recorded, the other saw it done
    assert all(changes(r) == [] for r in firsts)
    reported = sorted((c["proposal_id"], c["kind"]) for r in seconds for c in changes(r))
    assert reported == sorted([(declined["id"], "status"), (written["id"], "client_wrote")])


async def _call(client: Any, into: list[Any]) -> None:
    into.append(await client.call_tool("check_proposals", {}))


async def test_a_proposals_watch_through_the_tools(connect: Connect, sandbox: Sandbox, tmp_path: Path) -> None:
    config = tmp_path / "watches.toml"
    config.write_text('[sinks.phone]\ntype = "ntfy"\nurl = "http://127.0.0.1:9/upwork"\n')  # (nobody listens)
    (declined,) = quiet_pending(sandbox, 1)
    async with connect(env={"UPWORK_WATCH_CONFIG": str(config)}) as client:
        filtered = await client.call_tool(
            "create_watch", {"name": "mine", "source": "proposals", "q": "python", "sinks": ["phone"]}
        )
        no_sink = await client.call_tool("create_watch", {"name": "mine", "source": "proposals"})
        made = await client.call_tool("create_watch", {"name": "mine", "source": "proposals", "sinks": ["phone"]})
        first = await client.call_tool("check_watches", {})  # no ranking criteria stated: none needed here
        change_proposal(sandbox, declined["id"], status="Declined", reason="Budget changed")
        seen = await client.call_tool("check_proposals", {})
        later = await client.call_tool("check_watches", {})
        listed = await client.call_tool("list_watches", {})
    assert filtered.is_error and "takes no q" in filtered.content[0].text
    assert no_sink.is_error and "needs sinks" in no_sink.content[0].text
    assert not made.is_error, made.content[0].text
    assert made.structured_content["source"] == "proposals" and made.structured_content["interval_minutes"] == 15
    assert not first.is_error, first.content[0].text
    check = first.structured_content["checks"][0]
    assert "proposals from now: each change goes to its sinks" in made.content[0].text  # its baseline, taken
    assert not check["first_check"] and check["changes"] == []
    assert seen.structured_content["queued_for"] == ["phone"]
    assert [(c["proposal_id"], c["kind"]) for c in changes(seen)] == [(declined["id"], "status")]
    said = seen.content[0].text  # nobody listens at the sink's address: said so, not "sent"
    assert "For your proposals watch's phone. Delivery of your alerts: 1 not sent yet (phone (ntfy to 127.0.0.1): " in (
        said
    )
    assert "watch run` retries" in said
    assert later.structured_content["checks"][0]["changes"] == []  # reported (and sent) once
    assert "mine | proposals | (every change to my proposals) | every 15 min" in listed.content[0].text
    assert "1 to deliver (last try: phone (ntfy to 127.0.0.1): ConnectError)" in listed.content[0].text


async def test_every_new_message_from_the_client_is_a_change_and_the_users_own_are_not(
    connect: Connect, sandbox: Sandbox
) -> None:
    (written,) = quiet_pending(sandbox, 1)
    async with connect(env={"UPWORK_WRITE_APPROVAL": "token"}) as client:
        await client.call_tool("check_proposals", {})
        change_proposal(sandbox, written["id"], message="Could you start on Monday?")
        first = changes(await client.call_tool("check_proposals", {}))
        reply = {"room_id": sandbox.data.proposal_rooms[written["id"]], "message": "Yes, Monday works."}
        token = (await client.call_tool("send_message", reply)).structured_content["confirmation_token"]
        sent = await client.call_tool("send_message", {**reply, "confirmation_token": token})
        mine = changes(await client.call_tool("check_proposals", {}))
        change_proposal(sandbox, written["id"], message="Great, and the budget?")
        again = changes(await client.call_tool("check_proposals", {}))
        quiet = changes(await client.call_tool("check_proposals", {}))
    assert [(c["kind"], c["message"]) for c in first] == [("client_wrote", "Could you start on Monday?")]
    assert mine == [] and quiet == []
    assert [(c["kind"], c["message"]) for c in again] == [("client_wrote", "Great, and the budget?")]
    assert not sent.is_error and sandbox.sent_messages[-1]["message"] == "Yes, Monday works."


async def test_all_proposals_says_how_many_are_shown_and_an_empty_answer_reads_well(
    connect: Connect, sandbox: Sandbox
) -> None:
    async with connect() as client:
        some = await client.call_tool("list_proposals", {"status": "all", "limit": 5})
        none = await client.call_tool("list_proposals", {"status": "all", "job_id": "1111111111111111111"})
    assert "; the newest 5 shown (limit up to 40" in some.content[0].text
    assert len(some.structured_content["proposals"]) == 5 < some.structured_content["total"]
    assert none.content[0].text.startswith("0 proposals for job 1111111111111111111")
    assert "shown without a reply" not in none.content[0].text and ": ;" not in none.content[0].text


async def test_a_reply_in_a_room_where_the_user_wrote_last_is_a_change(connect: Connect, sandbox: Sandbox) -> None:
    me = persona_user(sandbox, 0)["id"]
    proposal = next(
        p
        for p in sandbox.data.proposals
        if p["status"]["status"] in ("Pending", "Accepted")
        and (stories := sandbox.data.stories.get(sandbox.data.proposal_rooms.get(p["id"], ""), []))
        and stories[-1]["user"]["id"] == me
    )
    async with connect() as client:
        first = await client.call_tool("check_proposals", {})
        change_proposal(sandbox, proposal["id"], message="Thanks, sounds good.")
        found = changes(await client.call_tool("check_proposals", {}))
    assert proposal["id"] not in {w["proposal_id"] for w in first.structured_content["waiting"] or []}  # you wrote
    assert [(c["proposal_id"], c["kind"], c["message"]) for c in found] == [
        (proposal["id"], "client_wrote", "Thanks, sounds good.")
    ]
