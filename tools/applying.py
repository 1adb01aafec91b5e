"""Applying to a job with the person's approval, and what changed in their proposals since they last looked."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Literal

import anyio
import anyio.to_thread
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, InputRequiredResult
from pydantic import AfterValidator, Field

from upwork_mcp.errors import UnansweredQuestions, UpworkError

from ._app import Ctx, app
from ._common import OutModel, TenantId, ToolSpec, respond
from ._confirm import Decision, gate, perform, refused_before_processing
from ._preview import Waiting, waiting
from ._proposal_out import ChangeOut, change_line, change_out, steps_text
from ._text import clean, listing, untrusted
from ._watch_out import delivery_said

if TYPE_CHECKING:
    from upwork_mcp.api import UpworkClient
    from upwork_mcp.api.applying import Application, Submitted
    from upwork_mcp.store.proposals import AsyncProposalLedger

MAX_LETTER_CHARS = 20_000  # this server's bound on one text argument, not Upwork's
SETTLE_MINUTES = 30  # a lost submission Upwork still does not list this long after is taken as never made
MAX_ANSWER_CHARS = 5_000


def _cleaned(text: str) -> str:
    """As it will be sent: invisible characters removed once, here, so the preview shows exactly that."""
    return clean(text) or ""


CoverLetter = Annotated[
    str,
    Field(description="The whole cover letter, exactly as it should be sent.", max_length=MAX_LETTER_CHARS),
    AfterValidator(_cleaned),
]
Answers = Annotated[
    list[Annotated[str, Field(max_length=MAX_ANSWER_CHARS), AfterValidator(_cleaned)]],
    Field(
        description="One answer per screening question of the job (get_job lists them), in the job's order.",
        max_length=20,
    ),
]
Amount = Annotated[float | None, Field(gt=0, le=1_000_000)]


class SubmitDecision(Decision):
    submit: bool = Field(description="Submit this proposal on Upwork now (it spends Connects)?")


class SubmitResult(Waiting):
    status: Literal["submitted", "needs_approval", "needs_confirmation", "declined"]
    job_id: str
    proposal_id: str | None = Field(default=None, description="the new proposal: pass to get_proposal")
    upwork_status: str | None = Field(default=None, description="the status Upwork answered")
    warning: str | None = None
    preview: str | None = Field(default=None, description="the proposal exactly as it will be sent")


def _amount(a: Application) -> str:
    # Exact to the cent (money() rounds for listings): the person approves this very amount.
    shown = f"${a.amount:,.2f}" if a.currency == "USD" else f"{a.currency} {a.amount:,.2f}"
    return f"{shown}/hr (hourly rate)" if a.kind == "hourly" else f"{shown} (fixed-price bid)"


def preview(a: Application) -> str:
    """The proposal as Upwork will receive it, for the person who approves it."""
    lines = [
        f"Job: {clean(a.job_title)} ({a.job_url or 'job ' + a.job_id})",
        f"Amount: {_amount(a)}" + (f"; the client's budget: {a.budget}" if a.budget else ""),
        f"As: {a.username} (user {a.contractor_id}), organization {a.organization_id}",
        "Cover letter:",
        "---",
        a.cover_letter or "(none)",
        "---",
    ]
    if a.answers:
        lines.append("Screening questions:")
        for n, (question, answer) in enumerate(a.answers, start=1):
            lines += [f"{n}. {clean(question)}", f"   {answer}"]
    else:
        lines.append("Screening questions: none")
    return "\n".join(lines)


SPENDS = "Submitting spends Connects (Upwork does not tell the API how many) and cannot be undone here."


async def _pulled_schema_lacks_it(ctx: Ctx) -> None:
    """A schema pulled with this key that cannot take the mutation means the key cannot either: say so first."""
    from upwork_mcp import graphql as documents  # lazy: graphql-core loads with a submission
    from upwork_mcp.graphql.analysis import examine_off_loop

    schema, label = await app(ctx).schema()
    if label == documents.BUNDLED_LABEL:
        return  # the bundle has it (overlay); only Upwork's answer can say whether this key may use it
    # Our own document, checked whole (the CPU budget bounds documents callers write): a check cut short
    # by a busy machine would let a key without the permission reach a preview.
    problems = (await examine_off_loop(documents.operation("SubmitProposal"), None, schema, budget=60.0)).problems
    if problems:
        raise ToolError(
            f"Upwork's schema as {label} cannot take a proposal ({problems[0]}); nothing was sent. Enable the "
            '"Submit Proposal" permission for the API key in Upwork\'s API Center, then run `upwork-mcp schema '
            "pull` again."
        )


async def submit_proposal(
    ctx: Ctx,
    job: Annotated[
        str,
        Field(
            description="The job: a URL, its ciphertext or numeric id (as get_job takes).", min_length=1, max_length=300
        ),
    ],
    cover_letter: CoverLetter,
    answers: Answers = [],  # noqa: B006 - pydantic copies defaults
    hourly_rate: Annotated[
        Amount, Field(description="For an hourly job: the rate per hour, in the job's currency.")
    ] = None,
    fixed_bid: Annotated[Amount, Field(description="For a fixed-price job: the whole amount.")] = None,
    confirmation_token: Annotated[
        str | None, Field(description="After the user approved a preview: its token or approval id.", max_length=64)
    ] = None,
    tenant_id: TenantId = None,
) -> Annotated[CallToolResult, SubmitResult] | InputRequiredResult:
    """Apply to one Upwork job: the cover letter, the rate or bid, and an answer to each screening question
    (get_job lists them). Checks what Upwork would refuse first; never submits without the user's own approval
    of the exact proposal; one approval submits once (it spends Connects). Never for several jobs at once."""
    state = app(ctx)
    client = state.client
    await _pulled_schema_lacks_it(ctx)
    posting = await client.applying.job(job)
    try:
        application = await client.applying.prepare(
            posting,
            hourly_rate=hourly_rate,
            fixed_bid=fixed_bid,
            cover_letter=cover_letter,
            answers=list(answers),
            tenant_id=tenant_id,
        )
    except UnansweredQuestions as exc:
        asked = "\n".join(f"{n}. {clean(q)}" for n, q in enumerate(exc.questions, start=1)) or "(none)"
        raise ToolError(
            f"{exc} The job's questions:\n" + untrusted(asked, "the questions are written by the client")
        ) from exc
    job_id = application.job_id
    check = f"list_proposals with job_id={job_id}"
    ledger = state.proposal_ledger(application.contractor_id)
    earlier = await ledger.application(job_id)
    if earlier is not None and earlier.state == "unknown":
        await _after_unknown(client, ledger, job_id, earlier.updated, check, tenant_id)  # raises, or Upwork made none
        earlier = await ledger.application(job_id)
    if earlier is not None and earlier.state not in ("refused", "absent"):
        raise ToolError(_already(job_id, earlier.state, earlier.proposal_id, check))
    note = AFTER_LOST if earlier is not None and earlier.state == "absent" else ""
    proposal = preview(application)
    shown = f"{note}{proposal}\n{SPENDS}"
    payload = {
        "proposal": shown,  # what the person reads first, on the page and in the terminal
        "job_id": job_id,
        "kind": application.kind,
        "amount": application.amount,
        "cover_letter": application.cover_letter,
        "answers": [list(pair) for pair in application.answers],
        "contractor": application.contractor_id,
        "username": application.username,
        "organization": application.organization_id,
        "tenant_id": tenant_id,
    }
    verdict = await gate(
        ctx,
        kind="submit_proposal",
        payload=payload,
        token=confirmation_token,
        question=f"Submit this proposal on Upwork?\n\n{shown}",
        schema=SubmitDecision,
        check=check,
    )
    if isinstance(verdict, InputRequiredResult):
        return verdict  # the client asks its user, and calls again with the answer
    if verdict.status == "declined":
        return respond(SubmitResult(status="declined", job_id=job_id), f"Not submitted: {verdict.said}.")
    if verdict.ticket is not None:
        out = SubmitResult(status=verdict.preview_status, job_id=job_id, preview=shown, **waiting(verdict))
        same = "the same job, amount, cover_letter and answers"
        body = note + untrusted(proposal, "the job's title and questions are written by the client") + f"\n{SPENDS}"
        return respond(
            out, f"NOT SUBMITTED YET. The proposal:\n{body}\n" + verdict.instructions("submit_proposal", same)
        )
    claimed = await ledger.claim(job_id)
    if claimed is not None:  # another approved submission to this job went first
        if verdict.reservation is not None:
            await state.approvals.settle(verdict.reservation, "refused")
        raise ToolError(_already(job_id, claimed.state, claimed.proposal_id, check))
    refused = False

    async def write() -> Submitted:
        nonlocal refused
        try:
            return await client.applying.submit(application, tenant_id=tenant_id)
        except UpworkError as exc:
            refused = refused_before_processing(exc)
            raise

    try:
        done = await perform(ctx, verdict, write, result_id=lambda s: s.proposal_id, check=check)
    except BaseException:
        # Refused: Upwork made nothing, the job may be tried again. Anything else: the outcome is unknown.
        with anyio.CancelScope(shield=True):
            await ledger.settle(job_id, "refused" if refused else "unknown")
        raise
    await ledger.settle(job_id, "sent", done.proposal_id)
    out = SubmitResult(
        status="submitted", job_id=job_id, proposal_id=done.proposal_id, upwork_status=done.status, warning=done.warning
    )
    said = (
        f"{done.status}: Upwork's word for sent and open, awaiting the client"
        if done.status == "Accepted"
        else done.status
    )
    text = f"Submitted to job {job_id}: proposal {done.proposal_id}" + (f" ({said})" if said else "")
    return respond(out, text + (f". Upwork also said: {done.warning}" if done.warning else "."))


AFTER_LOST = (
    "(An earlier submission to this job lost its answer, and Upwork listed no proposal for the job 30 minutes or "
    "more later: it made none. This is a new one.)\n\n"
)


async def _after_unknown(
    client: UpworkClient, ledger: AsyncProposalLedger, job_id: str, attempted: float, check: str, tenant_id: str | None
) -> None:
    """An earlier submission to the job lost its answer. Upwork decides: a proposal it lists for the job means it
    arrived (refused as a second one); none listed SETTLE_MINUTES after the attempt means Upwork made none, so
    the person may approve a new one (the preview says so); sooner, wait. Nothing is ever resent by itself."""
    found = await client.proposals.overview(job_ids=(job_id,), tenant_id=tenant_id)
    posted = {p.marketplace_job_posting.id: p.id for p in found.proposals if p.marketplace_job_posting}
    mine = posted.get(job_id)
    if mine is not None:
        await ledger.found(job_id, mine)
        raise ToolError(_already(job_id, "sent", mine, check))
    waited = (time.time() - attempted) / 60
    if waited < SETTLE_MINUTES or not await ledger.absent(job_id, time.time() - SETTLE_MINUTES * 60):
        raise ToolError(
            f"A submission to job {job_id} through this server has an unknown outcome ({waited:.0f} min ago) and is "
            f"never sent again by itself; Upwork lists no proposal for the job yet. Call again after "
            f"{max(1, SETTLE_MINUTES - int(waited))} min: if Upwork still lists none, a new proposal can be approved."
        )


def _already(job_id: str, state: str, proposal_id: str | None, check: str) -> str:
    if state == "sent":
        return (
            f"A proposal to job {job_id} was already submitted through this server (proposal {proposal_id}); Upwork "
            "takes one per job."
        )
    return (
        f"A submission to job {job_id} through this server has an unknown outcome (it may have reached Upwork) and is "
        f"never sent again: {check} shows whether it arrived."
    )


class PipelineOut(OutModel):
    first_check: bool = Field(description="records only")
    tracked: int = Field(description="proposals followed")
    changes: list[ChangeOut]
    notes: list[str] | None = None
    queued_for: list[str] | None = Field(default=None, description="proposals watch sinks")
    waiting: list[ChangeOut] | None = Field(default=None, description="first check: waiting on the user")


async def check_proposals(ctx: Ctx, tenant_id: TenantId = None) -> Annotated[CallToolResult, PipelineOut]:
    """What changed in the user's proposals since the last check, each change once: a status (and why), a
    client's message, an offer, a week without an answer; with the next step, not taken. The first check
    records and shows what waits."""

    state = app(ctx)
    found = await state.watches.pipeline(tenant_id=tenant_id)
    changes = [change_out(c) for c in found.changes]
    waiting = [change_out(c) for c in found.waiting]
    queued = sorted(found.queued)
    out = PipelineOut(
        first_check=found.first,
        tracked=found.tracked,
        changes=changes,
        notes=found.notes or None,
        queued_for=queued or None,
        waiting=waiting or None,
    )
    if found.first:
        head = f"First check: {found.tracked} proposals recorded; later checks report what changes."
        if waiting:
            head += f" Already waiting on you: {len(waiting)}."
    else:
        head = f"{len(changes)} change(s) in {found.tracked} proposals since the last check."
        watching = [w.name for w, _ in await state.watches.all() if w.source == "proposals"]
        if not changes and watching and tenant_id is None:
            head += f" Your proposals watch ({', '.join(watching)}) checks too; what it finds goes to its sinks."
    if queued:
        head += f" For your proposals watch's {', '.join(queued)}. " + delivery_said(await state.deliver())
    head += "".join(f"\n{n}" for n in found.notes)
    shown = changes or waiting
    text = listing(head, [change_line(c) for c in shown], "job titles, reasons and messages are written by clients")
    return respond(out, text + steps_text(shown))


TOOLS = [
    ToolSpec(
        submit_proposal,
        "Submit an Upwork proposal",
        read_only=False,
        # Additive: it creates a proposal and changes nothing that exists (destructive=False); repeating it is
        # not harmless (a second proposal, more Connects), so idempotent=False.
        destructive=False,
        idempotent=False,
        needs=("createJobProposal", "marketplaceJobPosting", "vendorProposals", "user"),
    ),
    ToolSpec(
        check_proposals,
        "Check my Upwork proposals for changes",
        read_only=False,
        # Writes only this server's record of what the user has seen (local); nothing on Upwork.
        local=True,
        destructive=False,
        idempotent=False,
        needs=("vendorProposals", "user.offer", "user"),
    ),
]
