"""New work appearing while the sandbox runs: jobs posted now, and jobs that change (budget, reopened).

A posted job is a fresh copy of a seeded one (new id, ciphertext and time, optional title, description,
budget and skills), so it shows in job search and on the feed alike, newest first.
"""

from __future__ import annotations

import copy
import secrets
from typing import Any

from .data import _iso, _money
from .state import Sandbox


class PostingError(ValueError):
    """A posting request the sandbox cannot carry out."""


def post_job(box: Sandbox, **fields: Any) -> dict[str, Any]:
    """Post one job now; `fields`: title, description, budget (fixed), hourly (min, max), skills (names)."""
    data = box.data
    template = data.jobs[box.posted % 50]
    job = copy.deepcopy(template)
    box.posted += 1
    now = box.now.replace(microsecond=0)
    job["id"] = str(1_900_000_000_000_000_000 + box.posted * 7919 + secrets.randbelow(7000))
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
