"""UpworkClient: Upwork's GraphQL API and the job feed, one resource per attribute."""

from __future__ import annotations

from .._http import RequestLoop
from ..auth.source import BearerCredentials, TokenSource
from ..config import Settings
from ._graphql import GraphQLExecutor
from .account import AccountAPI
from .applying import ApplyingAPI
from .categories import CategoriesAPI
from .contracts import ContractsAPI
from .freelancers import FreelancersAPI
from .hours import HoursAPI
from .job_feed import JobFeedAPI
from .jobs import JobsAPI
from .memory import Capabilities, InMemory, Memory
from .messages import MessagesAPI
from .proposals import OffersAPI, ProposalsAPI


def key_id(settings: Settings) -> str:
    """Which API key this is, for what is remembered per key (permissions belong to the key).

    In the sandbox a fault set or key profile is another key: what a `profile=restricted` run was refused
    must never be believed by a plain `--sandbox` run.
    """
    if settings.sandbox:
        faults = ",".join(sorted(p.strip() for p in (settings.sandbox_faults or "").split(",") if p.strip()))
        return f"sandbox:{settings.client_id}" + (f":{faults}" if faults else "")
    return settings.client_id or ("access-token" if settings.access_token else "unknown")


class UpworkClient:
    """Upwork's GraphQL API and the job feed, one resource per attribute.

    `memory` is where it remembers what this key (or `user`) was refused and which job id a ciphertext stands
    for; the composition root hands it the store shared by the user's processes.
    """

    def __init__(
        self,
        settings: Settings,
        http: RequestLoop,
        tokens: TokenSource,
        *,
        memory: Memory | None = None,
        user: str = "",
    ) -> None:
        self.settings = settings
        self.loop = http
        self.tokens = tokens
        self.memory: Memory = memory or InMemory()
        # Refusals are remembered per key, or per key, user and organization (api/memory.py, Capabilities):
        # `user` is the team member this client acts for ("" for the one login of a data dir).
        self.capabilities = Capabilities(self.memory, key_id(settings), user=user)
        self.graphql = GraphQLExecutor(
            http,
            settings.api_url,
            BearerCredentials(tokens),
            settings.tenant_id,
            self.capabilities,
            login_tenant=self._login_tenant,
        )
        self.account = AccountAPI(self.graphql)
        self.jobs = JobsAPI(self.graphql, self.memory)
        self.contracts = ContractsAPI(self.graphql, self.account.user_id)
        self.messages = MessagesAPI(self.graphql)
        self.freelancers = FreelancersAPI(self.graphql)
        self.proposals = ProposalsAPI(self.graphql, self.account.user_id)
        self.offers = OffersAPI(self.graphql)
        self.applying = ApplyingAPI(self.graphql, self.jobs, self.account, self.proposals)
        self.hours = HoursAPI(self.graphql)
        self.categories = CategoriesAPI(self.graphql, self.memory)
        self.job_feed = JobFeedAPI(http, settings.job_feed_url, settings.job_feed_api_key)

    async def _login_tenant(self) -> str | None:
        return (await self.tokens.current()).tenant_id
