"""GraphQL over the request loop: named operations, errors[] and partial data, and what a key may read.

A bundled operation that Upwork refuses in part (a field beyond the key's permissions, a field the
live schema no longer has, or a non-null field Upwork answers null, which loses the whole answer) is not
sunk whole: the refused fields are dropped from the selection (graphql-core, on the document's AST), the
query is sent once more, the refusal is remembered for the key, and a note says what is missing and why.
A refused root operation is remembered too, so callers with a fallback (contracts through the work
history) go straight to it. Upwork's transient "Transform timeout" is asked again once. Mutations are
never rewritten or resent.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread

from .. import graphql as documents
from .._http import Credentials, RequestLoop
from ..errors import APIError, GraphQLError, NotFoundError, PermissionDeniedError, TenantError, UpworkError
from ..facts import TENANT_HEADER
from ..notes import note
from .memory import Capabilities

SERVICE = "Upwork"
MAX_RESENDS = 3  # a query pruned of what Upwork refused is sent again at most this many times

# Why a field was left out: each reason reads after "(...)" in a note and decides the error's kind.
WHY_PERMISSION = "this API key lacks the permission to read it"
WHY_REFUSED = "Upwork refuses it to this user in this organization"
WHY_GONE = "it is gone from Upwork's schema"
WHY_NULL = "Upwork answers it null though its schema says it never is, which loses the whole answer"

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
    "createJobProposal": 'the "Submit Proposal" permission',
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
    "CurrentUser.freelancerProfile": "the freelancer profile read permission",
    "organization": "the common entities read permission",
    "companySelector": "the common entities read permission",
}

_PERMISSION_MARKERS = ("oauth2 permission", "no access to requested resource", "permission", "authorization failed")
# Upwork's words for a refusal decided on the key's scopes (facts page, "Scopes"): the key's, for every user of
# it. Any other refusal ("Authorization failed") may be about who asks, and in which organization.
_KEY_SCOPE_MARKERS = ("oauth2 permission", "no access to requested resource")
# What a login asks to learn whose it is: never refused from what was remembered, never remembered, so no
# refusal ever stops a login (or another user's) from saying who it is.
IDENTITY = frozenset({"Account"})
# Roots that only hold the real operations (`user { offer }`): a refusal naming nothing is the child's.
CONTAINER_ROOTS = {"user": "CurrentUser"}
_ORGANIZATION_ID = re.compile(r"[A-Za-z0-9_~:-]{1,64}")
_NOT_FOUND_MARKERS = ("not found", "does not exist")
_NAMED_IN_BRACKETS = re.compile(r"\[([A-Za-z0-9_., ]+)\]")
_UNDEFINED_FIELD = re.compile(r"Field '([A-Za-z0-9_]+)' in type '([A-Za-z0-9_]+)' is undefined")
# graphql-java's NonNullableFieldWasNullError: "... The non-nullable type is 'String' within parent type 'X'"
_NULL_IN_NON_NULL = re.compile(r"within parent type '([A-Za-z0-9_]+)'")
_TRANSIENT = ("transform timeout",)
SHARED_TYPES = frozenset(
    {"Money", "PageInfo", "DateTime"}
)  # types within every operation, not of one  # Upwork timed out inside; the same query usually answers next time
# What a root's failure most likely means when Upwork names nothing but "Exception occurred".
EXCEPTION_HINTS: dict[str, str] = {
    "marketplaceJobPostingsSearch": "Upwork's job search answers this when pagination_eq lacks `after` (send "
    '{first: 50, after: "0"}) or searchType is missing (send USER_JOBS_SEARCH).',
}


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


def refused_names(errors: list[dict[str, Any]]) -> dict[str, str]:
    """The fields Upwork refused, by name, and why: a permission the key lacks, a refusal to this user in
    this organization, gone from its schema, or a non-null field it answered null."""
    found: dict[str, str] = {}
    for err in errors:
        message = str(err.get("message", ""))
        path = [str(p) for p in err.get("path") or [] if not str(p).isdigit()]
        if any(marker in message.lower() for marker in _PERMISSION_MARKERS):
            why = WHY_PERMISSION if decided_on_the_key([message]) else WHY_REFUSED
            named = [n.strip() for group in _NAMED_IN_BRACKETS.findall(message) for n in group.split(",") if "." in n]
            if len(path) >= 2:
                named.append(f"{path[-2]}.{path[-1]}")
            elif len(path) == 1:
                named.append(f"Query.{path[0]}")
            found.update((n, found.get(n, why)) for n in named)
            continue
        for field_name, type_name in _UNDEFINED_FIELD.findall(message):
            found.setdefault(f"{type_name}.{field_name}", WHY_GONE)
        parent = _NULL_IN_NON_NULL.search(message)
        if parent and path:
            found.setdefault(f"{parent.group(1)}.{path[-1]}", WHY_NULL)
    return found


def decided_on_the_key(messages: list[str]) -> bool:
    """Whether Upwork's refusal is about the key's scopes (every message says so), not about the user."""
    return bool(messages) and all(any(m in said.lower() for m in _KEY_SCOPE_MARKERS) for said in messages)


def remembered_for_key(why: str) -> bool:
    """Whether a refusal is the key's (its scopes, its schema) rather than this user's in one organization."""
    return why in (WHY_PERMISSION, WHY_GONE)


def _names_only_shared(refused: dict[str, str]) -> bool:
    """Whether a refusal names nothing but fields of types every answer is made of (or nothing at all)."""
    return all(name.split(".")[0] in SHARED_TYPES for name in refused)


def transient(errors: list[dict[str, Any]]) -> bool:
    """Whether every error says Upwork timed out inside ("Transform timeout (1s) - path: ...")."""
    return bool(errors) and all(
        any(marker in str(e.get("message", "")).lower() for marker in _TRANSIENT) for e in errors
    )


def _operation_named(text: str, root: str) -> str:
    """How a refused root is remembered: `Query.roomList`, or `CurrentUser.offer` for `user { offer }` (a
    refusal of the offers must not stop `user { contractTimeReport }`, nor a login's `user { id }`)."""
    if root in CONTAINER_ROOTS:
        from ..graphql.analysis import operation  # lazy: graphql-core loads with the first document

        children = operation(text).fields_under(root)
        if len(children) == 1:
            return f"{CONTAINER_ROOTS[root]}.{children[0]}"
    return f"Query.{root}"


def left_out(name: str, fields: dict[str, str]) -> str:
    """One note: what was left out of an operation, grouped by why."""
    by_why: dict[str, list[str]] = {}
    for field_name, why in fields.items():
        by_why.setdefault(why or WHY_PERMISSION, []).append(field_name)
    return f"Left out of {name}: " + "; ".join(f"{', '.join(names)} ({why})" for why, names in by_why.items()) + "."


class GraphQLExecutor:
    """Runs documents; remembers refusals in `capabilities` for what Upwork decided on (see `Capabilities`).

    `login_tenant` says which organization the saved login acts in (`auth use-org`), the one a call without
    its own `tenant_id` (and without UPWORK_TENANT_ID) is answered in: refusals to the user are kept per tenant.
    """

    def __init__(
        self,
        loop: RequestLoop,
        url: str,
        credentials: Credentials | None,
        tenant_id: str | None,
        capabilities: Capabilities | None = None,
        *,
        login_tenant: Callable[[], Awaitable[str | None]] | None = None,
    ) -> None:
        self.loop = loop
        self.url = url
        self.credentials = credentials
        self.tenant_id = tenant_id
        self.capabilities = capabilities
        self._login_tenant = login_tenant

    async def tenant_in_use(self, tenant_id: str | None = None) -> str | None:
        """The organization a call is answered in: its own, the configured one, or the login's."""
        if tenant_id or self.tenant_id:
            return tenant_id or self.tenant_id
        return await self._login_tenant() if self._login_tenant is not None else None

    async def run(
        self, name: str, variables: dict[str, Any] | None = None, *, tenant_id: str | None = None
    ) -> GraphQLResult:
        """Run the bundled operation `name`, leaving out what this key can't read (queries only)."""
        text = documents.operation(name)
        if documents.kind_of_operation(name) == "mutation":
            return await self.execute(text, variables, operation_name=name, mutation=True, tenant_id=tenant_id)
        roots = documents.root_fields(text)
        capabilities = None if name in IDENTITY else self.capabilities
        tenant = await self.tenant_in_use(tenant_id) if capabilities is not None else None
        known = await capabilities.refused(tenant) if capabilities is not None else {}
        for root in roots:
            if f"Query.{root}" in known:
                raise self._refused_root(root, known[f"Query.{root}"])
        missing: dict[str, str] = {}
        fields = {k: v for k, v in known.items() if not k.startswith("Query.")}
        if fields:
            text, dropped = await self._prune(text, set(fields))
            missing = {d: fields.get(d, WHY_PERMISSION) for d in dropped}
            self._check_roots_left(roots, text, missing, remembered=True)
        resends = 0
        timed_out = False
        while True:
            try:
                result = await self.execute(text, variables, operation_name=name, tenant_id=tenant_id)
                break
            except TenantError:
                raise  # about the organization asked for, not about this operation: nothing to remember
            except (PermissionDeniedError, GraphQLError) as exc:
                errors = exc.errors
                if transient(errors) and not timed_out:
                    timed_out = True  # once: a second timeout in a row is reported
                    await self.loop.back_off(0)
                    continue
                refused = refused_names(errors)
                refused_roots = {
                    n: w for n, w in refused.items() if n.split(".")[-1] in roots and n.split(".")[0] in ("Query", "")
                }
                if isinstance(exc, PermissionDeniedError) and len(roots) == 1 and _names_only_shared(refused):
                    # "Authorization failed" naming nothing, or naming only types every answer uses (Money,
                    # PageInfo: sample 03): the key (or the user) lacks the operation, not a field of it.
                    said = [str(e.get("message", "")) for e in errors] or [exc.message]
                    why = WHY_PERMISSION if decided_on_the_key(said) else WHY_REFUSED
                    refused, refused_roots = {}, {_operation_named(text, roots[0]): why}
                if refused_roots or not refused:
                    if refused_roots and capabilities is not None:
                        await self._remember(capabilities, refused_roots, tenant)
                    raise
                if resends == MAX_RESENDS:
                    raise
                pruned, dropped = await self._prune(text, set(refused))
                if not dropped:
                    raise
                if capabilities is not None:
                    await self._remember(capabilities, refused, tenant)
                now = {d: refused.get(d, WHY_PERMISSION) for d in dropped}
                self._check_roots_left(roots, pruned, now, remembered=False)
                text, missing = pruned, {**missing, **now}
                resends += 1
        result.missing = list(missing)
        if missing:
            note(left_out(name, missing))
        return result

    @staticmethod
    async def _remember(capabilities: Capabilities, refused: dict[str, str], tenant: str | None) -> None:
        for why in dict.fromkeys(refused.values()):
            names = [n for n, w in refused.items() if w == why]
            await capabilities.remember(names, why, tenant=tenant, for_key=remembered_for_key(why))

    async def _prune(self, text: str, names: set[str]) -> tuple[str, list[str]]:
        from ..graphql.analysis import prune  # lazy: graphql-core and the schema load only when needed

        def work() -> tuple[str, list[str]]:
            return prune(text, documents.bundled_schema(), names)

        return await anyio.to_thread.run_sync(work)

    def _check_roots_left(
        self, roots: tuple[str, ...], text: str, dropped: dict[str, str], *, remembered: bool
    ) -> None:
        """A query whose every field under a root was refused (`user { offer }` without the offers
        permission) is refused whole: there is nothing left to ask for."""
        left = documents.root_fields(text) if text.strip() else ()
        if all(root in left for root in roots):
            return
        name = next((n for n in dropped if n in PERMISSIONS), next(iter(dropped), roots[0]))
        raise self._refused_root(name, dropped.get(name, WHY_PERMISSION), remembered=remembered)

    def _refused_root(self, root: str, why: str, *, remembered: bool = True) -> APIError:
        when = " within the last day" if remembered else ""
        if why in (WHY_GONE, WHY_NULL):
            return GraphQLError(
                f"Upwork can't answer {root} as this server asks for it{when}: {why}. Nothing is left to ask for.",
                errors=[],
                unanswerable=True,
            ).about(root)
        permission = PERMISSIONS.get(root, "the permission this query needs")
        if why == WHY_REFUSED:
            return PermissionDeniedError(
                f"Upwork refused {root} to this user in the organization in use{when}. The API key may lack "
                f"{permission}, or the user may not do this in this organization.",
                permission=permission,
                status_code=200,
            ).about(root)
        return PermissionDeniedError(
            f"Upwork refused {root} for this API key{when} (it lacks {permission}). Enable it for "
            "the key in Upwork's API Center.",
            permission=permission,
            status_code=200,
        ).about(root)

    async def execute(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        operation_name: str | None = None,
        mutation: bool = False,
        tenant_id: str | None = None,
    ) -> GraphQLResult:
        """POST a document; raise when nothing usable came back, else return data and errors.

        A refused organization is told with the organizations this user has (asked of Upwork once more)."""
        try:
            return await self._post(query, variables, operation_name, mutation, tenant_id)
        except TenantError as exc:
            raise await self._with_organizations(exc) from None

    async def _with_organizations(self, exc: TenantError) -> TenantError:
        """`exc` naming the organizations this user may act in (ids and kinds: their names are the users'
        own words, shown by the account's listing), or `exc` as it was when they can't be listed."""
        try:
            found = await self._post(documents.operation("Account"), None, "Account", False, None)
        except UpworkError:
            return exc  # the organization in use by default is refused too: nothing to list from
        items = (found.data.get("companySelector") or {}).get("items") or []
        organizations = [
            f"{item['organizationId']} ({item.get('typeTitle') or item.get('organizationType') or 'organization'})"
            for item in items
            if isinstance(item, dict) and _ORGANIZATION_ID.fullmatch(str(item.get("organizationId") or ""))
        ]
        if not organizations:
            return exc
        named = TenantError(
            f"{exc.message.rstrip()} The organizations this user may act in: {', '.join(organizations)}.",
            permission=None,
        ).about(exc.root)
        named.status_code = exc.status_code
        return named

    async def _post(
        self,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        mutation: bool,
        tenant_id: str | None,
    ) -> GraphQLResult:
        body: dict[str, Any] = {"query": query, "variables": variables or {}}
        if operation_name:
            body["operationName"] = operation_name
        tenant = tenant_id or self.tenant_id
        headers = {TENANT_HEADER: tenant} if tenant else None
        try:
            response = await self.loop.send(
                "POST",
                self.url,
                service=SERVICE,
                retry=not mutation,
                json=body,
                headers=headers,
                credentials=self.credentials,
            )
        except UpworkError as exc:
            raise exc.about(exc.root or next(iter(documents.root_fields(query)), "graphql")) from None
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
        decided = (
            f"the API key lacks {permission!s}. Enable it for the key in Upwork's API Center"
            if decided_on_the_key([str(e.get("message", "")) for e in errors])
            else f"the API key may lack {permission!s}, or this user may not do this in the organization in use"
        )
        return PermissionDeniedError(
            f"Upwork refused this query: {decided} (Upwork said: {message}).",
            permission=permission,
            status_code=200,
            errors=errors,
        ).about(root)
    if any(marker in lowered for marker in _NOT_FOUND_MARKERS):
        return NotFoundError(f"Upwork found no such item ({message}).", status_code=200).about(root)
    if transient(errors):
        return GraphQLError(
            f"Upwork timed out while answering ({message}). It is transient: try again in a moment.",
            errors=errors,
            partial_data=partial_data,
        ).about(root)
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    hint = EXCEPTION_HINTS.get(root or "", "") if "exception occurred" in lowered else ""
    return GraphQLError(
        f"Upwork returned a GraphQL error: {message}{more}" + (f". {hint}" if hint else ""),
        errors=errors,
        partial_data=partial_data,
    ).about(root)
