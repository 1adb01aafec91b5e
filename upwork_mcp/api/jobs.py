"""Jobs: search with the filters Upwork applies (and, here, the ones it ignores), one job by any link a
user can paste, with its client's record.

Upwork's one-job query cannot read the client's record (`ownership.company` answers 403
view_client_company) but every search node carries it (`client`: spend, hires, jobs posted, reviews,
feedback, verification, location). So each search node is remembered for at most 24 hours (Upwork's
terms), and a job no search of that day showed is looked up by one targeted search: its title as a
quoted phrase (`searchExpression_eq`), its contract type, by relevance, 50 results, matched by id.
That finds an open public job unless more than 50 open jobs of its type match its title's words in
order; a closed job is not searched for (the search lists open jobs only).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal
from urllib.parse import unquote

from pydantic import BaseModel, ConfigDict, Field

from ..errors import InvalidInputError, NotFoundError, UpworkError
from ..models.jobs import JobDetails, JobPosting, JobSearchNode, JobSearchPage
from ._concurrent import both, gather
from ._graphql import GraphQLExecutor
from ._paging import Page, connection_page
from .job_filters import JobView, LocalFilter, Tally, local_filters
from .memory import CIPHERTEXT_TTL, Memory

Sort = Literal["recency", "relevance", "client_rating", "client_total_charge"]
UPSTREAM_PAGE = 50  # jobs per upstream request; larger asks are fetched page by page
MAX_SCANNED = 500  # jobs looked at, at most, to fill one page when a filter is applied here (10 requests)
Progress = Callable[[int, int], Awaitable[None]]

LOOKUP_PAGE = 50  # results of the targeted search that finds one job's search node
RELAX_AT_MOST = 4  # an empty search asks again without each of at most this many filters (one job each)
# The filters Upwork applies, as groups of JobSearchFilters fields, in the order an empty search tries
# leaving them out (the narrowest first); what each group is reset to is its field default.
UPSTREAM_FILTERS: dict[str, tuple[str, ...]] = {
    "days_posted": ("days_posted",),
    "locations": ("locations",),
    "timezone": ("timezone",),
    "skills": ("skills",),
    "experience_level": ("experience_level",),
    "proposals": ("proposals_min", "proposals_max"),
    "client_hires": ("client_hires_min", "client_hires_max"),
    "verified_payment_only": ("verified_payment_only",),
    "previous_clients_only": ("previous_clients_only",),
    "durations": ("durations",),
    "subcategory_ids": ("subcategory_ids",),
    "category_ids": ("category_ids",),
    "job_type": ("job_type",),
    "title": ("title",),
    "query": ("query",),
}
SEEN = "job-search-node"  # job id -> the search node as a search returned it (at most 24 hours)

_CIPHER = re.compile(r"~0[0-9a-zA-Z]{6,40}")
_CURRENT_CIPHER = re.compile(r"~02(\d{6,25})")  # ~02 + the numeric id: Upwork's current jobs
_NUMERIC = re.compile(r"\d{1,25}")
_BARE_CURRENT = re.compile(r"02\d{17,23}")  # a ~02 ciphertext pasted without its tilde (ids never start with 0)
_SLUG = re.compile(r"/([^/?#]+?)_~0")  # /jobs/Some-title_~02... : the title before the ciphertext
_PROFILE_LINK = re.compile(r"/(freelancers|fl|agencies)/", re.IGNORECASE)


# What a filter may ask in USD: within what any job posts or any client has spent (a filter past it matches
# nothing and is a mistake), and finite (JSON's Infinity is no amount).
FIXED_USD_MAX = 10_000_000
HOURLY_USD_MAX = 10_000
SPEND_USD_MAX = 10_000_000_000

# Why Upwork's search does not apply a filter (facts page, "Filters that do nothing"), by filter name.
NOT_APPLIED_BY_SEARCH = {
    "budget": "Upwork ignores budgetRange_eq",
    "hourly": "Upwork ignores hourlyRate_eq",
    "budget/hourly": "Upwork ignores budgetRange_eq and hourlyRate_eq",
    "workload": "Upwork answers no job at all for workload_eq",
    "client_spend_min": "Upwork's search has no client-spend filter",
}


class JobSearchFilters(BaseModel):
    """What a job search can ask for, in our words; `to_variables` speaks Upwork's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    query: str | None = None
    skills: tuple[str, ...] = ()
    title: str | None = None
    job_type: Literal["hourly", "fixed"] | None = None
    budget_min: float | None = Field(default=None, ge=0, le=FIXED_USD_MAX)
    budget_max: float | None = Field(default=None, ge=0, le=FIXED_USD_MAX)
    hourly_min: float | None = Field(default=None, ge=0, le=HOURLY_USD_MAX)
    hourly_max: float | None = Field(default=None, ge=0, le=HOURLY_USD_MAX)
    experience_level: Literal["entry", "intermediate", "expert"] | None = None
    days_posted: int | None = Field(default=None, ge=1, le=365)
    proposals_min: int | None = Field(default=None, ge=0)
    proposals_max: int | None = Field(default=None, ge=0)
    client_hires_min: int | None = Field(default=None, ge=0)
    client_hires_max: int | None = Field(default=None, ge=0)
    verified_payment_only: bool = False
    previous_clients_only: bool = False
    locations: tuple[str, ...] = ()
    category_ids: tuple[str, ...] = ()
    subcategory_ids: tuple[str, ...] = ()
    workload: Literal["full_time", "part_time", "as_needed"] | None = None
    durations: tuple[Literal["week", "month", "quarter", "semester", "ongoing"], ...] = ()
    timezone: str | None = None
    client_spend_min: float | None = Field(default=None, ge=0, le=SPEND_USD_MAX)  # Upwork has no such filter
    sort: Sort = "recency"
    offset: int = Field(default=0, ge=0, le=5000)
    limit: int = Field(default=20, ge=1, le=200)
    # With a filter applied here, at most this many of Upwork's jobs are looked at to fill the page.
    max_scanned: int = Field(default=MAX_SCANNED, ge=1, le=5000)

    def local(self) -> list[LocalFilter]:
        """The filters Upwork takes but does not apply (budget, hourly rate, workload), or has not (client
        spend): applied here."""
        return local_filters(
            budget_min=self.budget_min,
            budget_max=self.budget_max,
            hourly_min=self.hourly_min,
            hourly_max=self.hourly_max,
            workload=self.workload,
            client_spend_min=self.client_spend_min,
            why=NOT_APPLIED_BY_SEARCH,
        )

    def upstream(self) -> list[str]:
        """The groups of UPSTREAM_FILTERS this search sets (Upwork applies them)."""
        defaults = {name: f.default for name, f in type(self).model_fields.items()}
        return [g for g, names in UPSTREAM_FILTERS.items() if any(getattr(self, n) != defaults[n] for n in names)]

    def without(self, group: str) -> JobSearchFilters:
        defaults = {name: f.default for name, f in type(self).model_fields.items()}
        return self.model_copy(update={n: defaults[n] for n in UPSTREAM_FILTERS[group]})

    def to_variables(self) -> dict[str, Any]:
        """Upwork's filter, without what it ignores (`budgetRange_eq`, `hourlyRate_eq`) or answers with
        nothing (`workload_eq`): `local()` applies those."""
        f: dict[str, Any] = {"pagination_eq": {"first": self.limit, "after": str(self.offset)}}
        if self.query:
            f["searchExpression_eq"] = self.query
        if self.skills:
            f["skillExpression_eq"] = ",".join(self.skills)
        if self.title:
            f["titleExpression_eq"] = self.title
        if self.job_type:
            f["jobType_eq"] = "HOURLY" if self.job_type == "hourly" else "FIXED"
        for key, name, lo, hi in (
            (None, "budget", self.budget_min, self.budget_max),
            (None, "hourly", self.hourly_min, self.hourly_max),
            ("proposalRange_eq", "proposals", self.proposals_min, self.proposals_max),
            ("clientHiresRange_eq", "client_hires", self.client_hires_min, self.client_hires_max),
        ):
            if lo is not None and hi is not None and lo > hi:
                raise UpworkError(f"{name}_min ({lo}) is above {name}_max ({hi}); swap them.")
            if key is not None and (lo is not None or hi is not None):
                f[key] = {k: v for k, v in (("rangeStart", lo), ("rangeEnd", hi)) if v is not None}
        if self.experience_level:
            f["experienceLevel_eq"] = {"entry": "ENTRY_LEVEL", "intermediate": "INTERMEDIATE", "expert": "EXPERT"}[
                self.experience_level
            ]
        if self.days_posted:
            f["daysPosted_eq"] = self.days_posted
        if self.verified_payment_only:
            f["verifiedPaymentOnly_eq"] = True
        if self.previous_clients_only:
            f["previousClients_eq"] = True
        if self.locations:
            f["locations_any"] = list(self.locations)
        if self.category_ids:
            f["categoryIds_any"] = list(self.category_ids)
        if self.subcategory_ids:
            f["subcategoryIds_any"] = list(self.subcategory_ids)
        if self.durations:
            f["duration_any"] = [d.upper() for d in self.durations]
        if self.timezone:
            f["timezone_eq"] = self.timezone
        return {"filter": f, "sort": [{"field": self.sort.upper()}]}


@dataclass(frozen=True)
class JobLink:
    """What a pasted job reference says: the numeric id when it carries one, the ciphertext, and the title
    words of a link's slug (`/jobs/Some-title_~01...`), which let a search find an old `~01` job."""

    job_id: str | None
    cipher: str | None
    title: str | None = None


def read_job_link(ref: str) -> JobLink:
    """A job URL (with or without its title slug, `/jobs/`, `/freelance-jobs/apply/`, search details, a
    proposal page, `%7E` for `~`), a ciphertext (`~02...`, `~01...`, `02...` without the tilde) or a numeric id.

    A current job's ciphertext is `~02` + its numeric id, so that id is read off it; only an old `~01` + hex
    ciphertext leaves the id unknown (None) for a lookup.
    """
    text = unquote(ref.strip().strip("<>\"'"))
    if _NUMERIC.fullmatch(text):
        if _BARE_CURRENT.fullmatch(text):
            return JobLink(text[2:], "~" + text)
        return JobLink(text, None)
    if _PROFILE_LINK.search(text):
        raise InvalidInputError(f"{ref[:80]!r} is a freelancer's or agency's profile link, not a job's.").about(
            "freelancerProfileByProfileKey"
        )
    found = _CIPHER.search(text)
    if found:
        current = _CURRENT_CIPHER.fullmatch(found.group(0))
        slug = _SLUG.search(text[: found.end()])
        title = " ".join(w for w in re.split(r"[-_+\s]+", unquote(slug.group(1))) if w) if slug else None
        return JobLink(current.group(1) if current else None, found.group(0), title or None)
    if "upwork.com" in text.lower():
        raise InvalidInputError(
            f"{ref[:80]!r} names no job: a job's link holds its ciphertext (~02... or ~01...), as in "
            "https://www.upwork.com/jobs/~02...; open the job itself and copy that link."
        ).about("marketplaceJobPosting")
    raise InvalidInputError(
        f"{ref[:80]!r} is not a job reference. Give a job URL (https://www.upwork.com/jobs/~02...), "
        "its ciphertext (~02... or ~01...), or a numeric job id."
    ).about("marketplaceJobPosting")


def parse_job_ref(ref: str) -> tuple[str | None, str | None]:
    """(numeric id, ciphertext) from a job URL, a ciphertext or a numeric id (see `read_job_link`)."""
    link = read_job_link(ref)
    return link.job_id, link.cipher


def title_phrase(title: str) -> str:
    """A title as one quoted phrase for `searchExpression_eq`: its words in order, nothing Lucene reads as an
    operator (inside quotes only `"` and `\\` are special; punctuation between words is not indexed)."""
    words = re.findall(r"[^\W_]+(?:[.'][^\W_]+)*", title)[:24]
    return '"' + " ".join(words) + '"' if words else ""


class JobsAPI:
    """Upwork's one-job query takes the numeric id only; the ciphertexts seen in searches are remembered
    (at most 24 hours, in whatever memory the engine was handed) so a job URL resolves later, in any
    process that shares that memory."""

    def __init__(self, gql: GraphQLExecutor, memory: Memory) -> None:
        self._gql = gql
        self._memory = memory

    async def _remember(self, jobs: list[tuple[str | None, str]]) -> None:
        pairs = {cipher: job_id for cipher, job_id in jobs if cipher}
        if pairs:
            await self._memory.put_many("job-id-by-ciphertext", pairs, CIPHERTEXT_TTL)
            await self._memory.put_many("job-ciphertext-by-id", {v: k for k, v in pairs.items()}, CIPHERTEXT_TTL)

    async def seen_in_search(self, job_id: str) -> JobSearchNode | None:
        """The job as a search of the last 24 hours returned it (its client's spend, hires, feedback,
        verification and location, which the one-job query cannot read); None if no search did."""
        raw = await self._memory.get(SEEN, job_id)
        return JobSearchNode.model_validate_json(raw) if raw else None

    async def find_in_search(
        self, title: str, *, job_id: str | None = None, cipher: str | None = None, job_type: str | None = None
    ) -> JobSearchNode | None:
        """One targeted search for one job: its title as a phrase, by relevance; the node with its id or
        ciphertext among the first LOOKUP_PAGE results, or None."""
        phrase = title_phrase(title)
        if not phrase:
            return None
        kind = {"HOURLY": "hourly", "FIXED": "fixed"}.get((job_type or "").upper())
        filters = JobSearchFilters(query=phrase, job_type=kind, sort="relevance", limit=LOOKUP_PAGE)  # type: ignore[arg-type]
        page, _ = await self._fetch(filters)
        return next((j for j in page.items if (job_id and j.id == job_id) or (cipher and j.ciphertext == cipher)), None)

    async def search(self, filters: JobSearchFilters, *, progress: Progress | None = None) -> JobSearchPage:
        """One page of results; more than UPSTREAM_PAGE jobs are fetched as several pages at once.

        Upwork pages by numeric offset, so every page's offset is known up front and the pages are
        requested concurrently (the rate limiter still spaces them), not one after another.
        """
        local = filters.local()
        if local:
            return await self._search_locally(filters, local, progress)
        if filters.limit <= UPSTREAM_PAGE:
            return await self._search_page(filters)
        sizes = [min(UPSTREAM_PAGE, filters.limit - start) for start in range(0, filters.limit, UPSTREAM_PAGE)]
        done = 0

        async def fetch(index: int) -> JobSearchPage:
            nonlocal done
            start = filters.offset + index * UPSTREAM_PAGE
            page = await self._search_page(filters.model_copy(update={"offset": start, "limit": sizes[index]}))
            done += sizes[index]
            if progress is not None:
                await progress(done, filters.limit)
            return page

        fetched = await gather([partial(fetch, index) for index in range(len(sizes))])
        last = next((i for i, p in enumerate(fetched) if p.next_offset is None), len(fetched) - 1)
        used = fetched[: last + 1]
        return JobSearchPage(
            total=used[0].total,
            jobs=[j for p in used for j in p.jobs],
            offset=filters.offset,
            next_offset=used[-1].next_offset,
            warnings=[w for p in used for w in p.warnings],
        )

    async def _fetch(self, filters: JobSearchFilters) -> tuple[Page[JobSearchNode], list[str]]:
        result = await self._gql.run("SearchJobs", filters.to_variables())
        # Advance by edges, not nodes: a nulled node still takes a slot in Upwork's offset paging.
        page = connection_page(result.data.get("marketplaceJobPostingsSearch"), JobSearchNode, offset=filters.offset)
        await self._remember([(job.ciphertext, job.id) for job in page.items])
        nodes = {job.id: job.model_dump_json(by_alias=True, exclude_none=True) for job in page.items}
        if nodes:
            await self._memory.put_many(SEEN, nodes, CIPHERTEXT_TTL)
        return page, result.warnings()

    async def relax(self, filters: JobSearchFilters, *, at_most: int = RELAX_AT_MOST) -> dict[str, int | None]:
        """For a search Upwork answered with no job: how many jobs match with each of its filters left out,
        one at a time (group -> Upwork's total), each asked as a one-job page; the first `at_most` groups
        the search sets, in UPSTREAM_FILTERS order. A single filter is not asked about: it is the culprit."""
        groups = filters.upstream()
        if len(groups) < 2:
            return {}
        tried = groups[:at_most]

        async def total_without(group: str) -> int | None:
            page, _ = await self._fetch(filters.without(group).model_copy(update={"offset": 0, "limit": 1}))
            return page.total

        totals = await gather([partial(total_without, g) for g in tried])
        return dict(zip(tried, totals, strict=True))

    async def _search_page(self, filters: JobSearchFilters) -> JobSearchPage:
        page, warnings = await self._fetch(filters)
        return JobSearchPage(
            total=page.total,
            jobs=page.items,
            offset=filters.offset,
            next_offset=int(page.next_cursor) if page.next_cursor is not None else None,
            warnings=warnings,
        )

    async def _search_locally(
        self, filters: JobSearchFilters, local: list[LocalFilter], progress: Progress | None
    ) -> JobSearchPage:
        """Upwork's pages, one after another, filtered here until the page is full, Upwork has no more, or
        `max_scanned` jobs were looked at. The cursor is Upwork's offset just after the last job used."""
        tally = Tally(local, JobView.of_search)
        kept: list[JobSearchNode] = []
        warnings: list[str] = []
        offset = filters.offset
        upstream_total: int | None = None
        more = True
        while more and len(kept) < filters.limit and offset - filters.offset < filters.max_scanned:
            size = min(UPSTREAM_PAGE, filters.max_scanned - (offset - filters.offset))
            page, said = await self._fetch(filters.model_copy(update={"offset": offset, "limit": size}))
            upstream_total, more = page.total, page.next_cursor is not None
            warnings += said
            used = page.edges
            for job, position in zip(page.items, page.positions, strict=True):
                if tally.passes(job):
                    kept.append(job)
                    if len(kept) == filters.limit:
                        used = position + 1
                        more = more or used < page.edges
                        break
            offset += used
            if progress is not None:
                await progress(offset - filters.offset, filters.max_scanned)
        return JobSearchPage(
            total=None,
            jobs=kept,
            offset=filters.offset,
            next_offset=offset if more else None,
            warnings=warnings,
            local=tally.reports(),
            scanned=tally.scanned,
            upstream_total=upstream_total,
        )

    async def get(self, ref: str) -> JobPosting:
        """The one-job query for any job reference (one request when the reference carries the id)."""
        link = read_job_link(ref)
        job_id = link.job_id or await self._memory.get("job-id-by-ciphertext", link.cipher or "")
        if job_id is None:
            job_id = (await self._find_old(link)).id
        return await self._posting(job_id, link.cipher)

    async def details(self, ref: str) -> JobDetails:
        """The job and its search node (the client's record): remembered from a search of the last 24 hours,
        or found by one targeted search. A link with a title slug is searched for beside the job query;
        otherwise the posting's own title is searched for once it is known."""
        link = read_job_link(ref)
        job_id = link.job_id or await self._memory.get("job-id-by-ciphertext", link.cipher or "")
        if job_id is None:  # an old ~01 link no search of the day showed: only a search knows its id
            old = await self._find_old(link)
            return JobDetails(posting=await self._posting(old.id, link.cipher), listing=old, listing_from="lookup")
        seen = await self.seen_in_search(job_id)
        if seen is not None:
            return JobDetails(posting=await self._posting(job_id, link.cipher), listing=seen, listing_from="search")
        if link.title:
            posting, listing = await both(
                partial(self._posting, job_id, link.cipher),
                partial(self.find_in_search, link.title, job_id=job_id),
            )
            return self._found(posting, listing)
        posting = await self._posting(job_id, link.cipher)
        status = posting.work_flow_state.status if posting.work_flow_state else None
        if status == "CLOSED":
            return JobDetails(posting=posting, missing="the job is closed, and Upwork's search lists open jobs only")
        title = posting.content.title if posting.content else None
        terms = posting.contract_terms
        kind = terms.contract_type if terms else None
        return self._found(posting, await self.find_in_search(title, job_id=job_id, job_type=kind) if title else None)

    @staticmethod
    def _found(posting: JobPosting, listing: JobSearchNode | None) -> JobDetails:
        if listing is None:
            return JobDetails(
                posting=posting,
                missing=f"Upwork's search did not list it among the {LOOKUP_PAGE} best matches of its title "
                "(closed, private or invite-only, or a title many open jobs share)",
            )
        if posting.ciphertext is None and listing.ciphertext:
            posting = posting.model_copy(update={"ciphertext": listing.ciphertext})
        return JobDetails(posting=posting, listing=listing, listing_from="lookup")

    async def _find_old(self, link: JobLink) -> JobSearchNode:
        """An old ~01 link's job, by one search for the title its slug carries."""
        if not link.title:
            raise self._unresolved(link, searched=False)
        found = await self.find_in_search(link.title, cipher=link.cipher)
        if found is None:
            raise self._unresolved(link, searched=True)
        return found

    def _unresolved(self, link: JobLink, *, searched: bool) -> NotFoundError:
        said = (
            f"Upwork's job lookup needs the numeric job id. {link.cipher} is an old-style (~01) ciphertext that "
            "does not contain it, and no search of the last 24 hours showed that job"
        )
        if searched:
            said += f"; a search for its title ({link.title!r}) did not find it either (it may be closed or private)"
        else:
            said += (
                "; the link has no title to search for. Paste the job's whole link (with its title, as the "
                "browser shows it) or give the numeric id"
            )
        return NotFoundError(said + ".").about("marketplaceJobPosting")

    async def _posting(self, job_id: str, cipher: str | None) -> JobPosting:
        result = await self._gql.run("GetJob", {"id": job_id})
        node = result.data.get("marketplaceJobPosting")
        if not node:
            raise NotFoundError(f"No job with id {job_id} is visible to this account.").about("marketplaceJobPosting")
        cipher = cipher or await self._memory.get("job-ciphertext-by-id", job_id)
        return JobPosting.model_validate({**node, "ciphertext": cipher})
