"""Freelancers: profile search, one profile by its `~01` profile key, and the user's own profile.

The user's own profile is `user { ciphertext freelancerProfile { ... } }`, one request; should Upwork
refuse `CurrentUser.freelancerProfile` to a key, the same profile is read by its key (`user.ciphertext`)
through `freelancerProfileByProfileKey`, the query seen working live.
"""

from __future__ import annotations

from ..errors import InvalidInputError, NotFoundError
from ..models.freelancers import FreelancerPage, FreelancerProfile, FreelancerRecord, MyProfile
from ._graphql import GraphQLExecutor
from ._paging import connection_page


class FreelancersAPI:
    def __init__(self, gql: GraphQLExecutor) -> None:
        self._gql = gql

    async def search(
        self, *, keyword: str | None = None, country: str | None = None, first: int = 20, after: str | None = None
    ) -> FreelancerPage:
        search_filter: dict[str, object] = {"userType": "Freelancer"}
        if keyword:
            search_filter["keyword"] = keyword
        if country:
            search_filter["location"] = {"country": country}
        pagination: dict[str, object] = {"first": first}
        if after:
            pagination["after"] = after
        result = await self._gql.run("SearchFreelancers", {"searchFilter": search_filter, "pagination": pagination})
        page = connection_page(result.data.get("freelancerProfileSearchRecords"), FreelancerRecord)
        return FreelancerPage(total=page.total, freelancers=page.items, next_cursor=page.next_cursor)

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
