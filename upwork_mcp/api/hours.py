"""Hours and money: the time report, the work diary, and transactions (earnings).

Upwork's date forms differ by operation (facts page, value formats): the work diary takes `yyyyMMdd`
only; transactions take `yyyy-MM-dd` only; the time report takes either and answers `dateWorkedOn` as
`yyyy-MM-dd`. The time report's range matches the week worked (Monday weeks), so it is asked from the
Monday of the first day's week and its rows are kept by the day worked. The time report pages;
transactions do not, so a long range is asked for one calendar month per request, concurrently.
Transactions need the user's accounting entity, asked for once per process.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from ..errors import InvalidInputError, NotFoundError
from ..models.hours import DiaryCell, TimeReportRow, Transaction, WorkDiary
from ._concurrent import gather
from ._graphql import GraphQLExecutor
from ._paging import connection_page

TIME_REPORT_PAGE = 100
MAX_TIME_REPORT_ROWS = 5_000  # a year of daily rows over a dozen contracts; beyond, narrow the range
MAX_RANGE_DAYS = 366


def upwork_day(day: date) -> str:
    """`yyyyMMdd`: the work diary's only form."""
    return day.strftime("%Y%m%d")


def iso_day(day: date) -> str:
    """`yyyy-MM-dd`: what transactions take (Upwork refuses `yyyyMMdd` there) and the time report accepts."""
    return day.isoformat()


def parse_day(text: str, name: str) -> date:
    """A date as `yyyyMMdd` (Upwork's form) or `yyyy-MM-dd`."""
    for fmt in ("%Y%m%d", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise InvalidInputError(f"{name} {text[:20]!r} is not a date: give it as yyyyMMdd (20261116) or 2026-11-16.")


def check_range(start: date, end: date) -> None:
    if end < start:
        raise InvalidInputError(f"end ({end}) is before start ({start}); swap them.")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise InvalidInputError(f"Ask for at most {MAX_RANGE_DAYS} days at a time, not {(end - start).days + 1}.")


def months(start: date, end: date) -> list[tuple[date, date]]:
    """The range cut at calendar-month boundaries."""
    out = []
    cursor = start
    while cursor <= end:
        next_month = (cursor.replace(day=1) + timedelta(days=32)).replace(day=1)
        out.append((cursor, min(end, next_month - timedelta(days=1))))
        cursor = next_month
    return out


class HoursAPI:
    def __init__(self, gql: GraphQLExecutor) -> None:
        self._gql = gql
        self._entity: str | None = None

    async def time_report(self, start: date, end: date, *, tenant_id: str | None = None) -> list[TimeReportRow]:
        """Every row (one per contract and day worked) in the range, all pages."""
        check_range(start, end)
        monday = start - timedelta(days=start.weekday())  # the range matches weekWorkedOn
        rows: list[TimeReportRow] = []
        after: str | None = None
        while True:
            pagination: dict[str, Any] = {"first": TIME_REPORT_PAGE}
            if after:
                pagination["after"] = after
            variables = {
                "range": {"rangeStart": iso_day(monday), "rangeEnd": iso_day(end)},
                "pagination": pagination,
            }
            result = await self._gql.run("TimeReport", variables, tenant_id=tenant_id)
            page = connection_page((result.data.get("user") or {}).get("contractTimeReport"), TimeReportRow)
            rows += [r for r in page.items if r.day is not None and start <= r.day <= end]
            if page.next_cursor is None or page.next_cursor == after or len(rows) >= MAX_TIME_REPORT_ROWS:
                return rows
            after = page.next_cursor

    async def work_diary(self, contract_id: str, day: date, *, tenant_id: str | None = None) -> WorkDiary:
        variables = {"input": {"contractId": contract_id, "date": upwork_day(day)}}
        result = await self._gql.run("WorkDiary", variables, tenant_id=tenant_id)
        node = result.data.get("workDiaryContract")
        if node is None:
            raise NotFoundError(f"No work diary for contract {contract_id}.").about("workDiaryContract")
        cells = [DiaryCell.model_validate(c) for c in node.get("workDiaryTimeCells") or [] if c]
        return WorkDiary(contract_id=contract_id, date=upwork_day(day), cells=cells)

    async def accounting_entity(self, *, tenant_id: str | None = None) -> str:
        if self._entity is None:
            result = await self._gql.run("AccountingEntity", tenant_id=tenant_id)
            node = result.data.get("accountingEntity") or {}
            if not node.get("id"):
                raise NotFoundError("Upwork did not say which accounting entity is yours; earnings can't be read.")
            self._entity = str(node["id"])
        return self._entity

    async def transactions(self, start: date, end: date, *, tenant_id: str | None = None) -> list[Transaction]:
        """Every transaction in the range, oldest first: one request per calendar month, concurrently."""
        check_range(start, end)
        entity = await self.accounting_entity(tenant_id=tenant_id)

        async def month(first: date, last: date) -> list[Transaction]:
            flt = {
                "aceIds_any": [entity],
                "transactionDateTime_bt": {"rangeStart": iso_day(first), "rangeEnd": iso_day(last)},
            }
            result = await self._gql.run("Transactions", {"filter": flt}, tenant_id=tenant_id)
            detail = (result.data.get("transactionHistory") or {}).get("transactionDetail") or {}
            return [Transaction.model_validate(r) for r in detail.get("transactionHistoryRow") or [] if r]

        found = await gather([partial(month, first, last) for first, last in months(start, end)])
        return [t for rows in found for t in rows]
