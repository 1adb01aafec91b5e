from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.serving import serving
from upwork_mcp.sandbox import Sandbox, create_app


@dataclass
class LoopbackSandbox:
    box: Sandbox
    url: str

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "UPWORK_API_URL": f"{self.url}/graphql",
            "UPWORK_OAUTH_URL": self.url,
            "UPWORK_JOB_FEED_URL": self.url,
            "UPWORK_CLIENT_ID": "sandbox-client",
            "UPWORK_CLIENT_SECRET": "sandbox-secret",
            "UPWORK_JOB_FEED_API_KEY": "sandbox-feed-key",
            "UPWORK_RATE_LIMIT": "1000",
            **extra,
        }


@pytest.fixture
def loopback() -> Iterator[LoopbackSandbox]:
    """The sandbox on a real 127.0.0.1 port, served by uvicorn in a thread."""
    box = Sandbox.create()
    box.rate_limit = 1e6
    with serving(create_app(box), lifespan="off") as url:
        yield LoopbackSandbox(box, url)
