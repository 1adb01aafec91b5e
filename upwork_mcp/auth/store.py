"""Where tokens live: in memory (sandbox, tests) or a 0600 JSON file written atomically.

The file store writes a temp file in the same directory, fsyncs it and renames it over the
old one, so a crash leaves either the old or the new token set, never a torn file. A lock
file serialises refreshes across processes that share the token file.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from ..errors import ConfigError
from .tokens import TokenSet

log = logging.getLogger("upwork_mcp.auth")

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
    """A 0600 JSON file. A file others can read is made private again (or refused when that fails);
    temporary files left by writers that died mid-save are removed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.repaired: str | None = None  # what load() had to fix, for `doctor`

    def load(self) -> TokenSet | None:
        self._sweep()
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ConfigError(f"Cannot read the token file {self.path}: {exc.strerror}.") from exc
        self._keep_private()
        try:
            return TokenSet.model_validate(json.loads(raw))
        except ValueError as exc:
            raise ConfigError(
                f"The token file {self.path} is not a token set we wrote. Run `upwork-mcp auth login` to replace it."
            ) from exc

    def _keep_private(self) -> None:
        mode = self.path.stat().st_mode & 0o777
        if not mode & 0o077:
            return
        try:
            os.chmod(self.path, 0o600)
        except OSError as exc:
            raise ConfigError(
                f"The token file {self.path} can be read by other users (mode {mode:o}) and could not be made "
                f"private: run `chmod 600 {self.path}`."
            ) from exc
        self.repaired = f"the token file was readable by other users (mode {mode:o}); it was made private (0600)"
        log.warning("%s: %s", self.path, self.repaired)

    def _sweep(self) -> None:
        """Remove temporary files of writers that died mid-save (each name carries its writer's pid)."""
        try:
            leftovers = list(self.path.parent.glob(".tokens-*.tmp"))
        except OSError:
            return
        for tmp in leftovers:
            pid_text = tmp.name.removeprefix(".tokens-").split("-", 1)[0]
            if pid_text.isdigit() and _alive(int(pid_text)):
                continue
            with contextlib.suppress(OSError):
                tmp.unlink()

    def save(self, tokens: TokenSet) -> None:
        directory = self.path.parent
        # Created private if missing; an existing directory keeps its own mode (it may be shared).
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._sweep()
        fd, tmp = tempfile.mkstemp(prefix=f".tokens-{os.getpid()}-", suffix=".tmp", dir=directory)
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


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
