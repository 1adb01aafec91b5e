"""check_proposals through a real MCP client on the sandbox: the first check records, each later change (a
status with its reason, the client's first message, an offer) is reported once, with the next step and
without taking it, however many checks run at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest

from tests.mcp_client import Connect
from upwork_mcp.sandbox import Sandbox
from upwork_mcp.sandbox.applying import change_proposal

pytestmark = pytest.mark.anyio


def quiet_pending(box: Sandbox, n: int) -> list[dict[str, Any]]:
    """Seeded open proposals whose client never wrote (no room yet)."""
    found = [
        p for p in box.data.proposals if p["status"]["status"] == "Pending" and p["id"] not in box.data.proposal_rooms
    ]
    assert len(found) >= n
    return found[:n]


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
    assert {(c["kind"], c.get("status"), c.get("offer_id")) for c in found} == {
        ("status", "Offered", None),
        ("offer", "Offered", offer_id),
    }
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
