"""Delivering queued jobs and proposal changes to sinks: a signed webhook, Slack, Discord, Telegram, ntfy.

Every message, on every sink, shows each job in one line with its verdict, its score and its top reasons:
the record made when the job was claimed, never scored again; a proposals watch's message shows each
change in one line (the job, what changed, the client's words) with the next step, not taken. Text a
client wrote is cleaned of invisible and bidi-control characters before any sink sees it.

A delivery is marked delivered only after its sink answered 2xx; until then it is retried with backoff (it
may arrive twice if an answer is lost: every message carries a delivery id the receiver can deduplicate
on). One sink never holds up another: sinks are sent to concurrently (a bounded number at a time), each
message has a total deadline (connecting, the first byte and the whole answer), and a sink that failed
once in a pass keeps its other messages for a later pass. Quiet hours hold deliveries until they end;
digest mode sends one message per watch and sink with every new job.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import anyio
import anyio.to_thread
import httpx

from ..facts import JOB_URL
from ..store.watches import Delivery, owner_of
from ..text import clean
from .listing import Listing, what_changed
from .scoring import Score
from .sinks import SinkConfig

if TYPE_CHECKING:
    from .service import Watches

log = logging.getLogger("upwork_mcp.watches")
BACKOFF = (5.0, 30.0, 120.0, 600.0, 3600.0, 3 * 3600.0)  # then it has failed for good
RETRY_STATUSES = {408, 409, 425, 429, 500, 502, 503, 504}
SIGNATURE_HEADER = "X-Upwork-MCP-Signature"
DELIVERY_HEADER = "X-Upwork-MCP-Delivery"
DEADLINE = 15.0  # seconds for one message, whole: connecting, the first byte, the full answer
AT_ONCE = 8  # sinks sent to concurrently
LATER = 60.0  # a sink that failed in this pass gets its other messages this much later (not counted)


class Scope(Protocol):
    """Whose watches a sender serves: one user's, or (a runner) everyone's."""

    def owners(self) -> list[str | None]: ...
    def watches(self, owner: str | None) -> Watches: ...


class SinkError(Exception):
    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass
class Outcome:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    held: int = 0  # quiet hours
    deferred: int = 0  # their sink failed earlier in this pass: sent in a later one (no attempt counted)
    lines: list[str] = field(default_factory=list)  # one per message sent or failed, as it happened


def signature(secret: str, body: bytes) -> str:
    """The webhook's signature header value: sha256=<hex HMAC-SHA256 of the raw body>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def job_dict(payload: str) -> dict[str, Any]:
    """A queued job as every sink shows it: cleaned text, and the score it was given when it was claimed."""
    data = json.loads(payload)
    job = Listing.from_json(json.dumps(data["job"]))
    rated = Score(**data["score"]) if data.get("score") else None
    change = what_changed(data["previous"], job) if data.get("previous") else None
    return {
        "id": job.id,
        "source": job.source,
        "title": clean(job.title) or "(untitled)",
        "url": job.url,
        "posted": job.posted,
        "budget": job.budget_text(),
        "score": rated.score if rated else None,
        "verdict": rated.verdict if rated else None,
        "reasons": [clean(r) or "" for r in rated.reasons] if rated else [],
        "flags": [clean(f) or "" for f in rated.flags] if rated else [],
        "ranked_by": rated.by if rated else None,
        "change": change,
        "line": line(job.title, job.budget_text(), rated, change),
    }


CHANGED = {
    "new": "sent",
    "status": "now",
    "client_wrote": "the client wrote",
    "offer": "an offer on the job",
    "quiet": "no answer in a week",
}
STEPS = {  # the person's next step, on Upwork (nothing here takes it)
    "client_wrote": "Reply in the proposal's room on Upwork.",
    "offer": "Open the offer on Upwork: accept it or ask about it.",
    "quiet": "No answer in a week: a short follow-up, or withdraw the proposal.",
    "Offered": "Open the offer on Upwork: accept it or ask about it.",
    "Hired": "A contract follows.",
    "Activated": "A contract follows.",
}


def change_dict(change: dict[str, Any]) -> dict[str, Any]:
    """A queued proposal change as every sink shows it: cleaned text, the job's link, the next step."""
    kind = str(change.get("kind"))
    job_id = str(change.get("job_id") or "")
    title = clean(change.get("job_title")) or (f"job {job_id}" if job_id else "a proposal")
    message = clean(change.get("message"))
    reason = clean(change.get("reason"))
    status = change.get("status")
    if kind == "new" and status not in (None, "Pending", "Accepted"):
        what = f"now: {status}"  # sent before this server saw it, and already past waiting
    elif kind in ("status", "new") and status:
        what = f"{CHANGED.get(kind, kind)}: {status}"
    else:
        what = CHANGED.get(kind, kind)
    said = f'"{message[:300]}"' if message else None
    step = STEPS.get(kind) or (STEPS.get(str(status)) if kind in ("status", "new") else None)
    return {
        "proposal_id": change.get("proposal_id"),
        "kind": kind,
        "job_id": job_id or None,
        "job_title": title,
        "url": JOB_URL.format(ciphertext=f"~02{job_id}") if job_id.isdigit() else None,
        "status": status,
        "reason": reason,
        "room_id": change.get("room_id"),
        "message": message,
        "offer_id": change.get("offer_id"),
        "next_step": step,
        "line": " | ".join(p for p in (title, what, reason, said) if p),
    }


def item_dict(payload: str) -> dict[str, Any]:
    """A queued message's item: a job (job watches) or a proposal change (proposals watches)."""
    data = json.loads(payload)
    return change_dict(data["proposal"]) if "proposal" in data else job_dict(payload)


def line(title: str, budget: str | None, rated: Score | None, change: str | None) -> str:
    """One job in one line: title, budget, verdict and score with the top reasons, what changed."""
    verdict = rated.line() if rated else "not ranked"
    return " | ".join(p for p in (clean(title) or "(untitled)", budget, clean(verdict), change) if p)


def _text(watch: str, items: list[dict[str, Any]]) -> str:
    changes = [c for c in items if _is_change(c)]
    jobs = [j for j in items if not _is_change(j)]
    parts = []
    if changes:
        head = (
            f"Upwork proposal update (watch {watch})"
            if len(changes) == 1
            else f"{len(changes)} Upwork proposal updates (watch {watch})"
        )
        lines = ["\n".join(p for p in (c["line"], _next(c), c["url"]) if p) for c in changes]
        parts.append(head + "\n\n" + "\n\n".join(lines))
    if jobs or not changes:
        parts.append(_jobs_text(watch, jobs))
    return "\n\n".join(parts)


def _jobs_text(watch: str, jobs: list[dict[str, Any]]) -> str:
    by = next((j["ranked_by"] for j in jobs if j["ranked_by"]), None)
    whose = f" (ranked by {by.split(' (')[0]})" if by else ""
    title = (
        f"New Upwork job for watch {watch}{whose}"
        if len(jobs) == 1
        else f"{len(jobs)} new Upwork jobs for watch {watch}{whose}"
    )
    items = [j["line"] + (f"\n{j['url']}" if j["url"] else "") for j in jobs]
    return title + "\n\n" + "\n\n".join(items)


def _next(change: dict[str, Any]) -> str | None:
    return f"Next: {change['next_step']}" if change["next_step"] else None


def _is_change(item: dict[str, Any]) -> bool:
    """Whether a message's item is a proposal change (a proposals watch's), not a job."""
    return "proposal_id" in item


def _request(http: httpx.AsyncClient, sink: SinkConfig, watch: str, jobs: list[dict[str, Any]], key: str) -> Any:
    s = sink.settings
    text = _text(watch, jobs)
    headers = {DELIVERY_HEADER: key}
    if sink.type == "webhook":
        changes = [c for c in jobs if _is_change(c)]
        items: dict[str, Any] = {"changes": changes} if changes else {}
        if len(changes) < len(jobs) or not changes:
            items["jobs"] = [j for j in jobs if not _is_change(j)]
        body = json.dumps({"delivery_id": key, "watch": watch, **items}, separators=(",", ":")).encode()
        headers |= {"Content-Type": "application/json"}
        if s.get("secret"):
            headers[SIGNATURE_HEADER] = signature(s["secret"], body)
        return http.build_request("POST", s["url"], content=body, headers=headers)
    if sink.type == "slack":
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return http.build_request("POST", s["url"], json={"text": escaped}, headers=headers)
    if sink.type == "discord":
        # No mention a client wrote (@everyone, a role) may ping anyone.
        body_json: dict[str, Any] = {"content": text[:1990], "allowed_mentions": {"parse": []}}
        return http.build_request("POST", s["url"], json=body_json, headers=headers)
    if sink.type == "telegram":
        base = s.get("api_url", "https://api.telegram.org").rstrip("/")
        body_json = {"chat_id": s["chat_id"], "text": text[:4000], "disable_web_page_preview": True}
        return http.build_request("POST", f"{base}/bot{s['token']}/sendMessage", json=body_json, headers=headers)
    first = jobs[0]  # ntfy: headers must be ASCII; the title is ours, the click target the job's own URL
    tag = "envelope" if all(_is_change(i) for i in jobs) else "briefcase"
    ntfy = {"Title": f"Upwork: {watch}", "Tags": tag} | ({"Click": first["url"]} if first["url"] else {})
    return http.build_request("POST", s["url"], content=text.encode(), headers=headers | ntfy)


async def send(
    http: httpx.AsyncClient, sink: SinkConfig, watch: str, jobs: list[dict[str, Any]], key: str, *, deadline: float
) -> None:
    """One message to one sink, within `deadline` seconds in all; raises SinkError unless the sink accepted."""
    request = _request(http, sink, watch, jobs, key)
    try:
        with anyio.fail_after(deadline):
            response = await http.send(request)
    except TimeoutError:
        raise SinkError(f"{sink.describe()}: no complete answer within {deadline:g} s") from None
    except httpx.HTTPError as exc:
        raise SinkError(f"{sink.describe()}: {exc.__class__.__name__}") from None
    if response.status_code >= 300:
        retry = response.status_code in RETRY_STATUSES or response.status_code >= 500
        raise SinkError(f"{sink.describe()} answered {response.status_code}", retry=retry)


class Deliverer:
    """Sends what is due in the outbox: everyone's (a runner), or one user's (`mine`, in a conversation)."""

    def __init__(
        self,
        scope: Scope,
        http: httpx.AsyncClient,
        *,
        mine: Watches | None = None,
        clock: Callable[[], float] = time.time,
        deadline: float = DEADLINE,
        at_once: int = AT_ONCE,
    ) -> None:
        self.scope = scope
        self.http = http
        self.mine = mine
        self._clock = clock
        self.deadline = deadline
        self.at_once = at_once

    async def deliver_due(self) -> Outcome:
        home = self.mine or self.scope.watches(None)
        store = home.store
        due = await anyio.to_thread.run_sync(lambda: store.lease(mine=self.mine is not None))
        outcome = Outcome()
        by_sink: dict[tuple[str | None, str], list[tuple[str, list[Delivery]]]] = defaultdict(list)
        groups: dict[tuple[str, str], list[Delivery]] = defaultdict(list)
        for item in due:
            groups[(item.watch, item.sink)].append(item)
        for (watch, sink_name), items in groups.items():
            by_sink[(owner_of(watch), sink_name)].append((watch, items))
        limiter = anyio.CapacityLimiter(self.at_once)

        async def one_sink(owner: str | None, sink_name: str, batches: list[tuple[str, list[Delivery]]]) -> None:
            async with limiter:
                try:
                    await self._sink(owner, sink_name, batches, outcome)
                except Exception as exc:  # a broken sink record is that sink's failure, not the others'
                    log.warning("sink %s: %s", sink_name, exc)
                    for _, items in batches:
                        await self._settle(items, SinkError(f"{sink_name}: {exc.__class__.__name__}"), outcome)

        async with anyio.create_task_group() as tg:
            for (owner, sink_name), batches in by_sink.items():
                tg.start_soon(one_sink, owner, sink_name, batches)
        return outcome

    async def _sink(
        self, owner: str | None, sink_name: str, batches: list[tuple[str, list[Delivery]]], outcome: Outcome
    ) -> None:
        watches = self.scope.watches(owner)
        sink = await watches.sink(sink_name)
        config = watches.config
        pending = batches
        if sink is None:
            for _, items in pending:
                await self._settle(items, SinkError(f"no sink {sink_name!r} (removed?)", retry=False), outcome)
            return
        quiet_end = config.delivery.quiet_until(self._clock())
        if quiet_end is not None:
            for _, items in pending:
                await self._hold(items, quiet_end, "quiet hours")
                outcome.held += len(items)
            return
        digest = sink.digest if sink.digest is not None else config.delivery.digest
        messages: list[tuple[str, list[Delivery]]] = []
        for watch, items in pending:
            messages += [(watch, items)] if digest else [(watch, [item]) for item in items]
        for index, (watch, batch) in enumerate(messages):
            name = watch.rpartition("/")[2]
            key = (
                batch[0].key
                if len(batch) == 1
                else "digest:" + hashlib.sha256("|".join(d.key for d in batch).encode()).hexdigest()[:32]
            )
            jobs = [item_dict(d.payload) for d in batch]
            try:
                await send(self.http, sink, name, jobs, key, deadline=self.deadline)
            except SinkError as exc:
                await self._settle(batch, exc, outcome)
                rest = [d for _, later in messages[index + 1 :] for d in later]
                if rest:  # this sink is failing now: its other messages wait for a later pass
                    await self._hold(rest, self._clock() + LATER, f"{sink.describe()} failed earlier in this pass")
                    outcome.deferred += len(rest)
                return
            await anyio.to_thread.run_sync(watches.store.delivered, [d.key for d in batch])
            outcome.delivered += len(batch)
            for job in jobs:
                outcome.lines.append(f"delivered to {sink.describe()}: {name}: {job['line']}")

    async def _hold(self, items: list[Delivery], until: float, why: str) -> None:
        keys = [d.key for d in items]
        store = (self.mine or self.scope.watches(None)).store
        await anyio.to_thread.run_sync(lambda: store.retry(keys, at=until, error=why, count=False))

    async def _settle(self, items: list[Delivery], exc: SinkError, outcome: Outcome) -> None:
        attempts = max(d.attempts for d in items)
        give_up = not exc.retry or attempts >= len(BACKOFF)
        at = self._clock() + (BACKOFF[min(attempts, len(BACKOFF) - 1)])
        said = f"delivery {'failed for good' if give_up else 'will be retried'}: {exc}"
        log.warning("%s", said)
        outcome.lines.append(said)
        store = (self.mine or self.scope.watches(None)).store
        await anyio.to_thread.run_sync(
            lambda: store.retry([d.key for d in items], at=at, error=str(exc), give_up=give_up)
        )
        if give_up:
            outcome.failed += len(items)
        else:
            outcome.retrying += len(items)
