"""GraphQL over the request loop: named operations, errors[] and partial data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import graphql as documents
from .._http import Credentials, RequestLoop
from ..errors import APIError, GraphQLError, NotFoundError, PermissionDeniedError, UpworkError
from ..facts import TENANT_HEADER

SERVICE = "Upwork"
LOGIN_HINT = "Run `upwork-mcp auth login` to log in again."

# The API-key permission each root field needs, as named in Upwork's API Center where the
# name is known from Upwork's docs; otherwise described plainly.
PERMISSIONS: dict[str, str] = {
    "marketplaceJobPostingsSearch": "Read marketplace Job Postings",
    "marketplaceJobPosting": "Read marketplace Job Postings",
    "marketplaceJobPostingsContents": "Read marketplace Job Postings",
    "vendorContracts": "the contracts read permission",
    "contractDetails": "the contracts read permission",
    "roomList": "the messaging read permission",
    "roomStories": "the messaging read permission",
    "contractRoom": "the messaging read permission",
    "createRoomStoryV2": "the messaging write permission",
    "freelancerProfileSearchRecords": "the freelancer profile read permission",
    "freelancerProfileByProfileKey": "the freelancer profile read permission",
    "user": "the common entities read permission",
    "organization": "the common entities read permission",
    "companySelector": "the common entities read permission",
}

# What to do when a lookup finds nothing, by root field.
NOT_FOUND_HINTS: dict[str, str] = {
    "marketplaceJobPosting": "Job ids come from search_jobs; a ~01 ciphertext must be seen in a search first.",
    "contractDetails": "Contract ids come from list_contracts.",
    "roomStories": "Room ids come from list_rooms.",
    "contractRoom": "Contract ids come from list_contracts.",
    "createRoomStoryV2": "Room ids come from list_rooms.",
    "freelancerProfileByProfileKey": "Profile keys (~01...) come from search_freelancers.",
}

_PERMISSION_MARKERS = ("oauth2 permission", "no access to requested resource", "permission")
_NOT_FOUND_MARKERS = ("not found", "does not exist")


@dataclass
class GraphQLResult:
    data: dict[str, Any]
    errors: list[dict[str, Any]] = field(default_factory=list)

    def warnings(self) -> list[str]:
        """Short, model-readable lines for errors that came with usable data."""
        out = []
        for err in self.errors[:5]:
            path = ".".join(str(p) for p in err.get("path") or [])
            out.append(f"{path or 'query'}: {str(err.get('message', 'error'))[:200]}")
        if len(self.errors) > 5:
            out.append(f"... and {len(self.errors) - 5} more errors")
        return out


class GraphQLExecutor:
    def __init__(self, loop: RequestLoop, url: str, credentials: Credentials | None, tenant_id: str | None) -> None:
        self.loop = loop
        self.url = url
        self.credentials = credentials
        self.tenant_id = tenant_id

    async def run(
        self, name: str, variables: dict[str, Any] | None = None, *, tenant_id: str | None = None
    ) -> GraphQLResult:
        """Run the bundled operation `name` (a file in upwork_mcp/graphql)."""
        text = documents.operation(name)
        mutation = documents.kind_of_operation(name) == "mutation"
        return await self.execute(text, variables, operation_name=name, mutation=mutation, tenant_id=tenant_id)

    async def execute(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        operation_name: str | None = None,
        mutation: bool = False,
        tenant_id: str | None = None,
    ) -> GraphQLResult:
        """POST a document; raise when nothing usable came back, else return data and errors."""
        body: dict[str, Any] = {"query": query, "variables": variables or {}}
        if operation_name:
            body["operationName"] = operation_name
        tenant = tenant_id or self.tenant_id
        headers = {TENANT_HEADER: tenant} if tenant else None
        response = await self.loop.send(
            "POST",
            self.url,
            service=SERVICE,
            retry=not mutation,
            json=body,
            headers=headers,
            credentials=self.credentials,
            auth_hint=LOGIN_HINT,
        )
        try:
            payload = response.json()
        except ValueError as exc:
            raise APIError(
                "Upwork answered with something that is not JSON. Try again later.", status_code=response.status_code
            ) from exc
        if not isinstance(payload, dict):
            raise APIError("Upwork answered with an unexpected JSON shape.", status_code=response.status_code)
        data = payload.get("data")
        errors = [e for e in payload.get("errors") or [] if isinstance(e, dict)]
        if errors and (not isinstance(data, dict) or all(v is None for v in data.values())):
            raise classify_errors(errors, data if isinstance(data, dict) else None, documents.root_fields(query))
        return GraphQLResult(data=data if isinstance(data, dict) else {}, errors=errors)


def classify_errors(
    errors: list[dict[str, Any]], partial_data: dict[str, Any] | None, roots: tuple[str, ...] = ()
) -> UpworkError:
    """Turn an errors[] that left no usable data into the most specific error."""
    first = errors[0]
    message = str(first.get("message", "unknown error"))[:300]
    lowered = " ".join(str(e.get("message", "")).lower() for e in errors)
    # A permission failure aborts the whole query and carries no path: fall back to the document's roots.
    root = next((str(e["path"][0]) for e in errors if e.get("path")), None) or next(
        (r for r in roots if r in PERMISSIONS), None
    )
    if any(marker in lowered for marker in _PERMISSION_MARKERS):
        permission = PERMISSIONS.get(root or "", "the permission this query needs")
        return PermissionDeniedError(
            f"Upwork refused this query: the API key lacks {permission!s}. Enable it for the key in "
            f"Upwork's API Center (Upwork said: {message}).",
            permission=permission,
            status_code=200,
        )
    if any(marker in lowered for marker in _NOT_FOUND_MARKERS):
        hint = NOT_FOUND_HINTS.get(root or "", "Check the id.")
        return NotFoundError(f"Upwork found no such item ({message}). {hint}", status_code=200)
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return GraphQLError(f"Upwork returned a GraphQL error: {message}{more}", errors=errors, partial_data=partial_data)
