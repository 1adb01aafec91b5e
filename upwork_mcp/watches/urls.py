"""An Upwork job-search URL, as pasted from the browser, turned into a watch's filters.

    https://www.upwork.com/nx/search/jobs/?q=python&amount=500-&t=1&contractor_tier=3&payment_verified=1

What has no counterpart in a watch's filters is named, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from ..api.countries import country_code
from ..errors import InvalidInputError
from .filters import WatchFilters

_SEARCH_PATHS = ("/nx/search/jobs", "/ab/jobs/search", "/nx/jobs/search", "/search/jobs")
_LEVELS = {"1": "entry", "2": "intermediate", "3": "expert"}
# Paging, display and tracking parameters: they change nothing a watch looks for.
_IGNORED = {"page", "per_page", "sort", "from_recent_search", "nbs", "spellcheck", "refresh", "pageTitle"}


@dataclass(frozen=True)
class ParsedSearch:
    filters: WatchFilters
    unmapped: dict[str, str]  # parameter -> its value, for what a watch cannot ask for


def _range(value: str, name: str) -> tuple[float | None, float | None]:
    """'500-1000', '1000-', '-100', '250', or several ranges '0-99,500-999' (their envelope)."""
    lows: list[float | None] = []
    highs: list[float | None] = []
    for part in value.split(","):
        low, sep, high = part.partition("-")
        try:
            low_value = float(low) if low else None
            high_value = (float(high) if high else None) if sep else low_value
        except ValueError:
            raise InvalidInputError(f"The URL's {name}={value!r} is not a range like 500-1000.") from None
        lows.append(low_value)
        highs.append(high_value)
    floor = None if None in lows else min(v for v in lows if v is not None)
    ceiling = None if None in highs else max(v for v in highs if v is not None)
    return floor, ceiling


def _is_country(value: str) -> bool:
    """Whether a URL's location is one country (not a region such as "Americas", which a watch cannot take)."""
    try:
        country_code(value)
    except ValueError:
        return False
    return True


def parse_search_url(url: str) -> ParsedSearch:
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if host not in ("upwork.com", "www.upwork.com") or not parts.path.rstrip("/").endswith(_SEARCH_PATHS):
        raise InvalidInputError(
            "Give an Upwork job-search URL, e.g. https://www.upwork.com/nx/search/jobs/?q=python&t=1 "
            "(the address of a search in your browser)."
        )
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=False).items()}
    fields: dict[str, object] = {}
    unmapped: dict[str, str] = {}
    for name, value in query.items():
        if name == "q":
            fields["q"] = value
        elif name == "amount":
            fields["budget_min"], fields["budget_max"] = _range(value, name)
        elif name == "hourly_rate":
            fields["hourly_min"], fields["hourly_max"] = _range(value, name)
        elif name == "t":
            if value in ("0", "1"):
                fields["job_type"] = "hourly" if value == "0" else "fixed"
            # t=0,1 is hourly and fixed: every job, nothing to filter
        elif name == "contractor_tier" and value in _LEVELS:
            fields["experience_level"] = _LEVELS[value]
        elif name == "payment_verified" and value == "1":
            fields["payment_verified"] = True
        elif name == "category2_uid" and "," not in value:
            fields["category"] = value
        elif name == "location" and "," not in value and _is_country(value):
            fields["country"] = value
        elif name == "skills":
            fields["skills"] = tuple(s.strip() for s in value.split(",") if s.strip())
        elif name not in _IGNORED:
            unmapped[name] = value
    try:
        filters = WatchFilters(**{k: v for k, v in fields.items() if v is not None})  # type: ignore[arg-type]
    except ValueError as exc:
        raise InvalidInputError(f"The URL's filters contradict each other: {exc}") from None
    return ParsedSearch(filters=filters, unmapped=unmapped)
