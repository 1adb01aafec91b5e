"""`schema pull`: full introspection where allowed, one type per request where not, and drift named."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.serving import serving
from upwork_mcp.api import UpworkClient
from upwork_mcp.api.introspection import pull
from upwork_mcp.graphql import introspection
from upwork_mcp.sandbox import Faults, Sandbox, create_app

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]


async def test_a_full_pull_matches_the_bundle_and_can_check_documents(client: UpworkClient) -> None:
    pulled = await pull(client)
    assert pulled.mode == "full" and pulled.complete and len(pulled.types) >= 2_859
    assert introspection.drift(pulled) == []
    assert "MarketplaceJobPosting" in pulled.schema().type_map


async def test_where_upwork_refuses_full_introspection_one_type_per_request(
    client: UpworkClient, sandbox: Sandbox
) -> None:
    sandbox.faults = Faults.parse("introspection=per-type")
    before = sandbox.requests_seen
    pulled = await pull(client)
    used = introspection.used_type_names()
    assert pulled.mode == "per-type" and not pulled.complete and set(pulled.types) <= used
    assert sandbox.requests_seen - before == len(pulled.types) + 1  # one refused full query, then a type each
    assert "refused" in pulled.notes[0] and introspection.drift(pulled) == []


async def test_a_field_the_key_s_upwork_lacks_is_named(client: UpworkClient, sandbox: Sandbox) -> None:
    sandbox.faults = Faults.parse("drop=MarketplaceJobPostingSearchResult.totalApplicants")
    found = introspection.drift(await pull(client))
    assert found == ["SearchJobs: MarketplaceJobPostingSearchResult.totalApplicants is not in the live schema"]


def test_schema_pull_from_the_command_line_against_a_served_sandbox(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("UPWORK_")}
    box = Sandbox.create(faults=Faults.parse("drop=Room.numUnread"))
    box.rate_limit = 1e6
    with serving(create_app(box), lifespan="off") as url:
        served = {
            **env,
            "UPWORK_API_URL": f"{url}/graphql",
            "UPWORK_OAUTH_URL": url,
            "UPWORK_CLIENT_ID": "sandbox-client",
            "UPWORK_CLIENT_SECRET": "sandbox-secret",
            "UPWORK_DATA_DIR": str(tmp_path),
            "UPWORK_ACCESS_TOKEN": box.issue_tokens()["access_token"],
        }
        done = subprocess.run(
            [sys.executable, "-m", "upwork_mcp", "schema", "pull"],
            env=served,
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    assert "Pulled 2861 types by full introspection" in done.stdout  # the snapshot's 2,859 and the overlay's 2
    assert "ListRooms: Room.numUnread is not in the live schema" in done.stdout
    assert (tmp_path / "schema.json").exists()


async def test_schema_pull_on_the_embedded_sandbox_reports_no_drift(tmp_path: Path) -> None:
    from upwork_mcp.commands.schema import cmd_pull
    from upwork_mcp.config import Settings
    from upwork_mcp.world import open_client, pulled_schema_path, world_for

    settings = Settings.from_env({"UPWORK_SANDBOX": "1", "UPWORK_DATA_DIR": str(tmp_path)})
    path = pulled_schema_path(world_for(settings).settings)
    async with open_client(settings) as client:
        lines = await cmd_pull(client, path, everything=False)
    assert path == tmp_path / "schema-sandbox.json" and path.exists()
    assert any("No drift" in line for line in lines)
