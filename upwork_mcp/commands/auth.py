"""The `upwork-mcp auth` commands: login, status, logout, orgs, use-org. Each returns the lines to print."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from ..api import UpworkClient
from ..auth.login import login
from ..auth.manager import TokenManager
from ..auth.oauth import revoke
from ..config import Settings
from ..errors import ConfigError, NotAuthenticatedError, UpworkError


def _manager(client: UpworkClient) -> TokenManager:
    if not isinstance(client.tokens, TokenManager):
        raise ConfigError("UPWORK_ACCESS_TOKEN is set, so the token store is not used: unset it to log in or out.")
    return client.tokens


def _when(stamp: float | None) -> str:
    if stamp is None:
        return "unknown"
    left = stamp - time.time()
    at = datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{at} (in {left / 3600:.1f} h)" if left > 0 else f"{at} (expired; it refreshes on the next call)"


async def cmd_login(
    client: UpworkClient,
    *,
    show_url: Callable[[str], None],
    open_browser: Callable[[str], object] | None,
    paste: Callable[[], Awaitable[str]] | None,
    timeout: float,
) -> list[str]:
    manager = _manager(client)
    tokens = await login(
        client.settings, client.loop, show_url=show_url, open_browser=open_browser, paste=paste, timeout=timeout
    )
    previous = await manager.stored()
    if previous is not None and previous.tenant_id:
        tokens = tokens.model_copy(update={"tenant_id": previous.tenant_id})
    await manager.save(tokens)
    # A login is when a key's new permissions take effect: what it was refused before must be asked again.
    forgotten = await client.capabilities.clear()
    me = await client.account.me(refresh=True)
    who = me.user.name if me.user else "unknown user"
    org = me.organization.name if me.organization else "?"
    lines = [
        f"Logged in as {who} (organization in use: {org}).",
        f"Tokens saved to {_where(client.settings)}; the access token refreshes by itself.",
    ]
    if forgotten:
        lines.append(
            f"Forgot {forgotten} refusal{'s' if forgotten != 1 else ''} remembered for this key; "
            "`upwork-mcp doctor` shows what it may read now."
        )
    return lines


def _where(settings: Settings) -> str:
    return "the OS keychain" if settings.token_store == "keyring" else str(settings.resolved_token_file())


async def cmd_status(client: UpworkClient) -> list[str]:
    if not isinstance(client.tokens, TokenManager):
        lines = ["Using UPWORK_ACCESS_TOKEN (not stored, not refreshed)."]
    else:
        if client.settings.sandbox:
            await client.tokens.current()  # the sandbox logs itself in
        tokens = await client.tokens.stored()
        if tokens is None:
            return ["Not logged in. Run `upwork-mcp auth login`."]
        lines = [
            f"Token store: {_where(client.settings)}",
            f"Access token expires: {_when(tokens.expires_at)}",
            f"Refresh token: {'present' if tokens.refresh_token else 'missing'}",
        ]
    try:
        me = await client.account.me(refresh=True)
    except UpworkError as exc:
        return [*lines, f"Upwork did not accept the login: {exc}"]
    tenant = (
        client.settings.tenant_id or (await _stored_tenant(client)) or (me.organization.id if me.organization else None)
    )
    lines.insert(0, f"Logged in as {me.user.name if me.user else '?'} ({me.user.email if me.user else '?'}).")
    lines.append(f"Organization in use: {me.organization.name if me.organization else '?'} [{tenant}]")
    return lines


async def _stored_tenant(client: UpworkClient) -> str | None:
    if not isinstance(client.tokens, TokenManager):
        return None
    tokens = await client.tokens.stored()
    return tokens.tenant_id if tokens else None


async def cmd_logout(client: UpworkClient) -> list[str]:
    manager = _manager(client)
    try:
        tokens = await manager.stored()
    except ConfigError:
        await manager.forget()
        return [
            f"The saved login in {_where(client.settings)} was unreadable; it is removed. Log in again with "
            "`upwork-mcp auth login`."
        ]
    if tokens is None:
        return ["Not logged in; nothing to do."]
    note = "Revoked at Upwork"
    try:
        await revoke(client.loop, client.settings, tokens)
    except UpworkError as exc:
        note = f"Upwork did not confirm the revocation ({exc}); the local copy is removed anyway"
    await manager.forget()
    return [f"{note}; the local copy in {_where(client.settings)} is deleted."]


async def cmd_orgs(client: UpworkClient) -> list[str]:
    me = await client.account.me(refresh=True)
    chosen = (
        client.settings.tenant_id or await _stored_tenant(client) or (me.organization.id if me.organization else None)
    )
    lines = []
    for c in me.companies:
        mark = "*" if c.organization_id == chosen else " "
        lines.append(f"{mark} {c.organization_id}  {c.title}  ({c.type_title or c.organization_type})")
    return [*lines, "(* in use; change with `upwork-mcp auth use-org ID`)"]


async def cmd_use_org(client: UpworkClient, org_id: str) -> list[str]:
    manager = _manager(client)
    me = await client.account.me(refresh=True)
    known = {c.organization_id: c.title or c.organization_id for c in me.companies if c.organization_id}
    if org_id not in known:
        raise ConfigError(
            f"{org_id} is not one of your organizations: {', '.join(known)}. `upwork-mcp auth orgs` lists them."
        )
    tokens = await manager.stored()
    if tokens is None:
        raise NotAuthenticatedError()
    await manager.save(tokens.model_copy(update={"tenant_id": org_id}))
    note = " (UPWORK_TENANT_ID is set and still wins)" if client.settings.tenant_id else ""
    return [f"Organization in use: {known[org_id]} [{org_id}]{note}."]
