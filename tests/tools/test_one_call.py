"""What a model needs, in one call (issue 21): a job's client record from any pasted link, who waits on the
user, which proposals got no reply, the user's own profile, why a search found nothing, durations said
truthfully. Each through the MCP client down to the sandbox, with the requests Upwork was sent counted."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.mcp_client import Connect, unmarked
from upwork_mcp.sandbox import Sandbox
from upwork_mcp.sandbox.posting import post_job

pytestmark = pytest.mark.anyio


def _open_jobs(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [j for j in sandbox.data.jobs if j["_status"] == "ACTIVE"]


def _slug(title: str) -> str:
    """A title as Upwork writes it into a job link: words joined by dashes, punctuation dropped."""
    return "-".join(re.findall(r"[A-Za-z0-9.]+", title))


def _spent(job: dict[str, Any]) -> float:
    return float(job["client"]["totalSpent"]["rawValue"])


# -- get_job: the client's record --------------------------------------------------------------------


async def test_a_pasted_link_never_seen_shows_the_clients_spend_and_hires(connect: Connect, sandbox: Sandbox) -> None:
    job = next(j for j in _open_jobs(sandbox) if j["client"]["totalHires"] >= 8)
    async with connect() as client:
        await client.call_tool("get_account", {})  # the login, out of the count
        before = sandbox.api_requests
        result = await client.call_tool("get_job", {"job": f"https://www.upwork.com/jobs/{job['ciphertext']}"})
        asked = sandbox.api_requests - before
    record = result.structured_content["client"]
    assert record["hires"] == job["client"]["totalHires"] and record["total_spent"] == _spent(job)
    assert (
        record["jobs_posted"] == job["client"]["totalPostedJobs"] and record["reviews"] == job["client"]["totalReviews"]
    )
    assert record["rating"] == job["client"]["totalFeedback"] and "just now" in record["source"]
    assert f"{job['client']['totalHires']} hires" in result.content[0].text
    assert asked == 2  # the job, and one targeted search for its client's record


async def test_a_job_seen_in_a_search_of_the_day_costs_one_request(connect: Connect, sandbox: Sandbox) -> None:
    async with connect() as client:
        found = (await client.call_tool("search_jobs", {"limit": 3})).structured_content["jobs"][2]
        before = sandbox.api_requests
        result = await client.call_tool("get_job", {"job": found["id"]})
        asked = sandbox.api_requests - before
    record = result.structured_content["client"]
    assert asked == 1 and "24 h" in record["source"]
    assert record["hires"] == found["client"]["hires"] and result.structured_content["proposals"] == found["proposals"]


async def test_detailed_gives_more_than_concise(connect: Connect, sandbox: Sandbox) -> None:
    job = _open_jobs(sandbox)[7]
    async with connect() as client:
        concise = await client.call_tool("get_job", {"job": job["id"]})
        detailed = await client.call_tool("get_job", {"job": job["id"], "response_format": "detailed"})
    short, full = concise.structured_content, detailed.structured_content
    assert set(short) < set(full) and {"skills", "experience_level", "wants"} <= set(full) - set(short)
    assert full["skills"] == [s["prettyName"] for s in job["skills"]]
    assert len(detailed.content[0].text) > len(concise.content[0].text)


async def test_a_closed_job_says_why_its_client_record_is_missing(connect: Connect, sandbox: Sandbox) -> None:
    closed = next(j for j in sandbox.data.jobs if j["_status"] == "CLOSED")
    async with connect() as client:
        await client.call_tool("get_account", {})
        before = sandbox.api_requests
        result = await client.call_tool("get_job", {"job": closed["id"]})
        asked = sandbox.api_requests - before
    record = result.structured_content["client"]
    assert "hires" not in record and "closed" in record["source"] and asked == 1  # no search for a closed job
    assert "spend and hires unknown" in result.content[0].text


async def test_upwork_refuses_the_job_details_client_company_as_it_does_live(connect: Connect) -> None:
    query = '{ marketplaceJobPosting(id: "1") { ownership { company { id } } } }'
    async with connect() as client:
        result = await client.call_tool("run_graphql", {"query": query})
    assert result.is_error and "MarketplacePostingOwnership.company" in result.content[0].text


# -- get_job: any link a user can paste ----------------------------------------------------------------


def _links(job: dict[str, Any]) -> list[str]:
    cipher, slug = job["ciphertext"], _slug(job["title"])
    return [
        f"https://www.upwork.com/jobs/{slug}_{cipher}/",
        f"https://www.upwork.com/jobs/{slug}_{cipher}/?referrer_url_path=%2Fnx%2Fsearch%2Fjobs%2F",
        f"https://www.upwork.com/freelance-jobs/apply/{slug}_{cipher}/",
        f"https://www.upwork.com/nx/search/jobs/details/{cipher}?pageTitle=Job%20Details",
        f"https://www.upwork.com/jobs/{cipher.replace('~', '%7E')}",  # as some mail clients write it (quote keeps ~)
        f"<https://www.upwork.com/jobs/{cipher}>",
    ]


@pytest.mark.parametrize("kind", ["current", "old"])
async def test_every_form_of_a_job_link_is_read(connect: Connect, sandbox: Sandbox, kind: str) -> None:
    prefix = "~02" if kind == "current" else "~01"
    job = next(j for j in _open_jobs(sandbox) if j["ciphertext"].startswith(prefix))
    links = _links(job) + ([job["ciphertext"][1:]] if kind == "current" else [])  # ~02... without its tilde
    if kind == "old":  # an old ~01 link resolves by its title; only its slug forms (or a search) carry one
        links = [link for link in links if _slug(job["title"]) in link]
    async with connect() as client:
        results = [await client.call_tool("get_job", {"job": link}) for link in links]
    for link, result in zip(links, results, strict=True):
        assert not result.is_error, (link, result.content[0].text)
        assert result.structured_content["id"] == job["id"], link
        assert result.structured_content["client"]["hires"] == job["client"]["totalHires"], link


async def test_an_old_link_with_its_title_resolves_in_a_fresh_data_dir(connect: Connect, sandbox: Sandbox) -> None:
    job = next(j for j in _open_jobs(sandbox) if j["ciphertext"].startswith("~01"))
    link = f"https://www.upwork.com/jobs/{_slug(job['title'])}_{job['ciphertext']}/"
    async with connect() as client:
        result = await client.call_tool("get_job", {"job": link})
    assert result.structured_content["id"] == job["id"]
    assert result.structured_content["url"] == f"https://www.upwork.com/jobs/{job['ciphertext']}"


@pytest.mark.parametrize(
    ("link", "says"),
    [
        ("~01ffffffffffffffff", "Paste the job's whole link"),
        ("https://www.upwork.com/jobs/~01ffffffffffffffff", "Paste the job's whole link"),
        ("https://www.upwork.com/jobs/No-such-job-anywhere_~01ffffffffffffffff/", "did not find it"),
        ("https://www.upwork.com/freelancers/~01abcdef0123456789", "profile link, not a job's"),
        ("https://www.upwork.com/nx/search/jobs/?q=python", "names no job"),
        ("build me a website", "not a job reference"),
    ],
)
async def test_a_link_that_cannot_be_resolved_says_so_and_what_to_do(connect: Connect, link: str, says: str) -> None:
    async with connect() as client:
        result = await client.call_tool("get_job", {"job": link})
    text = result.content[0].text
    assert result.is_error and says in text
    assert "search_jobs" in text or "get_freelancer_profile" in text  # where a usable reference comes from


# -- who waits on the user -----------------------------------------------------------------------------


async def test_waiting_on_you_lists_only_rooms_whose_latest_message_is_someone_elses(
    connect: Connect, sandbox: Sandbox
) -> None:
    me = sandbox.data.user["id"]
    listed = [r for r in sandbox.data.rooms if r.get("_subscribed", True) and not r.get("_hidden")]
    waiting = {r["id"] for r in listed if sandbox.data.stories[r["id"]][-1]["user"]["id"] != me}
    assert 0 < len(waiting) < len(listed)
    async with connect() as client:
        result = await client.call_tool("list_rooms", {"waiting_on_you": True, "limit": 50})
    rooms = result.structured_content["rooms"]
    assert {r["id"] for r in rooms} == waiting
    for room in rooms:
        last = sandbox.data.stories[room["id"]][-1]
        assert room["latest"]["sender"] == last["user"]["name"] != "you"
        assert room["latest"]["text"] == last["message"][:300]
    assert f"{len(waiting)} of the {len(listed)} most recent" in result.content[0].text


async def test_waiting_on_you_reads_rooms_past_the_first_page_in_few_requests(
    connect: Connect, sandbox: Sandbox
) -> None:
    me = sandbox.data.user["id"]
    async with connect() as client:
        await client.call_tool("get_account", {})
        before = sandbox.api_requests
        first = await client.call_tool("list_rooms", {"waiting_on_you": True, "limit": 3})
        asked = sandbox.api_requests - before
    out = first.structured_content
    assert len(out["rooms"]) == 3 and asked == 1  # one page of 100 rooms held them all
    assert all(sandbox.data.stories[r["id"]][-1]["user"]["id"] != me for r in out["rooms"])
    assert "raise limit" in first.content[0].text  # the others found on the page are counted, not dropped silently


async def test_the_users_own_messages_read_you(connect: Connect, sandbox: Sandbox) -> None:
    me = sandbox.data.user["id"]
    room = next(
        r
        for r in sandbox.data.rooms
        if r.get("_subscribed", True) and sandbox.data.stories[r["id"]][-1]["user"]["id"] == me
    )
    async with connect() as client:
        rooms = await client.call_tool("list_rooms", {"limit": 50})
        messages = await client.call_tool("list_messages", {"room_id": room["id"], "limit": 100})
    listed = next(r for r in rooms.structured_content["rooms"] if r["id"] == room["id"])
    assert listed["latest"]["sender"] == "you" and "last: you " in rooms.content[0].text
    senders = [m["sender"] for m in messages.structured_content["messages"]]
    mine = [s for s in sandbox.data.stories[room["id"]] if s["user"]["id"] == me]
    assert senders.count("you") == len(mine) and sandbox.data.user["name"] not in unmarked(messages.content[0].text)


# -- which proposals got no reply ----------------------------------------------------------------------


async def test_list_proposals_says_which_got_no_reply_in_one_call(connect: Connect, sandbox: Sandbox) -> None:
    me = sandbox.data.user["id"]
    async with connect() as client:
        await client.call_tool("get_account", {})
        before = sandbox.api_requests
        result = await client.call_tool("list_proposals", {"status": "Pending", "limit": 20})
        asked = sandbox.api_requests - before
    shown = result.structured_content["proposals"]
    assert shown and asked == 2  # the proposals, and one page of the room list for all of their rooms
    for p in shown:
        room = sandbox.data.proposal_rooms.get(p["id"])
        assert p["client_replied"] is (room is not None) and p.get("room_id") == room, p
        if room:
            last = sandbox.data.stories[room][-1]["user"]["id"]
            assert p["last_from"] == ("you" if last == me else "client")
    silent = [p for p in shown if not p["client_replied"]]
    assert silent and f"{len(silent)} shown without a reply" in result.content[0].text
    assert result.content[0].text.count("NO REPLY") == len(silent)


async def test_without_the_messaging_permission_replies_are_unknown_not_false(
    connect: Connect, sandbox: Sandbox
) -> None:
    sandbox.faults.deny.add("Query.roomList")
    async with connect() as client:
        result = await client.call_tool("list_proposals", {"status": "Pending"})
    assert not result.is_error and result.structured_content["proposals"]
    assert all("client_replied" not in p for p in result.structured_content["proposals"])
    assert "Replies unknown" in result.content[0].text and "NO REPLY" not in result.content[0].text


# -- my own profile ------------------------------------------------------------------------------------


@pytest.mark.parametrize("denied", [None, "CurrentUser.freelancerProfile"])
async def test_get_my_profile_reads_the_users_own_profile_in_one_call(
    connect: Connect, sandbox: Sandbox, denied: str | None
) -> None:
    if denied:  # a key refused the user's profile under `user` reads it by its key instead
        sandbox.faults.deny.add(denied)
    mine, user = sandbox.data.my_profile, sandbox.data.user
    async with connect() as client:
        result = await client.call_tool("get_my_profile", {})
    out = result.structured_content
    data, agg = mine["personalData"], mine["aggregates"]
    assert (out["title"], out["overview"]) == (data["title"], data["description"])
    assert out["skills"] == [e["node"]["prettyName"] for e in mine["skills"]["edges"]]
    assert out["rate"] == f"${float(data['chargeRate']['rawValue']):.0f}/hr"
    assert out["availability"] == mine["availability"]["name"] and out["job_success_score"] == agg["jobSuccessScore"]
    assert out["profile_key"] == user["ciphertext"] and out["profile_url"].endswith(user["ciphertext"])
    assert data["title"] in result.content[0].text


async def test_a_client_account_has_no_freelancer_profile_and_says_so(connect: Connect, sandbox: Sandbox) -> None:
    sandbox.data.my_profile = {}
    async with connect() as client:
        result = await client.call_tool("get_my_profile", {})
    assert not result.is_error and "no freelancer profile" in result.content[0].text


# -- why a search found nothing ------------------------------------------------------------------------


async def test_an_empty_job_search_names_the_filter_that_emptied_it(connect: Connect, sandbox: Sandbox) -> None:
    # Python jobs exist, and jobs from Brazil, but no Python job from a client in Brazil posted within a day.
    async with connect() as client:
        result = await client.call_tool("search_jobs", {"q": "python", "country": "Brazil", "posted_within_days": 1})
    out = result.structured_content
    assert out["jobs"] == [] and "Relax posted_within_days" in out["why_empty"]
    assert "without country:" in out["why_empty"] and "without posted_within_days: 7" in out["why_empty"]
    assert "Why nothing matched" in result.content[0].text


async def test_a_filter_applied_here_that_kept_nothing_is_named(connect: Connect) -> None:
    async with connect() as client:
        result = await client.call_tool("search_jobs", {"q": "python", "hourly_min": 500})
    assert "hourly_min/max kept none of the" in result.structured_content["why_empty"]


async def test_an_empty_freelancer_search_and_feed_name_their_culprits(connect: Connect) -> None:
    async with connect() as client:
        people = await client.call_tool("search_freelancers", {"q": "figma", "country": "Narnia"})
        feed = await client.call_tool("fetch_job_feed", {"q": "python zzzqx"})
    assert people.structured_content["freelancers"] == [] and "Relax country" in people.structured_content["why_empty"]
    assert "'zzzqx' kept none" in feed.structured_content["why_empty"]


# -- durations -----------------------------------------------------------------------------------------


async def test_a_job_posted_68_hours_ago_does_not_read_2d_ago(connect: Connect, sandbox: Sandbox) -> None:
    job = _open_jobs(sandbox)[3]
    posted = datetime.now(UTC) - timedelta(hours=68, minutes=20)
    job["publishedDateTime"] = posted.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    async with connect() as client:
        found = await client.call_tool("search_jobs", {"q": f'"{job["title"]}"', "sort": "relevance", "limit": 50})
        detail = await client.call_tool("get_job", {"job": job["id"]})
    line = next(line for line in found.content[0].text.splitlines() if f"[{job['id']}]" in line)
    assert "| 68h ago |" in line and "posted 68h ago" in detail.content[0].text


async def test_a_disqualified_job_reads_skip_with_why_never_skip_and_a_high_score(
    connect: Connect, sandbox: Sandbox, tmp_path: Path
) -> None:
    job = post_job(sandbox, title="Billing page", description="Great pay. Message me on WhatsApp.", budget=5000)
    stated = tmp_path / "watches.toml"
    stated.write_text('[scoring]\nskills = ["billing"]\n')  # the user's own criteria
    async with connect(env={"UPWORK_WATCH_CONFIG": str(stated)}) as client:
        scored = await client.call_tool("score_jobs", {"jobs": [job["id"]]})
    out = scored.structured_content["jobs"][0]
    line = next(line for line in scored.content[0].text.splitlines() if f"[{job['id']}]" in line)
    assert out["verdict"] == "SKIP" and out["score"] == 0  # what the user won't take scores 0, fit or not
    assert re.search(r"SKIP, disqualified: off platform \(fit \d+\)", line) and not re.search(r"SKIP \d", line)
