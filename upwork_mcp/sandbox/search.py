"""Job search semantics for the sandbox, close enough to Upwork's to test against, and no kinder: the
filters Upwork ignores are ignored here, and `workload_eq` empties the search, as live callers saw.

`searchExpression_eq` takes a small Lucene subset: bare terms (all must match), "quoted
phrases", `OR` between terms, `AND` (the default), `NOT term` or `-term`, and a trailing `*`
for a prefix. `skillExpression_eq` is a comma-separated OR list of skills.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

Job = dict[str, Any]


class SearchInputError(ValueError):
    """A filter value the search cannot use; reported as a GraphQL error."""


def _text(job: Job) -> str:
    skills = " ".join(s["prettyName"] for s in job["skills"])
    return f"{job['title']} {job['description']} {skills}".lower()


_TOKEN = re.compile(r"[a-z0-9]+")


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9+#.]+", text))


def _phrase_matches(phrase: str, text: str) -> bool:
    """A quoted phrase matches its words in order, whatever punctuation stands between them in the text (as a
    Lucene phrase query does: punctuation is not indexed, so "dashboard Python" finds "dashboard - Python")."""
    wanted = _TOKEN.findall(phrase)
    if not wanted:
        return False
    tokens = _TOKEN.findall(text)
    first = wanted[0]
    return any(tokens[i : i + len(wanted)] == wanted for i, token in enumerate(tokens) if token == first)


def _term_matches(term: str, text: str, words: set[str]) -> bool:
    term = term.lower()
    if " " in term:
        return _phrase_matches(term, text)
    if term.endswith("*"):
        stem = term[:-1]
        return any(w.startswith(stem) for w in words)
    return term in words or (not term.isalnum() and term in text)


def parse_expression(expression: str) -> tuple[list[list[str]], list[str]]:
    """(groups of OR-alternatives that must all match, excluded terms)."""
    try:
        tokens = shlex.split(expression, posix=True)
    except ValueError as exc:
        raise SearchInputError(f"searchExpression_eq could not be parsed: {exc}") from None
    groups: list[list[str]] = []
    excluded: list[str] = []
    negate = join_next = False
    for token in tokens:
        upper = token.upper()
        if upper == "AND":
            continue
        if upper == "OR":
            join_next = bool(groups)
            continue
        if upper == "NOT":
            negate = True
            continue
        if token.startswith("-") and len(token) > 1:
            excluded.append(token[1:])
            continue
        token = token.strip("()")
        if not token:
            continue
        if negate:
            excluded.append(token)
            negate = False
        elif join_next:
            groups[-1].append(token)
            join_next = False
        else:
            groups.append([token])
    return groups, excluded


def expression_filter(expression: str) -> tuple[Callable[[Job], bool], Callable[[Job], int]]:
    groups, excluded = parse_expression(expression)

    def match(job: Job) -> bool:
        text = _text(job)
        words = _words(text)
        return all(any(_term_matches(t, text, words) for t in group) for group in groups) and not any(
            _term_matches(t, text, words) for t in excluded
        )

    def score(job: Job) -> int:
        title = job["title"].lower()
        title_words = _words(title)
        text = _text(job)
        words = _words(text)
        terms = [t for group in groups for t in group]
        return sum(3 if _term_matches(t, title, title_words) else 1 for t in terms if _term_matches(t, text, words))

    return match, score


def _in_range(value: float | None, rng: dict[str, Any] | None) -> bool:  # proposals and client hires
    if rng is None:
        return True
    if value is None:
        return False
    lo, hi = rng.get("rangeStart"), rng.get("rangeEnd")
    return (lo is None or value >= lo) and (hi is None or value <= hi)


def _amount(money: dict[str, Any] | None) -> float | None:
    if not money or money.get("rawValue") in (None, ""):
        return None
    return float(money["rawValue"])


def search_jobs(
    jobs: Iterable[Job],
    flt: dict[str, Any],
    sort: list[dict[str, Any]] | None,
    *,
    now: datetime,
    previous_client_keys: set[str],
) -> list[Job]:
    """Every job matching `flt`, in the requested order."""
    preds: list[Callable[[Job], bool]] = [lambda j: j["_status"] == "ACTIVE"]
    score: Callable[[Job], int] = lambda j: 0  # noqa: E731
    if flt.get("searchExpression_eq"):
        match, score = expression_filter(flt["searchExpression_eq"])
        preds.append(match)
    elif flt.get("searchTerm_eq"):
        term = flt["searchTerm_eq"]
        parts = []
        if term.get("andTerms_all"):
            parts.append(term["andTerms_all"])
        if term.get("orTerms_any"):
            parts.append(" OR ".join(term["orTerms_any"].split()))
        if term.get("exactTerms_any"):
            parts.append(f'"{term["exactTerms_any"]}"')
        if term.get("excludeTerms_any"):
            parts.extend(f"-{t}" for t in term["excludeTerms_any"].split())
        match, score = expression_filter(" ".join(parts))
        preds.append(match)
    if flt.get("titleExpression_eq"):
        title_groups, _ = parse_expression(flt["titleExpression_eq"])
        preds.append(
            lambda j: all(
                any(_term_matches(t, j["title"].lower(), _words(j["title"].lower())) for t in g) for g in title_groups
            )
        )
    if flt.get("skillExpression_eq"):
        wanted = {s.strip().lower() for s in flt["skillExpression_eq"].split(",") if s.strip()}
        preds.append(lambda j: any(s["prettyName"].lower() in wanted or s["name"] in wanted for s in j["skills"]))
    if flt.get("jobType_eq"):
        fixed = flt["jobType_eq"] == "FIXED"
        preds.append(lambda j: j["_fixed"] == fixed)
    # budgetRange_eq and hourlyRate_eq are accepted and ignored, as Upwork does (facts page, live 2026-04/08).
    if flt.get("daysPosted_eq") is not None:
        days = flt["daysPosted_eq"]
        if days < 1:
            raise SearchInputError("daysPosted_eq must be at least 1")
        since = now - timedelta(days=days)
        preds.append(lambda j: j["_published"] >= since)
    if flt.get("proposalRange_eq") is not None:
        preds.append(lambda j: _in_range(j["totalApplicants"], flt["proposalRange_eq"]))
    if flt.get("clientHiresRange_eq") is not None:
        preds.append(lambda j: _in_range(j["client"]["totalHires"], flt["clientHiresRange_eq"]))
    if flt.get("verifiedPaymentOnly_eq"):
        preds.append(lambda j: j["client"]["verificationStatus"] == "VERIFIED")
    if flt.get("experienceLevel_eq"):
        preds.append(lambda j: j["_level"] == flt["experienceLevel_eq"])
    if flt.get("categoryIds_any"):
        ids = set(flt["categoryIds_any"])
        preds.append(lambda j: j["_category_id"] in ids)
    if flt.get("subcategoryIds_any"):
        subs = set(flt["subcategoryIds_any"])
        preds.append(lambda j: j["_subcategory_id"] in subs)
    if flt.get("locations_any"):
        places = {p.lower() for p in flt["locations_any"]}
        preds.append(
            lambda j: (
                (j["client"]["location"]["country"] or "").lower() in places
                or j["_client_country_code"].lower() in places
            )
        )
    if flt.get("timezone_eq"):
        preds.append(lambda j: j["client"]["location"]["timezone"] == flt["timezone_eq"])
    if flt.get("workload_eq"):
        return []  # Upwork answers no job at all for any workload_eq (facts page, live 2026-04/08)
    if flt.get("duration_any"):
        durations = set(flt["duration_any"])
        preds.append(lambda j: j["duration"] in durations)
    if flt.get("enterpriseOnly_eq"):
        preds.append(lambda j: j["enterprise"])
    if flt.get("previousClients_eq"):
        preds.append(lambda j: j["_client_key"] in previous_client_keys)

    found = [j for j in jobs if all(p(j) for p in preds)]
    field = (sort or [{}])[0].get("field") or "RECENCY"
    if field == "RELEVANCE":
        found.sort(key=lambda j: (score(j), j["_published"]), reverse=True)
    elif field == "CLIENT_TOTAL_CHARGE":
        found.sort(key=lambda j: (_amount(j["client"]["totalSpent"]) or 0, j["_published"]), reverse=True)
    elif field == "CLIENT_RATING":
        found.sort(key=lambda j: (j["client"]["totalFeedback"] or 0, j["_published"]), reverse=True)
    else:
        found.sort(key=lambda j: j["_published"], reverse=True)
    return found


def page_window(pagination: dict[str, Any] | None, *, default_first: int = 10, max_first: int = 100) -> tuple[int, int]:
    """(offset, count) from a `Pagination {after, first}` whose `after` is a numeric offset string."""
    pagination = pagination or {}
    first = pagination.get("first")
    first = default_first if first is None else first
    if first < 0:
        raise SearchInputError("pagination first must not be negative")
    after = pagination.get("after")
    if after in (None, ""):
        offset = 0
    elif str(after).isascii() and str(after).isdigit():
        offset = int(after)
    else:
        raise SearchInputError(f"pagination after must be a numeric offset, not {str(after)[:40]!r}")
    return offset, min(first, max_first)
