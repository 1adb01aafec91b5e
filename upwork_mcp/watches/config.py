"""The user's watch settings: one TOML file (scoring, sinks, delivery, the search policy) over the
shipped defaults (`default.toml`). Secrets (webhook URLs, bot tokens, signing keys) live only here."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock_time
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import ConfigError
from .scoring import Profile

SINK_TYPES = {
    "webhook": ("url",),
    "slack": ("url",),
    "discord": ("url",),
    "ntfy": ("url",),
    "telegram": ("token", "chat_id"),
}


@cache
def _defaults() -> dict[str, Any]:
    return tomllib.loads((Path(__file__).parent / "default.toml").read_text(encoding="utf-8"))


def default_text() -> str:
    return (Path(__file__).parent / "default.toml").read_text(encoding="utf-8")


@dataclass(frozen=True)
class SinkConfig:
    name: str
    type: str
    settings: dict[str, str] = field(repr=False)  # url, secret, token, chat_id: secrets, never shown
    digest: bool | None = None  # None: the [delivery] default

    def describe(self) -> str:
        """The sink for people and models: its name and kind, never its address or secret."""
        return f"{self.name} ({self.type})"


@dataclass(frozen=True)
class Delivery:
    quiet_start: clock_time | None = None
    quiet_end: clock_time | None = None
    zone: str = "UTC"
    digest: bool = False

    def quiet_until(self, moment: float) -> float | None:
        """When the quiet hours around `moment` (Unix time) end, or None if it is not within them."""
        if self.quiet_start is None or self.quiet_end is None:
            return None
        local = datetime.fromtimestamp(moment, ZoneInfo(self.zone))
        start = local.replace(hour=self.quiet_start.hour, minute=self.quiet_start.minute, second=0, microsecond=0)
        end = local.replace(hour=self.quiet_end.hour, minute=self.quiet_end.minute, second=0, microsecond=0)
        if start <= end:
            inside = start <= local < end
        else:  # over midnight, e.g. 22:00-07:00
            inside = local >= start or local < end
            if local >= start:
                end += timedelta(days=1)
        return end.timestamp() if inside else None


@dataclass(frozen=True)
class SearchPolicy:
    allow_scheduled: bool = False
    min_interval_minutes: int = 15
    daily_budget: int = 40


@dataclass(frozen=True)
class WatchConfig:
    path: Path | None
    profile: Profile
    sinks: dict[str, SinkConfig]
    delivery: Delivery
    search: SearchPolicy


def _clock(text: str, where: str) -> clock_time:
    try:
        hours, minutes = text.strip().split(":") if ":" in text else (text.strip(), "0")
        return clock_time(int(hours), int(minutes))
    except ValueError:
        raise ConfigError(f"{where}: {text!r} is not a time like 22:00") from None


def parse(text: str, path: Path | None = None) -> WatchConfig:
    where = str(path) if path else "watch settings"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where} is not valid TOML: {exc}") from None
    defaults = _defaults()
    unknown = sorted(set(data) - {"scoring", "sinks", "delivery", "search"})
    if unknown:
        raise ConfigError(f"{where}: no section [{unknown[0]}]; the sections are scoring, sinks, delivery, search")
    try:
        profile = Profile.from_toml(data.get("scoring", {}), defaults["scoring"])
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{where}: {exc}") from None
    sinks = {}
    for name, raw in (data.get("sinks") or {}).items():
        kind = str(raw.get("type", ""))
        if kind not in SINK_TYPES:
            raise ConfigError(f"{where}: [sinks.{name}] type must be one of {', '.join(SINK_TYPES)}")
        missing = [k for k in SINK_TYPES[kind] if not raw.get(k)]
        if missing:
            raise ConfigError(f"{where}: [sinks.{name}] ({kind}) needs {', '.join(missing)}")
        settings = {k: str(v) for k, v in raw.items() if k not in ("type", "digest")}
        digest = raw.get("digest")
        sinks[name] = SinkConfig(name, kind, settings, bool(digest) if digest is not None else None)
    delivery_raw = {**defaults["delivery"], **data.get("delivery", {})}
    quiet = str(delivery_raw.get("quiet_hours") or "")
    start = end = None
    if quiet:
        first, sep, last = quiet.partition("-")
        if not sep:
            raise ConfigError(f"{where}: [delivery] quiet_hours must look like 22:00-07:00")
        start, end = _clock(first, where), _clock(last, where)
    zone = str(delivery_raw.get("timezone") or "UTC")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: [delivery] timezone {zone!r} is not a time zone like Europe/Berlin") from None
    search_raw = {**defaults["search"], **data.get("search", {})}
    search = SearchPolicy(
        allow_scheduled=bool(search_raw["allow_scheduled"]),
        min_interval_minutes=max(15, int(search_raw["min_interval_minutes"])),  # never below Upwork-safe 15
        daily_budget=max(0, int(search_raw["daily_budget"])),
    )
    return WatchConfig(path, profile, sinks, Delivery(start, end, zone, bool(delivery_raw["digest"])), search)


def load(path: Path) -> WatchConfig:
    """The settings at `path`, or the defaults when there is no file."""
    if not path.exists():
        return parse("", None)
    return parse(path.read_text(encoding="utf-8"), path)
