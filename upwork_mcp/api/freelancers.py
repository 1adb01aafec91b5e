"""Freelancers: profile search, one profile by its `~01` profile key, and the user's own profile.

The user's own profile is `user { ciphertext freelancerProfile { ... } }`, one request; should Upwork
refuse `CurrentUser.freelancerProfile` to a key, the same profile is read by its key (`user.ciphertext`)
through `freelancerProfileByProfileKey`, the query seen working live.
"""

from __future__ import annotations

from ..errors import InvalidInputError, NotFoundError
from ..models.freelancers import FreelancerPage, FreelancerProfile, FreelancerRecord, MyProfile, RateFilterReport
from ._graphql import GraphQLExecutor
from ._paging import connection_page

UPSTREAM_PAGE = 50  # profiles per request while a rate filter is applied here
MAX_SCANNED = 200  # profiles looked at, at most, to fill one page by rate (4 requests)


def _in_rate(record: FreelancerRecord, lo: float | None, hi: float | None) -> bool | None:
    """Whether the profile's hourly rate is within [lo, hi]; None when it states no rate."""
    rate = record.hourly_rate.amount if record.hourly_rate else None
    if rate is None:
        return None
    return (lo is None or rate >= lo) and (hi is None or rate <= hi)


class FreelancersAPI:
    def __init__(self, gql: GraphQLExecutor) -> None:
        self._gql = gql

    async def _page(
        self, search_filter: dict[str, object], first: int, after: str | None
    ) -> tuple[list[tuple[FreelancerRecord, str | None]], int | None, str | None]:
        pagination: dict[str, object] = {"first": first}
        if after:
            pagination["after"] = after
        result = await self._gql.run("SearchFreelancers", {"searchFilter": search_filter, "pagination": pagination})
        conn = result.data.get("freelancerProfileSearchRecords")
        page = connection_page(conn, FreelancerRecord)
        edges = (conn or {}).get("edges") or []
        cursors = [(edges[i] or {}).get("cursor") for i in page.positions]
        return list(zip(page.items, cursors, strict=True)), page.total, page.next_cursor

    async def search(
        self,
        *,
        keyword: str | None = None,
        country: str | None = None,
        first: int = 20,
        after: str | None = None,
        hourly_min: float | None = None,
        hourly_max: float | None = None,
    ) -> FreelancerPage:
        """One page of profiles. Upwork's freelancer search has no rate filter, so a rate range is applied
        here: its pages are read until `first` profiles fit or MAX_SCANNED were looked at, and the cursor
        is the edge cursor of the last profile used (or Upwork's end cursor when a page was used whole)."""
        if hourly_min is not None and hourly_max is not None and hourly_min > hourly_max:
            raise InvalidInputError(f"hourly_min ({hourly_min:g}) is above hourly_max ({hourly_max:g}); swap them.")
        search_filter: dict[str, object] = {"userType": "Freelancer"}
        if keyword:
            search_filter["keyword"] = keyword
        if country:
            search_filter["location"] = {"country": country}
        if hourly_min is None and hourly_max is None:
            items, total, cursor = await self._page(search_filter, first, after)
            return FreelancerPage(total=total, freelancers=[r for r, _ in items], next_cursor=cursor)
        kept: list[FreelancerRecord] = []
        scanned = unstated = 0
        upstream_total: int | None = None
        cursor = after
        while len(kept) < first and scanned < MAX_SCANNED:
            items, upstream_total, end = await self._page(
                search_filter, min(UPSTREAM_PAGE, MAX_SCANNED - scanned), cursor
            )
            cursor = end
            for index, (record, edge_cursor) in enumerate(items):
                scanned += 1
                fits = _in_rate(record, hourly_min, hourly_max)
                unstated += fits is None
                if fits:
                    kept.append(record)
                    if len(kept) == first:
                        if index < len(items) - 1 and edge_cursor:
                            cursor = edge_cursor  # the rest of this page comes next
                        break
            if end is None:
                break
        return FreelancerPage(
            total=None,
            freelancers=kept,
            next_cursor=cursor,
            rate_filter=RateFilterReport(
                scanned=scanned, kept=len(kept), unstated=unstated, upstream_total=upstream_total
            ),
        )

    async def profile(self, profile_key: str) -> FreelancerProfile:
        key = profile_key.strip()
        if "upwork.com" in key and "~" in key:
            key = key[key.index("~") :].split("/")[0].split("?")[0]
        if not key.startswith("~"):
            raise InvalidInputError(
                f"{profile_key[:80]!r} is not a profile key. Give a ~01... ciphertext or a profile URL."
            ).about("freelancerProfileByProfileKey")
        result = await self._gql.run("GetFreelancerProfile", {"profileKey": key})
        node = result.data.get("freelancerProfileByProfileKey")
        if not node:
            raise NotFoundError(f"No freelancer profile {key} is visible to this account.")
        return FreelancerProfile.model_validate({**node, "profileKey": key})

    async def mine(self) -> MyProfile:
        """The logged-in user's own freelancer profile (None in `profile` for a user who has none)."""
        result = await self._gql.run("MyProfile")
        user = result.data.get("user") or {}
        key = user.get("ciphertext") or None
        node = user.get("freelancerProfile")
        if node is None and key and "CurrentUser.freelancerProfile" in result.missing:
            return MyProfile(
                user_id=user.get("id"), name=user.get("name"), profile_key=key, profile=await self.profile(key)
            )
        profile = FreelancerProfile.model_validate({**node, "profileKey": key or ""}) if node else None
        return MyProfile(user_id=user.get("id"), name=user.get("name"), profile_key=key, profile=profile)
