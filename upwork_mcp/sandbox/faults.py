"""Faults and key profiles switchable per run: the ways Upwork fails, and what each kind of key may read.

Set with `--fault` on `upwork-mcp sandbox`, `UPWORK_SANDBOX_FAULTS`, or `POST /__sandbox__/faults`:

    rate_limit=2,server_error=1,lost_answer=1,lost_write=1,slow=0.5,partial,deny=Query.vendorContracts,
    profile=freelancer,grant=Query.transactionHistory,drop=MarketplaceJobPostingSearchResult.title,
    introspection=per-type,deny_consent,proposals_timeout=2
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Root fields each kind of key is refused, as reported live (the facts behind each line are in the README).
_MESSAGING = {
    "Query.roomList",
    "Query.roomStories",
    "Query.contractRoom",
    "Query.proposalRoom",
    "Query.offerRoom",
    "Mutation.createRoomStoryV2",
}
_CONTRACTS = {"Query.vendorContracts", "Query.contractList", "Query.contractDetails", "Query.talentWorkHistory"}
_MONEY_AND_TIME = {
    "Query.transactionHistory",
    "Query.accountingEntity",
    "CurrentUser.contractTimeReport",
    "Query.workDiaryContract",
    "Query.contractTimeReport",
}
_PEOPLE = {"Query.freelancerProfileSearchRecords", "Query.freelancerProfileByProfileKey"}
_PROPOSALS_OFFERS = {
    "Query.vendorProposals",
    "Query.vendorProposal",
    "Query.offer",
    "Query.offersByAttribute",
    "CurrentUser.offer",
}
PROFILES: dict[str, frozenset[str]] = {
    # Everything answers: the default, so every tool can be tried.
    "full": frozenset(),
    # An ordinary freelancer key: contracts only through the work history, no payments permission, and no
    # "Submit Proposal" (a permission the key's owner enables on purpose).
    "freelancer": frozenset(
        {"Query.vendorContracts", "Query.contractList", "Query.transactionHistory", "Mutation.createJobProposal"}
    ),
    # An agency or client key: contracts by id (contractList), not the freelancer's work history; its
    # vendorContracts answers, with no contract at all (live, an agency key, 2026-04).
    "agency": frozenset({"Query.talentWorkHistory", "Query.transactionHistory"}),
    # A key with only "Read marketplace Job Postings" and the common entities.
    "restricted": frozenset(
        _MESSAGING | _CONTRACTS | _MONEY_AND_TIME | _PEOPLE | _PROPOSALS_OFFERS | {"Mutation.createJobProposal"}
    ),
}
# Profiles whose vendorContracts answers an empty list rather than a refusal.
EMPTY_CONTRACT_SEARCH = frozenset({"agency"})
# Fields no ordinary key may read, whatever its profile: `grant=` opens them (a key with an elevated scope).
ELEVATED = frozenset(
    {
        "FreelancerProfile.countryDetails",  # "requires elevated scope" (live, borntojesus)
        "MarketplacePostingOwnership.company",  # a job's client: 403 view_client_company (live, freelancer notes)
    }
)
INTROSPECTION = ("full", "per-type")


@dataclass
class Faults:
    """Faults switchable per run."""

    rate_limit: int = 0  # the next N API requests answer 429
    retry_after: float = 1.0
    server_error: int = 0  # the next N API requests answer 503 (refused: nothing was processed)
    lost_answer: int = 0  # the next N API requests are processed, then a gateway answers 502 (outcome unknown)
    lost_write: int = 0  # the same for the next N mutations only (the reads before a write answer)
    slow: float = 0.0  # seconds added before every API answer
    partial: bool = False  # every 7th job-search node is nulled with an error
    proposals_timeout: int = 0  # the next N proposal listings answer Upwork's "Transform timeout (1s)"
    deny: set[str] = field(default_factory=set)  # "Type.field" the API key may not read
    grant: set[str] = field(default_factory=set)  # "Type.field" the profile refuses but this key may read
    profile: str = "full"  # which kind of key this is (PROFILES)
    drop: set[str] = field(default_factory=set)  # "Type.field" absent from the schema (drift)
    introspection: str = "full"  # "per-type": whole-schema introspection refused, __type(name:) works
    deny_consent: bool = False  # the consent page answers access_denied

    @classmethod
    def parse(cls, spec: str) -> Faults:
        """From 'rate_limit=2,server_error=1,slow=0.5,partial,deny=Query.vendorContracts,profile=freelancer'."""
        faults = cls()
        for part in (p.strip() for p in spec.split(",") if p.strip()):
            name, _, value = part.partition("=")
            faults.set(name.strip(), value.strip())
        return faults

    def denied(self) -> set[str]:
        """Every Type.field this key may not read: its profile's, plus `deny`, less `grant`."""
        return (set(PROFILES[self.profile]) | ELEVATED | self.deny) - self.grant

    def set(self, name: str, value: str) -> None:
        if name in ("rate_limit", "server_error", "lost_answer", "lost_write", "proposals_timeout"):
            setattr(self, name, int(value or 1))
        elif name in ("retry_after", "slow"):
            setattr(self, name, float(value))
        elif name in ("partial", "deny_consent"):
            setattr(self, name, value.lower() not in ("0", "false", "off", "no"))
        elif name in ("deny", "grant", "drop"):
            if "." not in value:
                raise ValueError(f"{name} takes Type.field, e.g. {name}=Query.vendorContracts")
            getattr(self, name).add(value)
        elif name == "profile":
            if value not in PROFILES:
                raise ValueError(f"profile takes one of {', '.join(PROFILES)}")
            self.profile = value
        elif name == "introspection":
            if value not in INTROSPECTION:
                raise ValueError(f"introspection takes one of {', '.join(INTROSPECTION)}")
            self.introspection = value
        else:
            raise ValueError(
                f"unknown fault {name!r}; use rate_limit=N, server_error=N, lost_answer=N, lost_write=N, "
                "retry_after=S, slow=S, partial, proposals_timeout=N, deny=Type.field, grant=Type.field, "
                "drop=Type.field, profile=NAME, introspection=MODE or deny_consent"
            )

    def as_dict(self) -> dict[str, Any]:
        return {
            "rate_limit": self.rate_limit,
            "retry_after": self.retry_after,
            "server_error": self.server_error,
            "lost_answer": self.lost_answer,
            "lost_write": self.lost_write,
            "slow": self.slow,
            "partial": self.partial,
            "proposals_timeout": self.proposals_timeout,
            "deny": sorted(self.deny),
            "grant": sorted(self.grant),
            "profile": self.profile,
            "drop": sorted(self.drop),
            "introspection": self.introspection,
            "deny_consent": self.deny_consent,
        }
