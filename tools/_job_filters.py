"""The job-filter arguments every job tool takes (search_jobs, fetch_job_feed, create_watch): one name, type,
unit and description per concept, read into the engine's one model (`upwork_mcp.api.job_query.JobFilters`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field, ValidationError

from upwork_mcp.api.job_query import MAX_DAYS, JobFilters
from upwork_mcp.api.jobs import FIXED_USD_MAX, HOURLY_USD_MAX, SPEND_USD_MAX

Q = Annotated[str | None, Field(description='Keywords: "exact phrase", OR, -exclude.', max_length=500)]
Skills = Annotated[
    Annotated[list[Annotated[str, Field(min_length=1, max_length=100)]], Field(max_length=20)]
    | Annotated[str, Field(max_length=500)]
    | None,
    Field(description="Any of; list or comma-separated."),
]
Category = Annotated[str | None, Field(description="Category name (list_categories).", max_length=100)]
ExperienceLevel = Annotated[Literal["entry", "intermediate", "expert"] | None, Field(description="Level.")]
JobType = Annotated[Literal["hourly", "fixed"] | None, Field(description="Contract type.")]
HourlyMin = Annotated[
    float | None,
    Field(description="USD/hr; whole range at or above.", ge=0, le=HOURLY_USD_MAX),
]
HourlyMax = Annotated[
    float | None,
    Field(description="USD/hr; whole range at or below.", ge=0, le=HOURLY_USD_MAX),
]
BudgetMin = Annotated[float | None, Field(description="Fixed price at least, USD.", ge=0, le=FIXED_USD_MAX)]
BudgetMax = Annotated[float | None, Field(description="Fixed price at most, USD.", ge=0, le=FIXED_USD_MAX)]
ClientSpendMin = Annotated[float | None, Field(description="Client spend at least, USD.", ge=0, le=SPEND_USD_MAX)]
ClientHiresMin = Annotated[int | None, Field(description="Client hires at least.", ge=0, le=1_000_000)]
PaymentVerified = Annotated[bool, Field(description="Verified payment only.")]
Country = Annotated[str | None, Field(description="ISO-2 code or English name.", max_length=60)]
PostedWithinDays = Annotated[int | None, Field(description="Posted within N days.", ge=1, le=MAX_DAYS)]


def job_filters(tool: str, arguments: Mapping[str, object]) -> JobFilters:
    """The shared model from a tool's arguments (its `locals()`: the job filters among them are taken, by
    name); a value it cannot read is a ToolError saying what to change."""
    given = {k: v for k, v in arguments.items() if k in JobFilters.model_fields and v is not None}
    try:
        return JobFilters.model_validate(given)
    except ValidationError as exc:
        parts = []
        for e in exc.errors():
            where, msg = ".".join(str(p) for p in e["loc"]), e["msg"].removeprefix("Value error, ")
            parts.append(msg if not where or msg.startswith(where) else f"{where}: {msg}")
        said = "; ".join(parts)
        raise ToolError(f"{tool}: {said}" + ("" if said.endswith((".", "?")) else ".")) from None
