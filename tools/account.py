"""Account tools: who I am, my organizations, the tenant in use; my own freelancer profile."""

from __future__ import annotations

from typing import Annotated

from mcp_types import CallToolResult

from upwork_mcp.facts import PROFILE_URL

from ._app import Ctx, app
from ._common import OutModel, ToolSpec, joined, respond
from ._text import clean, untrusted
from .freelancers import profile_figures


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


class MyProfileOut(OutModel):
    profile_key: str | None = None
    profile_url: str | None = None
    name: str | None = None
    title: str | None = None
    rate: str | None = None
    availability: str | None = None
    job_success_score: float | None = None
    top_rated: str | None = None
    rating: float | None = None
    total_hours: float | None = None
    total_earnings: str | None = None
    skills: list[str] = []
    overview: str | None = None


async def get_my_profile(ctx: Ctx) -> Annotated[CallToolResult, MyProfileOut]:
    """The user's own freelancer profile: title, overview, skills, rate, availability, job success, URL."""
    mine = await app(ctx).client.freelancers.mine()
    p = mine.profile
    if p is None:
        out = MyProfileOut(profile_key=mine.profile_key, name=clean(mine.name))
        return respond(out, "This account has no freelancer profile on Upwork (a client account?).")
    data = p.personal_data
    out = MyProfileOut(
        profile_key=mine.profile_key,
        profile_url=(data.profile_url if data else None)
        or (PROFILE_URL.format(key=mine.profile_key) if mine.profile_key else None),
        name=clean(mine.name),
        overview=clean(data.description) if data else None,
        **profile_figures(p),
    )
    facts = joined(
        f"{out.name}: {out.title}" if out.name else out.title,
        out.rate,
        out.availability,
        f"JSS {out.job_success_score:.0f}%" if out.job_success_score else None,
        out.top_rated,
        f"★{out.rating:.2f}" if out.rating else None,
        f"{out.total_hours:,.0f} h" if out.total_hours else None,
        f"{out.total_earnings} earned" if out.total_earnings else None,
    )
    head = joined(f"my profile [{out.profile_key}]", out.profile_url)
    body = f"{facts}\nskills: {', '.join(out.skills)}\n{out.overview or ''}"
    return respond(out, head + "\n" + untrusted(body, "the user's own profile text"))


TOOLS = [
    ToolSpec(get_account, "Get my Upwork account", read_only=True, needs=("user",)),
    ToolSpec(
        get_my_profile,
        "Get my Upwork profile",
        read_only=True,
        needs=("user.freelancerProfile|freelancerProfileByProfileKey",),
    ),
]
