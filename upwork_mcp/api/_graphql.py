"""GraphQL over the request loop: named operations, errors[] and partial data, and what a key may read.

A bundled operation that Upwork refuses in part (a field beyond the key's permissions, or a field
the live schema no longer has) is not sunk whole: the refused fields are dropped from the selection
(graphql-core, on the document's AST), the query is sent once more, the refusal is remembered for the
key, and a note says what is missing. A refused root operation is remembered too, so callers with a
fallback (contracts through the work history) go straight to it. Mutations are never rewritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread

from .. import graphql as documents
from .._http import Credentials, RequestLoop
from ..errors import APIError, GraphQLError, NotFoundError, PermissionDeniedError, UpworkError
from ..facts import TENANT_HEADER
from ..notes import note
from .memory import Capabilities

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
    "contractList": "the contracts read permission",
    "talentWorkHistory": "the freelancer profile read permission",
    "roomList": "the messaging read permission",
    "roomStories": "the messaging read permission",
    "contractRoom": "the messaging read permission",
    "createRoomStoryV2": "the messaging write permission",
    "freelancerProfileSearchRecords": "the freelancer profile read permission",
    "freelancerProfileByProfileKey": "the freelancer profile read permission",
    "vendorProposals": "the proposals read permission",
    "vendorProposal": "the proposals read permission",
    "proposalRoom": "the messaging read permission",
    "offer": "the offers read permission",
    "offerRoom": "the messaging read permission",
    "workDiaryContract": "the time and work diary read permission",
    "accountingEntity": "the payments permission",
    "transactionHistory": "the payments permission",
    "ontologyCategories": "the common entities read permission",
    "CurrentUser.offer": "the offers read permission",
    "CurrentUser.contractTimeReport": "the time and work diary read permission",
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
    "vendorProposal": "Proposal ids come from list_proposals.",
    "offer": "Offer ids come from list_offers.",
    "workDiaryContract": "Contract ids come from list_contracts.",
}

_PERMISSION_MARKERS = ("oauth2 permission", "no access to requested resource", "permission", "authorization failed")
_NOT_FOUND_MARKERS = ("not found", "does not exist")
_NAMED_IN_BRACKETS = re.compile(r"\[([A-Za-z0-9_., ]+)\]")
_UNDEFINED_FIELD = re.compile(r"Field '([A-Za-z0-9_]+)' in type '([A-Za-z0-9_]+)' is undefined")


@dataclass
class GraphQLResult:
    data: dict[str, Any]
    errors: list[dict[str, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # fields left out because the key can't read them

    def warnings(self) -> list[str]:
        """Short, model-readable lines for errors that came with usable data."""
        out = []
        for err in self.errors[:5]:
            path = ".".join(str(p) for p in err.get("path") or [])
            out.append(f"{path or 'query'}: {str(err.get('message', 'error'))[:200]}")
        if len(self.errors) > 5:
            out.append(f"... and {len(self.errors) - 5} more errors")
        return out


def refused_names(errors: list[dict[str, Any]]) -> tuple[list[str], str]:
    """The fields Upwork refused (by name) and why: a missing permission, or unknown to its schema."""
    names: list[str] = []
    why = ""
    for err in errors:
        message = str(err.get("message", ""))
        lowered = message.lower()
        if any(marker in lowered for marker in _PERMISSION_MARKERS):
            why = why or "this API key lacks the permission to read it"
            for group in _NAMED_IN_BRACKETS.findall(message):
                names += [n.strip() for n in group.split(",") if "." in n]
            path = [str(p) for p in err.get("path") or [] if not str(p).isdigit()]
            if len(path) >= 2:
                names.append(f"{path[-2]}.{path[-1]}")
            elif len(path) == 1:
                names.append(f"Query.{path[0]}")
        for field_name, type_name in _UNDEFINED_FIELD.findall(message):
            why = why or "Upwork's live schema no longer has it"
            names.append(f"{type_name}.{field_name}")
    return list(dict.fromkeys(names)), why


class GraphQLExecutor:
    def __init__(
        self,
        loop: RequestLoop,
        url: str,
        credentials: Credentials | None,
        tenant_id: str | None,
        capabilities: Capabilities | None = None,
    ) -> None:
        self.loop = loop
        self.url = url
        self.credentials = credentials
        self.tenant_id = tenant_id
        self.capabilities = capabilities

    async def run(
        self, name: str, variables: dict[str, Any] | None = None, *, tenant_id: str | None = None
    ) -> GraphQLResult:
        """Run the bundled operation `name`, leaving out what this key can't read (queries only)."""
        text = documents.operation(name)
        if documents.kind_of_operation(name) == "mutation":
            return await self.execute(text, variables, operation_name=name, mutation=True, tenant_id=tenant_id)
        roots = documents.root_fields(text)
        known = await self.capabilities.refused() if self.capabilities is not None else {}
        for root in roots:
            if f"Query.{root}" in known:
                raise self._refused_root(root, known[f"Query.{root}"])
        missing: list[str] = []
        fields = {k: v for k, v in known.items() if not k.startswith("Query.")}
        if fields:
            text, missing = await self._prune(text, set(fields))
            self._check_roots_left(roots, text, missing, fields, remembered=True)
        for attempt in range(2):
            try:
                result = await self.execute(text, variables, operation_name=name, tenant_id=tenant_id)
                break
            except (PermissionDeniedError, GraphQLError) as exc:
                names, why = refused_names(exc.errors)
                refused_roots = [n for n in names if n.split(".")[-1] in roots and n.split(".")[0] in ("Query", "")]
                if isinstance(exc, PermissionDeniedError) and not names and len(roots) == 1:
                    refused_roots = [f"Query.{roots[0]}"]  # "Authorization failed", naming nothing
                    why = "this API key lacks the permission"
                if refused_roots or not names:
                    if refused_roots and self.capabilities is not None:
                        await self.capabilities.remember(refused_roots, why)
                    raise
                if attempt == 1:
                    raise
                pruned, dropped = await self._prune(text, set(names))
                if not dropped:
                    raise
                if self.capabilities is not None:
                    await self.capabilities.remember(names, why)
                self._check_roots_left(roots, pruned, dropped, dict.fromkeys(dropped, why), remembered=False)
                text, missing = pruned, missing + dropped
                note(f"Left out of {name}: {', '.join(dropped)} ({why}).")
        result.missing = missing
        if missing:
            note(f"Left out of {name}: {', '.join(missing)} (this API key can't read them).")
        return result

    async def _prune(self, text: str, names: set[str]) -> tuple[str, list[str]]:
        from ..graphql.analysis import prune  # lazy: graphql-core and the schema load only when needed

        def work() -> tuple[str, list[str]]:
            return prune(text, documents.bundled_schema(), names)

        return await anyio.to_thread.run_sync(work)

    def _check_roots_left(
        self, roots: tuple[str, ...], text: str, dropped: list[str], why: dict[str, str], *, remembered: bool
    ) -> None:
        """A query whose every field under a root was refused (`user { offer }` without the offers
        permission) is refused whole: there is nothing left to ask for."""
        left = documents.root_fields(text) if text.strip() else ()
        if all(root in left for root in roots):
            return
        name = next((n for n in dropped if n in PERMISSIONS), dropped[0] if dropped else roots[0])
        raise self._refused_root(name, why.get(name, "this API key lacks the permission"), remembered=remembered)

    def _refused_root(self, root: str, why: str, *, remembered: bool = True) -> PermissionDeniedError:
        permission = PERMISSIONS.get(root, "the permission this query needs")
        when = " within the last day" if remembered else ""
        return PermissionDeniedError(
            f"Upwork refused {root} for this API key{when} (it lacks {permission}). Enable it for "
            "the key in Upwork's API Center, then log in again.",
            permission=permission,
            status_code=200,
        )

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
            errors=errors,
        )
    if any(marker in lowered for marker in _NOT_FOUND_MARKERS):
        hint = NOT_FOUND_HINTS.get(root or "", "Check the id.")
        return NotFoundError(f"Upwork found no such item ({message}). {hint}", status_code=200)
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return GraphQLError(f"Upwork returned a GraphQL error: {message}{more}", errors=errors, partial_data=partial_data)
