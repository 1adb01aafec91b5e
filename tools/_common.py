"""What every toolset shares: the runtime they depend on, the tool spec, compact responses, argument types."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field

from upwork_mcp.api.jobs import FIXED_USD_MAX, HOURLY_USD_MAX, SPEND_USD_MAX

from ._text import clean, clean_all

if TYPE_CHECKING:
    from upwork_mcp.models._base import Money
    from upwork_mcp.models.proposals import Milestone

ResponseFormat = Annotated[
    Literal["concise", "detailed"],
    Field(description="detailed: full texts."),
]
Cursor = Annotated[
    str | None,
    Field(
        description="A next_cursor.",
        max_length=64,
    ),
]
TenantId = Annotated[
    str | None,
    Field(
        description="From get_account.",
        max_length=40,
        pattern=r"^[A-Za-z0-9_~-]+$",
    ),
]
# Amounts a filter asks for (JSON's Infinity is refused before any tool runs; these bound the rest)
FixedUsd = Annotated[float | None, Field(description="Fixed budget, USD.", ge=0, le=FIXED_USD_MAX)]
HourlyUsd = Annotated[float | None, Field(description="Hourly rate, USD.", ge=0, le=HOURLY_USD_MAX)]
SpendUsd = Annotated[float | None, Field(description="Client spend, USD.", ge=0, le=SPEND_USD_MAX)]


def _without_null(schema: dict[str, Any], _cls: Any = None) -> None:
    """Publish optional fields as their plain type: structured content leaves None fields out
    (respond() dumps with exclude_none), so `null` never appears, and a schema without anyOf
    branches is cheaper for every client to validate each result against."""
    for prop in schema.get("properties", {}).values():
        variants = prop.get("anyOf")
        if not variants or {"type": "null"} not in variants:
            continue
        rest = [v for v in variants if v != {"type": "null"}]
        del prop["anyOf"]
        if len(rest) == 1:
            prop.update(rest[0])
        else:
            prop["anyOf"] = rest
        if "default" in prop and prop["default"] is None:
            del prop["default"]


class OutModel(BaseModel):
    """Model-facing output: small, None fields left out of the structured content."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_without_null)


@dataclass(frozen=True)
class ToolSpec:
    """One tool as the registry knows it. `read_only` has no default: every tool says whether it writes, and
    a write says whether it destroys and whether repeating it is harmless (MCP assumes the worst of both)."""

    fn: Callable[..., Any]
    title: str
    read_only: bool = field(kw_only=True)
    destructive: bool | None = field(default=None, kw_only=True)
    idempotent: bool | None = field(default=None, kw_only=True)
    # Writes only this server's own state (watches), never Upwork: kept when the server is read-only.
    local: bool = field(default=False, kw_only=True)
    # Upwork's root operations it runs ("a|b": any one of them will do); `doctor` probes them per key.
    needs: tuple[str, ...] = field(default=(), kw_only=True)

    def __post_init__(self) -> None:
        if not self.read_only and (self.destructive is None or self.idempotent is None):
            raise TypeError(f"{self.name} writes: say destructive= and idempotent= (MCP assumes both the worst way)")

    @property
    def name(self) -> str:
        return self.fn.__name__

    @property
    def served_read_only(self) -> bool:
        """Whether a read-only server serves it: reads, and writes to local state only."""
        return self.read_only or self.local

    @property
    def toolset(self) -> str:
        """The toolset is the module the tool is declared in: tools/jobs.py -> "jobs"."""
        return self.fn.__module__.rsplit(".", 1)[-1]

    def annotations(self) -> ToolAnnotations:
        # The title is published once, as the tool's own `title` (annotations.title predates it).
        return ToolAnnotations(
            read_only_hint=self.read_only,
            destructive_hint=bool(self.destructive) and not self.read_only,
            idempotent_hint=bool(self.idempotent) or self.read_only,
            open_world_hint=True,
        )


def respond(model: BaseModel, text: str) -> CallToolResult:
    """Compact text for the model, the model (every string cleaned) as structured content for the client."""
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=clean_all(model.model_dump(mode="json", exclude_none=True)),
    )


def money(amount: float | None, currency: str | None = "USD") -> str | None:
    if amount is None:
        return None
    sign = "$" if (currency or "USD") == "USD" else f"{currency} "
    return f"{sign}{amount:,.0f}" if amount >= 100 or amount == int(amount) else f"{sign}{amount:,.2f}"


def money_of(value: Money | None) -> str | None:
    """Upwork's Money (rawValue and currency) as money() writes it."""
    return money(value.amount, value.currency) if value is not None and value.amount is not None else None


class MilestoneOut(OutModel):
    id: str | None = None
    description: str | None = None
    state: str | None = None
    amount: str | None = None
    paid: str | None = None
    due: str | None = None


def milestone_out(m: Milestone) -> MilestoneOut:
    return MilestoneOut(
        id=m.id,
        description=clean(m.description),
        state=m.state,
        amount=money_of(m.deposit_amount),
        paid=money_of(m.paid),
        due=(m.due_date_time or "")[:10] or None,
    )


def milestone_line(m: MilestoneOut) -> str:
    return joined(
        f"milestone {m.id}: {m.description}",
        m.state,
        m.amount,
        f"paid {m.paid}" if m.paid else None,
        f"due {m.due}" if m.due else None,
    )


def compact_money(amount: float | None) -> str | None:
    if amount is None:
        return None
    if amount >= 1_000_000:
        return f"${amount / 1_000_000:.1f}M"
    if amount >= 1_000:
        return f"${amount / 1_000:.0f}k"
    return f"${amount:.0f}"


def ago(iso: str | None, now: datetime | None = None) -> str | None:
    """How long ago, never rounded down to a smaller unit that misleads: hours up to three days ("68h ago",
    not "2d ago"), then days to the nearest ("2d 20h" reads "3d ago")."""
    if not iso:
        return None
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)}m ago"
    if seconds < 72 * 3600:
        return f"{int(seconds // 3600)}h ago"
    return f"{int(seconds / 86400 + 0.5)}d ago"


def plural(count: int, noun: str) -> str:
    """`1 hire`, `3 hires`."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def joined(*parts: object, sep: str = " | ") -> str:
    """The parts that are not empty, joined."""
    return sep.join(str(p) for p in parts if p not in (None, "", []))
