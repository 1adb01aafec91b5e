"""Sinks: where a watch's new jobs are sent. One address per sink, checked when it is added, and shown two
ways: exactly (to the person who approves adding it) and briefly (in lists, logs and tool results, where
the address itself may be the secret: Slack, Discord and ntfy URLs, a Telegram bot token).

    sink = parse_sink("phone", "https://ntfy.sh/my-topic", kind="ntfy")
    sink.describe()   # 'phone (ntfy to ntfy.sh)'
    sink.exact()      # 'https://ntfy.sh/my-topic'
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from ..errors import InvalidInputError
from .scoring import RANK

Kind = Literal["webhook", "slack", "discord", "telegram", "ntfy"]
KINDS: tuple[str, ...] = ("webhook", "slack", "discord", "telegram", "ntfy")
SECRET_FIELDS = {
    "webhook": ("url",),
    "slack": ("url",),
    "discord": ("url",),
    "ntfy": ("url",),
    "telegram": ("token", "chat_id"),
}
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
_TELEGRAM = re.compile(r"/bot(?P<token>\d{3,20}:[A-Za-z0-9_-]{10,100})/sendMessage/?")


@dataclass(frozen=True)
class SinkConfig:
    name: str
    type: str
    settings: dict[str, str] = field(repr=False)  # url, secret, token, chat_id: secrets, never shown
    digest: bool | None = None  # None: the [delivery] default
    min_verdict: str | None = None  # the least verdict this sink gets; None: the watch's (APPLY and REVIEW)
    source: str = "store"  # "store", or "file" (the watch settings file)

    def host(self) -> str:
        if self.type == "telegram":
            return urlsplit(self.settings.get("api_url") or "https://api.telegram.org").hostname or "?"
        return urlsplit(self.settings.get("url", "")).hostname or "?"

    def shown(self) -> str:
        """Where it sends, without what is secret: the host (and the chat, for Telegram)."""
        if self.type == "telegram":
            return f"{self.host()}, chat {self.settings.get('chat_id', '?')}"
        return self.host()

    def describe(self) -> str:
        """The sink for people and models (in delivery lines and errors): its name, kind and host, never its
        address, chat or secret."""
        return f"{self.name} ({self.type} to {self.host()})"

    def exact(self) -> str:
        """The exact address it posts to, for the person approving it (nowhere else)."""
        if self.type == "telegram":
            base = (self.settings.get("api_url") or "https://api.telegram.org").rstrip("/")
            return f"{base}/bot{self.settings['token']}/sendMessage?chat_id={self.settings['chat_id']}"
        return self.settings["url"]

    def options(self) -> dict[str, Any]:
        return {k: v for k, v in (("digest", self.digest), ("min_verdict", self.min_verdict)) if v is not None}


def check_name(name: str, what: str = "sink") -> str:
    if not NAME.fullmatch(name):
        raise InvalidInputError(
            f"{what} name {name[:40]!r}: use 1-40 lower-case letters, digits, - or _ (first a letter or digit)."
        )
    return name


def check_verdict(value: str | None) -> str | None:
    if value is None:
        return None
    upper = value.upper()
    if upper not in RANK:
        raise InvalidInputError(f"min_verdict {value[:20]!r}: use APPLY, REVIEW or SKIP (SKIP sends every job).")
    return upper


def parse_sink(
    name: str,
    url: str,
    *,
    kind: str = "webhook",
    secret: str | None = None,
    digest: bool | None = None,
    min_verdict: str | None = None,
) -> SinkConfig:
    """A sink from a name and the one address it posts to; a webhook without a signing key gets a new one."""
    check_name(name)
    if kind not in KINDS:
        raise InvalidInputError(f"kind {kind[:20]!r}: use one of {', '.join(KINDS)}.")
    url = url.strip()
    parts = urlsplit(url)
    if len(url) > 2000 or not url.isprintable() or " " in url:
        raise InvalidInputError("The sink URL must be one address of at most 2000 characters, without spaces.")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInputError(f"The sink URL must start with https:// (or http://) and name a host: {url[:80]!r}.")
    settings = {"url": url}
    if kind == "telegram":
        path = _TELEGRAM.fullmatch(parts.path)
        chat = parse_qs(parts.query).get("chat_id", [""])[-1]
        if path is None or not re.fullmatch(r"-?\d{1,20}|@\w{4,40}", chat):
            raise InvalidInputError(
                "A Telegram sink's URL is the bot's sendMessage address with the chat: "
                "https://api.telegram.org/bot<TOKEN>/sendMessage?chat_id=<CHAT ID>."
            )
        settings = {"token": path["token"], "chat_id": chat, "api_url": f"{parts.scheme}://{parts.netloc}"}
    elif kind == "webhook":
        if secret is not None and not 16 <= len(secret) <= 200:
            raise InvalidInputError("A webhook's signing secret must be 16 to 200 characters.")
        settings["secret"] = secret or secrets.token_urlsafe(32)
    return SinkConfig(name, kind, settings, digest, check_verdict(min_verdict))


def from_settings(name: str, raw: dict[str, Any], where: str) -> SinkConfig:
    """A [sinks.NAME] table of the watch settings file."""
    kind = str(raw.get("type", ""))
    if kind not in KINDS:
        raise ValueError(f"{where}: [sinks.{name}] type must be one of {', '.join(KINDS)}")
    missing = [k for k in SECRET_FIELDS[kind] if not raw.get(k)]
    if missing:
        raise ValueError(f"{where}: [sinks.{name}] ({kind}) needs {', '.join(missing)}")
    if not NAME.fullmatch(name):
        raise ValueError(f"{where}: [sinks.{name}]: a sink name is 1-40 lower-case letters, digits, - or _")
    settings = {k: str(v) for k, v in raw.items() if k not in ("type", "digest", "min_verdict")}
    digest = raw.get("digest")
    verdict = raw.get("min_verdict")
    if verdict is not None and str(verdict).upper() not in RANK:
        raise ValueError(f"{where}: [sinks.{name}] min_verdict must be APPLY, REVIEW or SKIP")
    return SinkConfig(
        name, kind, settings, bool(digest) if digest is not None else None,
        str(verdict).upper() if verdict is not None else None, source="file",
    )  # fmt: skip
