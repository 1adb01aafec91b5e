from __future__ import annotations

import hashlib
import json

import httpx
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tests.conftest import ANCHOR, FakeClock
from upwork_mcp.sandbox import Faults, Sandbox
from upwork_mcp.sandbox.work import generate

pytestmark = pytest.mark.anyio
REDIRECT = "http://127.0.0.1:8765/callback"


def _digest(seed: int) -> str:
    d = generate(seed, anchor=ANCHOR)
    payload = [(j["id"], j["title"], j["publishedDateTime"]) for j in d.jobs] + [f["id"] for f in d.freelancers]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


def test_same_seed_same_data_other_seed_other_data() -> None:
    assert _digest(7) == _digest(7) != _digest(8)


def test_the_dataset_has_the_promised_size_and_variety() -> None:
    d = generate(2026, anchor=ANCHOR)
    assert len(d.jobs) >= 500 and len(d.organizations) == 3 and len(d.contracts) == 20
    assert len(d.freelancers) == 200 and all(d.stories[r["id"]] for r in d.rooms)
    assert len({j["category"] for j in d.jobs}) >= 5
    assert {j["_fixed"] for j in d.jobs} == {True, False}
    assert len({j["ciphertext"] for j in d.jobs}) == len(d.jobs)


async def _authorize(http: httpx.AsyncClient, verifier: str = "v" * 50, **extra: str) -> str:
    params = {
        "response_type": "code",
        "client_id": "sandbox-client",
        "redirect_uri": REDIRECT,
        "state": "s1",
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
        **extra,
    }
    response = await http.get("/ab/account-security/oauth2/authorize", params=params)
    assert response.status_code == 302
    return response.headers["location"]


async def _token(http: httpx.AsyncClient, **form: str) -> httpx.Response:
    base = {"client_id": "sandbox-client", "client_secret": "sandbox-secret"}
    return await http.post("/api/v3/oauth2/token", data={**base, **form})


async def test_code_flow_checks_pkce_and_codes_are_single_use(http: httpx.AsyncClient) -> None:
    location = await _authorize(http)
    code = httpx.URL(location).params["code"]
    assert httpx.URL(location).params["state"] == "s1"
    bad = await _token(http, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier="x" * 50)
    assert bad.json()["error"] == "invalid_grant"
    location = await _authorize(http)
    code = httpx.URL(location).params["code"]
    good = await _token(http, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier="v" * 50)
    assert good.status_code == 200 and float(good.json()["expires_in"]) == 86400
    again = await _token(
        http, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier="v" * 50
    )
    assert again.json()["error"] == "invalid_grant"


async def test_refresh_rotates_and_the_old_token_has_a_grace_day(
    http: httpx.AsyncClient, sandbox: Sandbox, clock: FakeClock
) -> None:
    code = httpx.URL(await _authorize(http)).params["code"]
    first = (
        await _token(http, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier="v" * 50)
    ).json()
    second = (await _token(http, grant_type="refresh_token", refresh_token=first["refresh_token"])).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert {type(first["expires_in"]), type(second["expires_in"])} == {int, str}  # Upwork sends both
    clock.now += 3600
    assert (await _token(http, grant_type="refresh_token", refresh_token=first["refresh_token"])).status_code == 200
    clock.now += 86_400
    late = await _token(http, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert late.json()["error"] == "invalid_grant"
    assert (await _token(http, grant_type="refresh_token", refresh_token=second["refresh_token"])).status_code == 200


async def test_refresh_without_client_id_is_refused_as_upwork_does(http: httpx.AsyncClient) -> None:
    response = await http.post("/api/v3/oauth2/token", data={"grant_type": "refresh_token", "refresh_token": "x"})
    assert response.status_code == 400 and response.json()["message"] == "Missing parameters: client_id"


async def test_authorize_refuses_foreign_redirects_and_can_deny(http: httpx.AsyncClient) -> None:
    foreign = await http.get(
        "/ab/account-security/oauth2/authorize",
        params={"response_type": "code", "client_id": "sandbox-client", "redirect_uri": "https://evil.example/cb"},
    )
    assert foreign.status_code == 400
    denied = await _authorize(http, sandbox_decision="deny")
    assert httpx.URL(denied).params["error"] == "access_denied"


async def test_graphql_needs_a_valid_token(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json={"query": "{ user { id } }"}, headers={"Authorization": "Bearer no"})
    assert response.status_code == 401


async def test_faults_switch_at_run_time(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    response = await http.post("/__sandbox__/faults", json={"spec": "rate_limit=1,retry_after=4"})
    assert response.json()["rate_limit"] == 1
    limited = await http.get("/health", headers={"X-API-KEY": "sandbox-feed-key"})
    assert limited.status_code == 429 and limited.headers["retry-after"] == "4"
    assert (await http.get("/health", headers={"X-API-KEY": "sandbox-feed-key"})).status_code == 200
    assert (await http.post("/__sandbox__/faults", json={"spec": "explode"})).status_code == 400


def test_fault_specs_parse_and_reject_typos() -> None:
    f = Faults.parse("rate_limit=2, server_error, slow=0.5, partial, deny=Query.roomList")
    assert (f.rate_limit, f.server_error, f.slow, f.partial, f.deny) == (2, 1, 0.5, True, {"Query.roomList"})
    with pytest.raises(ValueError, match="unknown fault"):
        Faults.parse("ratelimit=2")
