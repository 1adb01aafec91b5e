"""One feed request for many watches: a round asks the Jobs API feed once for the loosest query that covers
every due feed watch (of every user: the feed key is the deployment's), newest first, paged by `offset`
until a page holds a job an earlier round of the same query fetched; then each watch is matched locally
and claimed in its own user's store.

The feed's plan caps requests per month (the entry plan about 1,000) and reports its quota in
`X-RateLimit-*` headers; `spacing` is how far apart rounds must be to stay inside both.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from ..api.job_feed import FeedQuota, feed_query
from .filters import shared_feed_query
from .listing import Listing, from_feed

if TYPE_CHECKING:
    from ..api.job_feed import JobFeedAPI
    from ..store.watches import WatchRow
    from .service import CheckReport, Watch, Watches

log = logging.getLogger("upwork_mcp.watches")
PAGE = 50  # jobs per upstream request (the feed's most)
MAX_PAGES = 4  # a burst of more than 200 new jobs is reported over the next rounds
SLACK = timedelta(minutes=10)  # posted_after reaches back this far: a job seen twice is dropped by the store
MONTH = 30 * 86_400.0
QUOTA_KEY = ("feed-quota", "latest")  # the store's cache: the quota the feed last reported, for every process


@dataclass(frozen=True)
class Member:
    service: Watches  # the watch's user's
    watch: Watch
    row: WatchRow

    @property
    def label(self) -> str:
        owner = self.service.store.owner
        return f"{owner}/{self.watch.name}" if owner else self.watch.name


@dataclass
class RoundResult:
    reports: list[tuple[Member, CheckReport]]
    errors: list[tuple[Member, str]]
    requests: int


def _instant(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


async def feed_round(feed: JobFeedAPI, members: list[Member]) -> RoundResult:
    """Check `members` (feed watches) with one shared query; a watch that fails to settle fails alone."""
    result = RoundResult([], [], 0)
    if not members:
        return result
    query, applied = shared_feed_query([m.watch.filters for m in members])
    key = "feed:" + hashlib.sha256(json.dumps(query, sort_keys=True, default=str).encode()).hexdigest()[:24]
    marks = [m.row.watermark for m in members if m.row.seeded and m.row.watermark]
    since = min((_instant(w) for w in marks), default=None)
    since = since - SLACK if since is not None else None
    store = members[0].service.store
    jobs: list[Listing] = []
    for page in range(MAX_PAGES):
        envelope = await feed.jobs(
            feed_query(**query, limit=PAGE, offset=page * PAGE, sort="posted_on_desc", posted_after=since)
        )
        result.requests += 1
        batch = [from_feed(j) for j in envelope.data]
        jobs += batch
        if len(batch) < PAGE or since is None:
            break
        if await anyio.to_thread.run_sync(store.round_known, key, [j.id for j in batch]):
            break
    await anyio.to_thread.run_sync(store.round_mark, key, [j.id for j in jobs])
    if feed.quota is not None:
        await anyio.to_thread.run_sync(remember_quota, store, feed.quota)
    newest = max((j.posted for j in jobs if j.posted), key=_instant, default=None)
    contexts: dict[int, Any] = {}  # each user's criteria and sinks, read once for the round
    for member, trusted in zip(members, applied, strict=True):
        matched = [j for j in jobs if member.watch.filters.matches(j, trusted)]
        try:
            user = id(member.service)
            if user not in contexts:
                contexts[user] = await member.service.context()
            report = await member.service.settle(
                member.watch,
                member.row,
                matched,
                requests=result.requests,
                newest=newest,
                shared=len(members),
                context=contexts[user],
            )
        except Exception as exc:  # one watch's failure is its own: the round goes on for the others
            log.warning("watch %s: %s", member.label, exc)
            result.errors.append((member, f"{exc.__class__.__name__}: {exc}"[:300]))
            continue
        result.reports.append((member, report))
    return result


def remember_quota(store: Any, quota: FeedQuota) -> None:
    body = json.dumps({"limit": quota.limit, "remaining": quota.remaining, "reset": quota.reset, "burst": quota.burst})
    store.store.cache_put(*QUOTA_KEY, body, 32 * 86_400.0)


def known_quota(store: Any) -> FeedQuota | None:
    raw = store.store.cache_get(*QUOTA_KEY)
    return FeedQuota(**json.loads(raw)) if raw else None


def spacing(quota: FeedQuota | None, monthly: int, now: float) -> float:
    """Seconds between rounds that stay within the plan's monthly requests and the quota the feed reported
    (what is left until its reset, spread evenly)."""
    gaps = [MONTH / monthly] if monthly else []
    if quota is not None and quota.remaining is not None and quota.reset is not None and quota.reset > now:
        gaps.append((quota.reset - now) / max(1, quota.remaining))
    return max(gaps, default=0.0)


def monthly_cost(interval_minutes: int) -> int:
    """Feed requests a month for rounds every `interval_minutes` when nothing else limits them."""
    return int(MONTH // (interval_minutes * 60))


def cost_text(interval_minutes: int, monthly: int, quota: FeedQuota | None, feed_watches: int) -> str:
    """What a feed watch costs against the plan, said before it is saved."""
    cost = monthly_cost(interval_minutes)
    shared = (
        f" (shared: one request per round serves all {feed_watches} of your feed watches)" if feed_watches > 1 else ""
    )
    text = f"Cost: 1 feed request per round, every {interval_minutes} min: up to {cost:,} a month{shared}."
    if quota is not None and quota.remaining is not None:
        text += f" The feed last reported {quota.remaining:,} of {quota.limit or '?'} requests left."
    if not monthly:
        return text + " No monthly cap is set ([feed] monthly_requests = 0)."
    if cost <= monthly:
        return text + f" Within your plan's {monthly:,} a month ([feed] monthly_requests)."
    return text + (
        f" Your plan allows {monthly:,} a month ([feed] monthly_requests), so `watch run` spaces its rounds about "
        f"{MONTH / monthly / 60:.0f} min apart; raise monthly_requests if your plan is larger."
    )
