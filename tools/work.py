"""Hours and earnings: the time report, one day's work diary, and the money that came in and went out."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from mcp_types import CallToolResult
from pydantic import Field

from upwork_mcp.api.hours import parse_day

from ._app import Ctx, app
from ._common import OutModel, ResponseFormat, TenantId, ToolSpec, joined, money, respond
from ._text import clean, listing

Day = Annotated[
    str | None,
    Field(description="A date, yyyy-MM-dd (or yyyyMMdd).", pattern=r"^\d{4}-?\d{2}-?\d{2}$"),
]
ContractId = Annotated[
    str,
    Field(description="Contract id from list_contracts.", min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_~-]+$"),
]


def _today() -> date:
    return datetime.now(UTC).date()


def _range(start: str | None, end: str | None, default_days: int | None = None) -> tuple[date, date]:
    """The dates asked for; by default this week (Monday to Sunday), or the last `default_days` days."""

    today = _today()
    if default_days is None:
        first_default, last_default = (
            today - timedelta(days=today.weekday()),
            today + timedelta(days=6 - today.weekday()),
        )
    else:
        first_default, last_default = today - timedelta(days=default_days - 1), today
    first = parse_day(start, "start") if start else (first_default if not end else None)
    last = parse_day(end, "end") if end else last_default
    if first is None:  # only an end: the week (or span) that ends there
        first = last - timedelta(days=6 if default_days is None else default_days - 1)
    return first, last


def _ymd(day: date) -> str:
    return day.isoformat()


class DayHours(OutModel):
    date: str = Field(description="yyyy-MM-dd")
    hours: float
    charges: float | None = None
    memo: str | None = None


class ContractHours(OutModel):
    contract_id: str | None = Field(default=None, description="pass to get_work_diary with a date")
    title: str | None = None
    hours: float
    charges: float
    days: list[DayHours]


class TimeReport(OutModel):
    start: str
    end: str
    total_hours: float
    total_charges: float
    contracts: list[ContractHours]


async def get_time_report(
    ctx: Ctx,
    start: Day = None,
    end: Day = None,
    contract_id: Annotated[str | None, Field(description="Only this contract.", max_length=40)] = None,
    response_format: ResponseFormat = "concise",
    tenant_id: TenantId = None,
) -> Annotated[CallToolResult, TimeReport]:
    """Hours and charges per contract and day over a date range (default: this week, Monday to Sunday)."""
    first, last = _range(start, end)
    rows = await app(ctx).client.hours.time_report(first, last, tenant_id=tenant_id)
    by_contract: dict[str, list[DayHours]] = defaultdict(list)
    titles: dict[str, str | None] = {}
    for row in rows:
        cid = row.contract.id if row.contract and row.contract.id else ""
        if contract_id and cid != contract_id:
            continue
        titles[cid] = clean(row.contract.title) if row.contract else None
        by_contract[cid].append(
            DayHours(
                date=row.day.isoformat() if row.day else row.date_worked_on,
                hours=round(row.total_hours_worked or 0.0, 2),
                charges=round(row.total_charges or 0.0, 2),
                memo=clean(row.memo) if response_format == "detailed" else None,
            )
        )
    contracts = [
        ContractHours(
            contract_id=cid or None,
            title=titles[cid],
            hours=round(sum(d.hours for d in days), 2),
            charges=round(sum(d.charges or 0.0 for d in days), 2),
            days=sorted(days, key=lambda d: d.date),
        )
        for cid, days in by_contract.items()
    ]
    contracts.sort(key=lambda c: c.hours, reverse=True)
    out = TimeReport(
        start=_ymd(first),
        end=_ymd(last),
        total_hours=round(sum(c.hours for c in contracts), 2),
        total_charges=round(sum(c.charges for c in contracts), 2),
        contracts=contracts,
    )
    head = (
        f"Time report {out.start} to {out.end}: {out.total_hours:.2f} h, {money(out.total_charges)} "
        f"over {len(contracts)} contracts"
    )
    if first <= _today() <= last:
        # Upwork's time report reaches today's hours some hours late; the work diary has them already.
        head += "\nToday's hours may not be in it yet (Upwork's report lags): get_work_diary shows today."
    lines = [
        f"[{c.contract_id}] {c.title}: {c.hours:.2f} h, {money(c.charges)} | "
        + ", ".join(f"{d.date} {d.hours:g} h" + (f" ({d.memo})" if d.memo else "") for d in c.days)
        for c in contracts
    ]
    return respond(out, listing(head, lines, "contract titles are written by clients"))


class DiaryCellOut(OutModel):
    time: str | None = None
    manual: bool | None = None
    activity: int | None = None
    memo: str | None = None


class MemoHours(OutModel):
    memo: str
    hours: float


class WorkDiaryOut(OutModel):
    contract_id: str
    date: str = Field(description="yyyy-MM-dd")
    hours: float = Field(description="10-minute cells / 6")
    tracked_hours: float
    manual_hours: float
    average_activity: float | None = Field(default=None, description="tracked cells' activity, 0-10")
    memos: list[MemoHours]
    cells: list[DiaryCellOut] | None = Field(default=None, description="detailed only")


async def get_work_diary(
    ctx: Ctx,
    contract_id: ContractId,
    date: Annotated[str, Field(description="The day, yyyy-MM-dd (or yyyyMMdd).", pattern=r"^\d{4}-?\d{2}-?\d{2}$")],
    response_format: ResponseFormat = "concise",
    tenant_id: TenantId = None,
) -> Annotated[CallToolResult, WorkDiaryOut]:
    """One contract's work diary for a day: hours (10-minute cells), tracked vs manual, activity, memos."""

    diary = await app(ctx).client.hours.work_diary(contract_id, parse_day(date, "date"), tenant_id=tenant_id)
    manual = [c for c in diary.cells if c.manual]
    tracked = [c for c in diary.cells if not c.manual]
    levels = [c.activity_level for c in tracked if c.activity_level is not None]
    memo_cells: dict[str, int] = defaultdict(int)
    for cell in diary.cells:
        memo_cells[clean(cell.memo) or "(no memo)"] += 1
    out = WorkDiaryOut(
        contract_id=contract_id,
        date=f"{diary.date[:4]}-{diary.date[4:6]}-{diary.date[6:8]}",  # the engine asks Upwork with yyyyMMdd
        hours=round(diary.hours, 2),
        tracked_hours=round(len(tracked) / 6, 2),
        manual_hours=round(len(manual) / 6, 2),
        average_activity=round(sum(levels) / len(levels), 1) if levels else None,
        memos=[MemoHours(memo=m, hours=round(n / 6, 2)) for m, n in memo_cells.items()],
        cells=[
            DiaryCellOut(
                time=c.cell_date_time.raw_value if c.cell_date_time else None,
                manual=c.manual,
                activity=c.activity_level,
                memo=clean(c.memo),
            )
            for c in diary.cells
        ]
        if response_format == "detailed"
        else None,
    )
    head = joined(
        f"Work diary, contract {contract_id}, {out.date}: {out.hours:.2f} h",
        f"{out.tracked_hours:.2f} h tracked, {out.manual_hours:.2f} h manual",
        f"activity {out.average_activity}/10" if out.average_activity is not None else None,
    )
    lines = ["memos: " + "; ".join(f"{m.memo} ({m.hours:g} h)" for m in out.memos)] if out.memos else []
    lines += [
        joined((c.time or "")[11:16], "manual" if c.manual else f"activity {c.activity}", c.memo)
        for c in out.cells or []
    ]
    return respond(out, listing(head, lines, "memos are written by whoever tracked the time"))


class TransactionOut(OutModel):
    id: str | None = None
    date: str | None = None
    type: str | None = None
    subtype: str | None = None
    amount: float | None = None
    currency: str | None = None
    description: str | None = None
    client: str | None = None


class Earnings(OutModel):
    start: str
    end: str
    received: float = Field(description="payments in")
    fees: float = Field(description="Upwork's fees (negative)")
    withdrawn: float = Field(description="withdrawals (negative)")
    net: float
    by_type: dict[str, float]
    transactions: list[TransactionOut] = Field(description="newest first")
    more: int | None = Field(default=None, description="transactions left out beyond limit")


async def get_earnings(
    ctx: Ctx,
    start: Day = None,
    end: Day = None,
    limit: Annotated[int, Field(description="Transactions to list, newest first.", ge=1, le=500)] = 30,
    tenant_id: TenantId = None,
) -> Annotated[CallToolResult, Earnings]:
    """Money in and out over a date range (default: the last 30 days): payments, fees, withdrawals, totals."""
    first, last = _range(start, end, default_days=30)
    rows = await app(ctx).client.hours.transactions(first, last, tenant_id=tenant_id)
    items = [
        TransactionOut(
            id=t.record_id,
            date=(t.transaction_creation_date or "")[:10] or None,  # Upwork: 2026-04-26T00:00:00+0000
            type=t.type,
            subtype=t.accounting_subtype,
            amount=t.transaction_amount.amount if t.transaction_amount else None,
            currency=t.transaction_amount.currency if t.transaction_amount else None,
            description=clean(t.description),
            client=clean(t.assignment_company_name),
        )
        for t in rows
    ]
    items.sort(key=lambda t: t.date or "", reverse=True)

    def total(kind: str) -> float:
        return round(sum(t.amount or 0.0 for t in items if (t.subtype or "") == kind), 2)

    by_type: dict[str, float] = defaultdict(float)
    for t in items:
        by_type[t.type or "Other"] = round(by_type[t.type or "Other"] + (t.amount or 0.0), 2)
    out = Earnings(
        start=_ymd(first),
        end=_ymd(last),
        received=total("Payment"),
        fees=total("Fee"),
        withdrawn=total("Withdrawal"),
        net=round(sum(t.amount or 0.0 for t in items), 2),
        by_type=dict(by_type),
        transactions=items[:limit],
        more=len(items) - limit if len(items) > limit else None,
    )
    head = (
        f"Earnings {out.start} to {out.end}: received {money(out.received)}, fees {money(-out.fees)}, "
        f"withdrawn {money(-out.withdrawn)} ({len(items)} transactions"
        + (f"; newest {limit} listed" if out.more else "")
        + ")"
    )
    lines = [
        joined(t.date, t.type, money(t.amount, t.currency) if t.amount is not None else None, t.description)
        for t in out.transactions
    ]
    return respond(out, listing(head, lines, "descriptions carry contract titles written by clients"))


TOOLS = [
    ToolSpec(get_time_report, "Get my Upwork time report", read_only=True, needs=("user.contractTimeReport",)),
    ToolSpec(get_work_diary, "Get an Upwork work diary", read_only=True, needs=("workDiaryContract",)),
    ToolSpec(get_earnings, "Get my Upwork earnings", read_only=True, needs=("accountingEntity", "transactionHistory")),
]
