from __future__ import annotations

from ._base import APIModel, Money


class FreelancerSkill(APIModel):
    preferred_label: str | None = None


class FreelancerLocation(APIModel):
    country: str | None = None
    city: str | None = None


class FreelancerRecord(APIModel):
    id: str
    ciphertext: str | None = None
    title: str | None = None
    short_name: str | None = None
    description: str | None = None
    avg_feedback_score: float | None = None
    top_rated_status: str | None = None
    total_hourly_jobs: int | None = None
    total_fixed_price_jobs: int | None = None
    hourly_rate: Money | None = None
    skills: list[FreelancerSkill | None] | None = None
    location: FreelancerLocation | None = None


class RateFilterReport(APIModel):
    """The rate range applied to Upwork's profiles here (its freelancer search has no rate filter)."""

    scanned: int
    kept: int
    unstated: int = 0  # profiles that state no hourly rate: left out
    upstream_total: int | None = None


class FreelancerPage(APIModel):
    total: int | None = None  # Upwork's count; None when a rate range was applied here
    freelancers: list[FreelancerRecord]
    next_cursor: str | None = None
    rate_filter: RateFilterReport | None = None


class CountryDetails(APIModel):
    name: str | None = None


class PersonalData(APIModel):
    title: str | None = None
    description: str | None = None
    profile_url: str | None = None
    charge_rate: Money | None = None


class Aggregates(APIModel):
    job_success_score: float | None = None
    top_rated_status: str | None = None
    total_hours: float | None = None
    total_feedback: float | None = None
    total_earnings: Money | None = None
    total_hourly_jobs: int | None = None
    total_fixed_jobs: int | None = None


class Availability(APIModel):
    name: str | None = None
    capacity: str | None = None


class ProfileSkill(APIModel):
    pretty_name: str | None = None


class ProfileSkillEdge(APIModel):
    node: ProfileSkill | None = None


class ProfileSkills(APIModel):
    edges: list[ProfileSkillEdge | None] | None = None


class FreelancerProfile(APIModel):
    profile_key: str
    full_name: str | None = None
    country_details: CountryDetails | None = None
    personal_data: PersonalData | None = None
    aggregates: Aggregates | None = None
    availability: Availability | None = None
    skills: ProfileSkills | None = None

    def skill_names(self) -> list[str]:
        return [
            e.node.pretty_name
            for e in (self.skills.edges if self.skills and self.skills.edges else [])
            if e and e.node and e.node.pretty_name
        ]


class MyProfile(APIModel):
    """The logged-in user and their own freelancer profile (None when the account has none: a client)."""

    user_id: str | None = None
    name: str | None = None
    profile_key: str | None = None
    profile: FreelancerProfile | None = None
