"""Writes from a client that cannot ask its user: a human step the model cannot take by itself, and a
refused write that is told apart from a sent one."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import anyio
import httpx
import pytest

from tests.mcp_client import Connect
from upwork_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]


async def _room(client) -> str:
    return (await client.call_tool("list_rooms", {"limit": 1})).structured_content["rooms"][0]["id"]


def _form(page: str) -> dict[str, str]:
    return dict(re.findall(r"name=(k|csrf) value='([^']+)'", page))


async def test_by_default_no_sequence_of_model_calls_sends(connect: Connect, sandbox: Sandbox) -> None:
    async with connect() as client:
        room = await _room(client)
        args = {"room_id": room, "message": "Please confirm the scope."}
        preview = await client.call_tool("send_message", args)
        out = preview.structured_content
        assert out["status"] == "needs_approval" and out["approval_url"].startswith("http://127.0.0.1:")
        assert f"upwork-mcp approve {out['approval_id']}" in preview.content[0].text
        # Everything a model could try on its own: the id it holds, a forged token, a changed text, again.
        attempts = [
            {**args, "confirmation_token": out["approval_id"]},
            {**args, "confirmation_token": out["confirmation_token"]},
            {**args, "confirmation_token": "confirm_" + out["approval_id"] + ".forged"},
            {**args, "message": "Please confirm the scope!", "confirmation_token": out["approval_id"]},
            args,
        ]
        results = [await client.call_tool("send_message", a) for a in attempts]
        # The model can read the page but cannot click it: a request without the page's own origin is refused.
        async with httpx.AsyncClient() as http:
            page = (await http.get(out["approval_url"])).text
            forged = await http.post(out["approval_url"].split("?")[0], data={**_form(page), "decision": "approve"})
        still = await client.call_tool("send_message", {**args, "confirmation_token": out["approval_id"]})
    assert all(r.is_error for r in results[:4]) and "Not approved yet" in results[0].content[0].text
    assert results[4].structured_content["status"] == "needs_approval"
    assert "Please confirm the scope." in page and forged.status_code == 403
    assert still.is_error and sandbox.sent_messages == []


async def test_a_click_on_the_approval_page_lets_the_write_go_once(connect: Connect, sandbox: Sandbox) -> None:
    async with connect() as client:
        room = await _room(client)
        args = {"room_id": room, "message": "<b>Shipped</b> & tested."}
        out = (await client.call_tool("send_message", args)).structured_content
        base = out["approval_url"].split("/approve/")[0]
        async with httpx.AsyncClient() as http:
            page = (await http.get(out["approval_url"])).text
            clicked = await http.post(
                out["approval_url"].split("?")[0], headers={"Origin": base}, data={**_form(page), "decision": "approve"}
            )
        sent = await client.call_tool("send_message", {**args, "confirmation_token": out["approval_id"]})
        again = await client.call_tool("send_message", {**args, "confirmation_token": out["approval_id"]})
    assert "&lt;b&gt;Shipped&lt;/b&gt; &amp; tested." in page  # the exact text, shown, never interpreted
    assert clicked.status_code == 200 and "Approved" in clicked.text
    assert sent.structured_content["status"] == "sent" and again.is_error and "already used" in again.content[0].text
    assert [m["message"] for m in sandbox.sent_messages] == ["<b>Shipped</b> & tested."]


async def test_upwork_mcp_approve_in_a_terminal_is_the_other_human_step(connect: Connect, sandbox: Sandbox) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("UPWORK_")}
    async with connect() as client:
        room = await _room(client)
        args = {"room_id": room, "message": "Approved from the terminal."}
        out = (await client.call_tool("send_message", args)).structured_content

        def approve() -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "upwork_mcp", "approve", out["approval_id"], "--sandbox"],
                input="y\n",
                capture_output=True,
                text=True,
                env=env,
                cwd=ROOT,
                timeout=60,
            )

        listed = await anyio.to_thread.run_sync(
            lambda: subprocess.run(
                [sys.executable, "-m", "upwork_mcp", "approve", "--sandbox"],
                capture_output=True,
                text=True,
                env=env,
                cwd=ROOT,
                timeout=60,
            )
        )
        answered = await anyio.to_thread.run_sync(approve)
        sent = await client.call_tool("send_message", {**args, "confirmation_token": out["approval_id"]})
    assert out["approval_id"] in listed.stdout and "Approved from the terminal." in listed.stdout
    assert answered.returncode == 0 and "Approved" in answered.stdout, answered.stderr
    assert "Approved from the terminal." in answered.stdout  # the whole text was shown before the question
    assert sent.structured_content["status"] == "sent" and len(sandbox.sent_messages) == 1


async def test_a_send_refused_with_429_keeps_its_approval_and_is_stored_once(
    connect: Connect, sandbox: Sandbox
) -> None:
    async with connect(env={"UPWORK_WRITE_APPROVAL": "token"}) as client:
        room = await _room(client)
        args = {"room_id": room, "message": "Retry me once."}
        token = (await client.call_tool("send_message", args)).structured_content["confirmation_token"]
        sandbox.faults.rate_limit = 1
        refused = await client.call_tool("send_message", {**args, "confirmation_token": token})
        assert sandbox.sent_messages == []
        sent = await client.call_tool("send_message", {**args, "confirmation_token": token})
        replay = await client.call_tool("send_message", {**args, "confirmation_token": token})
    text = refused.content[0].text
    assert refused.is_error and "did not process" in text and "still valid" in text and "went through" not in text
    assert sent.structured_content["status"] == "sent" and replay.is_error and "already used" in replay.content[0].text
    assert [m["message"] for m in sandbox.sent_messages] == ["Retry me once."]


async def test_a_503_is_refused_and_a_lost_answer_is_unknown(connect: Connect, sandbox: Sandbox) -> None:
    async with connect(env={"UPWORK_WRITE_APPROVAL": "token"}) as client:
        room = await _room(client)
        args = {"room_id": room, "message": "Was it sent?"}
        token = (await client.call_tool("send_message", args)).structured_content["confirmation_token"]
        sandbox.faults.server_error = 1
        refused = await client.call_tool("send_message", {**args, "confirmation_token": token})
        sandbox.faults.lost_answer = 1
        unknown = await client.call_tool("send_message", {**args, "confirmation_token": token})
        retry = await client.call_tool("send_message", {**args, "confirmation_token": token})
    assert refused.is_error and "still valid" in refused.content[0].text
    assert unknown.is_error and "may or may not have reached" in unknown.content[0].text
    assert retry.is_error and "list_messages" in retry.content[0].text  # checked, never resent blindly
    assert [m["message"] for m in sandbox.sent_messages] == ["Was it sent?"]


async def test_racing_calls_with_one_approval_send_once(connect: Connect, sandbox: Sandbox) -> None:
    async with connect(env={"UPWORK_WRITE_APPROVAL": "token"}) as client:
        room = await _room(client)
        args = {"room_id": room, "message": "Only one of us gets through."}
        token = (await client.call_tool("send_message", args)).structured_content["confirmation_token"]
        results = []

        async def race() -> None:
            results.append(await client.call_tool("send_message", {**args, "confirmation_token": token}))

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                for _ in range(12):
                    tg.start_soon(race)
    assert sum(1 for r in results if not r.is_error) == 1
    assert [m["message"] for m in sandbox.sent_messages] == ["Only one of us gets through."]


async def test_a_storm_of_429s_and_503s_never_crashes_a_read(connect: Connect, sandbox: Sandbox) -> None:
    async with connect(env={"UPWORK_MAX_RETRIES": "2"}) as client:
        await client.call_tool("get_account", {})
        outcomes = []
        for i in range(16):
            sandbox.faults.rate_limit = i % 4  # 429 with Retry-After 0.01 s
            sandbox.faults.server_error = 1 if i % 5 == 0 else 0  # 503, retried with backoff
            sandbox.faults.retry_after = 0.01
            outcomes.append(await client.call_tool("search_jobs", {"limit": 2}))
    for result in outcomes:
        text = result.content[0].text
        assert not result.is_error or ("Retry after" in text or "Try again shortly" in text), text
        assert "Error executing tool search_jobs" not in text or "Upwork" in text
    assert any(not r.is_error for r in outcomes)
