"""The user's watch settings: one TOML file (scoring, sinks, delivery, the search policy, the feed plan) over
the shipped defaults (`default.toml`), read again whenever the file changes (no restart needed). Sinks
added with `upwork-mcp sink add` or the add_sink tool live in the store instead, sealed; the file's own
[sinks] keep working for the single user of this machine."""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock_time
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import ConfigError
from .scoring import Profile
from .sinks import SinkConfig, from_settings

log = logging.getLogger("upwork_mcp.watches")


@cache
def shipped_defaults() -> dict[str, Any]:
    return tomllib.loads((Path(__file__).parent / "default.toml").read_text(encoding="utf-8"))


def default_text() -> str:
    return (Path(__file__).parent / "default.toml").read_text(encoding="utf-8")


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
class FeedPlan:
    monthly_requests: int = 1000  # the Jobs API feed's entry plan; 0: no monthly cap


@dataclass(frozen=True)
class WatchConfig:
    path: Path | None
    profile: Profile
    sinks: dict[str, SinkConfig]
    delivery: Delivery
    search: SearchPolicy
    feed: FeedPlan = FeedPlan()
    scoring_stated: bool = False  # the file has the user's own [scoring] section


def _clock(text: str, where: str) -> clock_time:
    try:
        hours, minutes = text.strip().split(":") if ":" in text else (text.strip(), "0")
        return clock_time(int(hours), int(minutes))
    except ValueError:
        raise ConfigError(f"{where}: {text!r} is not a time like 22:00") from None


def parse(text: str, path: Path | None = None, *, sandbox: bool = False) -> WatchConfig:
    where = str(path) if path else "watch settings"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where} is not valid TOML: {exc}") from None
    defaults = shipped_defaults()
    unknown = sorted(set(data) - {"scoring", "sinks", "delivery", "search", "feed"})
    if unknown:
        raise ConfigError(
            f"{where}: no section [{unknown[0]}]; the sections are scoring, sinks, delivery, search, feed"
        )
    try:
        origin = f"your criteria (the watch settings file {where})"
        profile = Profile.from_toml(data.get("scoring", {}), defaults["scoring"], origin=origin)
        sinks = {name: from_settings(name, raw, where) for name, raw in (data.get("sinks") or {}).items()}
    except (ValueError, TypeError, AttributeError) as exc:
        raise ConfigError(f"{where}: {exc}") from None
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
    feed_raw = {**defaults["feed"], **data.get("feed", {})}
    try:
        monthly = int(feed_raw["monthly_requests"] if not sandbox or "feed" in data else 0)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: [feed] monthly_requests must be a whole number (0: no monthly cap)") from None
    if not 0 <= monthly <= 100_000_000:
        raise ConfigError(f"{where}: [feed] monthly_requests must be between 0 and 100000000")
    return WatchConfig(
        path,
        profile,
        sinks,
        Delivery(start, end, zone, bool(delivery_raw["digest"])),
        search,
        FeedPlan(monthly),  # the sandbox's feed has no monthly plan unless the file says one
        scoring_stated="scoring" in data,
    )


def load(path: Path, *, sandbox: bool = False) -> WatchConfig:
    """The settings at `path`, or the defaults when there is no file."""
    if not path.exists():
        return parse("", None, sandbox=sandbox)
    return parse(path.read_text(encoding="utf-8"), path, sandbox=sandbox)


class ConfigFile:
    """The watch settings, read again when the file changes: an edit takes effect without a restart. An edit
    that breaks the file keeps the last good settings (and says so in the log) until it is fixed."""

    def __init__(self, path: Path, *, sandbox: bool = False) -> None:
        self.path = path
        self.sandbox = sandbox
        self._stamp = self._stat()
        self._config = load(path, sandbox=sandbox)  # a broken file at start-up is an error, said at once

    def _stat(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def current(self) -> WatchConfig:
        stamp = self._stat()
        if stamp != self._stamp:
            try:
                self._config = load(self.path, sandbox=self.sandbox)
            except ConfigError as exc:
                log.warning("watch settings not reloaded, the last good ones stay in use: %s", exc)
            self._stamp = stamp
        return self._config
