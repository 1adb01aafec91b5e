"""New work appearing while the sandbox runs: jobs posted now, and jobs that change (budget, reopened).

A posted job is a fresh copy of a seeded one (new id, ciphertext and time, optional title, description,
budget and skills), so it shows in job search and on the feed alike, newest first. Without a title, each
posted job copies a different seeded one (the trickle's jobs vary).

The embedded sandbox lives inside each process that uses `--sandbox`; its board (a file in the user's
data dir, one JSON event per line) carries what `upwork-mcp sandbox post-job|change-job|change-proposal`
does to every such process, which applies new events before it answers a request.
"""

from __future__ import annotations

import copy
import json
import os
import random
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .applying import change_proposal
from .data import _iso, _money
from .state import Sandbox


class PostingError(ValueError):
    """A posting request the sandbox cannot carry out."""


def post_job(box: Sandbox, **fields: Any) -> dict[str, Any]:
    """Post one job now; `fields`: title, description, budget (fixed), hourly (min, max), skills (names), and
    (from a board event) id and at (its posting time, ISO 8601)."""
    data = box.data
    originals = data.jobs[box.posted :]  # posted jobs go first: the seeded ones follow them
    pick = random.Random(box.seed * 1_000_003 + box.posted)
    template = originals[pick.randrange(len(originals))] if not fields.get("title") else data.jobs[box.posted % 50]
    job = copy.deepcopy(template)
    box.posted += 1
    now = datetime.fromisoformat(str(fields["at"])) if fields.get("at") else box.now.replace(microsecond=0)
    job["id"] = str(fields.get("id") or 1_900_000_000_000_000_000 + box.posted * 7919 + secrets.randbelow(7000))
    job["ciphertext"] = "~02" + job["id"]  # a current job: ~02 + its numeric id
    job["_published"] = now
    job["publishedDateTime"] = job["createdDateTime"] = _iso(now)
    job["_last_activity"] = _iso(now)
    job["_status"] = "ACTIVE"
    job["totalApplicants"] = 0
    job["_hired"] = job["_interviewing"] = job["_invites"] = 0
    for key in ("title", "description"):
        if fields.get(key):
            job[key] = str(fields[key])
    if fields.get("skills"):
        job["skills"] = [
            {"name": str(s).lower().replace(" ", "-"), "prettyName": str(s), "highlighted": False}
            for s in fields["skills"]
        ]
    _set_budget(job, fields)
    data.jobs.insert(0, job)
    data.index(job)
    return job


def change_job(box: Sandbox, job_id: str, **fields: Any) -> dict[str, Any]:
    """Change a job in place: a new budget, or `status` open/closed (a reopened job is news again)."""
    job = box.data.job_by_id(job_id) or next((j for j in box.data.jobs if f"upwork-{j['id']}" == job_id), None)
    if job is None:
        raise PostingError(f"no job {job_id}")
    if fields.get("status") in ("open", "closed"):
        job["_status"] = "ACTIVE" if fields["status"] == "open" else "CLOSED"
    _set_budget(job, fields)
    job["_last_activity"] = _iso(box.now)
    return job


def _set_budget(job: dict[str, Any], fields: dict[str, Any]) -> None:
    if fields.get("budget") is not None:
        job["_fixed"] = True
        job["amount"] = _money(float(fields["budget"]))
        job["hourlyBudgetMin"] = job["hourlyBudgetMax"] = None
        job["hourlyBudgetType"] = None
    elif fields.get("hourly") is not None:
        low, high = (float(v) for v in fields["hourly"])
        job["_fixed"] = False
        job["amount"] = _money(0.0)
        job["hourlyBudgetMin"], job["hourlyBudgetMax"] = _money(low), _money(high)
        job["hourlyBudgetType"] = "DEFAULT"


class Board:
    """The embedded sandbox's shared board: events appended by one process, applied by every other."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._read = 0  # bytes of the file already applied

    def post(self, fields: dict[str, Any], now: datetime) -> dict[str, Any]:
        """Append a posting (with its id and time fixed now, so every process posts the same job)."""
        event = {
            "op": "post",
            "id": str(1_950_000_000_000_000_000 + secrets.randbelow(10**16)),
            "at": now.replace(microsecond=0).isoformat(),
            **fields,
        }
        self._append(event)
        return event

    def change(self, job_id: str, fields: dict[str, Any]) -> None:
        self._append({"op": "change", "job": job_id, **fields})

    def act_on_proposal(self, proposal_id: str, fields: dict[str, Any]) -> None:
        """The client acts on a proposal (status, reason, message, offer); the ids it makes are fixed here."""
        made = {"at": datetime.now(UTC).replace(microsecond=0).isoformat()}
        if fields.get("message"):
            made["story_id"] = f"story_{secrets.token_hex(6)}"
        if fields.get("offer"):
            made["offer_id"] = str(46_000_000 + secrets.randbelow(10**6))
        self._append({"op": "proposal", "proposal": proposal_id, **fields, **made})

    def _append(self, event: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        line = (json.dumps(event, separators=(",", ":")) + "\n").encode()
        fd = os.open(self.path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
        try:
            os.write(fd, line)  # one write, appended: readers see whole lines or none of it
        finally:
            os.close(fd)

    def apply(self, box: Sandbox) -> int:
        """Apply the events appended since the last call; how many."""
        try:
            if self.path.stat().st_size <= self._read:
                return 0
            with self.path.open("rb") as board:
                board.seek(self._read)
                chunk = board.read()
        except OSError:
            return 0
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._read += len(complete)
        applied = 0
        for raw in complete.splitlines():
            try:
                event = json.loads(raw)
                op = event.pop("op")
                if op == "post":
                    post_job(box, **event)
                elif op == "proposal":
                    change_proposal(box, str(event.pop("proposal")), **event)
                else:
                    change_job(box, str(event.pop("job")), **event)
            except (ValueError, KeyError, TypeError, PostingError):
                continue  # a bad line is skipped; the board goes on
            applied += 1
        return applied
