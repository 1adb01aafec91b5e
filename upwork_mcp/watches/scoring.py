"""An explainable score for a job, by the user's own criteria: a deterministic rubric over what the job and
its client show.

The rubric (what the user wants and won't take, their rates, the weights and thresholds) is the user's
stated criteria (`criteria.py` says whose and how they were stated). Each signal scores 0 to 1; the score
is the weighted mean, times 100, where a signal the job does not show counts half: unknown stays unknown,
never a free 100 and never a zero. What the user won't take, and the disqualifiers they chose, make a job
SKIP with a score of 0 whatever the rest says, so the verdict and the number always agree. Instructions
planted in a post and attempts to move the work off Upwork are reported (`tells.py`), never obeyed.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from .listing import Listing
from .tells import fold, off_platform_contact, planted_instructions

Verdict = Literal["APPLY", "REVIEW", "SKIP"]
RANK: dict[str, int] = {"SKIP": 0, "REVIEW": 1, "APPLY": 2}
DISQUALIFIERS = frozenset(
    {"payment_unverified", "already_hired", "off_platform", "below_rate_floor", "excluded_country"}
)
UNKNOWN_SHARE = 0.5  # what a signal the job does not show counts for


def _terms(values: Any, name: str, most: int, longest: int) -> tuple[str, ...]:
    items = tuple(str(v).strip() for v in (values or ()) if str(v).strip())
    if len(items) > most:
        raise ValueError(f"[scoring] {name}: at most {most} entries")
    long = next((v for v in items if len(v) > longest), None)
    if long is not None:
        raise ValueError(f"[scoring] {name}: {long[:30]!r}... is longer than {longest} characters")
    return items


def _number(value: Any, name: str, top: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"[scoring] {name} must be a number") from None
    if not math.isfinite(number) or not 0 <= number <= top:
        raise ValueError(f"[scoring] {name} must be between 0 and {top:g}")
    return number


@dataclass(frozen=True)
class Profile:
    skills: tuple[str, ...] = ()  # what the user wants: found in a job, they raise its score
    avoid: tuple[str, ...] = ()  # what the user won't take: found in a job, it is SKIP
    rate_floor: float = 0.0
    fixed_floor: float = 0.0
    apply_at: float = 70.0
    review_at: float = 45.0
    disqualify: frozenset[str] = frozenset({"already_hired", "off_platform"})
    exclude_countries: frozenset[str] = frozenset()
    red_flags: tuple[str, ...] = ()
    weights: dict[str, float] = field(default_factory=dict)
    origin: str = "the shipped starting point"  # whose criteria these are, and how they were stated

    @classmethod
    def from_toml(cls, section: dict[str, Any], defaults: dict[str, Any], *, origin: str = "") -> Profile:
        """The [scoring] settings over the shipped defaults; an unknown key or a bad value is an error naming it."""
        merged = {**defaults, **section, "weights": {**defaults.get("weights", {}), **section.get("weights", {})}}
        known = {"skills", "avoid", "rate_floor", "fixed_floor", "apply_at", "review_at", "disqualify",
                 "exclude_countries", "red_flags", "weights"}  # fmt: skip
        unknown = sorted(set(merged) - known)
        if unknown:
            raise ValueError(f"[scoring] has no setting {unknown[0]!r}; the settings are {', '.join(sorted(known))}")
        bad = sorted(set(merged["disqualify"]) - DISQUALIFIERS)
        if bad:
            raise ValueError(f"[scoring] disqualify: {bad[0]!r} is not one of {', '.join(sorted(DISQUALIFIERS))}")
        weights = {str(k): _number(v, f"weights.{k}", 100) for k, v in merged["weights"].items()}
        unknown_weights = sorted(set(weights) - set(defaults.get("weights", {})))
        if unknown_weights:
            raise ValueError(f"[scoring.weights] has no signal {unknown_weights[0]!r}")
        apply_at, review_at = (
            _number(merged["apply_at"], "apply_at", 100),
            _number(merged["review_at"], "review_at", 100),
        )
        if review_at > apply_at:
            raise ValueError(f"[scoring] review_at ({review_at:g}) is above apply_at ({apply_at:g})")
        return cls(
            skills=_terms(merged["skills"], "skills", 50, 60),
            avoid=_terms(merged.get("avoid"), "avoid", 50, 60),
            rate_floor=_number(merged["rate_floor"], "rate_floor", 10_000),
            fixed_floor=_number(merged["fixed_floor"], "fixed_floor", 10_000_000),
            apply_at=apply_at,
            review_at=review_at,
            disqualify=frozenset(merged["disqualify"]),
            exclude_countries=frozenset(
                c.lower() for c in _terms(merged["exclude_countries"], "exclude_countries", 250, 60)
            ),
            red_flags=tuple(f.lower() for f in _terms(merged["red_flags"], "red_flags", 50, 60)),
            weights=weights,
            origin=origin or cls.origin,
        )


DISQUALIFIED = "disqualified: "  # the first reason of a job skipped whatever its score


def label(verdict: Verdict, score: int | None, reasons: list[str]) -> str:
    """The verdict with its score, in words that agree: a disqualified job (scored 0) reads "SKIP, disqualified:
    payment unverified (fit 95)", never "SKIP 95" nor a bare "SKIP 0"."""
    if reasons and reasons[0].startswith(DISQUALIFIED):
        return f"{verdict}, {reasons[0]}"
    return f"{verdict} {score}" if score is not None else verdict


@dataclass(frozen=True)
class Score:
    score: int | None  # 0-100; None when no signal has a weight
    verdict: Verdict
    reasons: list[str]  # the weightiest first
    flags: list[str]  # planted instructions, off-platform contact and red flags, quoted
    by: str = ""  # whose criteria ranked it

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Score:
        return cls(**json.loads(text))

    def line(self, reasons: int = 2) -> str:
        """The verdict, the number and the top reasons, in one line: what every sink and the tool show."""
        head = label(self.verdict, self.score, self.reasons)
        rest = self.reasons[1:] if head.startswith(f"{self.verdict}, ") else self.reasons
        return head + (": " + "; ".join(rest[:reasons]) if rest else "")


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


def found_terms(terms: tuple[str, ...], text: str) -> list[str]:
    """The terms that appear in `text` as words (any case; "go" is not found in "google")."""
    folded = fold(text)
    return [t for t in terms if re.search(rf"(?<!\w){re.escape(fold(t).strip())}(?!\w)", folded)]


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
    elif job.client_hires is not None:
        out["hire_rate"] = (min(1.0, job.client_hires / 5), f"client made {job.client_hires} hires")
    else:
        out["hire_rate"] = (None, "client hires unknown")
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
            out["budget"] = (None, f"up to ${job.hourly_max:,.0f}/hr (no rate floor of yours)")
    elif job.job_type == "fixed" and job.budget:
        if profile.fixed_floor:
            value = min(1.0, job.budget / profile.fixed_floor) ** 2
            out["budget"] = (value, f"${job.budget:,.0f} fixed against your ${profile.fixed_floor:,.0f} floor")
        else:
            out["budget"] = (None, f"${job.budget:,.0f} fixed (no fixed floor of yours)")
    else:
        out["budget"] = (None, "budget unknown")
    if profile.skills:
        hits = found_terms(profile.skills, f"{job.title} {' '.join(job.skills)} {job.description}")
        out["skills"] = (
            min(1.0, len(hits) / min(3, len(profile.skills))),
            (f"wanted: {', '.join(hits)}" if hits else "none of what you want"),
        )
    else:
        out["skills"] = (None, "no wanted skills stated")
    if job.screening_questions is None:
        out["screening"] = (None, "screening questions unknown")
    else:
        n = job.screening_questions
        out["screening"] = (max(0.0, 1 - n / 5), f"{n} screening questions")
    return out


def _disqualifiers(job: Listing, profile: Profile, off_platform: bool) -> tuple[list[str], list[str]]:
    """The disqualifiers the job hits that the user chose, and the words the user won't take found in it."""
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
    avoided = found_terms(profile.avoid, f"{job.title} {' '.join(job.skills)} {job.description}")
    return [h for h in hits if h in profile.disqualify], avoided


def score(job: Listing, profile: Profile, *, now: datetime | None = None) -> Score:
    now = now or datetime.now(UTC)
    total = weight_sum = 0.0
    known: list[tuple[float, str]] = []
    unknown: list[str] = []
    for name, (value, words) in _signals(job, profile, now).items():
        weight = profile.weights.get(name, 0.0)
        if not weight:
            continue
        weight_sum += weight
        if value is None:
            total += weight * UNKNOWN_SHARE
            unknown.append(f"{words} (counted half)")
            continue
        total += weight * value
        # The weightiest first: how far this signal moved the score from an unknown's half.
        known.append((abs(weight * (value - UNKNOWN_SHARE)), f"{words} ({weight * value:.0f}/{weight:.0f})"))
    result = round(100 * total / weight_sum) if weight_sum else None
    reasons = [words for _, words in sorted(known, key=lambda k: -k[0])] + unknown
    text = f"{job.title}\n{job.description}"
    flags = [f"planted instruction, reported and not obeyed: {s!r}" for s in planted_instructions(text)]
    contact = off_platform_contact(text)
    flags += [f"off-platform contact: {s!r}" for s in contact]
    red = [f for f in profile.red_flags if f in fold(text)]
    flags += [f"red flag: {f!r}" for f in red]
    disqualified, avoided = _disqualifiers(job, profile, bool(contact or red))
    why = [d.replace("_", " ") for d in disqualified] + [f"you won't take {a!r}" for a in avoided]
    if why:
        reasons.insert(0, DISQUALIFIED + ", ".join(why) + (f" (fit {result})" if result is not None else ""))
        return Score(0, "SKIP", reasons, flags, profile.origin)
    if result is None:
        return Score(None, "REVIEW", reasons, flags, profile.origin)
    verdict: Verdict = "APPLY" if result >= profile.apply_at else "REVIEW" if result >= profile.review_at else "SKIP"
    return Score(result, verdict, reasons, flags, profile.origin)
