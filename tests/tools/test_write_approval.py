"""Writes from a client that cannot ask its user: a human step the model cannot take by itself (nothing a
tool result gave it, no HTTP request and no command without a terminal makes a write happen; a paired
browser or a terminal does, once), and a refused write that is told apart from a sent one."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest

from tests.mcp_client import Connect
from tests.person import as_run, click, in_terminal, paired_browser, without_terminal
from upwork_mcp.config import Settings
from upwork_mcp.sandbox import Sandbox
from upwork_mcp.server.approval_page import pairing_cookie_for
from upwork_mcp.world import world_for

pytestmark = pytest.mark.anyio


async def _room(client) -> str:
    return (await client.call_tool("list_rooms", {"limit": 1})).structured_content["rooms"][0]["id"]


# Every write to Upwork the registry declares, with arguments that make it write in the sandbox.
MUTATION = "mutation Send($input: RoomStoryCreateInputV2!) { createRoomStoryV2(input: $input) { id message } }"
WRITES: dict[str, Callable[[Sandbox], dict[str, Any]]] = {
    "send_message": lambda box: {"room_id": box.data.rooms[0]["id"], "message": "Please confirm the scope."},
    "run_graphql_mutation": lambda box: {
        "query": MUTATION,
        "variables": {"input": {"roomId": box.data.rooms[0]["id"], "message": "Please confirm the scope."}},
    },
    "submit_proposal": lambda box: _application(box, "Please confirm the scope."),
}


def _application(box: Sandbox, letter: str) -> dict[str, Any]:
    job = next(j for j in box.data.jobs if j["_status"] == "ACTIVE" and j["_questions"] and not j["_fixed"])
    return {"job": job["id"], "cover_letter": letter, "answers": ["Yes."] * len(job["_questions"]), "hourly_rate": 40.0}


def _proposals_made(box: Sandbox) -> list[dict[str, Any]]:
    return [p for p in box.data.proposals if "_answers" in p]


def test_every_write_to_upwork_is_played_here() -> None:
    from upwork_mcp._bundled import tools_package

    assert set(WRITES) == {s.name for s in tools_package().all_specs() if not s.read_only and not s.local}


@pytest.mark.slow
@pytest.mark.parametrize("tool", sorted(WRITES))
async def test_nothing_a_model_holds_makes_a_write_happen(connect: Connect, sandbox: Sandbox, tool: str) -> None:
    """The model's whole reach: what the preview gave it, an HTTP client, and a shell with no terminal."""
    args = WRITES[tool](sandbox)
    async with connect() as client:
        preview = await client.call_tool(tool, args)
        out, text = preview.structured_content, preview.content[0].text
        link, approval = out["approval_url"], out["approval_id"]
        assert out["status"] == "needs_approval" and link.startswith("http://127.0.0.1:")
        commands = re.findall(r"`(upwork-mcp [^`]+)`", text)
        assert (
            f"upwork-mcp approve {approval} --sandbox" in commands and "upwork-mcp approve --pair --sandbox" in commands
        )
        # The shell: every command the preview printed, run as a shell tool runs it ("y" on a pipe), and with --yes.
        shell = [
            await anyio.to_thread.run_sync(lambda c=c: without_terminal(c))
            for command in commands
            for c in (as_run(command), [*as_run(command), "--yes"])
        ]
        # The HTTP client: the page shows the payload; its form, posted as a browser would, with a made-up pairing.
        async with httpx.AsyncClient() as http:
            page = await http.get(link)
            base = link.split("/approve/")[0]
            form = {"k": link.split("k=")[1], "decision": "approve"}
            posts = [
                await http.post(link.split("?")[0], data=form, headers={"Origin": base, **extra, **cookie})
                for extra in ({}, {"Sec-Fetch-Site": "same-origin"})
                for cookie in (
                    {},
                    {"Cookie": f"{pairing_cookie_for(_settings())}={approval}"},
                    {"Cookie": f"upwork_mcp_session={approval}"},
                )
            ]
        # The tool itself: the id it holds, a forged token, a changed payload, again.
        attempts = [
            {**args, "confirmation_token": approval},
            {**args, "confirmation_token": f"confirm_{approval}.forged"},
            {**_changed(args), "confirmation_token": approval},
            args,
        ]
        results = [await client.call_tool(tool, a) for a in attempts]
    assert all(r.returncode != 0 for r in shell), [(r.args, r.stdout, r.stderr) for r in shell]
    assert all("terminal" in r.stderr for r in shell), [r.stderr for r in shell]
    assert page.status_code == 200 and "Please confirm the scope." in page.text
    assert [p.status_code for p in posts] == [403] * len(posts)
    assert all(r.is_error for r in results[:3]) and "Not approved yet" in results[0].content[0].text
    assert results[3].structured_content["status"] == "needs_approval"
    assert sandbox.sent_messages == [] and _proposals_made(sandbox) == []


def _settings() -> Settings:
    return world_for(Settings.from_env({"UPWORK_SANDBOX": "1"})).settings


def _changed(args: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(args).replace("scope.", "scope!"))


async def test_a_click_in_a_paired_browser_lets_the_write_go_once(connect: Connect, sandbox: Sandbox) -> None:
    with paired_browser() as browser, anyio.fail_after(60):
        async with connect() as client:
            room = await _room(client)
            args = {"room_id": room, "message": "<b>Shipped</b> & tested."}
            out = (await client.call_tool("send_message", args)).structured_content
            page = browser.get(out["approval_url"]).text
            clicked = click(browser, out["approval_url"])
            sent = await client.call_tool("send_message", {**args, "confirmation_token": out["approval_id"]})
            again = await client.call_tool("send_message", {**args, "confirmation_token": out["approval_id"]})
    assert "&lt;b&gt;Shipped&lt;/b&gt; &amp; tested." in page  # the exact text, shown, never interpreted
    assert clicked.status_code == 200 and "Approved" in clicked.text
    assert sent.structured_content["status"] == "sent" and again.is_error and "already used" in again.content[0].text
    assert [m["message"] for m in sandbox.sent_messages] == ["<b>Shipped</b> & tested."]


async def test_a_paired_browser_cannot_answer_from_another_site(connect: Connect, sandbox: Sandbox) -> None:
    with paired_browser() as browser:
        async with connect() as client:
            room = await _room(client)
            out = (
                await client.call_tool("send_message", {"room_id": room, "message": "Cross-site?"})
            ).structured_content
            link = out["approval_url"]
            key = link.split("k=")[1]
            posted = browser.post(
                link.split("?")[0],
                data={"k": key, "decision": "approve"},
                headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
            )
            odd_key = browser.get(link.split("?")[0] + "?k=%C3%A9t%C3%A9")
    assert posted.status_code == 403 and sandbox.sent_messages == []
    assert odd_key.status_code == 404  # a key that is not one this server issued, even non-ASCII: a clean 404


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
async def test_a_form_posted_from_another_site_is_refused_even_with_the_page_s_origin(
    connect: Connect, sandbox: Sandbox, site: str
) -> None:
    with paired_browser() as browser:
        async with connect() as client:
            room = await _room(client)
            args = {"room_id": room, "message": "Only from the page itself."}
            out = (await client.call_tool("send_message", args)).structured_content
            link = out["approval_url"]
            base, action, key = link.split("/approve/")[0], link.split("?")[0], link.split("k=", 1)[1]
            assert browser.get(link).status_code == 200
            # What a paired browser sends for a form another site made it post: our Origin forged or proxied,
            # but Sec-Fetch-Site, which scripts cannot set, names the other site.
            foreign = browser.post(
                action, data={"k": key, "decision": "approve"}, headers={"Origin": base, "Sec-Fetch-Site": site}
            )
            refused = await client.call_tool("send_message", {**args, "confirmation_token": out["approval_id"]})
            clicked = click(browser, link)
            sent = await client.call_tool("send_message", {**args, "confirmation_token": out["approval_id"]})
    assert foreign.status_code == 403 and "Approved" not in foreign.text
    assert refused.is_error and "Not approved yet" in refused.content[0].text
    assert clicked.status_code == 200 and sent.structured_content["status"] == "sent"
    assert [m["message"] for m in sandbox.sent_messages] == ["Only from the page itself."]


async def test_upwork_mcp_approve_in_a_terminal_is_the_other_human_step(connect: Connect, sandbox: Sandbox) -> None:
    async with connect() as client:
        room = await _room(client)
        args = {"room_id": room, "message": "Approved from the terminal."}
        preview = await client.call_tool("send_message", args)
        out = preview.structured_content
        command = f"upwork-mcp approve {out['approval_id']} --sandbox"
        assert f"`{command}`" in preview.content[0].text
        listed = await anyio.to_thread.run_sync(lambda: without_terminal(as_run("upwork-mcp approve --sandbox")))
        status, shown = await anyio.to_thread.run_sync(lambda: in_terminal(as_run(command)))
        sent = await client.call_tool("send_message", {**args, "confirmation_token": out["approval_id"]})
        again = await anyio.to_thread.run_sync(lambda: in_terminal(as_run(command)))
    assert out["approval_id"] in listed.stdout and "Approved from the terminal." in listed.stdout
    assert status == 0 and "Approved." in shown, shown
    assert shown.index("Approved from the terminal.") < shown.index("[y/N]")  # the whole text before the question
    assert sent.structured_content["status"] == "sent" and len(sandbox.sent_messages) == 1
    assert again[0] == 1 and "No write" in again[1]  # answered: nothing waits, and that is not success


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
