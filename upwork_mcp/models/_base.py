from __future__ import annotations

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
