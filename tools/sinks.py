"""Sink tools: where watches send new jobs and proposal changes. Adding one sends the user's alerts to an
address the model chose, so it is a write the user approves, seeing the exact address; listing never shows
an address."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio.to_thread
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, InputRequiredResult
from pydantic import Field

from upwork_mcp.store.sinks import StoredSink
from upwork_mcp.watches.sinks import SinkConfig, parse_sink

from ._app import Ctx, app
from ._common import OutModel, ToolSpec, respond
from ._confirm import Decision, gate, perform
from ._preview import Waiting, waiting

SinkName = Annotated[
    str,
    Field(description="Sink name: a-z, 0-9, - or _.", min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$"),
]
SinkKind = Literal["webhook", "slack", "discord", "telegram", "ntfy"]
MinVerdict = Annotated[
    Literal["APPLY", "REVIEW", "SKIP"] | None,
    Field(description="Least verdict it gets (SKIP: all). Default: what its watches send (APPLY, REVIEW)."),
]


class SinkOut(OutModel):
    name: str
    kind: str
    host: str = Field(description="where it sends (never the full address)")
    min_verdict: str | None = None
    digest: bool | None = None


def sink_out(s: SinkConfig) -> SinkOut:
    return SinkOut(name=s.name, kind=s.type, host=s.shown(), min_verdict=s.min_verdict, digest=s.digest)


class SinkList(OutModel):
    sinks: list[SinkOut]


async def list_sinks(ctx: Ctx) -> Annotated[CallToolResult, SinkList]:
    """List the user's sinks (where watches send new jobs): name, kind, host; never an address or secret."""
    sinks = [sink_out(s) for s in await app(ctx).watches.sinks()]
    lines = [f"{s.name}: {s.kind} to {s.host}" + (f", gets {s.min_verdict}+" if s.min_verdict else "") for s in sinks]
    text = f"{len(sinks)} sinks" + ("\n" + "\n".join(lines) if lines else "; add_sink adds one (the user approves).")
    return respond(SinkList(sinks=sinks), text)


class AddDecision(Decision):
    add: bool = Field(description="Send your job alerts to this address?")


def _parsed(name: str, url: str, kind: str, min_verdict: str | None) -> SinkConfig:
    # The signing key of a webhook is made when the sink is stored, never shown: the payload leaves it out.
    return parse_sink(name, url, kind=kind, min_verdict=min_verdict, secret="x" * 32 if kind == "webhook" else None)


def _payload(sink: SinkConfig) -> dict[str, Any]:
    return {
        "sink": sink.name,
        "kind": sink.type,
        "sends_to": sink.exact(),
        "gets": sink.min_verdict or "what its watches send (APPLY and REVIEW by default)",
        "what": (
            "each new job a job watch names this sink for (title, budget, link, score and reasons), and each change "
            "in your proposals for a proposals watch (the job, what changed, the client's words)"
        ),
    }


class AddResult(Waiting):
    status: Literal["added", "needs_approval", "needs_confirmation", "declined"]
    sink: SinkOut


async def add_sink(
    ctx: Ctx,
    name: SinkName,
    url: Annotated[
        str,
        Field(
            description="The exact address to post to. Telegram: https://api.telegram.org/bot<TOKEN>/sendMessage?chat_id=<ID>.",
            min_length=8,
            max_length=2000,
        ),
    ],
    kind: Annotated[SinkKind, Field(description="How it is sent.")] = "webhook",
    min_verdict: MinVerdict = None,
    confirmation_token: Annotated[
        str | None, Field(description="After the user approved: its token or approval id.", max_length=64)
    ] = None,
) -> Annotated[CallToolResult, AddResult] | InputRequiredResult:
    """Add a sink for watch alerts (a webhook, Slack, Discord, Telegram or ntfy address). The user approves the
    exact address first: the client asks, or the first call returns a preview to approve."""
    sink = _parsed(name, url, kind, min_verdict)
    watches = app(ctx).watches
    if any(s.name == name for s in await watches.sinks()):
        raise ToolError(f"A sink named {name!r} exists (list_sinks); remove_sink it first or choose another name.")
    out = sink_out(sink)
    verdict = await gate(
        ctx,
        kind="add_sink",
        payload=_payload(sink),
        token=confirmation_token,
        question=f"Send your Upwork alerts (jobs, proposal changes) here?\n\n{sink.exact()}\n\n({kind} sink {name!r})",
        schema=AddDecision,
        check="list_sinks",
    )
    if isinstance(verdict, InputRequiredResult):
        return verdict  # the client asks its user, and calls again with the answer
    if verdict.status == "declined":
        return respond(AddResult(status="declined", sink=out), f"Not added: {verdict.said}.")
    if verdict.ticket is not None:
        preview = AddResult(status=verdict.preview_status, sink=out, **waiting(verdict))
        same = "the same name, url, kind and min_verdict"
        public = (
            "An ntfy topic is read by anyone who knows its name: use a long random one.\n" if kind == "ntfy" else ""
        )
        return respond(
            preview,
            f"NOT ADDED YET. Sink {name} ({kind}) would send the user's Upwork alerts to:\n{sink.exact()}\n"
            + public
            + verdict.instructions("add_sink", same),
        )
    store = watches.sink_store
    if store is None:
        raise ToolError("This server keeps no sinks.")
    real = parse_sink(name, url, kind=kind, min_verdict=min_verdict)  # a new signing key, made now
    record = StoredSink(real.name, real.type, real.settings, real.shown(), real.options())

    async def write() -> bool:
        return await anyio.to_thread.run_sync(lambda: store.add(record))

    added = await perform(ctx, verdict, write, result_id=lambda _: name, check="list_sinks")
    if not added:
        raise ToolError(f"A sink named {name!r} was added meanwhile (list_sinks).")
    signed = (
        " Webhook messages are signed; the user reads the key with `upwork-mcp sink secret NAME`."
        if kind == "webhook"
        else ""
    )
    return respond(
        AddResult(status="added", sink=out),
        f"Sink {name} added ({kind} to {out.host}). Name it in create_watch(sinks=[...]).{signed}",
    )


class Removed(OutModel):
    name: str
    removed: bool


async def remove_sink(ctx: Ctx, name: SinkName) -> Annotated[CallToolResult, Removed]:
    """Remove a sink added with add_sink; watches naming it stop sending there."""
    store = app(ctx).watches.sink_store
    if store is None or not await anyio.to_thread.run_sync(store.remove, name):  # gone already: nothing to do
        return respond(
            Removed(name=name, removed=False),
            f"No sink {name!r} in the store: nothing removed (list_sinks; settings-file sinks are edited there).",
        )
    return respond(Removed(name=name, removed=True), f"Sink {name} removed.")


TOOLS = [
    ToolSpec(list_sinks, "List my alert sinks", read_only=True),
    ToolSpec(add_sink, "Add an alert sink", read_only=False, destructive=False, idempotent=False, local=True),
    ToolSpec(remove_sink, "Remove an alert sink", read_only=False, destructive=True, idempotent=True, local=True),
]
