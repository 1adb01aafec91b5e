"""Clients that can send their user to a page (URL-mode elicitation): the approval page goes to the person
through the client, never into what the model reads, and their click in a paired browser sends the write
once, in both protocol eras. And a client's yes, replayed (2026-07-28), still sends once."""

from __future__ import annotations

from typing import Any

import pytest
from mcp.client.session import ClientSession
from mcp_types import ElicitationCapability, ElicitRequestURLParams, ElicitResult, UrlElicitationCapability

from tests.mcp_client import Connect, each_era
from tests.person import click, paired_browser
from upwork_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio


@pytest.fixture
def url_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client declares URL-mode elicitation and nothing else (it cannot show a form)."""
    build = ClientSession._build_capabilities

    def only_url(self: ClientSession, version: str) -> Any:
        caps = build(self, version)
        if caps.elicitation is not None:
            caps = caps.model_copy(update={"elicitation": ElicitationCapability(url=UrlElicitationCapability())})
        return caps

    monkeypatch.setattr(ClientSession, "_build_capabilities", only_url)


def _person(browser: Any, decision: str | None) -> Any:
    """The client shows the person the page; they open it and click `decision` (None: they close it)."""
    shown: list[ElicitRequestURLParams] = []

    async def callback(context: Any, params: Any) -> ElicitResult:
        shown.append(params)
        if decision is None:
            return ElicitResult(action="decline")
        response = click(browser, params.url, decision)
        assert response.status_code == 200, response.text
        return ElicitResult(action="accept")

    callback.shown = shown  # type: ignore[attr-defined]
    return callback


@each_era
async def test_the_page_goes_to_the_person_through_the_client_and_sends_once(
    connect: Connect, sandbox: Sandbox, url_only: None
) -> None:
    room = sandbox.data.rooms[0]["id"]
    args = {"room_id": room, "message": "Through the client's page."}
    with paired_browser() as browser:
        person = _person(browser, "approve")
        async with connect(elicit=person) as client:
            sent = await client.call_tool("send_message", args)
            again = await client.call_tool("send_message", args)  # a new write: asked again
    [first, second] = person.shown
    assert first.mode == "url" and first.url.startswith("http://127.0.0.1:") and "/approve/" in first.url
    assert sent.structured_content["status"] == "sent" and again.structured_content["status"] == "sent"
    assert first.url not in sent.model_dump_json() and first.url != second.url
    assert [m["message"] for m in sandbox.sent_messages] == ["Through the client's page."] * 2


@each_era
@pytest.mark.parametrize("decision", ["decline", None])
async def test_declined_on_the_page_or_not_opened_sends_nothing(
    connect: Connect, sandbox: Sandbox, url_only: None, decision: str | None
) -> None:
    args = {"room_id": sandbox.data.rooms[0]["id"], "message": "Not this."}
    with paired_browser() as browser:
        async with connect(elicit=_person(browser, decision)) as client:
            result = await client.call_tool("send_message", args)
    assert result.structured_content["status"] == "declined" and sandbox.sent_messages == []


async def test_an_unpaired_browser_leaves_the_write_waiting_without_the_link(
    connect: Connect, sandbox: Sandbox, url_only: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tools._confirm.PAGE_WAIT", 0.0)  # the person does not come back within the wait
    refused: list[int] = []

    async def callback(context: Any, params: Any) -> ElicitResult:
        import httpx

        with httpx.Client() as stranger:  # a browser nobody paired
            refused.append(click(stranger, params.url).status_code)
        return ElicitResult(action="accept")

    args = {"room_id": sandbox.data.rooms[0]["id"], "message": "Waiting."}
    async with connect(elicit=callback) as client:
        result = await client.call_tool("send_message", args)
    out = result.structured_content
    assert refused == [403] and out["status"] == "needs_approval" and "approval_url" not in out
    assert "/approve/" not in result.content[0].text and sandbox.sent_messages == []


async def test_a_replayed_yes_from_the_client_sends_once(connect: Connect, sandbox: Sandbox) -> None:
    """2026-07-28: the client's answer comes back in a second round; sending that round twice writes once."""
    args = {"room_id": sandbox.data.rooms[0]["id"], "message": "Exactly once."}

    async def unused(context: Any, params: Any) -> ElicitResult:
        raise AssertionError("driven by hand here")

    async with connect(elicit=unused) as client:
        first = await client.session.call_tool("send_message", args, allow_input_required=True)
        answer = {"approve": ElicitResult(action="accept", content={"send": True})}
        rounds = [
            await client.session.call_tool(
                "send_message",
                args,
                input_responses=answer,
                request_state=first.request_state,
                allow_input_required=True,
            )
            for _ in range(2)
        ]
    assert first.input_requests["approve"].params.mode == "form"
    assert rounds[0].structured_content["status"] == "sent"
    assert rounds[1].is_error and "already used" in rounds[1].content[0].text
    assert [m["message"] for m in sandbox.sent_messages] == ["Exactly once."]
