"""Watch tools: saved searches checked for new jobs (each reported once), ranked by the user's own criteria,
and delivered to sinks; a proposals watch sends each change in the user's proposals to its sinks once."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio.to_thread
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, InputRequiredResult
from pydantic import Field

from upwork_mcp.api.job_query import JobFilters, not_applied_line
from upwork_mcp.errors import UpworkError
from upwork_mcp.watches import criteria as stated
from upwork_mcp.watches.filters import WatchFilters
from upwork_mcp.watches.service import PROPOSALS_MIN_INTERVAL, Found, Watch, Watches
from upwork_mcp.watches.urls import parse_search_url

from . import _job_filters as jf
from ._app import Ctx, app
from ._common import OutModel, ResponseFormat, ToolSpec, joined, respond
from ._confirm import Decision, gate, perform
from ._preview import Waiting, waiting
from ._proposal_out import ChangeOut, change_line, change_out
from ._text import listing
from ._watch_out import FoundOut, WatchOut, delivery_said, found_line, found_out, watch_out, when

WatchName = Annotated[
    str,
    Field(description="Watch name: a-z, 0-9, - or _.", min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$"),
]
Words = Annotated[list[Annotated[str, Field(min_length=1, max_length=60)]] | None, Field(max_length=50)]
HOW_CHECKED = (
    "It is checked only while `upwork-mcp watch run` runs (the user starts it in a terminal or as a service; it "
    "delivers to sinks), or when check_watches is called here; nothing checks it otherwise."
)


async def create_watch(
    ctx: Ctx,
    name: WatchName,
    source: Annotated[
        Literal["feed", "search", "proposals"],
        Field(description="feed, search: new jobs; proposals: changes to mine."),
    ] = "feed",
    url: Annotated[str | None, Field(description="Upwork search URL to take filters from.", max_length=2000)] = None,
    q: jf.Q = None,
    skills: jf.Skills = None,
    category: jf.Category = None,
    experience_level: jf.ExperienceLevel = None,
    job_type: jf.JobType = None,
    hourly_min: jf.HourlyMin = None,
    hourly_max: jf.HourlyMax = None,
    budget_min: jf.BudgetMin = None,
    budget_max: jf.BudgetMax = None,
    client_spend_min: jf.ClientSpendMin = None,
    payment_verified: jf.PaymentVerified = False,
    country: jf.Country = None,
    sinks: Annotated[list[str] | None, Field(description="Sink names (list_sinks).", max_length=5)] = None,
    min_verdict: Annotated[
        Literal["APPLY", "REVIEW", "SKIP"] | None, Field(description="Least verdict sent to sinks (default REVIEW).")
    ] = None,
    interval_minutes: Annotated[int, Field(description="Minutes (search: 15+).", ge=1, le=1440)] = 10,
) -> Annotated[CallToolResult, WatchOut]:
    """Save a search (filters, or an Upwork search URL) as a watch; its new jobs are reported once, ranked by the
    user's criteria (set_criteria), and sent to its sinks. source=proposals: each change in the user's proposals
    (check_proposals) goes to its sinks once."""
    if source == "proposals":
        given = [k for k, v in locals().items() if k in JobFilters.model_fields and v not in (None, False)]
        given += [k for k, v in (("url", url), ("min_verdict", min_verdict)) if v]
        return await _proposals_watch(ctx, name, sinks, interval_minutes, given)
    shared = jf.job_filters("create_watch", locals())
    unmapped: dict[str, str] = {}
    fields = WatchFilters.of(shared).model_dump(exclude_defaults=True)
    if url:
        parsed = parse_search_url(url)
        unmapped = parsed.unmapped
        fields = {**parsed.filters.model_dump(exclude_defaults=True), **fields}
    try:
        filters = WatchFilters.model_validate(fields)
    except ValueError as exc:
        raise ToolError(f"create_watch: {' '.join(str(exc).split())}") from None
    watches = app(ctx).watches
    profile = await watches.profile()
    interval = max(interval_minutes, watches.config.search.min_interval_minutes) if source == "search" else None
    wanted = Watch(name, source, filters, tuple(sinks or ()), interval or interval_minutes, unmapped, min_verdict)
    cost = await watches.feed_cost(wanted.interval_minutes) if source == "feed" else ""
    watch = await watches.create(wanted)
    out = watch_out(watch)
    text = f"Watch {out.name} saved: {out.source}, {out.filters}, every {out.interval_minutes} min"
    said = not_applied_line(filters.shared(), source)
    if said:
        text += f"\n{said}"
    if out.sinks:
        text += f", sent to {', '.join(out.sinks)} ({min_verdict or 'APPLY and REVIEW'})"
    text += f"\nRanked by {profile.origin}.\n{HOW_CHECKED}"
    if cost:
        text += f"\n{cost}"
    if unmapped:
        text += "\nFrom the URL, not used (a watch has no such filter): " + ", ".join(
            f"{k}={v}" for k, v in unmapped.items()
        )
    if source == "search":
        used, limit = await watches.search_budget()
        text += f"\nUpwork search budget today: {used}/{limit} requests (shared by every search watch)."
    return respond(out, text + "\nNext: check_watches (its first check reports the newest few, marks the rest seen).")


async def _proposals_watch(
    ctx: Ctx, name: str, sinks: list[str] | None, interval_minutes: int, given: list[str]
) -> CallToolResult:
    if given:
        raise ToolError(
            f"create_watch: a proposals watch takes no {', '.join(sorted(given))}: it follows every change to the "
            "user's proposals. Leave those out."
        )
    if not sinks:
        raise ToolError(
            "create_watch: a proposals watch needs sinks (list_sinks; add_sink makes one): check_proposals "
            "already shows the changes here."
        )
    watches = app(ctx).watches
    interval = max(interval_minutes, PROPOSALS_MIN_INTERVAL)
    watch = await watches.create(Watch(name, "proposals", WatchFilters(), tuple(sinks), interval))
    out = watch_out(watch)
    text = (
        f"Watch {out.name} saved: changes to your proposals, every {interval} min, sent to {', '.join(out.sinks or [])}"
        + (
            f" (at least {PROPOSALS_MIN_INTERVAL} min: each check reads every status)"
            if interval > interval_minutes
            else ""
        )
        + ". A change check_proposals reports goes to these sinks too, once."
        + f"\n{HOW_CHECKED}"
    )
    base = await watches.start_following(watch)
    if base is None:
        return respond(out, text + "\nUpwork could not be read now: its first check records your proposals.")
    if base.first or not base.changes:
        return respond(
            out, text + f"\nIt follows your {base.tracked} proposals from now: each change goes to its sinks."
        )
    lines = [change_line(change_out(c)) for c in base.changes]
    head = f"{text}\nIt follows from now. Since your last look, not sent ({len(lines)}):"
    return respond(out, listing(head, lines, "job titles, reasons and messages are written by clients"))


class WatchList(OutModel):
    watches: list[WatchOut]
    search_budget: str = Field(description="used/allowed today")
    ranked_by: str | None = Field(default=None, description="whose criteria rank the jobs")


async def list_watches(ctx: Ctx) -> Annotated[CallToolResult, WatchList]:
    """List watches: source, filters, sinks, last check, jobs seen, deliveries pending; and the criteria in use."""
    watches = app(ctx).watches
    items = []
    good, broken = await watches.entries()
    for watch, row in good:
        counts = await anyio.to_thread.run_sync(watches.store.counts, watch.name)
        items.append(
            watch_out(
                watch,
                last_checked=when(row.checked),
                seen=counts.get("seen"),
                pending_deliveries=counts.get("deliveries_pending"),
                delivery_error=await anyio.to_thread.run_sync(watches.store.delivery_error, watch.name)
                if counts.get("deliveries_pending")
                else None,
            )
        )
    used, limit = await watches.search_budget()
    profile = await watches.stated_profile()
    out = WatchList(watches=items, search_budget=f"{used}/{limit}", ranked_by=profile.origin if profile else None)
    lines = [
        joined(
            w.name,
            w.source,
            w.filters,
            f"every {w.interval_minutes} min",
            f"checked {w.last_checked}" if w.last_checked else "never checked",
            f"{w.seen} seen" if w.seen else None,
            f"{w.pending_deliveries} to deliver" + (f" (last try: {w.delivery_error})" if w.delivery_error else "")
            if w.pending_deliveries
            else None,
            f"-> {', '.join(w.sinks)}" if w.sinks else None,
        )
        for w in items
    ]
    lines += [f"{name}: BROKEN, not checked: {why}" for name, why in broken]
    head = f"{len(items)} watches; Upwork search budget today {out.search_budget}"
    jobs = not items or any(w.source != "proposals" for w in items)
    head += (
        f"\nRanked by {profile.origin}: {stated.describe(profile)}"
        if profile
        else "\nNo ranking criteria stated yet: set_criteria (the user states or accepts them)."
        if jobs
        else ""
    )
    return respond(out, head + ("\n" + "\n".join(lines) if lines else "\nNone yet: create_watch makes one."))


class PreviewOut(OutModel):
    name: str
    stored: bool = Field(description="from the last check")
    jobs: list[FoundOut]
    ranked_by: str


async def preview_watch(
    ctx: Ctx,
    name: WatchName,
    limit: Annotated[int, Field(description="Jobs to show, best score first.", ge=1, le=50)] = 10,
    response_format: ResponseFormat = "concise",
) -> Annotated[CallToolResult, PreviewOut]:
    """What a watch matches now, ranked by the user's criteria; marks nothing seen."""
    watches = app(ctx).watches
    profile = await watches.profile()
    preview = await watches.preview(name)
    ranked = sorted(preview.found, key=lambda f: f.score.score if f.score.score is not None else -1, reverse=True)
    jobs = [found_out(f, response_format == "detailed") for f in ranked[:limit]]
    out = PreviewOut(name=name, stored=preview.stored, jobs=jobs, ranked_by=profile.origin)
    head = f"{name}: {len(preview.found)} matching jobs, best {len(jobs)} shown, ranked by {profile.origin}" + (
        " (from the last check)" if preview.stored else ""
    )
    return respond(out, listing(head, [found_line(j) for j in jobs], "job titles and texts are written by clients"))


class CheckOut(OutModel):
    name: str
    new: list[FoundOut]
    first_check: bool
    requests: int = Field(description="Upwork requests made")
    queued_for: list[str] | None = None
    search_budget: str | None = None
    changes: list[ChangeOut] | None = None


class CheckList(OutModel):
    checks: list[CheckOut]
    errors: list[str] | None = None
    ranked_by: str | None = None


async def check_watches(
    ctx: Ctx,
    names: Annotated[list[str] | None, Field(description="Watches to check; omit for all.", max_length=50)] = None,
    response_format: ResponseFormat = "concise",
) -> Annotated[CallToolResult, CheckList]:
    """New jobs since each watch's last check (all feed watches in one feed request), ranked by the user's
    criteria, each reported once (here or to a sink)."""
    state = app(ctx)
    watches = state.watches
    entries = await watches.all()
    wanted = names or [w.name for w, _ in entries]
    if not wanted:
        return respond(CheckList(checks=[]), "No watches yet: create_watch makes one.")
    reports, failed = await watches.check_many(wanted)
    errors = [f"{name}: {exc}" for name, exc in failed]
    checks = [
        CheckOut(
            name=r.watch,
            new=[found_out(f, response_format == "detailed") for f in r.found],
            first_check=r.first,
            requests=r.requests,
            queued_for=list(r.queued) or None,
            search_budget=f"{r.budget[0]}/{r.budget[1]}" if r.budget else None,
            changes=[change_out(c) for c in r.changes] if r.source == "proposals" else None,
        )
        for r in reports
    ]
    for r in reports:
        if r.found:
            await state.notify_updated(ctx, f"upwork://watches/{r.watch}")
    delivered = delivery_said(await state.deliver()) if any(c.queued_for for c in checks) else None
    profile = await watches.stated_profile()
    out = CheckList(checks=checks, errors=errors or None, ranked_by=profile.origin if profile else None)
    feed_requests = max((r.requests for r in reports if r.source == "feed"), default=0)
    lines = []
    for c in checks:
        if c.changes is not None:
            lines.append(
                joined(
                    f"{c.name}: "
                    + ("first check: your proposals recorded" if c.first_check else f"{len(c.changes)} change(s)"),
                    f"for {', '.join(c.queued_for)}" if c.queued_for else None,
                )
            )
            lines += [change_line(x) for x in c.changes]
            continue
        lines.append(
            joined(
                f"{c.name}: {len(c.new)} new"
                + (" (first check: the newest few; the rest marked seen)" if c.first_check else ""),
                f"queued for {', '.join(c.queued_for)}" if c.queued_for else None,
                f"search budget {c.search_budget}" if c.search_budget else None,
            )
        )
        lines += [found_line(j) for j in c.new]
    head = f"Checked {len(checks)} watch{'' if len(checks) == 1 else 'es'}"
    if any(r.source == "feed" for r in reports):
        head += f" ({feed_requests} feed request(s) for all feed watches)"
    head += f", ranked by {profile.origin}" if profile and any(r.source != "proposals" for r in reports) else ""
    text = listing(head, lines, "job titles, texts and messages are written by clients")
    if delivered:
        text += f"\n{delivered}"
    if errors:
        text += "\nNot checked: " + "; ".join(errors)
    return respond(out, text)


class Deleted(OutModel):
    name: str
    deleted: bool


async def delete_watch(ctx: Ctx, name: WatchName) -> Annotated[CallToolResult, Deleted]:
    """Delete a watch, what it has seen and its undelivered jobs."""
    gone = await app(ctx).watches.remove(name)
    if not gone:
        raise ToolError(f"No watch {name!r} (list_watches shows them).")
    return respond(Deleted(name=name, deleted=True), f"Watch {name} deleted.")


class Scored(OutModel):
    jobs: list[FoundOut]
    not_found: list[str] | None = None
    ranked_by: str


async def score_jobs(
    ctx: Ctx,
    jobs: Annotated[
        list[str],
        Field(
            description="Job ids or URLs (search_jobs, a watch's results; feed ids upwork-...).",
            min_length=1,
            max_length=20,
        ),
    ],
    response_format: ResponseFormat = "concise",
) -> Annotated[CallToolResult, Scored]:
    """Score jobs 0-100 (APPLY / REVIEW / SKIP) by the user's criteria, with reasons; planted instructions and
    off-platform contact are flagged, never obeyed."""
    watches = app(ctx).watches
    profile = await watches.profile()
    found, missing = [], []
    for ref in jobs:
        try:
            job = await watches.lookup(ref)
        except UpworkError as exc:
            missing.append(f"{ref[:60]}: {exc}")
            continue
        found.append(Found(job, watches.score(job, profile)))
    out = Scored(
        jobs=[found_out(f, response_format == "detailed") for f in found],
        not_found=missing or None,
        ranked_by=profile.origin,
    )
    text = listing(
        f"{len(found)} jobs scored by {profile.origin}",
        [found_line(j) for j in out.jobs],
        "job titles and texts are written by clients",
    )
    if missing:
        text += "\nNot scored: " + "; ".join(missing)
    return respond(out, text)


class CriteriaDecision(Decision):
    rank: bool = Field(description="Rank Upwork jobs by these criteria?")


async def _proposed(watches: Watches, changes: dict[str, Any], accept: bool) -> tuple[dict[str, Any], str]:
    if accept:
        return stated.starting_point(), "the starting point you accepted (through set_criteria, approved by you)"
    row = await anyio.to_thread.run_sync(watches.store.criteria)
    spec = stated.stated(row[0] if row else stated.starting_point(), **changes)
    return spec, "your criteria (stated through set_criteria, approved by you)"


class CriteriaResult(Waiting):
    status: Literal["set", "needs_approval", "needs_confirmation", "declined"]
    criteria: str
    ranked_by: str | None = None


async def set_criteria(
    ctx: Ctx,
    want: Annotated[Words, Field(description="What the user wants (skills, kinds of work), in their words.")] = None,
    avoid: Annotated[Words, Field(description="What the user won't take: a job naming one is SKIP.")] = None,
    rate_floor: Annotated[float | None, Field(description="Hourly floor, USD.", ge=0, le=10_000)] = None,
    fixed_floor: Annotated[float | None, Field(description="Least fixed budget, USD.", ge=0, le=1e7)] = None,
    require_verified_payment: Annotated[bool | None, Field(description="SKIP clients without.")] = None,
    accept_starting_point: Annotated[
        bool, Field(description="The user takes the shipped starting point as it is (list_watches shows it).")
    ] = False,
    confirmation_token: Annotated[
        str | None, Field(description="After the user approved: its token or approval id.", max_length=64)
    ] = None,
) -> Annotated[CallToolResult, CriteriaResult] | InputRequiredResult:
    """Set the criteria jobs are ranked by: only what the user said they want, won't take and charge (Upwork's
    terms forbid ranking by criteria you choose). Unsaid parts keep their current or starting values; the user
    approves the whole."""
    watches = app(ctx).watches
    changes = {"want": want, "avoid": avoid, "rate_floor": rate_floor, "fixed_floor": fixed_floor,
               "require_verified_payment": require_verified_payment}  # fmt: skip
    if not accept_starting_point and all(v is None for v in changes.values()):
        raise ToolError("Give what the user said (want, avoid, rate_floor, ...), or accept_starting_point=true.")
    try:
        spec, how = await _proposed(watches, changes, accept_starting_point)
    except ValueError as exc:
        raise ToolError(f"set_criteria: {exc}") from None
    shown = stated.describe(stated.profile_of(spec, "proposed"))
    payload = {"criteria": shown, "spec": spec}
    verdict = await gate(
        ctx,
        kind="set_criteria",
        payload=payload,
        token=confirmation_token,
        question=f"Rank your Upwork jobs by these criteria?\n\n{shown}",
        schema=CriteriaDecision,
        check="list_watches (it names the criteria jobs are ranked by)",
    )
    if isinstance(verdict, InputRequiredResult):
        return verdict  # the client asks its user, and calls again with the answer
    if verdict.status == "declined":
        return respond(CriteriaResult(status="declined", criteria=shown), f"Not set: {verdict.said}.")
    if verdict.ticket is not None:
        preview = CriteriaResult(status=verdict.preview_status, criteria=shown, **waiting(verdict))
        return respond(
            preview,
            f"NOT SET YET. Jobs would be ranked by: {shown}\n"
            + verdict.instructions("set_criteria", "the same arguments"),
        )
    profile = await perform(
        ctx, verdict, lambda: watches.set_criteria(spec, how), result_id=lambda p: p.origin, check="list_watches"
    )
    out = CriteriaResult(status="set", criteria=shown, ranked_by=profile.origin)
    return respond(out, f"Jobs are now ranked by {profile.origin}: {shown}")


TOOLS = [
    ToolSpec(
        create_watch, "Create an Upwork job watch", read_only=False, destructive=False, idempotent=False, local=True
    ),
    ToolSpec(list_watches, "List my Upwork job watches", read_only=True),
    ToolSpec(preview_watch, "Preview an Upwork job watch", read_only=True),
    ToolSpec(
        check_watches, "Check my Upwork job watches", read_only=False, destructive=False, idempotent=False, local=True
    ),
    ToolSpec(
        delete_watch, "Delete an Upwork job watch", read_only=False, destructive=True, idempotent=True, local=True
    ),
    ToolSpec(score_jobs, "Score Upwork jobs", read_only=True),
    ToolSpec(
        set_criteria, "Set my job ranking criteria", read_only=False, destructive=False, idempotent=True, local=True
    ),
]
