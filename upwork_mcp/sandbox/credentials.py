"""The sandbox's fixed credentials, and settings pointed at the embedded sandbox.

Fixed so a newcomer needs no account; prefixed tokens (`sbx_...`) make a leak visible.
"""

from __future__ import annotations

from pydantic import SecretStr

from ..config import Settings

CLIENT_ID = "sandbox-client"
CLIENT_SECRET = "sandbox-secret"
FEED_KEY = "sandbox-feed-key"
# The embedded sandbox answers in process; this host never resolves (.invalid is reserved).
BASE_URL = "http://sandbox.upwork-mcp.invalid"


def settings_for(settings: Settings) -> Settings:
    """`settings` pointed at the embedded sandbox with its fixed credentials (a real token is never sent)."""
    return settings.model_copy(
        update={
            "sandbox": True,
            "client_id": CLIENT_ID,
            "client_secret": SecretStr(CLIENT_SECRET),
            "job_feed_api_key": SecretStr(FEED_KEY),
            "api_url": BASE_URL + "/graphql",
            "oauth_url": BASE_URL,
            "job_feed_url": BASE_URL,
            "access_token": None,
        }
    )
