"""What the server offers besides tools: resources, prompts, completions and resource subscriptions."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import anyio.lowlevel
from mcp.server import MCPServer
from mcp.server.mcpserver.prompts.base import Prompt, PromptArgument
from mcp.server.subscriptions import ResourceUpdated, ServerEvent
from mcp_types import Completion, EmptyResult, SubscribeRequestParams, UnsubscribeRequestParams

from .._bundled import prompts_dir
from ..errors import UpworkError
from ..facts import PROPOSAL_STATUSES
from ..prompt_templates import load
from .calls import surfaced

if TYPE_CHECKING:
    from ..api import UpworkClient
    from .runtime import Runtime


def register_resources(server: MCPServer[Any], chosen: tuple[str, ...], resources: Any) -> None:
    """The resources of the chosen toolsets; an async one reports failures as the tools do."""
    for spec in resources:
        if spec.toolset in chosen:
            fn = surfaced(spec.fn, resource=True) if inspect.iscoroutinefunction(spec.fn) else spec.fn
            server.resource(
                spec.uri, name=spec.name, title=spec.title, description=spec.description, mime_type=spec.mime_type
            )(fn)


def register_prompts(server: MCPServer[Any], served: set[str], clean: Any) -> None:
    """The prompts whose tools this configuration serves: they follow --toolsets and --read-only too.
    Arguments are cleaned as third-party text is (`clean`)."""
    for template in load(prompts_dir()):
        if not set(template.tools) <= served:
            continue

        def render(_template: Any = template, **values: str) -> str:
            return str(_template.render({k: clean(v) for k, v in values.items()}))

        server.add_prompt(
            Prompt(
                name=template.name,
                title=template.title,
                description=template.description,
                fn=render,
                context_kwarg=None,
                arguments=[
                    PromptArgument(name=a.name, description=a.description, required=a.required)
                    for a in template.arguments
                ],
            )
        )


log = logging.getLogger("upwork_mcp.server")


class PerUserBus:
    """The subscriptions/listen fan-out (2026-07-28), per user: a stream hears of a resource's change only
    when the call that changed it acted for the same user as the stream's own request (`who()` is read in
    each request's context). With one login every stream is the same user's."""

    def __init__(self, who: Callable[[], str | None]) -> None:
        self._who = who
        self._listeners: dict[object, tuple[str | None, Callable[[ServerEvent], None]]] = {}

    async def publish(self, event: ServerEvent) -> None:
        publisher = self._who() if isinstance(event, ResourceUpdated) else None
        for owner, listener in list(self._listeners.values()):
            if isinstance(event, ResourceUpdated) and owner != publisher:
                continue
            try:
                listener(event)
            except Exception:  # one stream's failure is not the publisher's
                log.exception("a subscription listener failed")
        await anyio.lowlevel.checkpoint()

    def subscribe(self, listener: Callable[[ServerEvent], None]) -> Callable[[], None]:
        token = object()
        self._listeners[token] = (self._who(), listener)

        def unsubscribe() -> None:
            self._listeners.pop(token, None)

        return unsubscribe


def register_subscriptions(server: MCPServer[Any], runtime: Runtime) -> None:
    """resources/subscribe for clients on protocol versions before 2026-07-28 (the SDK serves
    subscriptions/listen for later ones): a watch's resource announces its new jobs to them too."""

    async def subscribe(ctx: Any, params: SubscribeRequestParams) -> EmptyResult:
        runtime.subscribe(ctx.session, str(params.uri))
        return EmptyResult()

    async def unsubscribe(ctx: Any, params: UnsubscribeRequestParams) -> EmptyResult:
        runtime.unsubscribe(ctx.session, str(params.uri))
        return EmptyResult()

    lowlevel = server._lowlevel_server  # the SDK's MCPServer registers no handler for these two
    lowlevel.add_request_handler("resources/subscribe", SubscribeRequestParams, subscribe)
    lowlevel.add_request_handler("resources/unsubscribe", UnsubscribeRequestParams, unsubscribe)


# Prompt and resource arguments that take ids, and where their candidates come from.
ID_ARGUMENTS = {"job_id": "jobs", "contract_id": "contracts", "room_id": "rooms", "profile_key": "freelancers"}


def recent_mondays(weeks: int = 8) -> list[str]:
    """This week's Monday and the ones before it, as yyyyMMdd: the `week` argument's candidates."""
    today = datetime.now(UTC).date()
    monday = today.fromordinal(today.toordinal() - today.weekday())
    return [monday.fromordinal(monday.toordinal() - 7 * i).strftime("%Y%m%d") for i in range(weeks)]


def register_completions(server: MCPServer[Any], runtime: Runtime) -> None:
    @server.completion()  # type: ignore[untyped-decorator,no-untyped-call]
    async def complete(ref: Any, argument: Any, context: Any) -> Completion | None:
        kind = ID_ARGUMENTS.get(argument.name)
        if argument.name == "week":
            candidates = recent_mondays()
        elif argument.name == "status":
            candidates = list(PROPOSAL_STATUSES)
        elif kind is None:
            return None
        else:
            try:
                candidates = await _candidates(runtime.client, kind)
            except UpworkError:
                return Completion(values=[], total=0, has_more=False)
        typed = (argument.value or "").lower()
        values = [c for c in candidates if c.lower().startswith(typed) or typed in c.lower()]
        return Completion(values=values[:100], total=len(values), has_more=len(values) > 100)


async def _candidates(client: UpworkClient, kind: str) -> list[str]:
    """Ids to offer: one upstream request, the same one the matching list tool makes."""
    if kind == "jobs":
        from ..api import JobSearchFilters  # lazy: httpx loads with the first call

        return [j.id for j in (await client.jobs.search(JobSearchFilters(limit=50))).jobs]
    if kind == "contracts":
        return [c.id for c in (await client.contracts.list(limit=50)).contracts]
    if kind == "rooms":
        return [r.id for r in (await client.messages.rooms(first=50)).rooms]
    return [f.ciphertext for f in (await client.freelancers.search(first=50)).freelancers if f.ciphertext]
