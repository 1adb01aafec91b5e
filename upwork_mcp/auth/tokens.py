"""The token set we keep, and how a token endpoint's answer becomes one."""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr

# Refresh this long before the access token runs out, so no call starts with a dying token.
REFRESH_MARGIN = 300.0


class TokenSet(BaseModel):
    model_config = ConfigDict(frozen=True)

    access_token: SecretStr
    refresh_token: SecretStr | None = None
    token_type: str = "bearer"
    expires_at: float | None = None
    obtained_at: float = 0.0
    tenant_id: str | None = None
    # The API key the login was made with, kept beside its tokens (0600 file or keychain), so a client
    # started without UPWORK_CLIENT_ID/SECRET in its config can still refresh.
    client_id: str | None = None
    client_secret: SecretStr | None = None

    def expiring(self, now: float | None = None, margin: float = REFRESH_MARGIN) -> bool:
        if self.expires_at is None:
            return False
        return (now if now is not None else time.time()) >= self.expires_at - margin

    @classmethod
    def from_response(
        cls, body: dict[str, Any], *, now: float | None = None, previous: TokenSet | None = None
    ) -> TokenSet:
        """Build from a token endpoint answer. `expires_in` may be a number or a string ("86400")."""
        access = body.get("access_token")
        if not isinstance(access, str) or not access:
            raise ValueError("the token endpoint answered without an access_token")
        stamp = now if now is not None else time.time()
        expires_in = body.get("expires_in")
        try:
            seconds = float(expires_in) if expires_in not in (None, "") else None
        except (TypeError, ValueError):
            seconds = None
        refresh = body.get("refresh_token")
        return cls(
            access_token=SecretStr(access),
            # A refresh answer without a new refresh token keeps the old one.
            refresh_token=SecretStr(refresh)
            if isinstance(refresh, str) and refresh
            else (previous.refresh_token if previous else None),
            token_type=str(body.get("token_type") or "bearer"),
            expires_at=stamp + seconds if seconds is not None else None,
            obtained_at=stamp,
            tenant_id=previous.tenant_id if previous else None,
            client_id=previous.client_id if previous else None,
            client_secret=previous.client_secret if previous else None,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token.get_secret_value(),
            "refresh_token": self.refresh_token.get_secret_value() if self.refresh_token else None,
            "token_type": self.token_type,
            "expires_at": self.expires_at,
            "obtained_at": self.obtained_at,
            "tenant_id": self.tenant_id,
            "client_id": self.client_id,
            "client_secret": self.client_secret.get_secret_value() if self.client_secret else None,
        }
