"""What to do about an error, said where the person or the model meets it.

The engine's errors state what happened in Upwork's terms ("No room 123 is visible to this account";
"Upwork refused vendorContracts for this API key"), and carry what they were about (`exc.root`, the
Upwork operation) and their class. Which tool gives the right ids, or which command re-checks a key, is
the surface's knowledge: it lives here, keyed by error class and root field, and is added by the MCP
surface (`server/calls.py`, audience "model") and by the CLI (audience "person").
"""

from __future__ import annotations

import shlex
from typing import Literal

from .config import Settings
from .errors import (
    AuthenticationError,
    CriteriaNeeded,
    GraphQLError,
    InvalidInputError,
    NotAuthenticatedError,
    NotFoundError,
    PermissionDeniedError,
    TenantError,
    UpworkError,
)

Audience = Literal["model", "person"]

# Where the ids of what a root field looks up come from (tools the model can call).
ID_SOURCES: dict[str, str] = {
    "marketplaceJobPosting": "Job ids come from search_jobs (a ~02 ciphertext is ~02 + the id); an old ~01 link "
    "resolves when it carries the job's title (/jobs/Title_~01...) or a search showed the job.",
    "contractDetails": "Contract ids come from list_contracts.",
    "contractRoom": "Contract ids come from list_contracts.",
    "workDiaryContract": "Contract ids come from list_contracts.",
    "talentWorkHistory": "Contract ids come from list_contracts.",
    "roomStories": "Room ids come from list_rooms.",
    "createRoomStoryV2": "Room ids come from list_rooms.",
    "freelancerProfileByProfileKey": "Profile keys (~01...) come from search_freelancers; get_freelancer_profile "
    "reads a profile link, get_my_profile the user's own.",
    "vendorProposal": "Proposal ids come from list_proposals.",
    "offer": "Offer ids come from list_offers.",
    "ontologyCategories": "list_categories shows the ids and names.",
}

UNPROBED_WRITES = frozenset({"createJobProposal"})
LOGIN = "Run `upwork-mcp auth login` to log in again."
FIRST_LOGIN = (
    "Run `upwork-mcp auth login` (or set UPWORK_ACCESS_TOKEN), or start the server with --sandbox to try it offline."
)
RECHECK = "After changing the key's permissions, run `upwork-mcp doctor` to re-check what it may read."
CRITERIA: dict[str, str] = {
    "model": "Ask the user what they want, what they won't take and their rates, then call set_criteria with "
    "their words (or accept_starting_point=true if they take the starting point as it is); the user approves it.",
    "person": "State yours: `upwork-mcp watch criteria --want python,django --avoid wordpress --rate-floor 60` "
    "(or `upwork-mcp watch criteria --accept` to take the starting point as it is), or write a [scoring] "
    "section in the watch settings file (`upwork-mcp watch config`).",
}


def advice(exc: UpworkError, audience: Audience = "model") -> str | None:
    """The next step for `exc`, or None when its own message is all there is to say."""
    if isinstance(exc, NotAuthenticatedError):
        return FIRST_LOGIN
    if isinstance(exc, AuthenticationError) and exc.root is not None:
        return LOGIN  # Upwork refused the token (the job feed's key is named in its own message)
    if isinstance(exc, TenantError):
        if audience == "model":
            return "Use an organization id from get_account, or omit tenant_id for the one in use."
        return "`upwork-mcp auth orgs` lists your organizations; `upwork-mcp auth use-org ID` picks one."
    if isinstance(exc, PermissionDeniedError):
        # `doctor` probes reads only: for a write its message (the permission, the API Center) is the advice.
        return None if exc.root in UNPROBED_WRITES else RECHECK
    if isinstance(exc, CriteriaNeeded):
        return CRITERIA[audience]
    if audience == "model" and isinstance(exc, NotFoundError | InvalidInputError) and exc.root in ID_SOURCES:
        return ID_SOURCES[exc.root or ""]
    if audience == "model" and isinstance(exc, NotFoundError):
        return "Check the id."
    if audience == "model" and isinstance(exc, GraphQLError) and exc.unanswerable:
        return "Ask for other fields with run_graphql, or update upwork-mcp."
    return None


def explain(exc: UpworkError, audience: Audience = "model") -> str:
    """`exc`'s message followed by its advice (once, even if the message already says it)."""
    said = str(exc)
    more = advice(exc, audience)
    if not more or more in said:
        return said
    return f"{said.rstrip()} {more}" if said.rstrip().endswith((".", "!", "?", ")")) else f"{said}. {more}"


def approve_command(settings: Settings, approval_id: str = "", *, pair: bool = False) -> str:
    """`upwork-mcp approve ...` as a person types it in their own terminal, with what makes it find this
    server's store (the sandbox's, or another data dir). A database URL is a secret: named, never printed."""
    words = ["upwork-mcp", "approve", *([approval_id] if approval_id else []), *(["--pair"] if pair else [])]
    if settings.sandbox:
        words.append("--sandbox")
    command = " ".join(shlex.quote(w) for w in words)
    if settings.data_dir is not None:
        command = f"UPWORK_DATA_DIR={shlex.quote(str(settings.data_dir))} {command}"
    if settings.database_url is not None:
        command += " (with the server's UPWORK_DATABASE_URL set)"
    return command
