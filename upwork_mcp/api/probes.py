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
from ..errors import NotFoundError, PermissionDeniedError, UpworkError
from ._graphql import PERMISSIONS

if TYPE_CHECKING:
    from . import UpworkClient

# Root field -> the bundled probe operation that asks for it, and whether it needs the user's id.
PROBES: dict[str, tuple[str, bool]] = {
    "marketplaceJobPostingsSearch": ("ProbeJobSearch", False),
    "marketplaceJobPosting": ("ProbeJob", False),
    "vendorContracts": ("ProbeVendorContracts", True),
    "talentWorkHistory": ("ProbeWorkHistory", True),
    "contractList": ("ProbeContractList", False),
    "contractDetails": ("ProbeContractDetails", False),
    "roomList": ("ProbeRooms", False),
    "roomStories": ("ProbeRoomStories", False),
    "freelancerProfileSearchRecords": ("ProbeFreelancers", False),
    "freelancerProfileByProfileKey": ("ProbeFreelancerProfile", False),
    "user": ("ProbeUser", False),
}


@dataclass(frozen=True)
class Probe:
    root: str
    state: Literal["allowed", "refused", "unknown"]
    detail: str


async def probe(client: UpworkClient, root: str, user_id: Callable[[], Awaitable[str]]) -> Probe:
    """Ask Upwork whether this key may run `root`; remember the answer for the key."""
    if root not in PROBES:
        return Probe(root, "unknown", "not probed (a write, or no harmless query asks for it)")
    operation, needs_user = PROBES[root]
    variables = {"userId": await user_id()} if needs_user else {}
    try:
        await client.graphql.execute(documents.operation(operation), variables, operation_name=operation)
    except PermissionDeniedError as exc:
        await client.capabilities.remember([f"Query.{root}"], "this API key lacks the permission")
        permission = exc.permission or PERMISSIONS.get(root, "a permission")
        return Probe(root, "refused", f"the API key lacks {permission}")
    except NotFoundError:
        pass  # asked for a made-up id and told it does not exist: the key may ask
    except UpworkError as exc:
        return Probe(root, "unknown", str(exc))
    await client.capabilities.forget([f"Query.{root}"])
    return Probe(root, "allowed", "allowed")
