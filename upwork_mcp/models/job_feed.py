"""The Upwork Jobs API feed's job object and envelope, as documented, tolerant of missing fields."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class FeedModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class FeedCategory(FeedModel):
    name: str | None = None
    slug: str | None = None
    group: str | None = None
    group_slug: str | None = None


class FeedBudget(FeedModel):
    fixed_amount: float | None = None
    currency: str | None = None


class FeedHourlyBudget(FeedModel):
    min: float | None = None
    max: float | None = None


class FeedBuyer(FeedModel):
    payment_verified: bool | None = None
    country: str | None = None
    city: str | None = None
    timezone: str | None = None
    total_spent: float | None = None
    total_assignments: int | None = None
    total_jobs_with_hires: int | None = None


class FeedClientActivity(FeedModel):
    total_applicants: int | None = None
    total_hired: int | None = None
    total_invited_to_interview: int | None = None
    unanswered_invites: int | None = None
    invitations_sent: int | None = None
    last_buyer_activity: str | None = None


class FeedJob(FeedModel):
    id: str
    title: str | None = None
    description: str | None = None
    job_type: int | None = None  # 1 hourly, 2 fixed
    status: int | None = None  # 1 open, 2 closed
    contractor_tier: int | None = None  # 1 entry, 2 intermediate, 3 expert
    posted_on: str | None = None
    category: FeedCategory | None = None
    budget: FeedBudget | None = None
    hourly_budget: FeedHourlyBudget | None = None
    buyer: FeedBuyer | None = None
    skills: list[str] = []
    tags: list[str] = []
    client_activity: FeedClientActivity | None = None
    url: str | None = None
    last_visited_at: str | None = None
    duration_label: str | None = None
    engagement: str | None = None
    is_private: bool | None = None
    privacy_reason: str | None = None


class FeedEnvelope(FeedModel):
    success: bool
    data: list[FeedJob] = []
    count: int = 0
    last_updated: str | None = None
    message: str | None = None
    error: str | None = None  # the validation-error shape: {success: false, error, details: [...]}
