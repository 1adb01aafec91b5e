"""Every call through the MCP surface: argument checks, and the one place an error becomes what the model reads.

`surfaced()` wraps tools and resources alike: an `UpworkError` becomes a `ToolError` (or a
`ResourceError`) whose text says what happened and, where the surface knows better than the engine,
what to do next (`advice()`); notes the engine left (`upwork_mcp.notes`) are appended to a tool's text.
`ServedTool` checks a call's arguments strictly before the SDK sees them.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Awaitable, Callable
from typing import Any

from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.server.mcpserver.tools import Tool
from mcp_types import CallToolResult, TextContent
from pydantic import ValidationError

from ..advice import explain
from ..errors import BadRequestError, GraphQLError, UpworkError
from ..notes import collecting

MAX_INT = 2**31 - 1  # Upwork's integers are 32-bit
NUL_REFUSED = "contains a NUL character (\\x00), which no Upwork value takes; remove it."

# Upwork's complaints about a value the model gave, said in our words about the argument that carried it.
ARGUMENT_ERRORS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        "cursor",
        ("cursor", "pagination", "after must", "offset"),
        "cursor {value!r} is not one this tool returned: pass next_cursor unchanged, or omit it for the first page.",
    ),
    (
        "q",
        ("searchexpression", "search expression", "could not be parsed", "lucene"),
        'q {value!r} could not be read as a search: use words, "quoted phrases", OR between words, and -word '
        "to exclude one.",
    ),
)


def _about_argument(exc: UpworkError, arguments: dict[str, Any]) -> str | None:
    if not isinstance(exc, GraphQLError | BadRequestError):
        return None
    said = str(exc).lower()
    for name, markers, message in ARGUMENT_ERRORS:
        value = arguments.get(name)
        if value not in (None, "") and any(marker in said for marker in markers):
            return message.format(value=str(value)[:60])
    return None


def advice(exc: UpworkError, arguments: dict[str, Any]) -> str:
    """What the model reads for `exc`: ours about the argument that caused it, or the engine's statement
    followed by the surface's advice for its class and operation (`upwork_mcp.advice`)."""
    return _about_argument(exc, arguments) or explain(exc, "model")


def plain(exc: ValidationError) -> str:
    """A pydantic error as one plain line: which argument, what is wrong (no dump, no URL)."""
    parts = []
    for err in exc.errors(include_url=False)[:3]:
        where = ".".join(str(p) for p in err["loc"]) or "value"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def nul_in(value: Any) -> str | None:
    """Where a NUL character hides in an argument (a string, a key, a list item), or None. No Upwork field takes
    one, and PostgreSQL refuses text holding one: such a value is refused before it reaches anything."""
    return _where(value, lambda v: isinstance(v, str) and "\x00" in v)


def non_finite_in(value: Any) -> str | None:
    """Where an infinite or NaN number is in an argument, or None. JSON has none, but `Infinity`, `NaN` and
    `1e400` parse to them here; no amount, count or rate Upwork takes is one."""
    return _where(value, lambda v: isinstance(v, float) and not math.isfinite(v))


def _where(value: Any, bad: Callable[[Any], bool], where: str = "") -> str | None:
    if bad(value):
        return where or "a value"
    if isinstance(value, dict):
        for key, item in value.items():
            named = f"{where}.{key!s}" if where else str(key)
            found = "an argument name" if bad(key) else _where(item, bad, named)
            if found is not None:
                return found
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _where(item, bad, f"{where}[{index}]")
            if found is not None:
                return found
    return None


def surfaced(fn: Callable[..., Awaitable[Any]], *, resource: bool = False) -> Callable[..., Awaitable[Any]]:
    """`fn` as the surface serves it: its failures in words the model can act on, its notes after its text."""
    failure: type[Exception] = ResourceError if resource else ToolError

    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        hidden = nul_in({k: v for k, v in kwargs.items() if k != "ctx"})
        if hidden is not None:
            raise failure(f"{hidden}: {NUL_REFUSED}")
        try:
            with collecting() as notes:
                result = await fn(*args, **kwargs)
        except UpworkError as exc:
            raise failure(advice(exc, kwargs)) from exc
        except ValidationError as exc:
            raise failure(f"Invalid arguments: {plain(exc)}") from exc
        if notes and isinstance(result, CallToolResult) and result.content:
            first = result.content[0]
            if isinstance(first, TextContent):
                first.text += "".join(f"\nNote: {n}" for n in notes)
        return result

    # Resolved annotations: the SDK reads them from the wrapper, whose globals are not the tool module's.
    wrapper.__signature__ = inspect.signature(fn, eval_str=True)  # type: ignore[attr-defined]
    return wrapper


class ServedTool(Tool):
    """A tool whose arguments are checked strictly before the SDK sees them: an unknown or misspelt
    argument is refused with the valid names, `true` is not a number, and every problem is one line."""

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        properties = self.parameters.get("properties", {})
        hidden = nul_in(arguments)
        if hidden is not None:
            raise ToolError(f"{self.name}: {hidden}: {NUL_REFUSED}")
        endless = non_finite_in(arguments)
        if endless is not None:
            raise ToolError(f"{self.name}: {endless}: a number must be finite (not Infinity or NaN); send a number.")
        unknown = [key for key in arguments if key not in properties]
        if unknown:
            raise ToolError(
                f"{self.name} has no argument {', '.join(repr(k) for k in unknown)}; its arguments are "
                f"{', '.join(properties)}."
            )
        # An id sent as a number (contract_id: 30044500) is taken as the string it stands for.
        arguments = {
            k: str(v) if _is_int(v) and _takes_text(properties.get(k, {})) else v for k, v in arguments.items()
        }
        for key, value in arguments.items():
            if _is_int(value) and abs(value) > MAX_INT:
                raise ToolError(f"{self.name}: {key}: {value} is too large (at most {MAX_INT}).")
        try:
            # Strictly (no `true` for a number): a per-call mode, so no second model is built per tool.
            self.fn_metadata.arg_model.model_validate(self.fn_metadata.pre_parse_json(arguments), strict=True)
        except ValidationError as exc:
            raise ToolError(f"{self.name}: {plain(exc)}.") from exc
        return await super().run(arguments, context, convert_result=convert_result)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _takes_text(schema: dict[str, Any]) -> bool:
    types = {schema.get("type")} | {option.get("type") for option in schema.get("anyOf", [])}
    return "string" in types and not types & {"integer", "number"}
