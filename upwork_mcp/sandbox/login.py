"""Logging in to the sandbox without a browser: its consent page approves at once and redirects.

Only the sandbox answers an authorization request this way; Upwork shows a login page.
"""

from __future__ import annotations

from .._http import RequestLoop
from ..auth.oauth import authorization_request, code_from_redirect, exchange_code
from ..auth.tokens import TokenSet
from ..config import Settings
from ..errors import NotAuthenticatedError


async def sandbox_login(loop: RequestLoop, settings: Settings) -> TokenSet:
    request = authorization_request(settings)
    response = await loop.send("GET", request.url, service="the sandbox's OAuth server", ok_statuses=frozenset({302}))
    location = response.headers.get("location")
    if response.status_code != 302 or not location:
        raise NotAuthenticatedError("The sandbox did not redirect back with a code.")
    code = code_from_redirect(request, location)
    return await exchange_code(loop, settings, request, code)
