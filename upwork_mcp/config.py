"""Settings: one frozen object, read once from the environment.

`Settings.from_env(environ)` is the only place that reads environment variables.
A bad value raises `ConfigError` with one line naming the variable and what it takes.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from .errors import ConfigError

APP_NAME = "upwork-mcp"

# Paths below UPWORK_OAUTH_URL, as Upwork serves them.
AUTHORIZE_PATH = "/ab/account-security/oauth2/authorize"
TOKEN_PATH = "/api/v3/oauth2/token"
REVOKE_PATH = "/api/v3/oauth2/token/revoke"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class Settings(BaseModel):
    """Everything the server and the engine need to know, frozen."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    client_id: str | None = None
    client_secret: SecretStr | None = None
    redirect_uri: str = "http://127.0.0.1:8765/callback"
    tenant_id: str | None = None
    access_token: SecretStr | None = None
    token_file: Path | None = None
    token_store: Literal["file", "keyring"] = "file"
    api_url: str = "https://api.upwork.com/graphql"
    oauth_url: str = "https://www.upwork.com"
    job_feed_url: str = "https://api.upworkjobsapi.com"
    job_feed_api_key: SecretStr | None = None
    sandbox: bool = False
    sandbox_faults: str = ""
    read_only: bool = False
    # None serves every toolset; names are checked against the tool registry by the composition root.
    toolsets: tuple[str, ...] | None = None
    timeout: float = Field(default=30.0, gt=0, le=600)
    max_retries: int = Field(default=3, ge=0, le=10)
    rate_limit: float = Field(default=10.0, gt=0, le=1000)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"
    data_dir: Path | None = None
    watch_config: Path | None = None  # the watches' TOML (scoring, sinks, delivery); default in the config dir
    http_token: SecretStr | None = None
    allowed_hosts: tuple[str, ...] = ()
    stateless: bool = False
    # How a write is approved when the client cannot ask its user: "human" (a link to a page on this
    # machine, or `upwork-mcp approve`), or "token" (the model holds the approval; unattended agents).
    write_approval: Literal["human", "token"] = "human"
    # Team deployments. Shared state on PostgreSQL instead of the embedded SQLite file:
    database_url: SecretStr | None = None
    # Over HTTP, "bearer": one shared token (UPWORK_MCP_HTTP_TOKEN) acting as the one login; "oauth": each user
    # logs in to their own Upwork through the MCP authorization flow.
    http_auth: Literal["bearer", "oauth"] = "bearer"
    public_url: str | None = None  # the server's address as its users reach it (OAuth issuer and resource)
    encryption_key: SecretStr | None = None  # seals each user's Upwork login in the store ("new,old" rotates)
    approval_port: int = Field(default=0, ge=0, le=65535)
    header_timeout: float = Field(default=10.0, gt=0, le=300)

    @property
    def authorize_url(self) -> str:
        return self.oauth_url.rstrip("/") + AUTHORIZE_PATH

    @property
    def token_url(self) -> str:
        return self.oauth_url.rstrip("/") + TOKEN_PATH

    @property
    def revoke_url(self) -> str:
        return self.oauth_url.rstrip("/") + REVOKE_PATH

    def resolved_token_file(self) -> Path:
        if self.token_file is not None:
            return self.token_file
        from platformdirs import user_config_path  # lazy: only when no path is set

        return user_config_path(APP_NAME) / "tokens.json"

    def resolved_watch_config(self) -> Path:
        if self.watch_config is not None:
            return self.watch_config
        from platformdirs import user_config_path  # lazy: only when no path is set

        return user_config_path(APP_NAME) / "watches.toml"

    def resolved_data_dir(self) -> Path:
        if self.data_dir is not None:
            return self.data_dir
        from platformdirs import user_data_path  # lazy: only when no path is set

        return user_data_path(APP_NAME)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Read UPWORK_* variables. Raises ConfigError naming the first bad variable."""
        values: dict[str, Any] = {}
        for field, (var, parse) in _ENV.items():
            raw = environ.get(var)
            if raw is None or (raw.strip() == "" and parse is not _bool):
                continue
            try:
                values[field] = parse(raw.strip())
            except ValueError as exc:
                raise ConfigError(f"{var}={_shown(var, raw)!s} is not valid: {exc}") from None
        try:
            settings = cls(**values)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = str(err["loc"][0]) if err["loc"] else ""
            var = _ENV[field][0] if field in _ENV else field
            raise ConfigError(f"{var}={_shown(var, environ.get(var, ''))} is not valid: {err['msg']}") from None
        return settings


def _bool(raw: str) -> bool:
    low = raw.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError("use 1/0, true/false, yes/no or on/off")


def _url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("give a full http:// or https:// URL")
    return raw.rstrip("/") if parts.path in ("", "/") else raw


def _redirect(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or (parts.port is None and parts.scheme == "http"):
        raise ValueError("give the callback registered on your API key, e.g. http://127.0.0.1:8765/callback")
    return raw


def _toolsets(raw: str) -> tuple[str, ...] | None:
    names = tuple(dict.fromkeys(n.strip().lower() for n in raw.split(",") if n.strip()))
    if not names:
        raise ValueError("name at least one toolset, or all")
    bad = [n for n in names if not n.isidentifier()]
    if bad:
        raise ValueError(f"{', '.join(bad)} is not a toolset name")
    return None if "all" in names else names


def _float(raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ValueError("give a number") from None


def _int(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValueError("give a whole number") from None


def _str(raw: str) -> str:
    return raw


def _level(raw: str) -> str:
    level = raw.upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError("use DEBUG, INFO, WARNING or ERROR")
    return level


def _hosts(raw: str) -> tuple[str, ...]:
    hosts = tuple(h.strip() for h in raw.split(",") if h.strip())
    bad = [h for h in hosts if "/" in h or " " in h]
    if bad:
        raise ValueError(f"give host names or host:port, comma-separated, not {', '.join(bad)}")
    return hosts


def _approval(raw: str) -> str:
    if raw.lower() not in ("human", "token"):
        raise ValueError("use human (a person approves each write) or token (the model holds the approval)")
    return raw.lower()


def _auth(raw: str) -> str:
    if raw.lower() not in ("bearer", "oauth"):
        raise ValueError("use bearer (one shared token, one login) or oauth (each user logs in)")
    return raw.lower()


def _public_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError("give the server's base URL as its users reach it, e.g. https://upwork-mcp.example.com")
    return raw.rstrip("/")


def _store(raw: str) -> str:
    if raw.lower() not in ("file", "keyring"):
        raise ValueError("use file or keyring")
    return raw.lower()


_ENV: dict[str, tuple[str, Any]] = {
    "client_id": ("UPWORK_CLIENT_ID", _str),
    "client_secret": ("UPWORK_CLIENT_SECRET", SecretStr),
    "redirect_uri": ("UPWORK_REDIRECT_URI", _redirect),
    "tenant_id": ("UPWORK_TENANT_ID", _str),
    "access_token": ("UPWORK_ACCESS_TOKEN", SecretStr),
    "token_file": ("UPWORK_TOKEN_FILE", Path),
    "token_store": ("UPWORK_TOKEN_STORE", _store),
    "api_url": ("UPWORK_API_URL", _url),
    "oauth_url": ("UPWORK_OAUTH_URL", _url),
    "job_feed_url": ("UPWORK_JOB_FEED_URL", _url),
    "job_feed_api_key": ("UPWORK_JOB_FEED_API_KEY", SecretStr),
    "sandbox": ("UPWORK_SANDBOX", _bool),
    "sandbox_faults": ("UPWORK_SANDBOX_FAULTS", _str),  # parsed by the sandbox, at the root
    "read_only": ("UPWORK_READ_ONLY", _bool),
    "toolsets": ("UPWORK_TOOLSETS", _toolsets),
    "timeout": ("UPWORK_TIMEOUT", _float),
    "max_retries": ("UPWORK_MAX_RETRIES", _int),
    "rate_limit": ("UPWORK_RATE_LIMIT", _float),
    "log_level": ("UPWORK_LOG_LEVEL", _level),
    "data_dir": ("UPWORK_DATA_DIR", Path),
    "watch_config": ("UPWORK_WATCH_CONFIG", Path),
    "http_token": ("UPWORK_MCP_HTTP_TOKEN", SecretStr),
    "allowed_hosts": ("UPWORK_MCP_ALLOWED_HOSTS", _hosts),
    "stateless": ("UPWORK_MCP_STATELESS", _bool),
    "write_approval": ("UPWORK_WRITE_APPROVAL", _approval),
    "approval_port": ("UPWORK_APPROVAL_PORT", _int),
    "header_timeout": ("UPWORK_MCP_HEADER_TIMEOUT", _float),
    "database_url": ("UPWORK_DATABASE_URL", SecretStr),
    "http_auth": ("UPWORK_MCP_AUTH", _auth),
    "public_url": ("UPWORK_MCP_PUBLIC_URL", _public_url),
    "encryption_key": ("UPWORK_ENCRYPTION_KEY", SecretStr),
}

_SECRET_VARS = {
    "UPWORK_CLIENT_SECRET",
    "UPWORK_ACCESS_TOKEN",
    "UPWORK_JOB_FEED_API_KEY",
    "UPWORK_MCP_HTTP_TOKEN",
    "UPWORK_DATABASE_URL",
    "UPWORK_ENCRYPTION_KEY",
}


def _shown(var: str, raw: str) -> str:
    return "<hidden>" if var in _SECRET_VARS else repr(raw)


def env_vars() -> dict[str, str]:
    """Variable name -> settings field, for docs and the config-example test."""
    return {var: field for field, (var, _) in _ENV.items()}
