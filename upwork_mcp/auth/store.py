"""Where tokens live: in memory (sandbox, tests) or a 0600 JSON file written atomically.

The file store writes a temp file in the same directory, fsyncs it and renames it over the
old one, so a crash leaves either the old or the new token set, never a torn file. A lock
file serialises refreshes across processes that share the token file.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from ..errors import ConfigError
from .tokens import TokenSet

try:  # POSIX advisory locks; on other systems the in-process lock still holds.
    import fcntl

    HAVE_FLOCK = True
except ImportError:  # pragma: no cover - Windows
    HAVE_FLOCK = False


class TokenStore(Protocol):
    def load(self) -> TokenSet | None: ...
    def save(self, tokens: TokenSet) -> None: ...
    def clear(self) -> None: ...
    def locked(self) -> contextlib.AbstractContextManager[None]: ...


class MemoryTokenStore:
    def __init__(self, tokens: TokenSet | None = None) -> None:
        self._tokens = tokens

    def load(self) -> TokenSet | None:
        return self._tokens

    def save(self, tokens: TokenSet) -> None:
        self._tokens = tokens

    def clear(self) -> None:
        self._tokens = None

    def locked(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()


class FileTokenStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> TokenSet | None:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ConfigError(f"Cannot read the token file {self.path}: {exc.strerror}.") from None
        try:
            return TokenSet.model_validate(json.loads(raw))
        except ValueError:
            raise ConfigError(
                f"The token file {self.path} is not a token set we wrote. Run `upwork-mcp auth login` to replace it."
            ) from None

    def save(self, tokens: TokenSet) -> None:
        directory = self.path.parent
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(OSError):
            os.chmod(directory, 0o700)
        fd, tmp = tempfile.mkstemp(prefix=".tokens-", suffix=".tmp", dir=directory)
        try:
            os.fchmod(fd, 0o600) if hasattr(os, "fchmod") else None
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(tokens.to_json(), handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _fsync_dir(directory)

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        _fsync_dir(self.path.parent)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        if not HAVE_FLOCK:  # pragma: no cover
            yield
            return
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class KeyringTokenStore:
    """The OS keychain, through the `keyring` package (UPWORK_TOKEN_STORE=keyring)."""

    SERVICE = "upwork-mcp"

    def __init__(self, account: str, lock_path: Path) -> None:
        try:
            import keyring  # an optional dependency: imported only when asked for
        except ImportError:
            raise ConfigError(
                "UPWORK_TOKEN_STORE=keyring needs the keyring package: pip install 'upwork-mcp[keyring]'."
            ) from None
        self._keyring = keyring
        self._account = account
        self._lock = FileTokenStore(lock_path)  # only its lock is used, never its file

    def load(self) -> TokenSet | None:
        raw = self._keyring.get_password(self.SERVICE, self._account)
        if raw is None:
            return None
        try:
            return TokenSet.model_validate(json.loads(raw))
        except ValueError:
            raise ConfigError(
                "The keychain entry for upwork-mcp is not a token set; run `upwork-mcp auth login`."
            ) from None

    def save(self, tokens: TokenSet) -> None:
        self._keyring.set_password(self.SERVICE, self._account, json.dumps(tokens.to_json()))

    def clear(self) -> None:
        with contextlib.suppress(Exception):  # keyring raises its own PasswordDeleteError when absent
            self._keyring.delete_password(self.SERVICE, self._account)

    def locked(self) -> contextlib.AbstractContextManager[None]:
        return self._lock.locked()
