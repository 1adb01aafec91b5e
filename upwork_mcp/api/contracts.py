"""Contracts: Upwork's contract search, or what this key may read instead.

`vendorContracts` answers "Authorization failed" on ordinary freelancer keys; the freelancer's work
history (`talentWorkHistory`) works there. Agency keys read contracts by id (`contractList`, at most
10 ids a call), found on message rooms. The listing tries them in that order, skipping what the key
was refused within the last day, and says which one answered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal

from ..errors import NotFoundError, PermissionDeniedError
from ..models.contracts import Contract, ContractDetails, ContractPage, Feedback, TalentContract
from ..notes import note
from ._graphql import GraphQLExecutor

ContractStatus = Literal["active", "paused", "closed"]
BY_ID_BATCH = 10  # contractList takes at most 10 ids


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
        why = "this API key may not search contracts (vendorContracts)"
        try:
            found = await self._search(statuses, offset, limit, tenant_id)
            if found.contracts or offset:
                return found
            # On agency keys vendorContracts answers no contract at all, always (live): ask the others too.
            why = "Upwork's contract search (vendorContracts) answered none, as it does on agency keys"
        except PermissionDeniedError:
            pass
        try:
            page = await self._work_history(statuses, offset, limit, tenant_id)
            note(f"Contracts came from your work history: {why}.")
            return page
        except PermissionDeniedError:
            pass
        page = await self._by_room_ids(statuses, offset, limit, tenant_id)
        note(
            f"Contracts came from the contract ids on your message rooms: {why}, and this key may not read "
            "the work history."
        )
        return page

    async def _search(self, statuses: tuple[str, ...], offset: int, limit: int, tenant_id: str | None) -> ContractPage:
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

    async def _work_history(
        self, statuses: tuple[str, ...], offset: int, limit: int, tenant_id: str | None, ids: tuple[str, ...] = ()
    ) -> ContractPage:
        flt: dict[str, object] = {"personId": await self._user_id(), "pagination": {"offset": offset, "limit": limit}}
        if statuses:
            flt["status"] = [s.upper() for s in statuses]
        if ids:
            flt["contractIds"] = list(ids)
        result = await self._gql.run("ListWorkHistory", {"filter": flt}, tenant_id=tenant_id)
        block = result.data.get("talentWorkHistory") or {}
        contracts = [
            TalentContract.model_validate(item["contract"]).as_contract()
            for item in block.get("workHistoryList") or []
            if item and item.get("contract")
        ]
        total = block.get("totalCount")
        more = isinstance(total, int) and offset + len(contracts) < total
        return ContractPage(
            contracts=contracts,
            offset=offset,
            next_offset=offset + limit if more else None,
            total=total,
            source="talentWorkHistory",
        )

    async def _by_room_ids(
        self, statuses: tuple[str, ...], offset: int, limit: int, tenant_id: str | None
    ) -> ContractPage:
        # Every room, not only the subscribed ones Upwork lists by default: a closed contract's room drops out.
        every_room = {"subscribed_eq": False, "includeHidden_eq": True}
        result = await self._gql.run(
            "RoomContracts", {"filter": every_room, "pagination": {"first": 100}}, tenant_id=tenant_id
        )
        edges = (result.data.get("roomList") or {}).get("edges") or []
        ids = list(
            dict.fromkeys(e["node"]["contractId"] for e in edges if e and e.get("node") and e["node"].get("contractId"))
        )
        contracts: list[Contract] = []
        for start in range(0, len(ids), BY_ID_BATCH):
            batch = await self._gql.run(
                "ListContractsByIds", {"ids": ids[start : start + BY_ID_BATCH]}, tenant_id=tenant_id
            )
            found = (batch.data.get("contractList") or {}).get("contracts") or []
            contracts += [Contract.model_validate(c) for c in found if c]
        if statuses:
            contracts = [c for c in contracts if (c.status or "").lower() in statuses]
        contracts.sort(key=lambda c: c.start_date or "", reverse=True)
        window = contracts[offset : offset + limit]
        more = offset + limit < len(contracts)
        return ContractPage(
            contracts=window,
            offset=offset,
            next_offset=offset + limit if more else None,
            total=len(contracts),
            source="contractList",
        )

    async def get(self, contract_id: str, *, tenant_id: str | None = None) -> ContractDetails:
        try:
            result = await self._gql.run("GetContract", {"id": contract_id}, tenant_id=tenant_id)
        except PermissionDeniedError:
            page = await self._work_history((), 0, 1, tenant_id, ids=(contract_id,))
            if not page.contracts:
                raise NotFoundError(f"No contract {contract_id} in your work history.").about(
                    "contractDetails"
                ) from None
            note("This contract came from your work history: this API key may not read contractDetails.")
            c = page.contracts[0]
            return ContractDetails(
                id=c.id,
                title=c.title,
                status=c.status,
                create_date=c.create_date,
                start_date=c.start_date,
                end_date=c.end_date,
                client_organization=c.client_organization,
            )
        node = result.data.get("contractDetails")
        if not node:
            raise NotFoundError(f"No contract {contract_id} is visible to this account.").about("contractDetails")
        details = ContractDetails.model_validate(node)
        if (details.status or "").upper() != "CLOSED":
            return details
        return details.model_copy(update={"feedback": await self._feedback(contract_id, tenant_id)})

    async def _feedback(self, contract_id: str, tenant_id: str | None) -> Feedback | None:
        """Both sides' feedback on a closed contract, from the work history; None where the key can't read it."""
        try:
            flt = {"personId": await self._user_id(), "contractIds": [contract_id]}
            result = await self._gql.run("ContractFeedback", {"filter": flt}, tenant_id=tenant_id)
        except (PermissionDeniedError, NotFoundError):
            return None
        for item in (result.data.get("talentWorkHistory") or {}).get("workHistoryList") or []:
            if item and (item.get("contract") or {}).get("id") == contract_id and item.get("feedback"):
                return Feedback.model_validate(item["feedback"])
        return None
