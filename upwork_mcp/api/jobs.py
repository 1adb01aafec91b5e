"""Jobs: search with the filters Upwork applies (and, here, the ones it ignores), one job by URL /
ciphertext / numeric id, batch contents."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..errors import InvalidInputError, NotFoundError, UpworkError
from ..models.jobs import JobPosting, JobSearchNode, JobSearchPage
from ._concurrent import gather
from ._graphql import GraphQLExecutor
from ._paging import Page, connection_page
from .job_filters import LocalFilter, Tally, local_filters
from .memory import CIPHERTEXT_TTL, Memory

Sort = Literal["recency", "relevance", "client_rating", "client_total_charge"]
UPSTREAM_PAGE = 50  # jobs per upstream request; larger asks are fetched page by page
MAX_SCANNED = 500  # jobs looked at, at most, to fill one page when a filter is applied here (10 requests)
Progress = Callable[[int, int], Awaitable[None]]

_CIPHER = re.compile(r"~0[0-9a-zA-Z]{6,40}")
_CURRENT_CIPHER = re.compile(r"~02(\d{6,25})")  # ~02 + the numeric id: Upwork's current jobs
_NUMERIC = re.compile(r"\d{1,25}")


class JobSearchFilters(BaseModel):
    """What a job search can ask for, in our words; `to_variables` speaks Upwork's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    query: str | None = None
    skills: tuple[str, ...] = ()
    title: str | None = None
    job_type: Literal["hourly", "fixed"] | None = None
    budget_min: int | None = Field(default=None, ge=0)
    budget_max: int | None = Field(default=None, ge=0)
    hourly_min: int | None = Field(default=None, ge=0)
    hourly_max: int | None = Field(default=None, ge=0)
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
    sort: Sort = "recency"
    offset: int = Field(default=0, ge=0, le=5000)
    limit: int = Field(default=20, ge=1, le=200)
    # With a filter applied here, at most this many of Upwork's jobs are looked at to fill the page.
    max_scanned: int = Field(default=MAX_SCANNED, ge=1, le=5000)

    def local(self) -> list[LocalFilter]:
        """The filters Upwork takes but does not apply (budget, hourly rate, workload): applied here."""
        return local_filters(
            budget_min=self.budget_min,
            budget_max=self.budget_max,
            hourly_min=self.hourly_min,
            hourly_max=self.hourly_max,
            workload=self.workload,
        )

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


def parse_job_ref(ref: str) -> tuple[str | None, str | None]:
    """(numeric id, ciphertext) from a job URL, a ciphertext or a numeric id.

    A current job's ciphertext is `~02` + its numeric id, so that id is read off it; only an old `~01` +
    hex ciphertext leaves the id unknown (None) for a lookup.
    """
    text = ref.strip()
    if _NUMERIC.fullmatch(text):
        return text, None
    found = _CIPHER.search(text)
    if found:
        current = _CURRENT_CIPHER.fullmatch(found.group(0))
        return (current.group(1) if current else None), found.group(0)
    raise InvalidInputError(
        f"{ref[:80]!r} is not a job reference. Give a job URL (https://www.upwork.com/jobs/~02...), "
        "its ciphertext (~02... or ~01...), or a numeric job id."
    ).about("marketplaceJobPosting")


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
        return page, result.warnings()

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
        tally = Tally(local)
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
        job_id, cipher = parse_job_ref(ref)
        if job_id is None:
            job_id = await self._memory.get("job-id-by-ciphertext", cipher or "")
            if job_id is None:
                raise NotFoundError(
                    f"Upwork's job lookup needs the numeric job id. {cipher} is an old-style (~01) ciphertext that "
                    "does not contain it, and no search of the last 24 hours showed that job; give the numeric id."
                ).about("marketplaceJobPosting")
        result = await self._gql.run("GetJob", {"id": job_id})
        node = result.data.get("marketplaceJobPosting")
        if not node:
            raise NotFoundError(f"No job with id {job_id} is visible to this account.")
        cipher = cipher or await self._memory.get("job-ciphertext-by-id", job_id)
        return JobPosting.model_validate({**node, "ciphertext": cipher})
