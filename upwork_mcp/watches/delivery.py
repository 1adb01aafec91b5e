"""Delivering queued jobs to sinks: a signed webhook, Slack, Discord, Telegram, ntfy.

A delivery is marked delivered only after its sink answered 2xx; until then it is retried with
backoff (it may arrive twice if an answer is lost: every message carries a delivery id the receiver
can deduplicate on). Quiet hours hold deliveries until they end; digest mode sends one message per
watch and sink with every new job.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
import httpx

from ..store.watches import Delivery, WatchStore
from .config import SinkConfig, WatchConfig
from .listing import Listing, what_changed
from .scoring import Profile, label, score

log = logging.getLogger("upwork_mcp.watches")
BACKOFF = (5.0, 30.0, 120.0, 600.0, 3600.0, 3 * 3600.0)  # then it has failed for good
RETRY_STATUSES = {408, 409, 425, 429, 500, 502, 503, 504}
SIGNATURE_HEADER = "X-Upwork-MCP-Signature"
DELIVERY_HEADER = "X-Upwork-MCP-Delivery"


class SinkError(Exception):
    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class Outcome:
    delivered: int
    retrying: int
    failed: int
    held: int  # quiet hours


def signature(secret: str, body: bytes) -> str:
    """The webhook's signature header value: sha256=<hex HMAC-SHA256 of the raw body>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _job_dict(payload: str, profile: Profile, now: float) -> dict[str, Any]:
    data = json.loads(payload)
    job = Listing.from_json(json.dumps(data["job"]))
    rated = score(job, profile, now=datetime.fromtimestamp(now, UTC))
    change = what_changed(data["previous"], job) if data.get("previous") else None
    return {
        "id": job.id,
        "source": job.source,
        "title": job.title,
        "url": job.url,
        "posted": job.posted,
        "budget": job.budget_text(),
        "score": rated.score,
        "verdict": rated.verdict,
        "reasons": rated.reasons,
        "flags": rated.flags,
        "change": change,
    }


def _line(job: dict[str, Any]) -> str:
    head = " | ".join(
        str(p)
        for p in (
            job["title"],
            job["budget"],
            label(job["verdict"], job["score"], job["reasons"]),
            job["change"],
        )
        if p
    )
    return head + (f"\n{job['url']}" if job["url"] else "")


def _text(watch: str, jobs: list[dict[str, Any]]) -> str:
    title = f"New Upwork job for watch {watch}" if len(jobs) == 1 else f"{len(jobs)} new Upwork jobs for watch {watch}"
    return title + "\n\n" + "\n\n".join(_line(j) for j in jobs)


async def send(http: httpx.AsyncClient, sink: SinkConfig, watch: str, jobs: list[dict[str, Any]], key: str) -> None:
    """One message to one sink; raises SinkError unless the sink accepted it."""
    s = sink.settings
    text = _text(watch, jobs)
    headers = {DELIVERY_HEADER: key}
    if sink.type == "webhook":
        body = json.dumps({"delivery_id": key, "watch": watch, "jobs": jobs}, separators=(",", ":")).encode()
        headers |= {"Content-Type": "application/json"}
        if s.get("secret"):
            headers[SIGNATURE_HEADER] = signature(s["secret"], body)
        request = http.build_request("POST", s["url"], content=body, headers=headers)
    elif sink.type == "slack":
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        request = http.build_request("POST", s["url"], json={"text": escaped}, headers=headers)
    elif sink.type == "discord":
        request = http.build_request("POST", s["url"], json={"content": text[:1990]}, headers=headers)
    elif sink.type == "telegram":
        base = s.get("api_url", "https://api.telegram.org").rstrip("/")
        body_json = {"chat_id": s["chat_id"], "text": text[:4000], "disable_web_page_preview": True}
        request = http.build_request("POST", f"{base}/bot{s['token']}/sendMessage", json=body_json, headers=headers)
    else:  # ntfy
        first = jobs[0]
        ntfy = {"Title": f"Upwork: {watch}", "Tags": "briefcase"} | ({"Click": first["url"]} if first["url"] else {})
        request = http.build_request("POST", s["url"], content=text.encode(), headers=headers | ntfy)
    try:
        response = await http.send(request)
    except httpx.HTTPError as exc:
        raise SinkError(f"{sink.describe()}: {exc.__class__.__name__}") from None
    if response.status_code >= 300:
        retry = response.status_code in RETRY_STATUSES or response.status_code >= 500
        raise SinkError(f"{sink.describe()} answered {response.status_code}", retry=retry)


class Deliverer:
    def __init__(
        self, store: WatchStore, config: WatchConfig, http: httpx.AsyncClient, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.config = config
        self.http = http
        self._clock = clock

    async def deliver_due(self) -> Outcome:
        due = await anyio.to_thread.run_sync(lambda: self.store.lease())
        counts = {"delivered": 0, "retrying": 0, "failed": 0, "held": 0}
        groups: dict[tuple[str, str], list[Delivery]] = defaultdict(list)
        for item in due:
            groups[(item.sink, item.watch)].append(item)
        for (sink_name, watch), items in groups.items():
            sink = self.config.sinks.get(sink_name)
            if sink is None:
                await self._settle(items, SinkError(f"no sink {sink_name!r} in the watch settings", retry=False))
                counts["failed"] += len(items)
                continue
            quiet_end = self.config.delivery.quiet_until(self._clock())
            if quiet_end is not None:
                await self._hold(items, quiet_end)
                counts["held"] += len(items)
                continue
            digest = sink.digest if sink.digest is not None else self.config.delivery.digest
            batches = [items] if digest else [[item] for item in items]
            for batch in batches:
                key = (
                    batch[0].key
                    if len(batch) == 1
                    else "digest:" + hashlib.sha256("|".join(d.key for d in batch).encode()).hexdigest()[:32]
                )
                jobs = [_job_dict(d.payload, self.config.profile, self._clock()) for d in batch]
                try:
                    await send(self.http, sink, watch, jobs, key)
                except SinkError as exc:
                    gave_up = await self._settle(batch, exc)
                    counts["failed" if gave_up else "retrying"] += len(batch)
                    continue
                await anyio.to_thread.run_sync(self.store.delivered, [d.key for d in batch])
                counts["delivered"] += len(batch)
        return Outcome(**counts)

    async def _hold(self, items: list[Delivery], until: float) -> None:
        keys = [d.key for d in items]
        await anyio.to_thread.run_sync(lambda: self.store.retry(keys, at=until, error="quiet hours", count=False))

    async def _settle(self, items: list[Delivery], exc: SinkError) -> bool:
        attempts = max(d.attempts for d in items)
        give_up = not exc.retry or attempts >= len(BACKOFF)
        at = self._clock() + (BACKOFF[min(attempts, len(BACKOFF) - 1)])
        log.warning("delivery %s: %s", "failed" if give_up else "will be retried", exc)
        await anyio.to_thread.run_sync(
            lambda: self.store.retry([d.key for d in items], at=at, error=str(exc), give_up=give_up)
        )
        return give_up
