"""What this key may read, asked of Upwork one small query per operation.

A probe that Upwork answers (or answers "not found", which it only says to a key allowed to ask)
means the operation is allowed; a permission refusal means it is not. Each answer updates the
key's remembered capabilities, so a fixed key is believed at once. Writes are not probed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .. import graphql as documents
from ..errors import NotFoundError, PermissionDeniedError, TenantError, UpworkError
from ._graphql import PERMISSIONS, WHY_PERMISSION, WHY_REFUSED, decided_on_the_key, remembered_for_key

if TYPE_CHECKING:
    from . import UpworkClient

# Root field (or `user.field` for one under the current user) -> the bundled probe operation that asks
# for it, and what its variables need: nothing, the user's id, or the user's accounting entity.
PROBES: dict[str, tuple[str, Literal["", "user", "ace"]]] = {
    "marketplaceJobPostingsSearch": ("ProbeJobSearch", ""),
    "marketplaceJobPosting": ("ProbeJob", ""),
    "ontologyCategories": ("ProbeCategories", ""),
    "vendorProposals": ("ProbeProposals", ""),
    "vendorProposal": ("ProbeProposal", ""),
    "user.offer": ("ProbeOffers", ""),
    "offer": ("ProbeOffer", ""),
    "vendorContracts": ("ProbeVendorContracts", "user"),
    "talentWorkHistory": ("ProbeWorkHistory", "user"),
    "contractList": ("ProbeContractList", ""),
    "contractDetails": ("ProbeContractDetails", ""),
    "user.contractTimeReport": ("ProbeTimeReport", ""),
    "workDiaryContract": ("ProbeWorkDiary", ""),
    "accountingEntity": ("ProbeAccountingEntity", ""),
    "transactionHistory": ("ProbeTransactions", "ace"),
    "roomList": ("ProbeRooms", ""),
    "roomStories": ("ProbeRoomStories", ""),
    "freelancerProfileSearchRecords": ("ProbeFreelancers", ""),
    "freelancerProfileByProfileKey": ("ProbeFreelancerProfile", ""),
    "user": ("ProbeUser", ""),
    "user.freelancerProfile": ("ProbeMyProfile", ""),
}


@dataclass(frozen=True)
class Probe:
    root: str
    state: Literal["allowed", "refused", "unknown"]
    detail: str


def remembered_name(root: str) -> str:
    """How the executor remembers a refusal: `Query.roomList`, or `CurrentUser.offer` for `user.offer`."""
    return f"CurrentUser.{root[5:]}" if root.startswith("user.") else f"Query.{root}"


async def probe(client: UpworkClient, root: str, user_id: Callable[[], Awaitable[str]]) -> Probe:
    """Ask Upwork whether this key may run `root`; remember the answer for the key."""
    if root not in PROBES:
        return Probe(root, "unknown", "not probed (a write, or no harmless query asks for it)")
    operation, needs = PROBES[root]
    name = remembered_name(root)
    try:
        tenant = await client.graphql.tenant_in_use()
        if needs == "user":
            variables = {"userId": await user_id()}
        elif needs == "ace":
            variables = {"ace": await client.hours.accounting_entity()}
        else:
            variables = {}
    except UpworkError as exc:
        return Probe(root, "unknown", f"not probed: {exc}")
    try:
        await client.graphql.execute(documents.operation(operation), variables, operation_name=operation)
    except TenantError as exc:
        return Probe(root, "unknown", str(exc))  # about the organization, not the operation: not remembered
    except PermissionDeniedError as exc:
        said = [str(e.get("message", "")) for e in exc.errors] or [exc.message]
        why = WHY_PERMISSION if decided_on_the_key(said) else WHY_REFUSED
        await client.capabilities.remember([name], why, tenant=tenant, for_key=remembered_for_key(why))
        permission = PERMISSIONS.get(name.removeprefix("Query.")) or exc.permission or "a permission"
        if why == WHY_REFUSED:
            return Probe(root, "refused", f"refused to this user in this organization (the key may lack {permission})")
        return Probe(root, "refused", f"the API key lacks {permission}")
    except NotFoundError:
        pass  # asked for a made-up id and told it does not exist: the key may ask
    except UpworkError as exc:
        return Probe(root, "unknown", str(exc))
    await client.capabilities.forget([name], tenant)
    return Probe(root, "allowed", "allowed")
