from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
import uvicorn

from upwork_mcp.sandbox import Sandbox, create_app


class LoopbackSandbox:
    def __init__(self, box: Sandbox) -> None:
        self.box = box
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(create_app(box), log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def env(self, **extra: str) -> dict[str, str]:
        return {"UPWORK_API_URL": f"{self.url}/graphql", "UPWORK_OAUTH_URL": self.url, "UPWORK_JOB_FEED_URL": self.url,
                "UPWORK_CLIENT_ID": "sandbox-client", "UPWORK_CLIENT_SECRET": "sandbox-secret",
                "UPWORK_JOB_FEED_API_KEY": "sandbox-feed-key", "UPWORK_RATE_LIMIT": "1000", **extra}


@pytest.fixture
def loopback() -> Iterator[LoopbackSandbox]:
    """The sandbox on a real 127.0.0.1 port, served by uvicorn in a thread."""
    box = Sandbox.create()
    box.rate_limit = 1e6
    served = LoopbackSandbox(box)
    served.thread.start()
    while not served.server.started:
        threading.Event().wait(0.01)
    yield served
    served.server.should_exit = True
    served.thread.join(10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
