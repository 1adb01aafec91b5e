"""Contract tools: list my contracts, read one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from mcp_types import CallToolResult
from pydantic import Field

from upwork_mcp.api._paging import offset_of

from ._common import Ctx, Cursor, OutModel, TenantId, ToolSpec, app, joined, respond
from ._text import clean, listing, untrusted

if TYPE_CHECKING:
    from upwork_mcp.models.contracts import Contract


class ContractSummary(OutModel):
    id: str = Field(description="contract id: pass to get_contract or list_messages")
    title: str | None = None
    status: str | None = None
    client: str | None = None
    delivery_model: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    job_id: str | None = None


class ContractList(OutModel):
    contracts: list[ContractSummary]
    next_cursor: str | None = None
    source: Literal["vendorContracts", "talentWorkHistory", "contractList"] = Field(
        description="which of Upwork's listings answered: this key's permissions decide"
    )


def _summary(c: Contract) -> ContractSummary:
    return ContractSummary(
        id=c.id,
        title=clean(c.title),
        status=(c.status or "").lower() or None,
        client=c.client_organization.name if c.client_organization else None,
        delivery_model=c.delivery_model,
        start_date=(c.start_date or "")[:10] or None,
        end_date=(c.end_date or "")[:10] or None,
        job_id=c.job.id if c.job else None,
    )


async def list_contracts(
    ctx: Ctx,
    status: Annotated[
        Literal["active", "paused", "closed"] | None, Field(description="Only contracts in this state; omit for all.")
    ] = None,
    limit: Annotated[int, Field(description="Contracts per page.", ge=1, le=50)] = 20,
    cursor: Cursor = None,
    tenant_id: TenantId = None,
) -> Annotated[CallToolResult, ContractList]:
    """List the user's Upwork contracts (as freelancer), newest first, with their ids for get_contract and
    list_messages."""
    page = await app(ctx).client.contracts.list(
        statuses=(status,) if status else (), offset=offset_of(cursor), limit=limit, tenant_id=tenant_id
    )
    out = ContractList(
        contracts=[_summary(c) for c in page.contracts],
        next_cursor=str(page.next_offset) if page.next_offset is not None else None,
        source=page.source,
    )
    lines = [
        " | ".join(
            p
            for p in (
                f"[{c.id}] {c.title}",
                c.status,
                c.client,
                c.delivery_model,
                f"{c.start_date} → {c.end_date or 'ongoing'}",
            )
            if p
        )
        for c in out.contracts
    ]
    head = f"{len(out.contracts)} contracts" + (f" (next_cursor: {out.next_cursor})" if out.next_cursor else "")
    text = listing(head, lines, "contract titles are written by clients")
    return respond(out, text)


class ContractDetail(OutModel):
    id: str
    title: str | None = None
    status: str | None = None
    delivery_model: str | None = None
    kind: str | None = None
    created: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    offer_id: str | None = None
    client: str | None = None
    hiring_manager: str | None = None
    freelancer: str | None = None


async def get_contract(
    ctx: Ctx,
    contract_id: Annotated[
        str,
        Field(
            description="Contract id from list_contracts.", min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_~-]+$"
        ),
    ],
    tenant_id: TenantId = None,
) -> Annotated[CallToolResult, ContractDetail]:
    """Read one contract: status, dates, delivery model, client, hiring manager. Ids come from list_contracts."""
    c = await app(ctx).client.contracts.get(contract_id, tenant_id=tenant_id)
    out = ContractDetail(
        id=c.id,
        title=clean(c.title),
        status=(c.status or "").lower() or None,
        delivery_model=c.delivery_model,
        kind=c.kind,
        created=c.create_date,
        start_date=c.start_date,
        end_date=c.end_date,
        offer_id=c.offer_id,
        client=c.client_organization.name if c.client_organization else None,
        hiring_manager=c.hiring_manager.name if c.hiring_manager else None,
        freelancer=c.freelancer.name if c.freelancer else None,
    )
    facts = joined(
        out.title,
        out.status,
        out.delivery_model,
        f"client {out.client}" if out.client else None,
        f"manager {out.hiring_manager}" if out.hiring_manager else None,
        f"{(out.start_date or '')[:10]} → {(out.end_date or '')[:10] or 'ongoing'}",
    )
    text = f"contract [{out.id}]\n" + untrusted(facts, "contract titles and names are written by clients")
    return respond(out, text)


TOOLS = [
    ToolSpec(
        list_contracts,
        "List my Upwork contracts",
        read_only=True,
        needs=("vendorContracts|talentWorkHistory|contractList",),
    ),
    ToolSpec(get_contract, "Get an Upwork contract", read_only=True, needs=("contractDetails|talentWorkHistory",)),
]
