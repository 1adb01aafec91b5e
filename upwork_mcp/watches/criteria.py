"""The user's own ranking criteria: what they want, what they won't take, their rates.

Upwork's API terms (v2.3, §5.9) let an agent rank jobs only by criteria the user states, never by
criteria it chose itself. So nothing is ranked until the user has stated criteria: in their watch
settings file ([scoring]), with `upwork-mcp watch criteria`, or through the set_criteria tool after the
person approved them. The shipped rubric is a starting point the user may accept as it is or edit; every
result names whose criteria ranked it (`Profile.origin`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..errors import CriteriaNeeded
from .config import shipped_defaults
from .scoring import Profile


def starting_point() -> dict[str, Any]:
    """The shipped [scoring] settings: a starting point for the user to accept or edit, nobody's criteria."""
    return dict(shipped_defaults()["scoring"])


def profile_of(spec: dict[str, Any], origin: str) -> Profile:
    return Profile.from_toml(spec, shipped_defaults()["scoring"], origin=origin)


def stated(
    base: dict[str, Any],
    *,
    want: list[str] | None = None,
    avoid: list[str] | None = None,
    rate_floor: float | None = None,
    fixed_floor: float | None = None,
    exclude_countries: list[str] | None = None,
    require_verified_payment: bool | None = None,
    apply_at: float | None = None,
    review_at: float | None = None,
) -> dict[str, Any]:
    """`base` ([scoring] settings) with what the user said changed; what they did not mention stays."""
    spec = dict(base)
    for key, value in (
        ("skills", want),
        ("avoid", avoid),
        ("rate_floor", rate_floor),
        ("fixed_floor", fixed_floor),
        ("exclude_countries", exclude_countries),
        ("apply_at", apply_at),
        ("review_at", review_at),
    ):
        if value is not None:
            spec[key] = list(value) if isinstance(value, list | tuple) else value
    if require_verified_payment is not None:
        rules = set(spec.get("disqualify", starting_point()["disqualify"]))
        rules = rules | {"payment_unverified"} if require_verified_payment else rules - {"payment_unverified"}
        spec["disqualify"] = sorted(rules)
    profile_of(spec, "check")  # a bad value is an error now, naming it, not at the next check
    return spec


def origin(how: str, now: float) -> str:
    return f"{how} on {datetime.fromtimestamp(now, UTC):%Y-%m-%d}"


def describe(profile: Profile) -> str:
    """The criteria in one paragraph, as the user would check them."""
    skip = sorted(d.replace("_", " ") for d in profile.disqualify)
    parts = [
        f"want: {', '.join(profile.skills) or '(nothing stated)'}",
        f"won't take: {', '.join(profile.avoid) or '(nothing stated)'}",
        f"hourly floor: ${profile.rate_floor:,.0f}/hr" if profile.rate_floor else "hourly floor: none",
        f"fixed floor: ${profile.fixed_floor:,.0f}" if profile.fixed_floor else "fixed floor: none",
        f"SKIP when: {', '.join(skip) or 'never'}",
        f"APPLY at {profile.apply_at:g}+, REVIEW at {profile.review_at:g}+",
        "weights: " + ", ".join(f"{k} {v:g}" for k, v in profile.weights.items() if v),
    ]
    if profile.exclude_countries:
        parts.insert(5, f"excluded client countries: {', '.join(sorted(profile.exclude_countries))}")
    return "; ".join(parts)


def needed() -> CriteriaNeeded:
    """What to say when nothing can be ranked yet, with the starting point to accept or edit."""
    shipped = describe(profile_of(starting_point(), "the shipped starting point"))
    return CriteriaNeeded(
        "Jobs are ranked only by criteria the user states (Upwork's API terms forbid ranking by criteria the "
        f"tool chose), and none are stated yet. The shipped starting point, to accept or edit: {shipped}."
    )
