"""The Upwork Jobs API feed (seed 004): GET /health and GET /jobs with an X-API-KEY header."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from .._http import RequestLoop
from ..errors import APIError, ConfigError
from ..models.job_feed import FeedEnvelope

SERVICE = "The Upwork Jobs API feed"


class FeedQuery(BaseModel):
    """Filters the feed applies server-side, named as the feed names them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    limit: int = Field(default=20, ge=1, le=50)  # the feed refuses more than 50
    tags: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    category: str | None = None
    job_type: Literal["hourly", "fixed"] | None = None
    contractor_tier: Literal["entry", "intermediate", "expert"] | None = None
    payment_verified: bool | None = None
    budget_min: float | None = Field(default=None, ge=0)
    budget_max: float | None = Field(default=None, ge=0)

    def to_params(self) -> dict[str, str]:
        params: dict[str, str] = {"limit": str(self.limit)}
        if self.tags:
            params["tags"] = ",".join(self.tags)
        if self.skills:
            params["skills"] = ",".join(self.skills)
        if self.category:
            params["category"] = self.category
        if self.job_type:
            params["job_type"] = "1" if self.job_type == "hourly" else "2"
        if self.contractor_tier:
            params["contractor_tier"] = {"entry": "1", "intermediate": "2", "expert": "3"}[self.contractor_tier]
        if self.payment_verified is not None:
            params["payment_verified"] = "true" if self.payment_verified else "false"
        if self.budget_min is not None:
            params["budget_min"] = f"{self.budget_min:g}"
        if self.budget_max is not None:
            params["budget_max"] = f"{self.budget_max:g}"
        return params


class JobFeedAPI:
    def __init__(self, loop: RequestLoop, base_url: str, api_key: SecretStr | None) -> None:
        self._loop = loop
        self._base = base_url.rstrip("/")
        self._key = api_key

    def _headers(self) -> dict[str, str]:
        if self._key is None:
            raise ConfigError(
                "The job feed needs an API key: set UPWORK_JOB_FEED_API_KEY, or start with --sandbox to try it."
            )
        return {"X-API-KEY": self._key.get_secret_value()}

    async def _get(self, path: str, params: dict[str, str] | None = None) -> FeedEnvelope:
        response = await self._loop.send(
            "GET",
            self._base + path,
            service=SERVICE,
            params=params,
            headers=self._headers(),
            auth_hint="Check UPWORK_JOB_FEED_API_KEY: it must be the key of your Upwork Jobs API plan.",
        )
        try:
            envelope = FeedEnvelope.model_validate(response.json())
        except (ValueError, ValidationError) as exc:
            raise APIError(f"{SERVICE} answered with an unexpected body.", status_code=response.status_code) from exc
        if not envelope.success:
            raise APIError(f"{SERVICE} reported a failure: {envelope.message or 'no reason given'}.")
        return envelope

    async def health(self) -> FeedEnvelope:
        return await self._get("/health")

    async def jobs(self, query: FeedQuery) -> FeedEnvelope:
        return await self._get("/jobs", query.to_params())
