"""Identity and organizations: who the token belongs to and which tenants it can act in."""

from __future__ import annotations

from ..errors import UpworkError
from ..models.account import Account, CompanyItem, Organization, User
from ._graphql import GraphQLExecutor


class AccountAPI:
    def __init__(self, gql: GraphQLExecutor) -> None:
        self._gql = gql
        self._me: Account | None = None

    async def me(self, *, refresh: bool = False) -> Account:
        if self._me is not None and not refresh:
            return self._me
        result = await self._gql.run("Account")
        data = result.data
        selector = data.get("companySelector") or {}
        account = Account(
            user=User.model_validate(data["user"]) if data.get("user") else None,
            organization=Organization.model_validate(data["organization"]) if data.get("organization") else None,
            companies=[CompanyItem.model_validate(i) for i in selector.get("items") or [] if i],
        )
        self._me = account
        return account

    async def user_id(self) -> str:
        """The user's id, fetched once per process (the contracts listing needs it)."""
        me = await self.me()
        if me.user is None:
            raise UpworkError("Upwork did not say who this token belongs to.")
        return me.user.id
