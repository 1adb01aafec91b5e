"""Applying to a job: `createJobProposal`, checked first against what Upwork would refuse.

From the facts page (Proposals, "Submitting"): the key needs the "Submit Proposal" permission; the input
names the user by `id` and username (`nid`, not `rid`), the job by its numeric id (not a ciphertext), the
organization by `organization { id }` (not the user's id), and answers the job's screening questions in
order (they come from `marketplaceJobPosting.contractorSelection.proposalRequirement`). It spends
Connects, so it is sent once and never again: an answer that is lost leaves the outcome unknown, and
only the user's proposal list can tell.

`prepare()` reads the job, the account and the user's proposals for that job and refuses what Upwork
would refuse (or what would waste Connects); `submit()` sends exactly what was prepared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..errors import APIError, GraphQLError, InvalidInputError, UnansweredQuestions, UpworkError
from ..facts import JOB_URL
from ..models.jobs import JobPosting
from ..models.proposals import Proposal
from ._graphql import GraphQLExecutor
from .account import AccountAPI
from .jobs import JobsAPI
from .proposals import ProposalsAPI

OPEN_JOB = "ACTIVE"  # workFlowState.status of a job that takes proposals
ROOT = "createJobProposal"


@dataclass(frozen=True)
class Application:
    """One proposal exactly as it will be sent, with what the person needs to see to approve it."""

    job_id: str
    job_title: str
    job_url: str | None
    kind: Literal["hourly", "fixed"]
    amount: float
    currency: str
    cover_letter: str
    answers: tuple[tuple[str, str], ...]  # (question, answer), in the job's order
    contractor_id: str
    username: str
    organization_id: str
    budget: str | None  # the client's stated range or budget, for the preview

    def variables(self) -> dict[str, Any]:
        return {
            "input": {
                "selectedContractor": {"id": self.contractor_id, "oDeskUserID": self.username},
                "jobReference": self.job_id,
                "chargedAmount": self.amount,
                "coverLetter": self.cover_letter,
                "teamOrgId": self.organization_id,
                "questions": [{"question": q, "answer": a} for q, a in self.answers],
            }
        }


@dataclass(frozen=True)
class Submitted:
    proposal_id: str
    status: str | None
    warning: str | None  # an `error` Upwork sent alongside a proposal id


def _refuse(message: str) -> InvalidInputError:
    return InvalidInputError(message).about(ROOT)


def _kind(job: JobPosting) -> Literal["hourly", "fixed"] | None:
    terms = job.contract_terms
    kind = (terms.contract_type or "").upper() if terms else ""
    return "hourly" if kind == "HOURLY" else "fixed" if kind == "FIXED" else None


def _budget(job: JobPosting) -> str | None:
    terms = job.contract_terms
    if terms is None:
        return None
    hourly = terms.hourly_contract_terms
    if hourly and (hourly.hourly_budget_min or hourly.hourly_budget_max):
        return f"${hourly.hourly_budget_min or 0:g}-${hourly.hourly_budget_max or 0:g}/hr"
    fixed = terms.fixed_price_contract_terms
    if fixed and fixed.amount and fixed.amount.amount:
        return f"{fixed.amount.currency or 'USD'} {fixed.amount.amount:g} fixed"
    return None


def check_terms(
    job: JobPosting, *, hourly_rate: float | None, fixed_bid: float | None, cover_letter: str, answers: list[str]
) -> tuple[Literal["hourly", "fixed"], float, tuple[tuple[str, str], ...]]:
    """What Upwork would refuse in the proposal itself: (kind, amount, question-answer pairs) or an error."""
    status = (job.work_flow_state.status if job.work_flow_state else None) or ""
    if status.upper() != OPEN_JOB:
        raise _refuse(f"Job {job.id} is not open for proposals (Upwork says it is {status or 'in an unknown state'}).")
    kind = _kind(job)
    if (hourly_rate is None) == (fixed_bid is None):
        raise _refuse("Give exactly one amount: hourly_rate for an hourly job, fixed_bid for a fixed-price one.")
    if kind == "hourly" and fixed_bid is not None:
        raise _refuse(f"Job {job.id} is hourly: give hourly_rate (your rate per hour), not fixed_bid.")
    if kind == "fixed" and hourly_rate is not None:
        raise _refuse(f"Job {job.id} is fixed-price: give fixed_bid (the whole amount), not hourly_rate.")
    amount = hourly_rate if hourly_rate is not None else fixed_bid
    assert amount is not None
    if not amount > 0:
        raise _refuse(f"The amount must be more than 0, not {amount:g}.")
    requirement = job.contractor_selection.proposal_requirement if job.contractor_selection else None
    if requirement and requirement.cover_letter_required and not cover_letter.strip():
        raise _refuse(f"Job {job.id} requires a cover letter: write one.")
    asked = sorted(
        (q for q in (requirement.screening_questions if requirement else None) or [] if q.question),
        key=lambda q: q.sequence_number or 0,
    )
    questions = tuple(q.question or "" for q in asked)
    if len(answers) != len(asked):
        raise UnansweredQuestions(
            f"Job {job.id} asks {len(asked)} screening question(s) and {len(answers)} answer(s) were given: "
            "answer each, in the job's order.",
            questions,
        ).about(ROOT)
    blank = [n for n, a in enumerate(answers, start=1) if not a.strip()]
    if blank:
        raise UnansweredQuestions(
            f"Answer {blank[0]} is empty: answer screening question {blank[0]}.", questions
        ).about(ROOT)
    pairs = tuple((q.question or "", a.strip()) for q, a in zip(asked, answers, strict=True))
    return kind or ("hourly" if hourly_rate is not None else "fixed"), float(amount), pairs


def earlier(proposals: list[Proposal], job_id: str) -> Proposal | None:
    """The user's proposal for `job_id`, if they sent one (any status: Upwork takes one per job)."""
    return next((p for p in proposals if p.marketplace_job_posting and p.marketplace_job_posting.id == job_id), None)


class ApplyingAPI:
    def __init__(self, gql: GraphQLExecutor, jobs: JobsAPI, account: AccountAPI, proposals: ProposalsAPI) -> None:
        self._gql = gql
        self._jobs = jobs
        self._account = account
        self._proposals = proposals

    async def job(self, ref: str) -> JobPosting:
        return await self._jobs.get(ref)

    async def prepare(
        self,
        job: JobPosting,
        *,
        hourly_rate: float | None = None,
        fixed_bid: float | None = None,
        cover_letter: str,
        answers: list[str],
        tenant_id: str | None = None,
    ) -> Application:
        """The proposal as it will be sent, identity from the account; refused here what Upwork would refuse."""
        kind, amount, pairs = check_terms(
            job, hourly_rate=hourly_rate, fixed_bid=fixed_bid, cover_letter=cover_letter, answers=answers
        )
        me = await self._account.me()
        if me.user is None or not me.user.nid:
            raise UpworkError("Upwork did not say who this token belongs to (user id and username).").about(ROOT)
        organization = tenant_id or (me.organization.id if me.organization else None)
        if not organization:
            raise UpworkError("Upwork did not say which organization this user acts in.").about(ROOT)
        overview = await self._proposals.overview(job_ids=(job.id,), tenant_id=tenant_id)
        before = earlier(overview.proposals, job.id)
        if before is not None:
            status = before.status.status if before.status else "unknown status"
            raise _refuse(f"This user already applied to job {job.id}: proposal {before.id} ({status}).")
        if not overview.complete and overview.skipped:
            raise APIError(
                f"Upwork did not list every proposal for job {job.id} ({', '.join(overview.skipped)} timed out), so "
                "whether this user already applied is unknown; nothing was sent. Try again in a moment."
            ).about("vendorProposals")
        currency = "USD"
        fixed = job.contract_terms.fixed_price_contract_terms if job.contract_terms else None
        if fixed and fixed.amount and fixed.amount.currency:
            currency = fixed.amount.currency
        return Application(
            job_id=job.id,
            job_title=(job.content.title if job.content else None) or f"job {job.id}",
            job_url=JOB_URL.format(ciphertext=job.ciphertext or f"~02{job.id}"),
            kind=kind,
            amount=amount,
            currency=currency,
            cover_letter=cover_letter,
            answers=pairs,
            contractor_id=me.user.id,
            username=me.user.nid,
            organization_id=organization,
            budget=_budget(job),
        )

    async def submit(self, application: Application, *, tenant_id: str | None = None) -> Submitted:
        """Send it once. Upwork's `error` without a proposal id is a refusal (nothing made); an answer with
        neither leaves the outcome unknown."""
        result = await self._gql.run("SubmitProposal", application.variables(), tenant_id=tenant_id)
        node = result.data.get(ROOT) or {}
        proposal_id, error = node.get("newProposalId"), node.get("error")
        if proposal_id:
            return Submitted(str(proposal_id), node.get("status"), str(error) if error else None)
        if error:
            raise GraphQLError(
                f"Upwork refused the proposal for job {application.job_id}: {str(error)[:300]}",
                errors=[{"message": str(error)[:300]}],
            ).about(ROOT)
        raise APIError(
            f"Upwork answered the proposal for job {application.job_id} with no proposal id and no error "
            f"(status {node.get('status')!r}).",
            status_code=200,
        ).about(ROOT)
