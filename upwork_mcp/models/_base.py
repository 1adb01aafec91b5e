from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class APIModel(BaseModel):
    """Fields are snake_case in Python and camelCase on the wire, as Upwork sends them."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)


class Money(APIModel):
    raw_value: str | None = None
    currency: str | None = None
    display_value: str | None = None

    @property
    def amount(self) -> float | None:
        """rawValue as a number; Upwork sends it as a string."""
        try:
            return float(self.raw_value) if self.raw_value not in (None, "") else None
        except ValueError:
            return None


class NamedEntity(APIModel):
    id: str | None = None
    name: str | None = None


def instant(raw: str | None) -> datetime | None:
    """Upwork's `DateTime.rawValue` as a moment: epoch milliseconds as a string (`"1787306400000"`, seen live
    on proposals), or ISO 8601 text (`2025-10-16T06:06:47+0000`, `...Z`). None when it is neither."""
    text = (raw or "").strip()
    if not text:
        return None
    if text.isascii() and text.lstrip("-").isdigit():
        number = int(text)
        # Milliseconds since 1970 are 13 digits for any date this API returns; seconds are 10.
        return datetime.fromtimestamp(number / 1000 if abs(number) >= 10**11 else number, UTC)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso_instant(raw: str | None) -> str | None:
    """`instant(raw)` as ISO 8601 UTC text (`2026-08-22T10:00:00Z`), or None."""
    moment = instant(raw)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None
