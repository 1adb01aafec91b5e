"""Contracts: vendorContracts (listing) and contractDetails."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal

from ..errors import NotFoundError
from ..models.contracts import Contract, ContractDetails, ContractPage
from ._graphql import GraphQLExecutor

ContractStatus = Literal["active", "paused", "closed"]


class ContractsAPI:
    def __init__(self, gql: GraphQLExecutor, user_id: Callable[[], Awaitable[str]]) -> None:
        self._gql = gql
        self._user_id = user_id

    async def list(
        self,
        *,
        statuses: tuple[ContractStatus, ...] = (),
        offset: int = 0,
        limit: int = 20,
        tenant_id: str | None = None,
    ) -> ContractPage:
        flt: dict[str, object] = {"vendorId": await self._user_id()}
        if statuses:
            flt["contractStatuses"] = [s.upper() for s in statuses]
        result = await self._gql.run(
            "ListContracts", {"filter": flt, "paging": {"offset": offset, "limit": limit}}, tenant_id=tenant_id
        )
        block = result.data.get("vendorContracts") or {}
        contracts = [Contract.model_validate(c) for c in block.get("contracts") or [] if c]
        # The listing reports no total: a full page means there may be more.
        next_offset = offset + limit if len(contracts) >= limit else None
        return ContractPage(contracts=contracts, offset=offset, next_offset=next_offset)

    async def get(self, contract_id: str, *, tenant_id: str | None = None) -> ContractDetails:
        result = await self._gql.run("GetContract", {"id": contract_id}, tenant_id=tenant_id)
        node = result.data.get("contractDetails")
        if not node:
            raise NotFoundError(f"No contract {contract_id} is visible to this account. Use list_contracts for ids.")
        return ContractDetails.model_validate(node)
