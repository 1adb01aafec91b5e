"""Sealing secrets at rest: Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`) under the operator's
key, with rotation: UPWORK_ENCRYPTION_KEY="new-key,old-key" opens what either sealed and seals with the new.

    upwork-mcp keys new      # prints a fresh key
"""

from __future__ import annotations

from ..errors import ConfigError


def new_key() -> str:
    from cryptography.fernet import Fernet  # lazy: only deployments that seal secrets

    return Fernet.generate_key().decode()


class Sealer:
    def __init__(self, keys: str) -> None:
        from cryptography.fernet import Fernet, MultiFernet  # lazy: as above

        parts = [k.strip() for k in keys.split(",") if k.strip()]
        if not parts:
            raise ConfigError("UPWORK_ENCRYPTION_KEY is empty: `upwork-mcp keys new` prints a key to set.")
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in parts])
        except ValueError:
            raise ConfigError(
                "UPWORK_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64 bytes), comma-separated, newest "
                "first: `upwork-mcp keys new` prints one."
            ) from None

    def seal(self, plain: bytes) -> bytes:
        return self._fernet.encrypt(plain)

    def open(self, sealed: bytes) -> bytes:
        from cryptography.fernet import InvalidToken  # lazy: as above

        try:
            return self._fernet.decrypt(sealed)
        except InvalidToken:
            raise ConfigError(
                "A stored login cannot be opened with UPWORK_ENCRYPTION_KEY: the key changed without keeping the "
                "old one after it (new,old). Put the old key back, or have the user log in again."
            ) from None

    def reseal(self, sealed: bytes) -> bytes:
        """The same secret under the newest key (key rotation)."""
        return self._fernet.rotate(sealed)
