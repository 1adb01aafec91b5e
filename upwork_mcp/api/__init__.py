"""The engine's public surface: `UpworkClient`, a plain async client for Upwork and the job feed.

    async with UpworkClient.open(Settings.from_env(os.environ)) as client:
        page = await client.jobs.search(JobSearchFilters(query="python"))

Nothing here knows about MCP.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from ..config import Settings
from ._base import RateLimiter, RequestLoop, RetryPolicy
from ._graphql import GraphQLExecutor, GraphQLResult
from .account import AccountAPI
from .contracts import ContractsAPI
from .freelancers import FreelancersAPI
from .job_feed import FeedQuery, JobFeedAPI
from .jobs import JobSearchFilters, JobsAPI
from .messages import MessagesAPI

__all__ = ["UpworkClient", "JobSearchFilters", "FeedQuery", "GraphQLResult"]

USER_AGENT = "upwork-mcp/0.1 (+https://github.com/upwork-mcp)"


class UpworkClient:
    def __init__(self, settings: Settings, http: httpx.AsyncClient, *, loop: RequestLoop | None = None,
                 token_store: Any = None) -> None:
        from ..auth.manager import BearerAuth, default_store, token_source
        from ..auth.oauth import sandbox_login
        from ..auth.store import MemoryTokenStore

        self.settings = settings
        self.http = http
        self.loop = loop or RequestLoop(
            http,
            timeout=settings.timeout,
            policy=RetryPolicy(max_retries=settings.max_retries),
            limiter=RateLimiter(settings.rate_limit),
        )
        if settings.sandbox:
            store = token_store or MemoryTokenStore()

            async def login() -> Any:
                return await sandbox_login(self.loop, settings)

            self.tokens = token_source(settings, self.loop, store, login=login)
        else:
            self.tokens = token_source(settings, self.loop, token_store or default_store(settings))
        self.auth = BearerAuth(self.tokens)
        self.graphql = GraphQLExecutor(self.loop, settings.api_url, self.auth, settings.tenant_id)
        self.account = AccountAPI(self.graphql)
        self.jobs = JobsAPI(self.graphql)
        self.contracts = ContractsAPI(self.graphql, self.account.user_id)
        self.messages = MessagesAPI(self.graphql)
        self.freelancers = FreelancersAPI(self.graphql)
        self.job_feed = JobFeedAPI(self.loop, settings.job_feed_url, settings.job_feed_api_key)

    @classmethod
    def create(cls, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None,
               **kwargs: Any) -> UpworkClient:
        """A client with its own AsyncClient (close it with `await client.http.aclose()`).

        In sandbox mode it talks to the embedded sandbox in process, unless given a transport.
        """
        if transport is None and settings.sandbox:
            from ..sandbox import embedded_transport

            transport = embedded_transport(settings.sandbox_faults)
        http = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(settings.timeout),
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,
        )
        return cls(settings, http, **kwargs)

    @classmethod
    @asynccontextmanager
    async def open(cls, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None,
                   **kwargs: Any) -> AsyncIterator[UpworkClient]:
        """One AsyncClient for the process, closed on exit."""
        client = cls.create(settings, transport=transport, **kwargs)
        async with client.http:
            yield client
