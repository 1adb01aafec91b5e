"""The engine's public surface: `UpworkClient`, a plain async client for Upwork and the job feed.

    client = UpworkClient(settings, loop, tokens)      # handed its collaborators, never choosing them
    page = await client.jobs.search(JobSearchFilters(query="python"))

`upwork_mcp.world.open_client(settings)` builds one for real Upwork or the embedded sandbox.
Nothing here knows about MCP.
"""

from __future__ import annotations

from .._http import RequestLoop
from ..auth.source import BearerCredentials, TokenSource
from ..config import Settings
from ._graphql import GraphQLExecutor, GraphQLResult
from .account import AccountAPI
from .contracts import ContractsAPI
from .freelancers import FreelancersAPI
from .job_feed import FeedQuery, JobFeedAPI
from .jobs import JobsAPI, JobSearchFilters
from .messages import MessagesAPI

__all__ = ["FeedQuery", "GraphQLResult", "JobSearchFilters", "UpworkClient"]


class UpworkClient:
    """Upwork's GraphQL API and the job feed, one resource per attribute."""

    def __init__(self, settings: Settings, http: RequestLoop, tokens: TokenSource) -> None:
        self.settings = settings
        self.loop = http
        self.tokens = tokens
        self.graphql = GraphQLExecutor(http, settings.api_url, BearerCredentials(tokens), settings.tenant_id)
        self.account = AccountAPI(self.graphql)
        self.jobs = JobsAPI(self.graphql)
        self.contracts = ContractsAPI(self.graphql, self.account.user_id)
        self.messages = MessagesAPI(self.graphql)
        self.freelancers = FreelancersAPI(self.graphql)
        self.job_feed = JobFeedAPI(http, settings.job_feed_url, settings.job_feed_api_key)
