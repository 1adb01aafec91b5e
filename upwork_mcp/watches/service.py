"""The watches of one user: define them, check them (each new job reported once), rank what they find by
the user's criteria, queue it for the sinks its verdict earns. A proposals watch follows the user's own
proposals instead (`pipeline.py`): each change worth a ping goes to its sinks once.

A hit is scored once, when it is claimed; that record (score, verdict, reasons, whose criteria) is what
every sink and every tool shows. Feed watches are checked together, one feed request per round
(`rounds.py`); checks over Upwork's own search draw on a daily request budget per API key.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

import anyio.to_thread
from pydantic import ValidationError

from ..api.job_feed import feed_query
from ..api.jobs import JobSearchFilters, parse_job_ref
from ..errors import InvalidInputError, UpworkError
from ..store.watches import Candidate, WatchRow, WatchStore
from . import criteria as stated
from .config import ConfigFile, WatchConfig
from .filters import WatchFilters
from .listing import Listing, from_feed, from_posting, from_search, what_changed
from .pipeline import PipelineCheck, ProposalChange, Route, check_pipeline
from .rounds import PAGE, SLACK, Member, cost_text, feed_round, known_quota
from .scoring import RANK, Profile, Score, score
from .sinks import NAME, SinkConfig, check_verdict

if TYPE_CHECKING:
    from ..api import UpworkClient
    from ..store.sinks import SinkStore

DEFAULT_VERDICT = "REVIEW"  # sinks get APPLY and REVIEW unless the watch or the sink says otherwise
MAX_WATCHES = 100  # per user
PROPOSALS_MIN_INTERVAL = 15  # minutes: a check reads every status of the user's proposals (about 10 requests)
WatchSource = Literal["feed", "search", "proposals"]  # new jobs on the feed or in search; the user's proposals


class PolicyError(UpworkError):
    """A check Upwork's rules (as this server applies them) do not allow now."""


@dataclass(frozen=True)
class Watch:
    name: str
    source: WatchSource
    filters: WatchFilters
    sinks: tuple[str, ...] = ()
    interval_minutes: int = 10
    unmapped: dict[str, str] = field(default_factory=dict)  # from a pasted URL: what could not be used
    min_verdict: str | None = None  # the least verdict its sinks get; None: REVIEW (or the sink's own)

    def spec(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "filters": self.filters.model_dump(mode="json", exclude_none=True, exclude_defaults=True),
            "sinks": list(self.sinks),
            "interval_minutes": self.interval_minutes,
            "unmapped": self.unmapped,
            **({"min_verdict": self.min_verdict} if self.min_verdict else {}),
        }

    @classmethod
    def from_row(cls, row: WatchRow) -> Watch:
        """The stored watch, checked again: a row that no longer validates is refused here, never half-used."""
        spec = row.spec
        try:
            watch = cls(
                name=row.name,
                source=spec["source"],
                filters=WatchFilters.model_validate(spec.get("filters", {}), context={"stored": True}),
                sinks=tuple(str(s) for s in spec.get("sinks", ())),
                interval_minutes=int(spec.get("interval_minutes", 10)),
                unmapped={str(k): str(v)[:200] for k, v in dict(spec.get("unmapped", {})).items()},
                min_verdict=check_verdict(spec.get("min_verdict")),
            )
        except (ValidationError, KeyError, TypeError, ValueError, UpworkError) as exc:
            raise InvalidInputError(f"watch {row.name[:40]!r} is not valid: {str(exc).splitlines()[0][:200]}") from None
        if watch.source not in ("feed", "search", "proposals") or not 1 <= watch.interval_minutes <= 1440:
            raise InvalidInputError(f"watch {row.name[:40]!r} is not valid: bad source or interval")
        return watch


@dataclass(frozen=True)
class Found:
    job: Listing
    score: Score
    change: str | None = None  # why a job reported before is news again


@dataclass(frozen=True)
class CheckReport:
    watch: str
    source: WatchSource
    found: list[Found]
    first: bool  # the watch's first check: it reported its newest few and marked the rest seen
    requests: int
    queued: tuple[str, ...]  # sinks some new job was queued for
    budget: tuple[int, int] | None = None  # (used, limit) of today's search budget, for search watches
    shared: int = 1  # watches the round's feed requests served
    changes: list[ProposalChange] = field(default_factory=list)  # a proposals watch's: what changed
    notes: list[str] = field(default_factory=list)  # what a proposals check could not read


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
        config: WatchConfig | ConfigFile,
        *,
        key: str,
        owner: str | None = None,
        sinks: SinkStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.store = WatchStore(store.store, owner=owner) if owner else store  # one user's, in a team
        self._config = config
        self.sink_store = sinks
        self.key = key  # the API key's id: the search budget is per key
        self._clock = clock

    @property
    def config(self) -> WatchConfig:
        """The watch settings as the file says now (an edit takes effect without a restart)."""
        return self._config.current() if isinstance(self._config, ConfigFile) else self._config

    # -- definitions -----------------------------------------------------------------------------------

    async def create(self, watch: Watch, *, replace: bool = False) -> Watch:
        if not NAME.fullmatch(watch.name):
            raise InvalidInputError(
                f"name {watch.name[:40]!r}: use 1-40 lower-case letters, digits, - or _ (first a letter or digit)."
            )
        check_verdict(watch.min_verdict)
        if len(watch.sinks) > 5 or len(set(watch.sinks)) != len(watch.sinks):
            raise InvalidInputError("A watch names at most 5 sinks, each once.")
        known = {s.name for s in await self.sinks()}
        unknown = [s for s in watch.sinks if s not in known]
        if unknown:
            raise InvalidInputError(
                f"No sink {unknown[0][:40]!r} (sinks: {', '.join(sorted(known)) or 'none yet'}); add it first: "
                "`upwork-mcp sink add NAME URL --kind webhook|slack|discord|telegram|ntfy`, or the add_sink tool."
            )
        floor = {"search": self.config.search.min_interval_minutes, "proposals": PROPOSALS_MIN_INTERVAL}.get(
            watch.source, 1
        )
        if not floor <= watch.interval_minutes <= 1440:
            over = {
                "search": "Upwork search (its rules forbid polling that resembles scraping)",
                "proposals": "your proposals (each check reads every status: about 10 requests)",
            }.get(watch.source, "the feed")
            raise InvalidInputError(f"The interval must be {floor} to 1440 minutes for a watch over {over}.")
        if watch.source == "proposals":
            if watch.filters.set_items() or watch.unmapped or watch.min_verdict:
                raise InvalidInputError(
                    "A proposals watch follows every change to your proposals: give no job filters, URL or "
                    "min_verdict (those are for watches over the feed or search)."
                )
        else:
            await self.profile()  # nothing is ranked, so nothing watched, before the user's criteria
        if len(await anyio.to_thread.run_sync(self.store.all)) >= MAX_WATCHES and not replace:
            raise InvalidInputError(f"At most {MAX_WATCHES} watches per user: delete one first.")
        added = await anyio.to_thread.run_sync(lambda: self.store.add(watch.name, watch.spec(), replace=replace))
        if not added:
            raise InvalidInputError(f"A watch named {watch.name!r} exists; delete it first or choose another name.")
        return watch

    async def get(self, name: str) -> tuple[Watch, WatchRow]:
        row = await anyio.to_thread.run_sync(self.store.get, name)
        if row is None:
            names = [r.name for r in await anyio.to_thread.run_sync(self.store.all)]
            raise InvalidInputError(f"No watch {name[:40]!r}; the watches are: {', '.join(names) or 'none yet'}.")
        return Watch.from_row(row), row

    async def entries(self) -> tuple[list[tuple[Watch, WatchRow]], list[tuple[str, str]]]:
        """The watches, and those whose stored definition no longer validates (name, why): one bad watch
        never hides or stops the others."""
        good, bad = [], []
        for row in await anyio.to_thread.run_sync(self.store.all):
            try:
                good.append((Watch.from_row(row), row))
            except InvalidInputError as exc:
                bad.append((row.name, str(exc)))
        return good, bad

    async def all(self) -> list[tuple[Watch, WatchRow]]:
        return (await self.entries())[0]

    async def remove(self, name: str) -> bool:
        return await anyio.to_thread.run_sync(self.store.remove, name)

    # -- sinks -----------------------------------------------------------------------------------------

    async def sinks(self) -> list[SinkConfig]:
        """This user's sinks: those in the store, then (for the machine's own user) the settings file's."""
        stored = await anyio.to_thread.run_sync(self.sink_store.all) if self.sink_store else []
        out = [
            SinkConfig(s.name, s.kind, s.secrets, s.options.get("digest"), s.options.get("min_verdict")) for s in stored
        ]
        if self.store.owner is None:
            taken = {s.name for s in out}
            out += [s for s in self.config.sinks.values() if s.name not in taken]
        return out

    async def sink(self, name: str) -> SinkConfig | None:
        return next((s for s in await self.sinks() if s.name == name), None)

    # -- the user's criteria ---------------------------------------------------------------------------

    async def profile(self) -> Profile:
        """The user's stated criteria as a rubric; CriteriaNeeded (with the starting point) when none are."""
        found = await self.stated_profile()
        if found is None:
            raise stated.needed()
        return found

    async def stated_profile(self) -> Profile | None:
        row = await anyio.to_thread.run_sync(self.store.criteria)
        if row is not None:
            try:
                return stated.profile_of(row[0], row[1])
            except ValueError as exc:
                raise InvalidInputError(f"Your saved criteria no longer read: {exc}. State them again.") from None
        if self.store.owner is None and self.config.scoring_stated:
            return self.config.profile
        return None

    async def set_criteria(self, spec: dict[str, Any], how: str) -> Profile:
        origin = stated.origin(how, self._clock())
        profile = stated.profile_of(spec, origin)
        await anyio.to_thread.run_sync(self.store.set_criteria, spec, origin)
        return profile

    def score(self, job: Listing, profile: Profile) -> Score:
        return score(job, profile, now=datetime.fromtimestamp(self._clock(), UTC))

    # -- checks ----------------------------------------------------------------------------------------

    async def check(self, name: str) -> CheckReport:
        reports, errors = await self.check_many([name])
        if errors:
            raise errors[0][1]
        return reports[0]

    async def check_many(self, names: list[str]) -> tuple[list[CheckReport], list[tuple[str, UpworkError]]]:
        """Check the named watches now: the feed ones together (one shared request), each search one alone,
        the proposals ones with one look at the user's proposals."""
        members, reports, errors = [], [], []
        found: list[tuple[Watch, WatchRow]] = []
        for name in names:
            try:
                found.append(await self.get(name))
            except UpworkError as exc:
                errors.append((name, exc))
        jobs = [(w, r) for w, r in found if w.source != "proposals"]
        if jobs and await self.stated_profile() is None:  # the job watches wait; the proposals ones need no ranking
            errors += [(w.name, stated.needed()) for w, _ in jobs]
            found = [(w, r) for w, r in found if w.source == "proposals"]
        proposals = [(w, r) for w, r in found if w.source == "proposals"]
        if proposals:
            checked, refused = await self.check_proposals(proposals)
            reports += checked
            errors += refused
        for watch, row in found:
            if watch.source == "feed":
                members.append(Member(self, watch, row))
            elif watch.source == "search":
                try:
                    reports.append(await self.check_search(watch, row))
                except UpworkError as exc:
                    errors.append((watch.name, exc))
        if members:
            try:
                result = await feed_round(self.client.job_feed, members)
            except UpworkError as exc:
                errors += [(m.watch.name, exc) for m in members]
            else:
                reports += [report for _, report in result.reports]
                errors += [(m.watch.name, UpworkError(why)) for m, why in result.errors]
        order = {n: i for i, n in enumerate(names)}
        return sorted(reports, key=lambda r: order.get(r.watch, 0)), errors

    async def check_proposals(
        self, due: list[tuple[Watch, WatchRow]]
    ) -> tuple[list[CheckReport], list[tuple[str, UpworkError]]]:
        """One look at the user's proposals for the proposals watches `due`: each change is reported once (to
        this caller) and queued for the sinks of every proposals watch of the user past its first check. A
        watch none of whose sinks exists any more is not checked (its changes would reach no one); a check
        that fails still counts as the watch's check (it waits its interval, not the next tick)."""
        known = {s.name for s in await self.sinks()}
        errors: list[tuple[str, UpworkError]] = []
        live = []
        for watch, row in due:
            if any(s in known for s in watch.sinks):
                live.append((watch, row))
            else:
                errors.append((watch.name, InvalidInputError(orphaned(watch))))
        if not live:
            return [], errors
        found = None
        try:
            found = await self.pipeline()
        except UpworkError as exc:
            errors += [(w.name, exc) for w, _ in live]
        finally:  # whatever went wrong, the watch waits its interval before it asks Upwork again
            for watch, _ in live:
                await anyio.to_thread.run_sync(partial(self.store.touch, watch.name, first_done=found is not None))
        if found is None:
            return [], errors
        reports = [
            CheckReport(
                watch=w.name,
                source="proposals",
                found=[],
                first=found.first or not row.seeded,  # a new watch starts from what is there: nothing sent
                requests=found.requests,
                queued=tuple(s for s in w.sinks if s in found.queued) if row.seeded else (),
                shared=len(live),
                changes=found.changes,
                notes=found.notes,
            )
            for w, row in live
        ]
        return reports, errors

    async def start_following(self, watch: Watch) -> PipelineCheck | None:
        """A new proposals watch's baseline: one look now (what changed since the user's last look is the
        caller's to show; nothing is sent), then the watch follows every later change. None when Upwork could
        not be read: then the watch's first check is its baseline."""
        try:
            found = await self.pipeline()
        except UpworkError:
            return None
        await anyio.to_thread.run_sync(self.store.touch, watch.name)
        return found

    async def pipeline(self, *, tenant_id: str | None = None) -> PipelineCheck:
        """What changed in the user's proposals since any check of theirs (this or `check_proposals`), each
        change once, queued for the sinks of their proposals watches. Read as another organization
        (`tenant_id`), the proposals are a record of their own, and no watch's (a watch reads the default)."""
        from ..store.proposals import AsyncProposalLedger, ProposalLedger  # lazy: not every watch needs it

        user = await self.client.account.user_id()
        ledger = AsyncProposalLedger(ProposalLedger(self.store.store, user, view=tenant_id))
        routes = await self.proposal_routes() if tenant_id is None else []
        return await check_pipeline(
            self.client, ledger, now=datetime.fromtimestamp(self._clock(), UTC), tenant_id=tenant_id, routes=routes
        )

    async def proposal_routes(self) -> list[Route]:
        """The user's proposals watches and their sinks that exist (a removed sink gets nothing); the store
        queues only for those that are proposals watches past their first check when the change is claimed."""
        watches = [w for w, _ in await self.all() if w.source == "proposals" and w.sinks]
        if not watches:
            return []
        known = {s.name for s in await self.sinks()}
        return [
            Route(self.store.stored_name(w.name), tuple(s for s in w.sinks if s in known))
            for w in watches
            if any(s in known for s in w.sinks)
        ]

    async def check_search(self, watch: Watch, row: WatchRow) -> CheckReport:
        jobs, requests = await self._fetch(watch, row, stop_at_seen=True)
        report = await self.settle(watch, row, jobs, requests=requests, newest=None)
        return replace(report, budget=await self.search_budget())

    async def settle(
        self,
        watch: Watch,
        row: WatchRow,
        jobs: list[Listing],
        *,
        requests: int,
        newest: str | None,
        shared: int = 1,
        context: tuple[Profile, list[SinkConfig]] | None = None,
    ) -> CheckReport:
        """Rank `jobs` (the watch's matches) once, claim the new ones and queue each for the sinks its verdict
        earns, in one transaction; what this caller claimed is its report. `context`: the user's criteria and
        sinks, read once for a round of several watches."""
        profile, sinks = context or await self.context()
        routes = _routes(watch, sinks)
        by_id = {j.id: j for j in jobs}
        ranked: dict[str, tuple[Score, tuple[str, ...]]] = {}

        def rank(candidate: Candidate) -> Candidate:
            rated = self.score(by_id[candidate.job_id], profile)
            to = tuple(name for name, least in routes if RANK[rated.verdict] >= least)
            ranked[candidate.job_id] = (rated, to)
            return replace(candidate, score=rated.to_json(), sinks=to)

        def news(previous: str, candidate: Candidate) -> bool:
            return what_changed(previous, by_id[candidate.job_id]) is not None

        candidates = [Candidate(j.id, j.fingerprint(), j.posted, j.to_json()) for j in jobs]
        claimed = await anyio.to_thread.run_sync(
            lambda: self.store.claim(watch.name, candidates, newest=newest, news=news, rank=rank)
        )
        found = []
        queued: set[str] = set()
        for item in claimed:
            job = by_id[item.job_id]
            rated, to = ranked[item.job_id]
            change = what_changed(item.previous, job) if item.previous else None
            found.append(Found(job, rated, change))
            queued |= set(to)
        return CheckReport(
            watch=watch.name,
            source=watch.source,
            found=found,
            first=not row.seeded,
            requests=requests,
            queued=tuple(s for s in watch.sinks if s in queued),
            shared=shared,
        )

    async def context(self) -> tuple[Profile, list[SinkConfig]]:
        """What ranking and routing a check need: the user's criteria and sinks."""
        return await self.profile(), await self.sinks()

    async def preview(self, name: str) -> Preview:
        """What the watch matches now, ranked, without marking anything seen: the last check's results when
        the watch was checked within its interval (no request), else fetched."""
        watch, row = await self.get(name)
        if watch.source == "proposals":
            raise InvalidInputError(
                f"{name!r} watches your proposals: it has no jobs to preview. Checking it reports what changed."
            )
        profile = await self.profile()
        fresh = row.checked is not None and self._clock() - row.checked < watch.interval_minutes * 60
        if fresh:
            stored = await anyio.to_thread.run_sync(self.store.latest, name)
            jobs = [Listing.from_json(p) for p, _ in stored]
            return Preview(name, [Found(j, self.score(j, profile)) for j in jobs], stored=True, requests=0)
        jobs, requests = await self._fetch(watch, row, stop_at_seen=False)
        return Preview(name, [Found(j, self.score(j, profile)) for j in jobs], stored=False, requests=requests)

    async def lookup(self, ref: str) -> Listing:
        """A job to score, with everything known of it: a feed id (`upwork-...`) from a watch's results, or a
        search job (id, URL or ciphertext) read in full over what a search or a watch saw of it (the search
        node carries the client's spend, hires, feedback, verification and location)."""
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
        node = await self.client.jobs.seen_in_search(job_id or posting.id)
        base = Listing.from_json(stored) if stored else from_search(node) if node else None
        return from_posting(posting, base)

    async def search_budget(self) -> tuple[int, int]:
        used = await anyio.to_thread.run_sync(self.store.used, self._budget_key())
        return used, self.config.search.daily_budget

    async def feed_cost(self, interval_minutes: int) -> str:
        feed_watches = sum(1 for w, _ in await self.all() if w.source == "feed") + 1
        quota = await anyio.to_thread.run_sync(known_quota, self.store)
        return cost_text(interval_minutes, self.config.feed.monthly_requests, quota, feed_watches)

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
        """The watch's own query (a preview, or a search watch), matched locally."""
        since = None
        if row.watermark:
            since = datetime.fromisoformat(row.watermark.replace("Z", "+00:00")) - SLACK
        found: list[Listing] = []
        requests = 0
        trusted = watch.filters.applied_by("feed" if watch.source == "feed" else "search")
        offset: int | None = 0
        for _ in range(4):
            batch, offset = await self._page(watch, since, offset or 0)
            requests += 1
            found += [j for j in batch if watch.filters.matches(j, trusted)]
            if offset is None or not stop_at_seen or since is None:
                break
            seen = await anyio.to_thread.run_sync(self.store.known, watch.name, [j.id for j in batch])
            if seen:
                break
        return found, requests

    async def _page(self, watch: Watch, since: datetime | None, offset: int) -> tuple[list[Listing], int | None]:
        """One request's listings, and the offset of the next page (None: the source has no more)."""
        if watch.source == "feed":
            fields = watch.filters.feed_filters()
            query = feed_query(**fields, limit=PAGE, offset=offset, sort="posted_on_desc", posted_after=since)
            data = (await self.client.job_feed.jobs(query)).data
            return [from_feed(j) for j in data], offset + PAGE if len(data) >= PAGE else None
        await self._spend()
        categories: tuple[str, ...] = ()
        if watch.filters.category:
            categories = ((await self.client.categories.resolve(watch.filters.category, "category"))[0],)
        fields = watch.filters.search_fields(categories, since, PAGE, offset)
        page = await self.client.jobs.search(JobSearchFilters(**fields))  # type: ignore[arg-type]
        return [from_search(j) for j in page.jobs], page.next_offset


def orphaned(watch: Watch) -> str:
    """Why a proposals watch is not checked: none of its sinks exists any more."""
    return (
        f"watch {watch.name!r} sends to {', '.join(watch.sinks)}, and none of those sinks exists any more: add one "
        "of that name again, or delete the watch and make it with a sink that exists"
    )


def _routes(watch: Watch, sinks: list[SinkConfig]) -> list[tuple[str, int]]:
    """Each of the watch's sinks that still exists, with the least verdict (as a rank) it gets."""
    known = {s.name: s for s in sinks}
    out = []
    for name in watch.sinks:
        sink = known.get(name)
        if sink is None:
            continue  # removed since the watch was made: nothing is queued for it
        explicit = [RANK[v] for v in (watch.min_verdict, sink.min_verdict) if v]
        out.append((name, max(explicit) if explicit else RANK[DEFAULT_VERDICT]))
    return out
