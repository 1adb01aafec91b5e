"""`upwork-mcp doctor`: settings, token, reachability, tenant, and which tools this key can run."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..advice import explain
from ..api import FeedQuery, UpworkClient
from ..api.probes import probe
from ..auth.manager import TokenManager
from ..errors import NotAuthenticatedError, PermissionDeniedError, UpworkError


@dataclass
class Check:
    name: str
    ok: bool | None  # None: skipped or only a note
    detail: str

    def line(self) -> str:
        mark = {True: "ok  ", False: "FAIL", None: "--  "}[self.ok]
        return f"[{mark}] {self.name}: {self.detail}"


async def _probe(name: str, call: Callable[[UpworkClient], Awaitable[str]], client: UpworkClient) -> Check:
    try:
        return Check(name, True, await call(client))
    except PermissionDeniedError as exc:
        if exc.permission is None:  # not a key permission (e.g. a foreign tenant): Upwork's own account
            return Check(name, False, explain(exc, "person"))
        return Check(
            name,
            False,
            f"the API key lacks {exc.permission}: enable it in Upwork's API Center, then run `upwork-mcp doctor` again",
        )
    except UpworkError as exc:
        return Check(name, False, explain(exc, "person"))


def _registry() -> list[Any]:
    from .._bundled import tools_package  # lazy: the tool modules load only for the per-tool report

    return list(tools_package().all_specs())


async def tool_checks(client: UpworkClient, specs: list[Any]) -> list[Check]:
    """One line per tool: whether this key can run it, and by which of Upwork's operations."""
    roots = {root for spec in specs for need in spec.needs for root in need.split("|")}
    found = {root: await probe(client, root, client.account.user_id) for root in sorted(roots)}
    checks = []
    for spec in specs:
        if not spec.needs:
            continue
        problems, routes = [], []
        for need in spec.needs:
            options = [found[root] for root in need.split("|")]
            usable = next((o for o in options if o.state != "refused"), None)
            refused = [o for o in options if o.state == "refused"]
            if usable is None:
                problems.append(f"{need.replace('|', ' and ')} refused: {refused[0].detail}")
            elif refused and usable.root != options[0].root:
                routes.append(f"through {usable.root} ({', '.join(f'{o.root} refused: {o.detail}' for o in refused)})")
            elif usable.state == "unknown":
                routes.append(f"{usable.root} not verified ({usable.detail})")
        if problems:
            checks.append(
                Check(
                    f"tool {spec.name}",
                    False,
                    "; ".join(problems) + ". Enable it in Upwork's API Center, then run `upwork-mcp doctor` again",
                )
            )
        else:
            checks.append(Check(f"tool {spec.name}", True, "; ".join(routes) or "can run"))
    return checks


async def run_checks(client: UpworkClient, specs: list[Any] | None = None) -> list[Check]:
    s = client.settings
    checks = [
        Check(
            "settings",
            True,
            f"API {s.api_url}, OAuth {s.oauth_url}, feed {s.job_feed_url}"
            + (" [sandbox]" if s.sandbox else "")
            + (" [read-only]" if s.read_only else ""),
        )
    ]
    if s.access_token is not None:
        checks.append(Check("credentials", True, "UPWORK_ACCESS_TOKEN is set (used as is, never refreshed)"))
    elif s.sandbox:
        checks.append(Check("credentials", True, "sandbox credentials"))
    elif isinstance(client.tokens, TokenManager):
        checks += await _saved_login(client.tokens, s.client_id)

    account = await _probe("login and reachability", _account, client)
    checks.append(account)
    if account.ok:
        me = await client.account.me()
        ids = {c.organization_id for c in me.companies}
        if s.tenant_id:
            checks.append(
                Check(
                    "tenant",
                    s.tenant_id in ids,
                    f"UPWORK_TENANT_ID={s.tenant_id} "
                    + (
                        "is one of your organizations"
                        if s.tenant_id in ids
                        else f"is not one of yours ({', '.join(sorted(i for i in ids if i))}); fix or unset it"
                    ),
                )
            )
        else:
            checks.append(
                Check(
                    "tenant",
                    True,
                    f"{me.organization.name if me.organization else '?'} "
                    "(the default; `upwork-mcp auth use-org` changes it)",
                )
            )
        # A re-check starts afresh: refusals remembered from earlier calls (fields included) are asked again.
        await client.capabilities.clear()
        checks += await tool_checks(client, specs if specs is not None else _registry())
    if s.job_feed_api_key is None:
        checks.append(Check("job feed", None, "UPWORK_JOB_FEED_API_KEY not set; fetch_job_feed will say so"))
    else:
        checks.append(await _probe("job feed", _feed, client))
    return checks


async def _saved_login(tokens: TokenManager, client_id: str | None) -> list[Check]:
    try:
        stored = await tokens.stored()
    except UpworkError as exc:  # an unreadable token file: say so, and go on with the other checks
        return [Check("credentials", False, str(exc))]
    checks = []
    repaired = getattr(tokens.store, "repaired", None)
    if repaired:
        checks.append(Check("token file", None, repaired))
    if stored is None:
        if not client_id:
            return [
                *checks,
                Check(
                    "credentials",
                    False,
                    "UPWORK_CLIENT_ID is not set and there is no saved login: "
                    "set the key from Upwork's API Center, then run "
                    "`upwork-mcp auth login`",
                ),
            ]
        return [*checks, Check("credentials", False, "no saved login: run `upwork-mcp auth login`")]
    source = "UPWORK_CLIENT_ID" if client_id else "the saved login" if stored.client_id else None
    if source is None:
        return [
            *checks,
            Check(
                "credentials",
                False,
                "the saved login does not name its API key and "
                "UPWORK_CLIENT_ID is not set: the token cannot be refreshed; "
                "run `upwork-mcp auth login` again",
            ),
        ]
    return [
        *checks,
        Check(
            "credentials", True, f"a saved login is present; its API key comes from {source}, so it refreshes by itself"
        ),
    ]


async def _account(client: UpworkClient) -> str:
    try:
        me = await client.account.me(refresh=True)
    except NotAuthenticatedError as exc:
        raise UpworkError(str(exc)) from exc
    return f"logged in as {me.user.name if me.user else '?'}"


async def _feed(client: UpworkClient) -> str:
    await client.job_feed.health()
    await client.job_feed.jobs(FeedQuery(limit=1))
    return "healthy, key accepted"
