from __future__ import annotations

import pytest

from upwork_mcp.advice import explain
from upwork_mcp.api import FeedQuery, UpworkClient
from upwork_mcp.config import Settings
from upwork_mcp.errors import APIError, ConfigError, NotFoundError
from upwork_mcp.notes import collecting
from upwork_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio


async def test_contracts_list_by_status_and_page(client: UpworkClient) -> None:
    active = await client.contracts.list(statuses=("active",), limit=50)
    assert len(active.contracts) == 10 and all(c.status == "ACTIVE" for c in active.contracts)
    first = await client.contracts.list(limit=8)
    second = await client.contracts.list(offset=first.next_offset, limit=8)
    assert first.next_offset == 8 and not {c.id for c in first.contracts} & {c.id for c in second.contracts}
    detail = await client.contracts.get(first.contracts[0].id)
    assert detail.title == first.contracts[0].title and detail.hiring_manager.name


def subscribed(sandbox: Sandbox) -> list[dict]:
    """The rooms Upwork lists by default: subscribed and not hidden."""
    return [r for r in sandbox.data.rooms if r.get("_subscribed", True) and not r.get("_hidden")]


async def test_rooms_stories_and_sending(client: UpworkClient, sandbox: Sandbox) -> None:
    rooms = await client.messages.rooms(first=5)
    assert rooms.total == len(subscribed(sandbox)) < len(sandbox.data.rooms) and rooms.next_cursor == "5"
    everything = await client.messages.rooms(first=5, include_unsubscribed=True)
    assert everything.total == len(sandbox.data.rooms) and not everything.subscribed_only
    room = rooms.rooms[0]
    sent = await client.messages.send(room.id, "On it — update by Friday.")
    stories = await client.messages.stories(room.id, first=3)
    assert stories.stories[0].id == sent.id and stories.stories[0].message == "On it — update by Friday."
    assert len(sandbox.sent_messages) == 1
    contract_room = await client.messages.contract_room(sandbox.data.contracts[0]["id"])
    assert contract_room.id == sandbox.data.rooms[0]["id"]


async def test_story_paging_reaches_the_oldest(client: UpworkClient) -> None:
    room = (await client.messages.rooms(first=1)).rooms[0]
    seen, cursor = [], None
    while True:
        page = await client.messages.stories(room.id, first=2, after=cursor)
        seen += [s.id for s in page.stories]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == page.total


async def test_unknown_room_is_not_found(client: UpworkClient) -> None:
    with pytest.raises(NotFoundError, match="no such item") as raised:
        await client.messages.stories("room_nope")
    assert "list_rooms" not in str(raised.value)  # the engine names no tool: the surface's advice does
    assert "Room ids come from list_rooms" in explain(raised.value, "model")


async def test_freelancer_search_and_profile(client: UpworkClient) -> None:
    page = await client.freelancers.search(keyword="python", first=5)
    assert page.freelancers and all(
        "python" in (f.title + f.description + str(f.skills)).lower() for f in page.freelancers
    )
    with collecting() as notes:
        profile = await client.freelancers.profile(
            f"https://www.upwork.com/freelancers/{page.freelancers[0].ciphertext}"
        )
    # Upwork answers another person's fullName null (non-null in its schema: the null would lose the whole
    # profile) and refuses countryDetails without an elevated scope: both are left out, and said.
    assert profile.full_name is None and profile.country_details is None
    assert profile.skill_names() and profile.personal_data and profile.personal_data.title
    said = " ".join(notes)
    assert "FreelancerProfile.fullName" in said and "null" in said and "FreelancerProfile.countryDetails" in said


async def test_account_and_organizations(client: UpworkClient, sandbox: Sandbox) -> None:
    me = await client.account.me()
    assert me.user.id == sandbox.data.user["id"] and len(me.companies) == 3


async def test_job_feed_health_and_filters(client: UpworkClient) -> None:
    assert (await client.job_feed.health()).message == "API is healthy"
    env = await client.job_feed.jobs(FeedQuery(limit=10, payment_verified=True, job_type="fixed", budget_min=500))
    assert env.count == len(env.data) == 10
    assert all(j.buyer.payment_verified and j.job_type == 2 and j.budget.fixed_amount >= 500 for j in env.data)
    assert all(j.url.startswith("https://www.upwork.com/jobs/~0") for j in env.data)


async def test_job_feed_without_a_key_says_which_variable(http, clock) -> None:
    from tests.conftest import make_loop, sandbox_client

    settings = Settings.from_env({"UPWORK_JOB_FEED_URL": "http://sandbox.test"})
    c = sandbox_client(http, settings, make_loop(http, clock))
    with pytest.raises(ConfigError, match="UPWORK_JOB_FEED_API_KEY"):
        await c.job_feed.health()


async def test_job_feed_wrong_key_and_bad_parameter(http, clock) -> None:
    from pydantic import SecretStr

    from tests.conftest import make_loop
    from upwork_mcp.api.job_feed import JobFeedAPI

    loop = make_loop(http, clock, max_retries=0)
    with pytest.raises(APIError) as info:
        await JobFeedAPI(loop, "http://sandbox.test", SecretStr("wrong")).health()
    assert info.value.status_code == 401 and "Invalid or missing API key" in str(info.value)
    response = await http.get("/jobs", params={"budget_min": "cheap"}, headers={"X-API-KEY": "sandbox-feed-key"})
    body = response.json()
    assert (
        response.status_code == 400 and body["success"] is False and body["message"] == "Invalid budget_min parameter"
    )
    assert set(body) == {"success", "data", "count", "last_updated", "message"}
    # The other shape, for the feed's validation errors: error and details[] naming the field.
    with pytest.raises(APIError) as shape:
        await JobFeedAPI(loop, "http://sandbox.test", SecretStr("sandbox-feed-key"))._get("/jobs", {"limit": "51"})
    assert shape.value.status_code == 400 and "limit must be between 1 and 50 (e.g. 20)" in str(shape.value)
