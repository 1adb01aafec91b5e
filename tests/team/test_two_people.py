"""Two people on one team server: neither receives the other's watch results, subscriptions, completions or
approvals. Every tool of the registry is called by the second person with what points at the first one's
state (their watch, their approval, their rooms and contracts), and reads nothing of theirs. Each approves
only their own writes, signed in on the server's own approval page; the operator's terminal sees neither."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp_types import PromptReference

from tests.conftest import LoopbackSandbox
from tests.person import as_run, clean_env, in_terminal, without_terminal
from tests.team.helpers import approved, oauth_server, own_criteria, signed_in, team_env
from upwork_mcp.sandbox.posting import post_job

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
MUTATION = "mutation Send($input: RoomStoryCreateInputV2!) { createRoomStoryV2(input: $input) { id message } }"
WATCH = "alpha-secret"
SINK = {"name": "alpha-hook", "url": "https://hooks.example.com/alpha-private-path"}


def _sc(result: Any) -> dict[str, Any]:
    return result.structured_content or {}


# What the second person sends to every tool: the first person's identifiers wherever a tool takes one.
Theirs = dict[str, Any]
AS_THE_OTHER: dict[str, Callable[[Theirs], list[dict[str, Any]]]] = {
    "search_jobs": lambda a: [{"q": "python", "limit": 3}],
    "get_job": lambda a: [{"job": a["job"]}],
    "list_watches": lambda a: [{}],
    "preview_watch": lambda a: [{"name": WATCH}],
    "check_watches": lambda a: [{"names": [WATCH]}, {}],
    "delete_watch": lambda a: [{"name": WATCH}],
    "score_jobs": lambda a: [{"jobs": a["feed_ids"]}],
    "create_watch": lambda a: [{"name": WATCH}],  # last of the watch tools: their own, under the same name
    "list_sinks": lambda a: [{}],
    "remove_sink": lambda a: [{"name": SINK["name"]}],
    "add_sink": lambda a: [{**a["sink"], "confirmation_token": a["sink_approval"]}],
    "set_criteria": lambda a: [{"want": ["python"], "confirmation_token": a["criteria_approval"]}],
    "list_proposals": lambda a: [{}],
    "get_proposal": lambda a: [{"proposal_id": a["proposal"]}],
    "list_offers": lambda a: [{}],
    "get_offer": lambda a: [{"offer_id": a["offer"]}],
    "list_contracts": lambda a: [{}],
    "get_contract": lambda a: [{"contract_id": a["contract"]}],
    "get_time_report": lambda a: [{"contract_id": a["contract"]}],
    "get_work_diary": lambda a: [{"contract_id": a["contract"], "date": "2026-10-26"}],
    "get_earnings": lambda a: [{}],
    "list_rooms": lambda a: [{}, {"waiting_on_you": True}],
    "list_messages": lambda a: [{"room_id": a["room"]}],
    "send_message": lambda a: [{**a["send"], "confirmation_token": a["approval"]}],
    "check_proposals": lambda a: [{}, {}],
    "submit_proposal": lambda a: [
        {"job": a["job"], "cover_letter": "x", "hourly_rate": 1.0, "confirmation_token": a["approval"]}
    ],
    "search_freelancers": lambda a: [{"limit": 2}],
    "get_freelancer_profile": lambda a: [{"profile_key": a["freelancer"]}],
    "get_my_profile": lambda a: [{}],
    "run_graphql": lambda a: [{"query": "query { user { id name } }"}],
    "run_graphql_mutation": lambda a: [
        {
            "query": MUTATION,
            "variables": {"input": {"roomId": a["room"], "message": "x"}},
            "confirmation_token": a["approval"],
        },
    ],
    "describe_type": lambda a: [{"type_name": "CurrentUser"}],
    "fetch_job_feed": lambda a: [{"limit": 3}],
    "job_feed_status": lambda a: [{}],
    "get_account": lambda a: [{}],
    "list_categories": lambda a: [{}],
}


def test_every_tool_is_called_by_the_other_person() -> None:
    from upwork_mcp._bundled import tools_package

    assert set(AS_THE_OTHER) == {s.name for s in tools_package().all_specs()}


# Upwork decides who may read one of its objects by id (the server keeps none of it); the sandbox lets any
# person read any contract by id, so what those tools show is Upwork's answer, not the server's state.
UPWORK_DECIDES = {"get_contract", "get_time_report", "get_work_diary", "get_proposal", "get_offer"}


async def test_two_people_share_nothing_of_their_own(loopback: LoopbackSandbox, tmp_path: Path) -> None:
    box = loopback.box
    with oauth_server(loopback, tmp_path) as base:
        async with (
            httpx.AsyncClient(timeout=30) as a_browser,
            httpx.AsyncClient(timeout=30) as b_browser,
            signed_in(base, 0, a_browser) as (a, _),
            signed_in(base, 1, b_browser) as (b, _),
        ):
            # The first person's state: their criteria, a sink, a watch and what it found, writes waiting for
            # them, their Upwork.
            for person, browser in ((a, a_browser), (b, b_browser)):
                await own_criteria(person, browser, base)
            await approved(a, a_browser, base, "add_sink", SINK)
            sink_preview = _sc(await a.call_tool("add_sink", {**SINK, "name": "alpha-second"}))
            criteria_preview = _sc(await a.call_tool("set_criteria", {"want": ["python"]}))
            await a.call_tool("create_watch", {"name": WATCH, "sinks": [SINK["name"]]})
            await a.call_tool("check_watches", {})
            post_job(box, title="Only the first person's watch has seen this")
            found = _sc(await a.call_tool("check_watches", {}))["checks"][0]["new"]
            room = _sc(await a.call_tool("list_rooms", {"limit": 1}))["rooms"][0]["id"]
            send = {"room_id": room, "message": "A private note from the first person."}
            preview = _sc(await a.call_tool("send_message", send))
            theirs = {
                "feed_ids": [j["id"] for j in found],
                "room": room,
                "send": send,
                "approval": preview["approval_id"],
                "sink": {**SINK, "name": "alpha-second"},
                "sink_approval": sink_preview["approval_id"],
                "criteria_approval": criteria_preview["approval_id"],
                "contract": _sc(await a.call_tool("list_contracts", {"limit": 1}))["contracts"][0]["id"],
                "proposal": _sc(await a.call_tool("list_proposals", {"limit": 1}))["proposals"][0]["id"],
                "offer": (_sc(await a.call_tool("list_offers", {"limit": 1})).get("offers") or [{"id": "0"}])[0]["id"],
                "job": _sc(await a.call_tool("search_jobs", {"limit": 1}))["jobs"][0]["id"],
                "freelancer": _sc(await a.call_tool("search_freelancers", {"limit": 1}))["freelancers"][0][
                    "profile_key"
                ],
            }
            name = _sc(await a.call_tool("get_account", {}))["name"]
            assert theirs["feed_ids"] and name != _sc(await b.call_tool("get_account", {}))["name"]
            # The second person calls every tool with the first one's identifiers.
            heard: list[tuple[str, Any]] = []
            for tool, make in AS_THE_OTHER.items():
                for args in make(theirs):
                    heard.append((tool, await b.call_tool(tool, args)))
            b_watch = (await b.read_resource(f"upwork://watches/{WATCH}")).contents[0].text
            a_watch = (await a.read_resource(f"upwork://watches/{WATCH}")).contents[0].text
            ref = PromptReference(name="reply_to_client")
            completed = [
                set((await c.complete(ref, {"name": "room_id", "value": ""})).completion.values) for c in (a, b)
            ]
            still = _sc(await a.call_tool("list_watches", {}))["watches"]
            a_sinks = _sc(await a.call_tool("list_sinks", {}))["sinks"]
            a_ranked_by = _sc(await a.call_tool("list_watches", {}))["ranked_by"]
    by_tool = {tool: [r for t, r in heard if t == tool] for tool in AS_THE_OTHER}
    for tool, result in heard:
        seen = result.model_dump_json()
        assert send["message"] not in seen and theirs["approval"] not in seen, tool  # their write, its approval
        assert tool in UPWORK_DECIDES or name not in seen, f"{tool} showed the second person the first one's name"
        assert tool == "add_sink" or "alpha-private-path" not in seen, f"{tool} showed the first one's sink"
    assert _sc(by_tool["list_watches"][0])["watches"] == []
    assert "no freelancer profile" in by_tool["get_my_profile"][0].content[0].text  # a client's; never theirs
    assert by_tool["preview_watch"][0].is_error and by_tool["delete_watch"][0].is_error
    assert by_tool["check_watches"][0].structured_content["errors"]  # "No watch": theirs is not found
    assert _sc(by_tool["score_jobs"][0]).get("jobs", []) == [] and _sc(by_tool["score_jobs"][0])["not_found"]
    assert all(
        r.is_error for r in by_tool["send_message"] + by_tool["run_graphql_mutation"] + by_tool["submit_proposal"]
    )
    assert [s["name"] for s in still] == [WATCH]  # theirs is untouched
    assert _sc(by_tool["list_sinks"][0])["sinks"] == [] and _sc(by_tool["remove_sink"][0])["removed"] is False
    assert by_tool["add_sink"][0].is_error and by_tool["set_criteria"][0].is_error  # their approvals, not the other's
    assert [s["name"] for s in a_sinks] == [SINK["name"]] and a_ranked_by.startswith("the starting point you accepted")
    assert "Only the first person's watch has seen this" in a_watch  # theirs found it ...
    assert "Only the first person's watch has seen this" not in b_watch  # ... the other's, made after, has not
    assert completed[0] and completed[1] and not completed[0] & completed[1]
    assert box.sent_messages == []


async def test_each_person_approves_only_their_own_write_and_the_operator_neither(
    loopback: LoopbackSandbox, tmp_path: Path
) -> None:
    box = loopback.box
    with oauth_server(loopback, tmp_path) as base:
        async with (
            httpx.AsyncClient(timeout=30) as a_browser,
            httpx.AsyncClient(timeout=30) as b_browser,
            httpx.AsyncClient(timeout=30) as nobody,
            signed_in(base, 0, a_browser) as (a, _),
            signed_in(base, 1, b_browser) as (b, _),
        ):
            room = _sc(await a.call_tool("list_rooms", {"limit": 1}))["rooms"][0]["id"]
            send = {"room_id": room, "message": "Only I approve this."}
            preview = await a.call_tool("send_message", send)
            out = _sc(preview)
            link = out["approval_url"]
            origin = {"Origin": base}
            form = {"k": link.split("k=")[1], "decision": "approve"}
            anonymous = await nobody.get(link)
            other_sees = await b_browser.get(link)
            other_clicks = await b_browser.post(link.split("?")[0], data=form, headers=origin)
            env = clean_env(**team_env(loopback, tmp_path))
            listed = await anyio.to_thread.run_sync(lambda: without_terminal(as_run("upwork-mcp approve"), env=env))
            operator = await anyio.to_thread.run_sync(
                lambda: in_terminal(as_run(f"upwork-mcp approve {out['approval_id']}"), env=env)
            )
            by_other = await b.call_tool("send_message", {**send, "confirmation_token": out["approval_id"]})
            mine = await a_browser.get(link)
            clicked = await a_browser.post(link.split("?")[0], data=form, headers=origin)
            sent = await a.call_tool("send_message", {**send, "confirmation_token": out["approval_id"]})
            again = await a.call_tool("send_message", {**send, "confirmation_token": out["approval_id"]})
    assert link.startswith(f"{base}/approve/") and "upwork-mcp approve" not in preview.content[0].text
    assert anonymous.status_code == 302 and "/oauth/signin" in anonymous.headers["location"]
    assert other_sees.status_code == 403 and "Only I approve this." not in other_sees.text
    assert other_clicks.status_code == 403
    assert out["approval_id"] not in listed.stdout and operator[0] == 1 and "No write" in operator[1]
    assert by_other.is_error
    assert mine.status_code == 200 and "Only I approve this." in mine.text
    assert clicked.status_code == 200 and "Approved" in clicked.text
    assert _sc(sent)["status"] == "sent" and again.is_error
    assert [m["message"] for m in box.sent_messages] == ["Only I approve this."]


@pytest.mark.parametrize("mode", ["legacy", "auto"], ids=["2025-11-25", "2026-07-28"])
async def test_a_subscription_hears_only_its_own_persons_changes(
    loopback: LoopbackSandbox, tmp_path: Path, mode: str
) -> None:
    """Both have a watch named `news`; the second also `other`. The first person's check of `news` comes
    first: had it reached the second person, it would arrive before their own `other`, on the same stream."""
    news, other = "upwork://watches/news", "upwork://watches/other"
    heard: dict[str, list[str]] = {"a": [], "b": []}

    def on_message(who: str) -> Any:
        async def handle(message: Any) -> None:
            root = getattr(message, "root", message)
            if getattr(root, "method", "") == "notifications/resources/updated":
                heard[who].append(str(root.params.uri))

        return handle if mode == "legacy" else None

    with oauth_server(loopback, tmp_path) as base:
        async with (
            httpx.AsyncClient(timeout=30) as a_browser,
            httpx.AsyncClient(timeout=30) as b_browser,
            signed_in(base, 0, a_browser, mode=mode, handler=on_message("a")) as (a, _),
            signed_in(base, 1, b_browser, mode=mode, handler=on_message("b")) as (b, _),
        ):
            for person, browser in ((a, a_browser), (b, b_browser)):
                await own_criteria(person, browser, base)
            await a.call_tool("create_watch", {"name": "news"})
            for name in ("news", "other"):
                await b.call_tool("create_watch", {"name": name})
            for client in (a, b):
                await client.call_tool("check_watches", {})
            post_job(loopback.box, title="Announced to whoever checks")
            if mode == "legacy":
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # resources/subscribe is deprecated, and still served
                    await a.subscribe_resource(news)
                    await b.subscribe_resource(news)
                    await b.subscribe_resource(other)
                await a.call_tool("check_watches", {"names": ["news"]})
                await b.call_tool("check_watches", {"names": ["other"]})
                with anyio.fail_after(10):
                    while not (heard["a"] and heard["b"]):
                        await anyio.sleep(0.01)
            else:
                async with (
                    a.listen(resource_subscriptions=[news]) as a_events,
                    b.listen(resource_subscriptions=[news, other]) as b_events,
                ):
                    await a.call_tool("check_watches", {"names": ["news"]})
                    await b.call_tool("check_watches", {"names": ["other"]})
                    with anyio.fail_after(10):
                        for who, events in (("a", a_events), ("b", b_events)):
                            async for event in events:
                                heard[who].append(str(event.uri))
                                break
    assert heard == {"a": [news], "b": [other]}, heard
