"""`upwork-mcp sandbox --port N`: Upwork's documented job-search document and the feed, over real HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tests.serving import spawned

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]

# As Upwork's live callers write it: inline search type and sort, offset paging in pagination_eq.
FACTS_QUERY = """
{
  marketplaceJobPostingsSearch(
    marketPlaceJobFilter: {searchExpression_eq: "python", pagination_eq: {first: 5, after: "0"}}
    searchType: USER_JOBS_SEARCH
    sortAttributes: [{field: RECENCY}]
  ) {
    totalCount
    edges { cursor node { id ciphertext title amount { rawValue currency } totalApplicants } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


# Generous: the first GraphQL answer builds Upwork's 2,859-type schema, slow on a loaded 2-core machine.
HTTP = SimpleNamespace(get=partial(httpx.get, timeout=120), post=partial(httpx.post, timeout=120))


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("UPWORK_")}
    with spawned(["sandbox", "--port", "0"], env, cwd=ROOT) as (_, base):
        yield base


def _token(base: str) -> str:
    verifier = "v" * 64
    redirect = "http://127.0.0.1:8765/callback"
    consent = HTTP.get(
        base + "/ab/account-security/oauth2/authorize",
        params={
            "response_type": "code",
            "client_id": "sandbox-client",
            "redirect_uri": redirect,
            "state": "st",
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        },
    )
    code = httpx.URL(consent.headers["location"]).params["code"]
    answer = HTTP.post(
        base + "/api/v3/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect,
            "code_verifier": verifier,
            "client_id": "sandbox-client",
            "client_secret": "sandbox-secret",
        },
    )
    return str(answer.json()["access_token"])


def test_the_facts_page_search_document_answers_with_edges_cursors_and_page_info(served: str) -> None:
    answer = HTTP.post(
        served + "/graphql", json={"query": FACTS_QUERY}, headers={"Authorization": f"Bearer {_token(served)}"}
    ).json()
    search = answer["data"]["marketplaceJobPostingsSearch"]
    assert "errors" not in answer and search["totalCount"] > 5
    assert [e["cursor"] for e in search["edges"]] == ["1", "2", "3", "4", "5"]
    assert search["pageInfo"] == {"hasNextPage": True, "endCursor": "5"}
    # A current job's ciphertext is ~02 + its id; an old posting's is ~01 + hex.
    nodes = [e["node"] for e in search["edges"]]
    assert all(n["ciphertext"] == "~02" + n["id"] or n["ciphertext"].startswith("~01") for n in nodes)
    assert any(n["ciphertext"] == "~02" + n["id"] for n in nodes)


def test_the_feed_answers_in_the_seeds_envelope(served: str) -> None:
    body = HTTP.get(
        served + "/jobs", params={"limit": 3, "payment_verified": "true"}, headers={"X-API-KEY": "sandbox-feed-key"}
    ).json()
    assert set(body) == {"success", "data", "count", "last_updated"} and body["success"] is True
    assert body["count"] == len(body["data"]) == 3
    assert {"id", "title", "job_type", "contractor_tier", "buyer", "client_activity", "url"} <= set(body["data"][0])
    unauthorized = HTTP.get(served + "/jobs")
    assert unauthorized.status_code == 401 and unauthorized.json()["success"] is False
