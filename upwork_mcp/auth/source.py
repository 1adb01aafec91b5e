"""What the engine needs from auth: a source of access tokens, and the headers made from it.

`api/` depends on this module only: it is handed a `TokenSource` and never decides where tokens
come from (the composition root does).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from ..facts import TENANT_HEADER
from .tokens import TokenSet


class TokenSource(Protocol):
    """Hands out a usable access token; renews it when the server rejected one."""

    async def current(self) -> TokenSet: ...

    async def after_rejection(self, rejected: str) -> TokenSet: ...


class BearerCredentials:
    """`Authorization: Bearer ...` (and the organization chosen with `auth use-org`) for the request loop."""

    def __init__(self, source: TokenSource) -> None:
        self.source = source

    async def headers(self) -> dict[str, str]:
        tokens = await self.source.current()
        headers = {"Authorization": f"Bearer {tokens.access_token.get_secret_value()}"}
        if tokens.tenant_id:
            headers[TENANT_HEADER] = tokens.tenant_id  # a call's own tenant header overrides it
        return headers

    async def rejected(self, sent: Mapping[str, str]) -> bool:
        token = sent.get("Authorization", "").removeprefix("Bearer ")
        await self.source.after_rejection(token)
        return True
