"""A proposals watch: each change in the user's proposals reaches its sinks once, whichever check saw it
first (the watch's own, check_proposals', two at once); the first check records without a flood; a proposal
merely sent is not a ping; it needs no ranking criteria and takes no job filters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from tests.watches.helpers import quiet_pending as pending
from tests.watches.helpers import watching
from tests.watches.test_delivery import CONFIG, Receiver
from upwork_mcp.errors import InvalidInputError, UpworkError
from upwork_mcp.sandbox import Sandbox
from upwork_mcp.sandbox.applying import change_proposal
from upwork_mcp.sandbox.personas import persona_organizations
from upwork_mcp.store import Store, WatchStore
from upwork_mcp.store._db import SQLiteDatabase
from upwork_mcp.store.proposals import ProposalLedger
from upwork_mcp.store.watches import Queued
from upwork_mcp.watches.delivery import Deliverer, change_dict
from upwork_mcp.watches.filters import WatchFilters
from upwork_mcp.watches.runner import OneUser, run
from upwork_mcp.watches.service import Watch, Watches

pytestmark = pytest.mark.anyio


def pipeline_watch(name: str = "mine", sinks: tuple[str, ...] = ("hook",)) -> Watch:
    return Watch(name, "proposals", WatchFilters(), sinks, 15)


async def due_again(watches: Watches) -> None:
    with watches.store.db.transaction() as tx:
        tx.execute("UPDATE watches SET checked = 0")


def delivered(receiver: Receiver) -> list[tuple[str, str]]:
    return [(c["proposal_id"], c["kind"]) for a in receiver.accepted if a["path"] == "/hook" for c in a["changes"]]


async def test_a_proposals_watch_delivers_each_change_to_a_webhook_once(sandbox: Sandbox, tmp_path: Path) -> None:
    receiver = Receiver()
    declined, written = pending(sandbox, 2)
    async with watching(sandbox, CONFIG, tmp_path, stated=False) as watches, receiver.client() as http:
        await watches.create(pipeline_watch())  # no ranking criteria needed: nothing is ranked
        deliverer = Deliverer(OneUser(watches), http)
        said: list[str] = []
        first = await run(watches, deliverer, once=True, say=said.append)  # records every proposal, sends nothing
        change_proposal(sandbox, declined["id"], status="Declined", reason="The client hired someone else")
        change_proposal(sandbox, written["id"], message="Could you start on Monday?")
        await due_again(watches)
        second = await run(watches, deliverer, once=True, say=said.append)
        await due_again(watches)
        third = await run(watches, deliverer, once=True, say=said.append)
    assert first.reports[0].first and not first.skipped
    assert sorted(delivered(receiver)) == sorted([(declined["id"], "status"), (written["id"], "client_wrote")])
    assert receiver.bad_signatures == 0 and len({a["id"] for a in receiver.accepted}) == len(receiver.accepted)
    changes = {c["kind"]: c for a in receiver.accepted for c in a["changes"]}
    assert changes["status"]["reason"] == "The client hired someone else"
    assert changes["client_wrote"]["message"] == "Could you start on Monday?"
    assert changes["client_wrote"]["next_step"].startswith("Reply in the proposal's room")
    assert changes["status"]["url"].startswith("https://www.upwork.com/jobs/~02")
    assert all(a["watch"] == "mine" for a in receiver.accepted)
    assert sum(o.delivered for o in second.outcomes) == 2 and third.reports[0].changes == []
    assert sum(o.delivered for o in third.outcomes) == 0
    assert any("2 change(s) in your proposals, queued for hook" in line for line in said)


async def test_a_change_check_proposals_saw_first_reaches_the_sinks_once(sandbox: Sandbox, tmp_path: Path) -> None:
    receiver = Receiver()
    (offered,) = pending(sandbox, 1)
    async with watching(sandbox, CONFIG, tmp_path) as watches, receiver.client() as http:
        await watches.create(pipeline_watch(sinks=("hook", "chat")))
        await watches.check("mine")  # the user's first check: the watch follows from here
        change_proposal(sandbox, offered["id"], offer=True)
        seen = await watches.pipeline()  # check_proposals' look: it reports the offer and queues it
        late = await watches.check("mine")  # the watch comes after: nothing left to report or queue
        deliverer = Deliverer(OneUser(watches), http)
        await deliverer.deliver_due()
        await deliverer.deliver_due()
    assert [(c.kind, c.status) for c in seen.changes] == [("offer", "Offered")]  # said once, with its id
    assert seen.queued == {"hook", "chat"} and late.changes == [] and late.queued == ()
    assert delivered(receiver) == [(offered["id"], "offer")]
    slack = [a for a in receiver.accepted if a["path"] == "/slack"]
    assert len(slack) == 1 and all("Upwork proposal update (watch mine)" in a["text"] for a in slack)


async def test_concurrent_checks_queue_each_change_once(sandbox: Sandbox, tmp_path: Path) -> None:
    declined, written = pending(sandbox, 2)
    env = {"UPWORK_DATA_DIR": str(tmp_path / "data")}  # two engines (as two processes) on one store
    async with watching(sandbox, CONFIG, tmp_path, env=env) as one, watching(sandbox, CONFIG, tmp_path, env=env) as two:
        await one.create(pipeline_watch())
        await one.check("mine")
        change_proposal(sandbox, declined["id"], status="Declined", reason="Job was closed")
        change_proposal(sandbox, written["id"], message="Are you available?")
        found: list[Any] = []

        async def look(watches: Watches, as_watch: bool) -> None:
            if as_watch:
                reports, _ = await watches.check_many(["mine"])
                found.extend(c for r in reports for c in r.changes)
            else:
                found.extend((await watches.pipeline()).changes)

        async with anyio.create_task_group() as tg:
            for watches, as_watch in ((one, True), (two, False), (one, False), (two, True)):
                tg.start_soon(look, watches, as_watch)
        queued = one.store.pending()
    assert sorted((c.proposal_id, c.kind) for c in found) == sorted(
        [(declined["id"], "status"), (written["id"], "client_wrote")]
    )
    assert queued == 2  # one message per change for the watch's one sink


async def test_a_proposal_merely_sent_is_recorded_not_pinged(sandbox: Sandbox, tmp_path: Path) -> None:
    (fresh,) = pending(sandbox, 1)
    async with watching(sandbox, CONFIG, tmp_path) as watches:
        await watches.create(pipeline_watch())
        await watches.check("mine")
        with watches.store.db.transaction() as tx:  # as if the user had just sent it: unknown to the record
            tx.execute("DELETE FROM proposal_seen WHERE proposal_id = ?", (fresh["id"],))
        report = await watches.check("mine")
        again = await watches.check("mine")
    assert [(c.proposal_id, c.kind, c.status) for c in report.changes] == [(fresh["id"], "new", "Pending")]
    assert report.queued == () and watches.store.pending() == 0 and again.changes == []


async def test_a_proposals_watch_takes_sinks_and_no_job_filters(sandbox: Sandbox, tmp_path: Path) -> None:
    async with watching(sandbox, CONFIG, tmp_path) as watches:
        with pytest.raises(InvalidInputError, match="give no job filters"):
            await watches.create(Watch("x", "proposals", WatchFilters(q="python"), ("hook",), 15))
        with pytest.raises(InvalidInputError, match="must be 15 to 1440 minutes"):
            await watches.create(Watch("y", "proposals", WatchFilters(), ("hook",), 5))
        with pytest.raises(InvalidInputError, match="No sink 'nope'"):
            await watches.create(pipeline_watch(sinks=("nope",)))
        await watches.create(pipeline_watch())
        with pytest.raises(InvalidInputError, match="no jobs to preview"):
            await watches.preview("mine")


async def test_a_check_that_dies_while_queueing_leaves_the_change_for_the_next(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import upwork_mcp.store.proposals as ledger_module

    (declined,) = pending(sandbox, 1)
    async with watching(sandbox, CONFIG, tmp_path) as watches:
        await watches.create(pipeline_watch())
        await watches.check("mine")
        change_proposal(sandbox, declined["id"], status="Declined")
        real = ledger_module.enqueue

        def crash(tx: Any, item: Any, now: float) -> None:
            raise RuntimeError("the process died here")

        monkeypatch.setattr(ledger_module, "enqueue", crash)
        with pytest.raises(RuntimeError, match="the process died here"):
            await watches.check("mine")
        monkeypatch.setattr(ledger_module, "enqueue", real)
        after = await watches.check("mine")
        again = await watches.check("mine")
    assert [(c.proposal_id, c.kind) for c in after.changes] == [(declined["id"], "status")] and not again.changes
    assert watches.store.pending() == 1  # reported and queued together, once


def test_only_the_check_that_advances_a_proposal_queues_its_messages(tmp_path: Path) -> None:
    store = Store(SQLiteDatabase(tmp_path / "state.sqlite3"))
    ledger, watches = ProposalLedger(store, "user-1"), WatchStore(store)
    looks = [{"status": s} for s in ("Pending", "Declined", "Archived", "Hired")]
    assert ledger.first_look({"p1": looks[0]})
    gone = ledger.advance("p1", looks[0], looks[1], [Queued("k-gone", "mine", "hook", "{}")])  # no such watch
    watches.add("mine", pipeline_watch().spec())
    new = ledger.advance("p1", looks[1], looks[2], [Queued("k-new", "mine", "hook", "{}")])  # before its 1st check
    watches.touch("mine")
    won = ledger.advance("p1", looks[2], looks[3], [Queued("k-one", "mine", "hook", "{}")])
    lost = ledger.advance("p1", looks[2], looks[3], [Queued("k-two", "mine", "hook", "{}")])  # saw it too, later
    assert (gone, new, won, lost) == (set(), set(), {"hook"}, None) and watches.pending() == 1


async def test_a_check_finds_new_rooms_from_the_room_list_not_one_lookup_per_proposal(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    from upwork_mcp.facts import PROPOSAL_STATUSES
    from upwork_mcp.sandbox import Faults

    (written,) = pending(sandbox, 1)
    open_ones = [p for p in sandbox.data.proposals if p["status"]["status"] in ("Pending", "Accepted", "Offered")]
    async with watching(sandbox, CONFIG, tmp_path) as watches:
        await watches.pipeline()
        change_proposal(sandbox, written["id"], message="Hello from the client")
        before = sandbox.api_requests
        listed = await watches.pipeline()
        cost = sandbox.api_requests - before
        sandbox.faults = Faults.parse("deny=Room.vendorProposal")  # a key the room list cannot serve
        change_proposal(sandbox, pending(sandbox, 1)[0]["id"], message="And another")
        before = sandbox.api_requests
        looked_up = await watches.pipeline()
        fallback = sandbox.api_requests - before
    assert [c.kind for c in listed.changes] == [c.kind for c in looked_up.changes] == ["client_wrote"]
    # the status pages, the pending offers, the room list (one page, with each room's latest message)
    assert cost == len(PROPOSAL_STATUSES) + 1 + 1, cost
    assert len(open_ones) > 3 and fallback > cost  # without the room list: a lookup per open proposal without one


async def test_a_check_that_fetched_before_another_wrote_never_moves_the_record_back(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (declined,) = pending(sandbox, 1)
    env = {"UPWORK_DATA_DIR": str(tmp_path / "data")}
    async with (
        watching(sandbox, CONFIG, tmp_path, env=env) as slow,
        watching(sandbox, CONFIG, tmp_path, env=env) as fast,
    ):
        await slow.create(pipeline_watch())
        await slow.check("mine")
        fetch = slow.client.proposals.overview

        async def then_the_client_declines(*args: Any, **kwargs: Any) -> Any:
            page = await fetch(*args, **kwargs)  # still Pending, as Upwork said a moment ago
            change_proposal(sandbox, declined["id"], status="Declined")
            await fast.pipeline()  # another check records (and queues) the decline meanwhile
            return page

        monkeypatch.setattr(slow.client.proposals, "overview", then_the_client_declines)
        stale = await slow.pipeline()
        monkeypatch.undo()
        later = await fast.pipeline()
        queued = slow.store.pending()
    assert stale.changes == [] and later.changes == []  # not "now: Pending", nor the decline a second time
    assert queued == 1


async def test_offers_that_could_not_be_read_are_not_an_offer_made_again(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (offered,) = pending(sandbox, 1)
    async with watching(sandbox, CONFIG, tmp_path) as watches:
        await watches.create(pipeline_watch())
        await watches.check("mine")
        change_proposal(sandbox, offered["id"], offer=True)
        made = await watches.check("mine")

        async def unavailable(*args: Any, **kwargs: Any) -> Any:
            raise UpworkError("Upwork failed with HTTP 503 (a test)")

        monkeypatch.setattr(watches.client.offers, "list", unavailable)
        blind = await watches.check("mine")
        monkeypatch.undo()
        seen_again = await watches.check("mine")
    assert ("offer", "Offered") in {(c.kind, c.status) for c in made.changes}
    assert blind.changes == [] and any("Offers were not checked" in n for n in blind.notes)
    assert seen_again.changes == [] and watches.store.pending() == 1  # the offer, once


async def test_a_proposal_missed_at_the_first_check_is_not_news(sandbox: Sandbox, tmp_path: Path) -> None:
    old = next(p for p in sandbox.data.proposals if p["status"]["status"] == "Declined")
    async with watching(sandbox, CONFIG, tmp_path) as watches:
        await watches.create(pipeline_watch())
        await watches.check("mine")
        with watches.store.db.transaction() as tx:  # as if Upwork had timed out on its status at the first check
            tx.execute("DELETE FROM proposal_seen WHERE proposal_id = ?", (old["id"],))
        report = await watches.check("mine")
    assert [(c.proposal_id, c.kind, c.status) for c in report.changes] == [(old["id"], "new", "Declined")]
    assert watches.store.pending() == 0  # recorded, shown here, not pinged
    said = change_dict({"proposal_id": old["id"], "kind": "new", "status": "Declined", "job_title": "A job"})
    assert said["line"] == "A job | now: Declined"


async def test_a_watch_whose_sinks_are_gone_is_not_checked_and_loses_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    (declined,) = pending(sandbox, 1)
    config = tmp_path / "gone.toml"
    async with watching(sandbox, CONFIG, tmp_path) as watches:
        await watches.create(pipeline_watch())
        await watches.check("mine")
        change_proposal(sandbox, declined["id"], status="Declined")
    async with watching(sandbox, "", config.parent) as watches:  # the settings file no longer has the sink
        reports, errors = await watches.check_many(["mine"])
        said: list[str] = []
        await run(watches, Deliverer(OneUser(watches), httpx.AsyncClient()), once=True, say=said.append)
        kept = await watches.pipeline()  # check_proposals still has the change to show
    assert reports == [] and "none of those sinks exists any more" in str(errors[0][1])
    assert any(line.startswith("SKIPPED mine: ") and "hook" in line for line in said)
    assert [(c.proposal_id, c.kind) for c in kept.changes] == [(declined["id"], "status")]


async def test_a_failing_check_waits_its_interval(sandbox: Sandbox, tmp_path: Path) -> None:
    from upwork_mcp.sandbox import Faults

    async with watching(sandbox, CONFIG, tmp_path) as watches, httpx.AsyncClient() as http:
        await watches.create(pipeline_watch())
        sandbox.faults = Faults.parse("deny=Query.vendorProposals")
        deliverer = Deliverer(OneUser(watches), http)
        first = await run(watches, deliverer, once=True, say=lambda _: None)
        before = sandbox.api_requests
        second = await run(watches, deliverer, once=True, say=lambda _: None)  # the next tick
    assert first.errors and not second.errors and sandbox.api_requests == before  # not asked again at once


async def test_without_criteria_the_job_watches_wait_and_the_proposals_watch_is_checked(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    async with watching(sandbox, CONFIG, tmp_path, stated=False) as watches:
        await watches.create(pipeline_watch())
        watches.store.add("all-feed", Watch("all-feed", "feed", WatchFilters()).spec())
        reports, errors = await watches.check_many(["mine", "all-feed"])
    assert [r.watch for r in reports] == ["mine"]
    assert [(name, type(exc).__name__) for name, exc in errors] == [("all-feed", "CriteriaNeeded")]


async def test_another_organization_is_a_record_of_its_own_and_no_watch_s(sandbox: Sandbox, tmp_path: Path) -> None:
    (declined,) = pending(sandbox, 1)
    async with watching(sandbox, CONFIG, tmp_path) as watches:
        await watches.create(pipeline_watch())
        await watches.check("mine")
        org = persona_organizations(sandbox, 0)[1]["id"]  # the user's agency
        as_org = await watches.pipeline(tenant_id=org)
        change_proposal(sandbox, declined["id"], status="Declined")
        org_sees = await watches.pipeline(tenant_id=org)
        mine = await watches.check("mine")
    assert as_org.first and [c.kind for c in org_sees.changes] == ["status"] and org_sees.queued == set()
    assert [c.kind for c in mine.changes] == ["status"] and mine.queued == ("hook",)
    assert watches.store.pending() == 1


async def test_a_new_watch_starts_from_what_is_there(sandbox: Sandbox, tmp_path: Path) -> None:
    declined, written = pending(sandbox, 2)
    async with watching(sandbox, CONFIG, tmp_path) as watches:
        await watches.pipeline()  # the user checked their proposals long ago
        change_proposal(sandbox, declined["id"], status="Declined")
        watch = await watches.create(pipeline_watch())
        base = await watches.start_following(watch)  # as create_watch and `watch add` do
        change_proposal(sandbox, written["id"], message="Are you there?")  # the very next change
        first = await watches.check("mine")
    assert base is not None and [c.kind for c in base.changes] == ["status"]  # shown to whoever made it
    assert [c.kind for c in first.changes] == ["client_wrote"] and first.queued == ("hook",)
    assert watches.store.pending() == 1  # the decline from before the watch was not sent; the message was


async def test_a_record_that_never_saw_the_clients_latest_message_takes_it_silently(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    async with watching(sandbox, CONFIG, tmp_path) as watches:
        await watches.create(pipeline_watch())
        await watches.check("mine")
        with watches.store.db.transaction() as tx:  # as a check that could not read the room list wrote them
            for row in tx.all("SELECT proposal_id, seen FROM proposal_seen"):
                look = json.loads(row["seen"])
                look["client_last"] = None
                tx.execute(
                    "UPDATE proposal_seen SET seen = ? WHERE proposal_id = ?",
                    (json.dumps(look, sort_keys=True, separators=(",", ":")), row["proposal_id"]),
                )
        upgraded = await watches.check("mine")
    assert upgraded.changes == [] and watches.store.pending() == 0


async def test_a_check_that_breaks_unexpectedly_still_waits_its_interval(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    async def broken(**kwargs: Any) -> Any:
        calls.append(1)
        raise KeyError("id")  # say, an answer of a shape nobody expected

    async with watching(sandbox, CONFIG, tmp_path) as watches, httpx.AsyncClient() as http:
        await watches.create(pipeline_watch())
        monkeypatch.setattr(watches, "pipeline", broken)
        deliverer = Deliverer(OneUser(watches), http)
        first = await run(watches, deliverer, once=True, say=lambda _: None)
        await run(watches, deliverer, once=True, say=lambda _: None)  # the next tick
    assert first.errors and len(calls) == 1


def test_a_proposal_sent_since_the_last_look_says_why_it_is_news(sandbox: Sandbox) -> None:
    from upwork_mcp.models.proposals import Proposal
    from upwork_mcp.watches.pipeline import _changes, worth_a_ping

    p = Proposal.model_validate(pending(sandbox, 1)[0])
    look = {"status": "Pending", "reason": None, "room": "r1", "offer": "o1", "quiet": False, "client_last": "s1"}
    fresh = _changes(p, None, look, "When can you start?", fresh=True)
    missed = _changes(p, None, look, "When can you start?", fresh=False)
    assert [(c.kind, c.message, c.offer_id) for c in fresh] == [
        ("new", None, "o1"),
        ("client_wrote", "When can you start?", None),
        ("offer", None, "o1"),
    ]
    assert [c.kind for c in fresh if worth_a_ping(c, True)] == ["client_wrote", "offer"]  # each with its why
    assert [c.kind for c in missed if worth_a_ping(c, False)] == []  # only missed at the first check
    unread = {**look, "client_last": None}  # its room found by a lookup: who wrote last is unknown, a room is not
    assert "client_wrote" in [c.kind for c in _changes(p, None, unread, None, fresh=True)]


def test_quiet_only_when_the_room_list_says_there_is_no_room_and_only_while_waiting(sandbox: Sandbox) -> None:
    from datetime import timedelta

    from upwork_mcp.models.proposals import Proposal
    from upwork_mcp.watches.pipeline import _look

    p = Proposal.model_validate(pending(sandbox, 1)[0])
    later = sandbox.now + timedelta(days=30)  # long past a week without an answer

    def quiet(before: dict[str, Any], *, no_room: bool, status: str = "Pending") -> bool:
        q = p.model_copy(update={"status": p.status.model_copy(update={"status": status})})  # type: ignore[union-attr]
        return bool(_look(q, before, None, None, {}, no_room=no_room, now=later)["quiet"])

    assert quiet({}, no_room=True)  # the room list read whole: no room, a month on
    assert not quiet({}, no_room=False)  # the list could not say (a lookup's None may be a refusal): as it was
    assert quiet({"quiet": True}, no_room=False)
    assert not quiet({"quiet": True}, no_room=False, status="Offered")  # kept only while still waiting
    assert not quiet({}, no_room=True, status="Offered")  # an offer is not a proposal to follow up
