"""Account tool: who I am, my organizations, the tenant in use."""

from __future__ import annotations

from typing import Annotated

from mcp_types import CallToolResult

from ._app import Ctx, app
from ._common import OutModel, ToolSpec, respond
from ._text import untrusted


class OrganizationOut(OutModel):
    id: str | None = None
    name: str | None = None
    type: str | None = None


class AccountOut(OutModel):
    user_id: str | None = None
    name: str | None = None
    email: str | None = None
    organization: OrganizationOut | None = None
    organizations: list[OrganizationOut]
    active_tenant: str | None = None
    sandbox: bool


async def get_account(ctx: Ctx) -> Annotated[CallToolResult, AccountOut]:
    """Who the server is logged in as, and the organizations the user can act in (tenant ids)."""
    state = app(ctx)
    me = await state.client.account.me(refresh=True)
    orgs = [OrganizationOut(id=c.organization_id, name=c.title, type=c.organization_type) for c in me.companies]
    current = (
        OrganizationOut(id=me.organization.id, name=me.organization.name, type=me.organization.type)
        if me.organization
        else None
    )
    out = AccountOut(
        user_id=me.user.id if me.user else None,
        name=me.user.name if me.user else None,
        email=me.user.email if me.user else None,
        organization=current,
        organizations=orgs,
        active_tenant=state.client.settings.tenant_id or (current.id if current else None),
        sandbox=state.client.settings.sandbox,
    )
    names = (
        f"{out.name} ({out.email})\nin use: {current.name if current else '?'} ({out.active_tenant})\n"
        "organizations: " + "; ".join(f"{o.name} [{o.id}] {o.type}" for o in orgs)
    )
    text = (
        f"user {out.user_id}"
        + (" [sandbox]" if out.sandbox else "")
        + "\n"
        + untrusted(names, "names are entered by users")
    )
    return respond(out, text)


TOOLS = [ToolSpec(get_account, "Get my Upwork account", read_only=True, needs=("user",))]
