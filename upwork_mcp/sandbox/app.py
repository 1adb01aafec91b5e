"""The sandbox as one Starlette app: Upwork's paths and the Jobs API's, on one port."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..config import AUTHORIZE_PATH, REVOKE_PATH, TOKEN_PATH
from . import feed, oauth
from .faults import Faults
from .feed import envelope
from .posting import PostingError, change_job, post_job
from .state import Sandbox

API_PATHS = ("/graphql", "/health", "/jobs")


async def graphql_endpoint(request: Request) -> Response:
    box: Sandbox = request.app.state.sandbox
    auth = request.headers.get("authorization", "")
    token = auth[7:] if auth.lower().startswith("bearer ") else ""
    if not box.token_valid(token):
        return JSONResponse(
            {"message": "Unauthorized: the access token is missing, expired or revoked"}, status_code=401
        )
    client = request.client.host if request.client else "unknown"
    box.api_log.append(box.clock())
    if box.over_rate("api:" + client, box.rate_limit, 1.0):
        box.rate_limited += 1
        return JSONResponse({"message": "Rate limit exceeded"}, status_code=429, headers={"Retry-After": "1"})
    tenant = request.headers.get("x-upwork-api-tenantid")
    from .personas import persona_organizations  # with the query, as graphql-core

    mine = persona_organizations(box, box.token_persona.get(token, 0))
    if tenant and tenant not in {o["id"] for o in mine}:
        return JSONResponse({"message": f"This user has no access to tenant {tenant[:40]}"}, status_code=403)
    try:
        body = json.loads(await request.body())
    except ValueError:
        return JSONResponse(
            {
                "errors": [
                    {"message": "The request body is not JSON", "extensions": {"classification": "InvalidSyntax"}}
                ]
            },
            status_code=400,
        )
    if not isinstance(body, dict):
        return JSONResponse({"errors": [{"message": "The request body must be an object"}]}, status_code=400)
    box.api_requests += 1
    from .graphql_api import run_query, writes  # graphql-core loads with the first query, not at start-up

    lose = box.faults.lost_write > 0 and writes(box, body)
    answer = run_query(box, body, tenant=tenant, persona=box.token_persona.get(token, 0))
    if lose:  # processed; its answer is lost on the way back
        box.faults.lost_write -= 1
        return JSONResponse({"message": "Bad gateway"}, status_code=502)
    return JSONResponse(answer)


async def faults_endpoint(request: Request) -> Response:
    """GET shows the faults in force; POST {"spec": "rate_limit=2,partial"} replaces them."""
    box: Sandbox = request.app.state.sandbox
    if request.method == "POST":
        try:
            body: Any = json.loads(await request.body() or b"{}")
            box.faults = Faults.parse(str(body.get("spec", "")))
        except (ValueError, AttributeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(box.faults.as_dict())


async def jobs_endpoint(request: Request) -> Response:
    """POST {"count": 2, "title": ..., "budget": 800, "hourly": [30, 60], "skills": [...]} posts jobs now;
    POST /__sandbox__/jobs/{id} {"budget": 900} or {"status": "closed" | "open"} changes one."""
    box: Sandbox = request.app.state.sandbox
    try:
        body: Any = json.loads(await request.body() or b"{}")
        if not isinstance(body, dict):
            raise PostingError("the body must be a JSON object")
        job_id = request.path_params.get("job_id")
        if job_id:
            jobs = [change_job(box, job_id, **_fields(body, "budget", "hourly", "status"))]
        else:
            count = int(body.get("count", 1))
            if not 1 <= count <= 100:
                raise PostingError("count must be 1 to 100")
            fields = _fields(body, "title", "description", "budget", "hourly", "skills")
            jobs = [post_job(box, **fields) for _ in range(count)]
    except (ValueError, TypeError) as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(
        {"jobs": [{"id": j["id"], "ciphertext": j["ciphertext"], "feed_id": f"upwork-{j['id']}"} for j in jobs]}
    )


async def proposals_endpoint(request: Request) -> Response:
    """POST /__sandbox__/proposals/{id} {"status": "Declined", "reason": ..., "message": ..., "offer": true}: the
    client acts on a proposal (a new status, a message in its room, an offer on its job)."""
    from .applying import ProposalChangeError, change_proposal  # with the first change, as posting

    box: Sandbox = request.app.state.sandbox
    try:
        body: Any = json.loads(await request.body() or b"{}")
        if not isinstance(body, dict):
            raise ProposalChangeError("the body must be a JSON object")
        fields = _fields(body, "status", "reason", "message")
        proposal = change_proposal(box, request.path_params["proposal_id"], offer=bool(body.get("offer")), **fields)
    except (ValueError, TypeError) as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse({"id": proposal["id"], "status": proposal["status"]["status"]})


def _fields(body: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: body[name] for name in names if body.get(name) is not None}


class FaultInjection:
    """Applies the run's faults to the API paths (GraphQL and the feed), before the handlers."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] not in API_PATHS:
            await self.app(scope, receive, send)
            return
        box: Sandbox = scope["app"].state.sandbox
        if box.board is not None:
            box.board.apply(box)  # what `sandbox post-job` posted since the last request
        box.requests_seen += 1
        faults = box.faults
        if faults.slow:
            await anyio.sleep(faults.slow)
        response: Response | None = None
        is_feed = scope["path"] != "/graphql"
        if faults.rate_limit > 0:
            faults.rate_limit -= 1
            headers = {"Retry-After": f"{faults.retry_after:g}"}
            response = (
                envelope(box, success=False, message="Rate limit exceeded", status=429, headers=headers)
                if is_feed
                else JSONResponse({"message": "Rate limit exceeded"}, status_code=429, headers=headers)
            )
        elif faults.server_error > 0:
            faults.server_error -= 1
            response = (
                envelope(box, success=False, message="Internal server error", status=503)
                if is_feed
                else JSONResponse({"message": "Service temporarily unavailable"}, status_code=503)
            )
        if response is not None:
            await response(scope, receive, send)
            return
        if faults.lost_answer > 0:
            faults.lost_answer -= 1

            async def swallow(message: Any) -> None:
                pass  # the request is processed; its answer is lost on the way back

            await self.app(scope, receive, swallow)
            lost = JSONResponse({"message": "Bad gateway"}, status_code=502)
            await lost(scope, receive, send)
            return
        await self.app(scope, receive, send)


@asynccontextmanager
async def _trickle(app: Starlette) -> AsyncIterator[None]:
    """When served with a trickle, a new job appears every `trickle` seconds."""
    box: Sandbox = app.state.sandbox
    async with anyio.create_task_group() as tg:
        if box.trickle > 0:

            async def drip() -> None:
                while True:
                    await anyio.sleep(box.trickle)
                    post_job(box)

            tg.start_soon(drip)
        yield
        tg.cancel_scope.cancel()


def create_app(sandbox: Sandbox | None = None) -> Starlette:
    box = sandbox or Sandbox.create()
    app = Starlette(
        lifespan=_trickle,
        routes=[
            Route("/graphql", graphql_endpoint, methods=["POST"]),
            # Upwork's own OAuth paths, as the client knows them (config), so the client needs no sandbox case.
            Route(AUTHORIZE_PATH, oauth.authorize, methods=["GET"]),
            Route(TOKEN_PATH, oauth.token, methods=["POST"]),
            Route(REVOKE_PATH, oauth.revoke, methods=["POST"]),
            Route("/health", feed.health, methods=["GET"]),
            Route("/jobs", feed.jobs, methods=["GET"]),
            Route("/__sandbox__/faults", faults_endpoint, methods=["GET", "POST"]),
            Route("/__sandbox__/jobs", jobs_endpoint, methods=["POST"]),
            Route("/__sandbox__/jobs/{job_id}", jobs_endpoint, methods=["POST"]),
            Route("/__sandbox__/proposals/{proposal_id}", proposals_endpoint, methods=["POST"]),
        ],
    )
    app.state.sandbox = box
    app.add_middleware(FaultInjection)
    return app
