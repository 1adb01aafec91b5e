from __future__ import annotations

import pytest

from tests.mcp_client import Connect, answering, each_era
from upwork_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio


async def _room(client) -> str:
    return (await client.call_tool("list_rooms", {"limit": 1})).structured_content["rooms"][0]["id"]


async def test_rooms_and_messages_by_room_or_contract(connect: Connect, sandbox: Sandbox) -> None:
    async with connect() as client:
        rooms = await client.call_tool("list_rooms", {"limit": 3})
        listed = rooms.structured_content
        default = [r for r in sandbox.data.rooms if r.get("_subscribed", True) and not r.get("_hidden")]
        assert listed["total"] == len(default) and listed["next_cursor"] == "3" and listed["subscribed_only"]
        by_room = await client.call_tool("list_messages", {"room_id": rooms.structured_content["rooms"][0]["id"]})
        contract = sandbox.data.contracts[0]["id"]
        by_contract = await client.call_tool("list_messages", {"contract_id": contract, "limit": 2})
        neither = await client.call_tool("list_messages", {})
    assert by_room.structured_content["messages"] and "<untrusted-content>" in by_room.content[0].text
    assert by_contract.structured_content["room_id"] == sandbox.data.rooms[0]["id"]
    assert len(by_contract.structured_content["messages"]) == 2
    assert neither.is_error and "exactly one" in neither.content[0].text


@each_era
async def test_without_elicitation_a_preview_token_must_come_back_with_the_same_payload(
    connect: Connect, sandbox: Sandbox
) -> None:
    async with connect(env={"UPWORK_WRITE_APPROVAL": "token"}) as client:
        room = await _room(client)
        preview = await client.call_tool("send_message", {"room_id": room, "message": "Draft is ready."})
        token = preview.structured_content["confirmation_token"]
        assert preview.structured_content["status"] == "needs_confirmation" and sandbox.sent_messages == []
        assert "Draft is ready." in preview.content[0].text and "NOT SENT" in preview.content[0].text
        changed = await client.call_tool(
            "send_message", {"room_id": room, "message": "Draft is ready!!", "confirmation_token": token}
        )
        assert changed.is_error and sandbox.sent_messages == []
        sent = await client.call_tool(
            "send_message", {"room_id": room, "message": "Draft is ready.", "confirmation_token": token}
        )
        again = await client.call_tool(
            "send_message", {"room_id": room, "message": "Draft is ready.", "confirmation_token": token}
        )
        listed = await client.call_tool("list_messages", {"room_id": room, "limit": 1})
    assert sent.structured_content["status"] == "sent" and again.is_error
    assert [m["message"] for m in sandbox.sent_messages] == ["Draft is ready."]
    assert listed.structured_content["messages"][0]["text"] == "Draft is ready."


@each_era
async def test_elicitation_accept_sends_once_and_shows_the_text(connect: Connect, sandbox: Sandbox) -> None:
    ask = answering("accept", {"send": True})
    async with connect(elicit=ask) as client:
        room = await _room(client)
        result = await client.call_tool("send_message", {"room_id": room, "message": "Shipping today."})
    assert result.structured_content["status"] == "sent" and len(sandbox.sent_messages) == 1
    name = next(r["roomName"] for r in sandbox.data.rooms if r["id"] == room)
    assert room in ask.asked[0] and name in ask.asked[0] and "Shipping today." in ask.asked[0]


@each_era
@pytest.mark.parametrize(("action", "content"), [("decline", None), ("cancel", None), ("accept", {"send": False})])
async def test_a_decline_sends_nothing(connect: Connect, sandbox: Sandbox, action: str, content) -> None:
    async with connect(elicit=answering(action, content)) as client:
        room = await _room(client)
        result = await client.call_tool("send_message", {"room_id": room, "message": "Maybe not."})
    assert result.structured_content["status"] == "declined" and sandbox.sent_messages == []


async def test_a_message_over_upworks_limit_is_refused_before_sending(connect: Connect, sandbox: Sandbox) -> None:
    async with connect(elicit=answering("accept", {"send": True})) as client:
        room = await _room(client)
        result = await client.call_tool("send_message", {"room_id": room, "message": "x" * 10_241})
    assert result.is_error and "message" in result.content[0].text and sandbox.sent_messages == []


async def test_a_failed_send_is_not_resent_and_says_to_check(connect: Connect, sandbox: Sandbox) -> None:
    # Retries on (the fixture turns them off): the write is still sent once, because it is a write.
    async with connect(env={"UPWORK_MAX_RETRIES": "3"}, elicit=answering("accept", {"send": True})) as client:
        room = await _room(client)
        sandbox.faults.lost_answer = 1  # processed, then the answer is lost: the outcome is unknown to us
        before = sandbox.requests_seen
        result = await client.call_tool("send_message", {"room_id": room, "message": "Once only."})
    assert result.is_error and "not resent" in result.content[0].text and "list_messages" in result.content[0].text
    assert [m["message"] for m in sandbox.sent_messages] == ["Once only."]  # it did arrive, once
    assert sandbox.requests_seen - before == 1  # one attempt reached the API; a read would have been retried


async def test_send_message_takes_a_contract_id_like_list_messages(connect: Connect, sandbox: Sandbox) -> None:
    contract = sandbox.data.contracts[0]["id"]
    ask = answering("accept", {"send": True})
    async with connect(elicit=ask) as client:
        sent = await client.call_tool("send_message", {"contract_id": contract, "message": "Invoice sent."})
        both = await client.call_tool(
            "send_message", {"contract_id": contract, "room_id": "r1", "message": "Which one?"}
        )
        listed = await client.call_tool("list_messages", {"contract_id": contract, "limit": 1})
    room = sandbox.data.rooms[0]["id"]
    assert sent.structured_content["status"] == "sent" and sent.structured_content["room_id"] == room
    assert [(m["roomId"], m["message"]) for m in sandbox.sent_messages] == [(room, "Invoice sent.")]
    assert room in ask.asked[0]  # the user is asked about the room the text goes to
    assert both.is_error and "exactly one" in both.content[0].text
    assert listed.structured_content["messages"][0]["text"] == "Invoice sent."
