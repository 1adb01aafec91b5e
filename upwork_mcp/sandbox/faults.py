"""Faults switchable per run: the ways Upwork fails, on demand."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Faults:
    """Faults switchable per run (CLI --fault, UPWORK_SANDBOX_FAULTS, or POST /__sandbox__/faults)."""

    rate_limit: int = 0  # the next N API requests answer 429
    retry_after: float = 1.0
    server_error: int = 0  # the next N API requests answer 503 (refused: nothing was processed)
    lost_answer: int = 0  # the next N API requests are processed, then a gateway answers 502 (outcome unknown)
    slow: float = 0.0  # seconds added before every API answer
    partial: bool = False  # every 7th job-search node is nulled with an error
    deny: set[str] = field(default_factory=set)  # "Type.field" the API key may not read
    deny_consent: bool = False  # the consent page answers access_denied

    @classmethod
    def parse(cls, spec: str) -> Faults:
        """From 'rate_limit=2,server_error=1,slow=0.5,partial,deny=Query.vendorContracts'."""
        faults = cls()
        for part in (p.strip() for p in spec.split(",") if p.strip()):
            name, _, value = part.partition("=")
            faults.set(name.strip(), value.strip())
        return faults

    def set(self, name: str, value: str) -> None:
        if name in ("rate_limit", "server_error", "lost_answer"):
            setattr(self, name, int(value or 1))
        elif name in ("retry_after", "slow"):
            setattr(self, name, float(value))
        elif name in ("partial", "deny_consent"):
            setattr(self, name, value.lower() not in ("0", "false", "off", "no"))
        elif name == "deny":
            if "." not in value:
                raise ValueError("deny takes Type.field, e.g. deny=Query.vendorContracts")
            self.deny.add(value)
        else:
            raise ValueError(
                f"unknown fault {name!r}; use rate_limit=N, server_error=N, lost_answer=N, retry_after=S, slow=S, "
                "partial, "
                "deny=Type.field or deny_consent"
            )

    def as_dict(self) -> dict[str, Any]:
        return {
            "rate_limit": self.rate_limit,
            "retry_after": self.retry_after,
            "server_error": self.server_error,
            "lost_answer": self.lost_answer,
            "slow": self.slow,
            "partial": self.partial,
            "deny": sorted(self.deny),
            "deny_consent": self.deny_consent,
        }
