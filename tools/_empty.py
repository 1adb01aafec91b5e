"""Why a search found nothing, said in the tool's own argument names: which filters emptied it and which to
relax. Upwork counts only what it was asked, so a filter it applies is judged by asking again without it
(the engine's `relax`); a filter applied here is judged by what it kept of what Upwork returned."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass
class EmptyReason:
    culprits: list[str]
    suggestion: str
    without: dict[str, int] | None = None


def _count(n: int, what: str) -> str:
    return f"{n} {what.removesuffix('s') if n == 1 else what}"


def by_upstream(shown: Mapping[str, str], totals: Mapping[str, int | None], what: str = "jobs") -> EmptyReason:
    """Upwork had nothing for all of `shown` (argument -> value as given); `totals`: argument -> how many
    match with it left out (asked again without it)."""
    known = {name: n for name, n in totals.items() if n is not None}
    if not shown:
        return EmptyReason(culprits=[], suggestion=f"Upwork listed no {what} at all; try again later.")
    if len(shown) == 1:
        ((name, value),) = shown.items()
        return EmptyReason(culprits=[name], suggestion=f"Upwork has no {what} for {name}={value}: change or drop it.")
    freeing = sorted((n for n, count in known.items() if count), key=lambda n: -known[n])
    if freeing:
        best = freeing[0]
        suggestion = (
            f"Relax {' or '.join(freeing[:3])}: without {best} alone, {_count(known[best], what)} match."
            if len(freeing) > 1
            else f"Relax {best}: without it, {_count(known[best], what)} match."
        )
        return EmptyReason(culprits=freeing, without=dict(known), suggestion=suggestion)
    untried = [n for n in shown if n not in totals]
    return EmptyReason(
        culprits=list(shown),
        without=dict(known) or None,
        suggestion="No single filter empties it"
        + (f" (of {', '.join(totals)}; {', '.join(untried)} not tried)" if untried else "")
        + ": leaving out any one still finds nothing. Relax two or more, or change the keywords.",
    )


def by_local(kept: Sequence[tuple[str, int]], scanned: int, what: str = "jobs", source: str = "Upwork") -> EmptyReason:
    """Filters applied here to the `scanned` items `source` returned: (argument, how many it kept on its own)."""
    zero = [name for name, n in kept if n == 0]
    if zero:
        return EmptyReason(
            culprits=zero,
            suggestion=f"{' and '.join(zero)} kept none of the {scanned} {what} {source} returned: relax "
            + ("it." if len(zero) == 1 else "them."),
        )
    return EmptyReason(
        culprits=[name for name, _ in kept],
        suggestion=f"Each of {', '.join(f'{name} (kept {n})' for name, n in kept)} keeps some of the {scanned} "
        f"{what} {source} returned, but none passes all: relax one of them.",
    )


def said(reason: EmptyReason) -> str:
    """The reason in one sentence or two: what each filter left out would find, and what to relax."""
    counts = "; ".join(f"without {name}: {n}" for name, n in (reason.without or {}).items())
    return (f"{counts}. " if counts else "") + reason.suggestion


HEAD = "\nWhy nothing matched: "
