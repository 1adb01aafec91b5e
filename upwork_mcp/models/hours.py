"""Hours and money: the time report, the work diary, transactions.

The time report answers `dateWorkedOn` as `yyyy-MM-dd` (live); `yyyyMMdd` is read too, in case.
"""

from __future__ import annotations

from datetime import date, datetime

from ._base import APIModel, Money


class TimeReportContract(APIModel):
    id: str | None = None
    title: str | None = None


class TimeReportRow(APIModel):
    date_worked_on: str
    week_worked_on: str | None = None
    total_hours_worked: float | None = None
    total_charges: float | None = None
    memo: str | None = None
    contract: TimeReportContract | None = None

    @property
    def day(self) -> date | None:
        """The day worked, whichever of Upwork's two forms it came in."""
        for fmt in ("%Y-%m-%d", "%Y%m%d"):
            try:
                return datetime.strptime(self.date_worked_on[:10], fmt).date()
            except ValueError:
                continue
        return None


class RawDateTime(APIModel):
    raw_value: str | None = None


class DiaryTask(APIModel):
    description: str | None = None


class DiaryCell(APIModel):
    """Ten minutes of work: six cells make an hour."""

    cell_date_time: RawDateTime | None = None
    manual: bool | None = None
    overtime: bool | None = None
    activity_level: int | None = None
    memo: str | None = None
    task: DiaryTask | None = None


class WorkDiary(APIModel):
    contract_id: str
    date: str
    cells: list[DiaryCell]

    @property
    def hours(self) -> float:
        return len(self.cells) / 6


class Transaction(APIModel):
    record_id: str | None = None
    transaction_creation_date: str | None = None
    type: str | None = None
    accounting_subtype: str | None = None
    description: str | None = None
    transaction_amount: Money | None = None
    payment_status: str | None = None
    assignment_company_name: str | None = None
