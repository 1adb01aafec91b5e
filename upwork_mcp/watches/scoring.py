"""An explainable score for a job: a deterministic rubric over what the job and its client show.

The rubric's weights, floors and thresholds come from the user's TOML profile (`default.toml` has
them all, with comments). Each signal scores 0 to 1; the score is their weighted mean over the
signals the job shows, times 100: a signal it does not show is unknown, not zero. Hard
disqualifiers make a job SKIP whatever its score. Instructions planted in a post ("start your
proposal with ...") are reported, never obeyed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from .listing import Listing

Verdict = Literal["APPLY", "REVIEW", "SKIP"]
DISQUALIFIERS = frozenset(
    {"payment_unverified", "already_hired", "off_platform", "below_rate_floor", "excluded_country"}
)
_PLANTED = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(start|begin|open)\s+(your|the)\s+(proposal|cover letter|application|reply|message|bid)\s+with\b",
        r"\b(include|mention|use|write|say)\s+(the\s+)?(word|phrase|code\s*word|keyword|emoji)\b",
        r"\bignore\s+(all\s+|any\s+)?(the\s+)?(previous|prior|above|earlier)\s+instructions\b",
        r"\bif\s+you\s+are\s+(an?\s+)?(ai|a\.i\.|bot|language model|llm|chatgpt|gpt)\b",
        r"\bto\s+(show|prove)\s+(that\s+)?you\s+(have\s+)?read\b",
        r"\b(first|top)\s+line\s+of\s+your\s+(proposal|cover letter|application)\b",
    )
]


@dataclass(frozen=True)
class Profile:
    skills: tuple[str, ...] = ()
    rate_floor: float = 0.0
    fixed_floor: float = 0.0
    apply_at: float = 70.0
    review_at: float = 45.0
    disqualify: frozenset[str] = frozenset({"already_hired", "off_platform"})
    exclude_countries: frozenset[str] = frozenset()
    red_flags: tuple[str, ...] = ()
    weights: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_toml(cls, section: dict[str, Any], defaults: dict[str, Any]) -> Profile:
        """The [scoring] section over the shipped defaults; an unknown key or value is an error naming it."""
        merged = {**defaults, **section, "weights": {**defaults.get("weights", {}), **section.get("weights", {})}}
        known = {"skills", "rate_floor", "fixed_floor", "apply_at", "review_at", "disqualify", "exclude_countries",
                 "red_flags", "weights"}  # fmt: skip
        unknown = sorted(set(merged) - known)
        if unknown:
            raise ValueError(f"[scoring] has no setting {unknown[0]!r}; the settings are {', '.join(sorted(known))}")
        bad = sorted(set(merged["disqualify"]) - DISQUALIFIERS)
        if bad:
            raise ValueError(f"[scoring] disqualify: {bad[0]!r} is not one of {', '.join(sorted(DISQUALIFIERS))}")
        weights = {str(k): float(v) for k, v in merged["weights"].items()}
        unknown_weights = sorted(set(weights) - set(defaults.get("weights", {})))
        if unknown_weights:
            raise ValueError(f"[scoring.weights] has no signal {unknown_weights[0]!r}")
        return cls(
            skills=tuple(str(s) for s in merged["skills"]),
            rate_floor=float(merged["rate_floor"]),
            fixed_floor=float(merged["fixed_floor"]),
            apply_at=float(merged["apply_at"]),
            review_at=float(merged["review_at"]),
            disqualify=frozenset(merged["disqualify"]),
            exclude_countries=frozenset(str(c).lower() for c in merged["exclude_countries"]),
            red_flags=tuple(str(f).lower() for f in merged["red_flags"]),
            weights=weights,
        )


DISQUALIFIED = "disqualified: "  # the first reason of a job skipped whatever its score


def label(verdict: Verdict, score: int | None, reasons: list[str]) -> str:
    """The verdict with its score, in words that agree: a disqualified job reads "SKIP, disqualified: payment
    unverified (fit 95)", never "SKIP 95" (which reads as a contradiction)."""
    if reasons and reasons[0].startswith(DISQUALIFIED):
        return f"{verdict}, {reasons[0]}" + (f" (fit {score})" if score is not None else "")
    return f"{verdict} {score}" if score is not None else verdict


@dataclass(frozen=True)
class Score:
    score: int | None  # 0-100; None when the job shows none of the signals
    verdict: Verdict
    reasons: list[str]
    flags: list[str]  # planted instructions and red flags, quoted


def planted_instructions(text: str) -> list[str]:
    """The sentences of `text` that instruct whoever reads it (an assistant drafting a proposal)."""
    found = []
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        if any(p.search(sentence) for p in _PLANTED):
            found.append(sentence.strip()[:160])
    return found


def _hours_since(iso: str | None, now: datetime) -> float | None:
    if not iso:
        return None
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (now - moment).total_seconds() / 3600)


def _signals(job: Listing, profile: Profile, now: datetime) -> dict[str, tuple[float | None, str]]:
    """Each signal's value (0-1, None when unknown) and how it reads."""
    out: dict[str, tuple[float | None, str]] = {}
    v = job.payment_verified
    out["payment_verified"] = (
        (None, "payment verification unknown")
        if v is None
        else ((1.0, "payment verified") if v else (0.0, "payment not verified"))
    )
    if job.client_spent is None:
        out["client_spend"] = (None, "client spend unknown")
    else:
        spent = job.client_spent
        out["client_spend"] = (min(1.0, math.log10(spent + 1) / 4), f"client spent ${spent:,.0f}")
    posted = job.client_jobs_posted
    if job.client_hires is not None and posted:
        rate = min(1.0, job.client_hires / posted)
        out["hire_rate"] = (rate, f"client hired on {rate:.0%} of {posted} jobs")
    else:
        out["hire_rate"] = (None, "client hire rate unknown")
    if job.client_rating is not None and job.client_reviews:
        value = max(0.0, min(1.0, (job.client_rating - 3.5) / 1.5))
        out["client_rating"] = (value, f"client rated {job.client_rating:.1f} over {job.client_reviews} reviews")
    else:
        out["client_rating"] = (None, "client rating unknown")
    if job.applicants is None:
        out["competition"] = (None, "applicants unknown")
    else:
        crowd = job.applicants + 3 * (job.interviewing or 0)
        out["competition"] = (
            max(0.0, 1 - crowd / 50),
            f"{job.applicants} applicants" + (f", {job.interviewing} interviewing" if job.interviewing else ""),
        )
    hours = _hours_since(job.posted, now)
    out["freshness"] = (
        (None, "posting time unknown")
        if hours is None
        else (max(0.0, 1 - hours / 72), f"posted {hours:.0f} h ago" if hours >= 1 else "posted within the hour")
    )
    if job.job_type == "hourly" and job.hourly_max:
        if profile.rate_floor:
            value = min(1.0, job.hourly_max / profile.rate_floor) ** 2
            out["budget"] = (value, f"up to ${job.hourly_max:,.0f}/hr against your ${profile.rate_floor:,.0f}/hr floor")
        else:
            out["budget"] = (None, f"up to ${job.hourly_max:,.0f}/hr (no rate floor set)")
    elif job.job_type == "fixed" and job.budget:
        if profile.fixed_floor:
            value = min(1.0, job.budget / profile.fixed_floor) ** 2
            out["budget"] = (value, f"${job.budget:,.0f} fixed against your ${profile.fixed_floor:,.0f} floor")
        else:
            out["budget"] = (None, f"${job.budget:,.0f} fixed (no fixed floor set)")
    else:
        out["budget"] = (None, "budget unknown")
    if profile.skills:
        text = f"{job.title} {' '.join(job.skills)} {job.description}".lower()
        hits = [s for s in profile.skills if s.lower() in text]
        out["skills"] = (
            min(1.0, len(hits) / min(3, len(profile.skills))),
            (f"your skills: {', '.join(hits)}" if hits else "none of your skills"),
        )
    else:
        out["skills"] = (None, "no skills in your profile")
    if job.screening_questions is None:
        out["screening"] = (None, "screening questions unknown")
    else:
        n = job.screening_questions
        out["screening"] = (max(0.0, 1 - n / 5), f"{n} screening questions")
    return out


def score(job: Listing, profile: Profile, *, now: datetime | None = None) -> Score:
    now = now or datetime.now(UTC)
    signals = _signals(job, profile, now)
    total = weight_sum = 0.0
    reasons: list[str] = []
    for name, (value, words) in signals.items():
        weight = profile.weights.get(name, 0.0)
        if not weight:
            continue
        if value is None:
            reasons.append(f"{words} (left out)")
            continue
        total += weight * value
        weight_sum += weight
        reasons.append(f"{words} ({weight * value:.0f}/{weight:.0f})")
    result = round(100 * total / weight_sum) if weight_sum else None
    flags = [f"planted instruction, reported and not obeyed: {s!r}" for s in planted_instructions(job.description)]
    text = f"{job.title} {job.description}".lower()
    off_platform = [f for f in profile.red_flags if f in text]
    flags += [f"red flag: {f!r}" for f in off_platform]
    hits: list[str] = []
    if job.payment_verified is False:
        hits.append("payment_unverified")
    if job.hired:
        hits.append("already_hired")
    if off_platform:
        hits.append("off_platform")
    if job.job_type == "hourly" and job.hourly_max and profile.rate_floor and job.hourly_max < profile.rate_floor:
        hits.append("below_rate_floor")
    if job.job_type == "fixed" and job.budget and profile.fixed_floor and job.budget < profile.fixed_floor:
        hits.append("below_rate_floor")
    country = (job.client_country or "").lower()
    if country and country in profile.exclude_countries:
        hits.append("excluded_country")
    disqualified = [h for h in hits if h in profile.disqualify]
    if disqualified:
        reasons.insert(0, DISQUALIFIED + ", ".join(d.replace("_", " ") for d in disqualified))
        verdict: Verdict = "SKIP"
    elif result is None:
        verdict = "REVIEW"
    else:
        verdict = "APPLY" if result >= profile.apply_at else "REVIEW" if result >= profile.review_at else "SKIP"
    return Score(score=result, verdict=verdict, reasons=reasons, flags=flags)
