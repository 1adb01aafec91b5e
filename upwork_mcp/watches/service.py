"""Watches over the engine and the store: define, check (exactly once), preview, score.

A check asks the source for its newest jobs and stops at the first page that holds a job the watch
already reported: with nothing new that is one request. New jobs are claimed in the store (so two
runners, or a runner and a conversation, report each job once) and queued for the watch's sinks.
Checks over Upwork's own search draw on a daily request budget per API key.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from ..api.job_feed import feed_query
from ..api.jobs import JobSearchFilters, parse_job_ref
from ..errors import InvalidInputError, UpworkError
from ..store.watches import Candidate, WatchRow, WatchStore
from .config import WatchConfig
from .filters import WatchFilters
from .listing import Listing, Source, from_feed, from_posting, from_search, what_changed
from .scoring import Score, score

if TYPE_CHECKING:
    from ..api import UpworkClient

PAGE = 50  # jobs per upstream request (the feed's most)
MAX_PAGES = 4  # a burst of more than 200 new jobs is reported over the next checks
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
SLACK = timedelta(minutes=10)  # posted_after reaches back this far: a job seen twice is dropped by the store


class PolicyError(UpworkError):
    """A check Upwork's rules (as this server applies them) do not allow now."""


@dataclass(frozen=True)
class Watch:
    name: str
    source: Source
    filters: WatchFilters
    sinks: tuple[str, ...] = ()
    interval_minutes: int = 10
    unmapped: dict[str, str] = field(default_factory=dict)  # from a pasted URL: what could not be used

    def spec(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "filters": self.filters.model_dump(mode="json", exclude_none=True, exclude_defaults=True),
            "sinks": list(self.sinks),
            "interval_minutes": self.interval_minutes,
            "unmapped": self.unmapped,
        }

    @classmethod
    def from_row(cls, row: WatchRow) -> Watch:
        spec = row.spec
        return cls(
            name=row.name,
            source=spec["source"],
            filters=WatchFilters(**spec.get("filters", {})),
            sinks=tuple(spec.get("sinks", ())),
            interval_minutes=int(spec.get("interval_minutes", 10)),
            unmapped=dict(spec.get("unmapped", {})),
        )


@dataclass(frozen=True)
class Found:
    job: Listing
    score: Score
    change: str | None = None  # why a job reported before is news again


@dataclass(frozen=True)
class CheckReport:
    watch: str
    source: Source
    found: list[Found]
    first: bool  # the watch's first check: it reported its newest few and marked the rest seen
    requests: int
    queued: tuple[str, ...]  # sinks the new jobs were queued for
    budget: tuple[int, int] | None = None  # (used, limit) of today's search budget, for search watches


@dataclass(frozen=True)
class Preview:
    watch: str
    found: list[Found]
    stored: bool  # from the last check's results (no request), or fetched now
    requests: int


class Watches:
    def __init__(
        self,
        client: UpworkClient,
        store: WatchStore,
        config: WatchConfig,
        *,
        key: str,
        owner: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.store = WatchStore(store.store, owner=owner) if owner else store  # one user's, in a team
        self.config = config
        self.key = key  # the API key's id: the search budget is per key
        self._clock = clock

    # -- definitions -----------------------------------------------------------------------------------

    async def create(self, watch: Watch, *, replace: bool = False) -> Watch:
        if not NAME.match(watch.name):
            raise InvalidInputError(
                f"name {watch.name[:40]!r}: use 1-40 lower-case letters, digits, - or _ (first a letter or digit)."
            )
        unknown = [s for s in watch.sinks if s not in self.config.sinks]
        if unknown:
            known = ", ".join(self.config.sinks) or "none yet"
            raise InvalidInputError(
                f"No sink {unknown[0]!r} in {self._config_name()} (sinks there: {known}); add it there first."
            )
        floor = self.config.search.min_interval_minutes if watch.source == "search" else 1
        if watch.interval_minutes < floor:
            raise InvalidInputError(
                f"interval_minutes must be at least {floor} for a watch over "
                f"{'Upwork search (its rules forbid polling that resembles scraping)' if floor > 1 else 'the feed'}."
            )
        added = await anyio.to_thread.run_sync(lambda: self.store.add(watch.name, watch.spec(), replace=replace))
        if not added:
            raise InvalidInputError(f"A watch named {watch.name!r} exists; delete it first or choose another name.")
        return watch

    async def get(self, name: str) -> tuple[Watch, WatchRow]:
        row = await anyio.to_thread.run_sync(self.store.get, name)
        if row is None:
            names = [r.name for r in await anyio.to_thread.run_sync(self.store.all)]
            raise InvalidInputError(f"No watch {name!r}; the watches are: {', '.join(names) or 'none yet'}.")
        return Watch.from_row(row), row

    async def all(self) -> list[tuple[Watch, WatchRow]]:
        rows = await anyio.to_thread.run_sync(self.store.all)
        return [(Watch.from_row(r), r) for r in rows]

    async def remove(self, name: str) -> bool:
        return await anyio.to_thread.run_sync(self.store.remove, name)

    def _config_name(self) -> str:
        return str(self.config.path) if self.config.path else "the watch settings file"

    # -- checks ----------------------------------------------------------------------------------------

    async def check(self, name: str) -> CheckReport:
        watch, row = await self.get(name)
        jobs, requests = await self._fetch(watch, row, stop_at_seen=True)
        candidates = [Candidate(j.id, j.fingerprint(), j.posted, j.to_json()) for j in jobs]
        claimed = await anyio.to_thread.run_sync(lambda: self.store.claim(name, candidates, watch.sinks))
        by_id = {j.id: j for j in jobs}
        found = []
        for item in claimed:
            job = by_id[item.job_id]
            change = what_changed(item.previous, job) if item.previous else None
            if item.previous and change is None:
                continue  # the store saw a difference that is not news (e.g. the job closed)
            found.append(Found(job, self.score(job), change))
        return CheckReport(
            watch=name,
            source=watch.source,
            found=found,
            first=not row.seeded,
            requests=requests,
            queued=watch.sinks if found else (),
            budget=await self.search_budget() if watch.source == "search" else None,
        )

    async def preview(self, name: str) -> Preview:
        """What the watch matches now, without marking anything seen: the last check's results when the
        watch was checked within its interval (no request), else fetched."""
        watch, row = await self.get(name)
        fresh = row.checked is not None and self._clock() - row.checked < watch.interval_minutes * 60
        if fresh:
            stored = await anyio.to_thread.run_sync(self.store.latest, name)
            jobs = [Listing.from_json(p) for p in stored]
            return Preview(name, [Found(j, self.score(j)) for j in jobs], stored=True, requests=0)
        jobs, requests = await self._fetch(watch, row, stop_at_seen=False)
        return Preview(name, [Found(j, self.score(j)) for j in jobs], stored=False, requests=requests)

    async def lookup(self, ref: str) -> Listing:
        """A job to score: a feed id (`upwork-...`) from a watch's results, or a search job (id, URL or
        ciphertext) read in full and merged over what a watch saw of it."""

        if ref.startswith("upwork-"):
            stored = await anyio.to_thread.run_sync(self.store.find, ref)
            if stored is None:
                raise InvalidInputError(
                    "Feed jobs are scored from a watch's results of the last 24 hours: run check_watches or "
                    "preview_watch on a feed watch first."
                )
            return Listing.from_json(stored)
        job_id, _ = parse_job_ref(ref)
        posting = await self.client.jobs.get(ref)
        stored = await anyio.to_thread.run_sync(self.store.find, job_id or posting.id)
        return from_posting(posting, Listing.from_json(stored) if stored else None)

    def score(self, job: Listing) -> Score:
        return score(job, self.config.profile, now=datetime.fromtimestamp(self._clock(), UTC))

    async def search_budget(self) -> tuple[int, int]:
        used = await anyio.to_thread.run_sync(self.store.used, self._budget_key())
        return used, self.config.search.daily_budget

    def _budget_key(self) -> str:
        return f"search:{self.key}:{datetime.fromtimestamp(self._clock(), UTC):%Y%m%d}"

    async def _spend(self) -> None:
        limit = self.config.search.daily_budget
        allowed, used = await anyio.to_thread.run_sync(lambda: self.store.take(self._budget_key(), limit, 2 * 86_400))
        if not allowed:
            raise PolicyError(
                f"Today's budget of {limit} requests to Upwork's job search for watches is spent ({used} used). "
                "Watches over the feed keep working; raise [search] daily_budget in the watch settings only if "
                "you accept more automated requests to Upwork (its rules forbid polling that resembles scraping)."
            )

    async def _fetch(self, watch: Watch, row: WatchRow, *, stop_at_seen: bool) -> tuple[list[Listing], int]:
        since = None
        if row.watermark:
            since = datetime.fromisoformat(row.watermark.replace("Z", "+00:00")) - SLACK
        found: list[Listing] = []
        requests = 0
        offset: int | None = 0
        for _ in range(MAX_PAGES):
            batch, offset = await self._page(watch, since, offset or 0)
            requests += 1
            found += [j for j in batch if watch.filters.matches_locally(j, watch.source)]
            if offset is None or not stop_at_seen or since is None:
                break
            ids = [j.id for j in batch]
            seen = await anyio.to_thread.run_sync(self.store.known, watch.name, ids)
            if seen:
                break
        return found, requests

    async def _page(self, watch: Watch, since: datetime | None, offset: int) -> tuple[list[Listing], int | None]:
        """One request's listings, and the offset of the next page (None: the source has no more)."""

        if watch.source == "feed":
            envelope = await self.client.job_feed.jobs(feed_query(**watch.filters.feed_fields(since, PAGE, offset)))
            return [from_feed(j) for j in envelope.data], offset + PAGE if len(envelope.data) >= PAGE else None
        await self._spend()
        categories: tuple[str, ...] = ()
        if watch.filters.category:
            categories = ((await self.client.categories.resolve(watch.filters.category, "category"))[0],)
        fields = watch.filters.search_fields(categories, since, PAGE, offset)
        page = await self.client.jobs.search(JobSearchFilters(**fields))  # type: ignore[arg-type]
        return [from_search(j) for j in page.jobs], page.next_offset
