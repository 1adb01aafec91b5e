"""Jobs: search with the real filter set, one job by URL / ciphertext / numeric id, batch contents."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..errors import NotFoundError, UpworkError
from ..models.jobs import JobContent, JobPosting, JobSearchNode, JobSearchPage
from ._graphql import GraphQLExecutor
from ._paging import connection_page

Sort = Literal["recency", "relevance", "client_rating", "client_total_charge"]
UPSTREAM_PAGE = 50  # jobs per upstream request; larger asks are fetched page by page
Progress = Callable[[int, int], Awaitable[None]]

_CIPHER = re.compile(r"~0[0-9a-zA-Z]{6,40}")
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
    workload: Literal["full_time", "part_time"] | None = None
    sort: Sort = "recency"
    offset: int = Field(default=0, ge=0, le=5000)
    limit: int = Field(default=20, ge=1, le=200)

    def to_variables(self) -> dict[str, Any]:
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
            ("budgetRange_eq", "budget", self.budget_min, self.budget_max),
            ("hourlyRate_eq", "hourly", self.hourly_min, self.hourly_max),
            ("proposalRange_eq", "proposals", self.proposals_min, self.proposals_max),
            ("clientHiresRange_eq", "client_hires", self.client_hires_min, self.client_hires_max),
        ):
            if lo is not None or hi is not None:
                if lo is not None and hi is not None and lo > hi:
                    raise UpworkError(f"{name}_min ({lo}) is above {name}_max ({hi}); swap them.")
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
        if self.workload:
            f["workload_eq"] = self.workload.upper()
        return {"filter": f, "sort": [{"field": self.sort.upper()}]}


def parse_job_ref(ref: str) -> tuple[str | None, str | None]:
    """(numeric id, ciphertext) from a job URL, a `~01` ciphertext or a numeric id."""
    text = ref.strip()
    if _NUMERIC.fullmatch(text):
        return text, None
    found = _CIPHER.search(text)
    if found:
        return None, found.group(0)
    raise UpworkError(
        f"{ref[:80]!r} is not a job reference. Give a job URL (https://www.upwork.com/jobs/~01...), "
        "a ciphertext starting with ~01, or a numeric job id from search_jobs."
    )


class JobsAPI:
    # Upwork's one-job query takes the numeric id only; ciphertexts seen in searches are
    # remembered so a URL or ciphertext from the same session still resolves.
    _BOOK_SIZE = 5000

    def __init__(self, gql: GraphQLExecutor) -> None:
        self._gql = gql
        self._ids_by_cipher: OrderedDict[str, str] = OrderedDict()

    def _remember(self, cipher: str | None, job_id: str) -> None:
        if cipher:
            self._ids_by_cipher[cipher] = job_id
            self._ids_by_cipher.move_to_end(cipher)
            while len(self._ids_by_cipher) > self._BOOK_SIZE:
                self._ids_by_cipher.popitem(last=False)

    def cipher_for(self, job_id: str) -> str | None:
        for cipher, known in reversed(self._ids_by_cipher.items()):
            if known == job_id:
                return cipher
        return None

    async def search(self, filters: JobSearchFilters, *, progress: Progress | None = None) -> JobSearchPage:
        """One page of results; more than UPSTREAM_PAGE jobs are fetched in several requests."""
        if filters.limit <= UPSTREAM_PAGE:
            return await self._search_page(filters)
        pages: list[JobSearchPage] = []
        offset, wanted = filters.offset, filters.limit
        while wanted > 0:
            page = await self._search_page(
                filters.model_copy(update={"offset": offset, "limit": min(wanted, UPSTREAM_PAGE)})
            )
            pages.append(page)
            wanted -= min(wanted, UPSTREAM_PAGE)
            if progress is not None:
                await progress(filters.limit - wanted, filters.limit)
            if page.next_offset is None:
                break
            offset = page.next_offset
        return JobSearchPage(
            total=pages[0].total,
            jobs=[j for p in pages for j in p.jobs],
            offset=filters.offset,
            next_offset=pages[-1].next_offset,
            warnings=[w for p in pages for w in p.warnings],
        )

    async def _search_page(self, filters: JobSearchFilters) -> JobSearchPage:
        result = await self._gql.run("SearchJobs", filters.to_variables())
        # Advance by edges, not nodes: a nulled node still takes a slot in Upwork's offset paging.
        page = connection_page(
            result.data.get("marketplaceJobPostingsSearch"),
            JobSearchNode,
            offset=filters.offset,
            seen=lambda job: self._remember(job.ciphertext, job.id),
        )
        return JobSearchPage(
            total=page.total,
            jobs=page.items,
            offset=filters.offset,
            next_offset=int(page.next_cursor) if page.next_cursor is not None else None,
            warnings=result.warnings(),
        )

    async def get(self, ref: str) -> JobPosting:
        job_id, cipher = parse_job_ref(ref)
        if job_id is None:
            job_id = self._ids_by_cipher.get(cipher or "")
            if job_id is None:
                raise NotFoundError(
                    f"Upwork's job lookup needs the numeric job id, and {cipher} was not in this session's "
                    "search results. Run search_jobs (its results carry both ids) or give the numeric id."
                )
        result = await self._gql.run("GetJob", {"id": job_id})
        node = result.data.get("marketplaceJobPosting")
        if not node:
            raise NotFoundError(f"No job with id {job_id} is visible to this account.")
        return JobPosting.model_validate({**node, "ciphertext": cipher or self.cipher_for(job_id)})

    async def contents(self, ids: list[str]) -> list[JobContent]:
        result = await self._gql.run("JobContents", {"ids": ids})
        items = result.data.get("marketplaceJobPostingsContents") or []
        out = [JobContent.model_validate(item) for item in items if item]
        for item in out:
            self._remember(item.ciphertext, item.id)
        return out
