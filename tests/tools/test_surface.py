"""Resources, prompts, completions and progress, through the MCP client."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from mcp_types import PromptReference, ResourceTemplateReference

from tests.mcp_client import Connect, unmarked
from upwork_mcp import graphql as documents
from upwork_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio


async def test_every_resource_is_listed_and_reads(connect: Connect, sandbox: Sandbox) -> None:
    async with connect() as client:
        static = {r.uri for r in (await client.list_resources()).resources}
        templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
        assert static == {"upwork://schema"}
        assert templates == {
            "upwork://jobs/{job_id}",
            "upwork://contracts/{contract_id}",
            "upwork://freelancers/{profile_key}",
            "upwork://operations/{name}",
            "upwork://schema/{type_name}",
            "upwork://watches/{name}",
        }
        job = sandbox.data.jobs[0]
        reads = {
            "upwork://schema": "user: CurrentUser;",
            "upwork://schema/MarketplaceJobPosting": "contractorSelection: MarketplaceContractorSelection",
            "upwork://operations/SearchJobs": "query SearchJobs",
            f"upwork://jobs/{job['id']}": job["title"],
            f"upwork://contracts/{sandbox.data.contracts[0]['id']}": sandbox.data.contracts[0]["title"],
            f"upwork://freelancers/{sandbox.data.freelancers[0]['ciphertext']}": sandbox.data.freelancers[0][
                "_profile"
            ]["personalData"]["title"],
        }
        for uri, needle in reads.items():
            text = (await client.read_resource(uri)).contents[0].text
            assert needle in text, uri
        marked = (await client.read_resource(f"upwork://jobs/{job['id']}")).contents[0].text
        assert json.loads(unmarked(marked))["id"] == job["id"]


async def test_nothing_listed_by_default_is_over_16_kb_and_the_schema_index_leads_to_every_type(
    connect: Connect,
) -> None:
    from mcp.shared.exceptions import MCPError

    async with connect() as client:
        listed = (await client.list_resources()).resources
        sizes = {r.uri: len((await client.read_resource(r.uri)).contents[0].text.encode()) for r in listed}
        index = (await client.read_resource("upwork://schema")).contents[0].text
        misspelt = None
        try:
            await client.read_resource("upwork://schema/FreelancerProfil")
        except MCPError as exc:
            misspelt = str(exc)
    assert sizes and all(size <= 16 * 1024 for size in sizes.values()), sizes
    schema = documents.bundled_schema()
    for root in (schema.query_type, schema.mutation_type):
        assert all(f"{name}: " in index for name in root.fields), root.name
    assert misspelt is not None and "Close: FreelancerProfile," in misspelt


async def test_a_missing_object_is_a_readable_resource_error(connect: Connect) -> None:
    from mcp.shared.exceptions import MCPError

    async with connect() as client:
        with pytest.raises(MCPError, match="list_contracts"):
            await client.read_resource("upwork://contracts/404404")


async def test_every_prompt_is_listed_and_renders_its_arguments(connect: Connect) -> None:
    async with connect() as client:
        prompts = {p.name: p for p in (await client.list_prompts()).prompts}
        assert set(prompts) == {
            "triage_jobs",
            "draft_proposal",
            "reply_to_client",
            "contract_summary",
            "weekly_report",
            "proposal_followup",
        }
        draft = await client.get_prompt("draft_proposal", {"job_id": "1790000000000000001"})
        triage = await client.get_prompt("triage_jobs", {"query": "fastapi", "my_skills": "Python, Postgres"})
    text = draft.messages[0].content.text
    assert "1790000000000000001" in text and "get_job" in text and "(not given)" in text
    assert "get_my_profile" in text and text.rstrip().endswith("never approve it on my behalf.")
    assert "call submit_proposal once, for this job only" in text
    from upwork_mcp._bundled import prompts_dir
    from upwork_mcp.prompt_templates import load

    declared = next(t for t in load(prompts_dir()) if t.name == "draft_proposal").tools
    assert set(declared) == {"get_my_profile", "get_job", "submit_proposal"}  # served only where all three are
    assert "fastapi" in triage.messages[0].content.text and "Python, Postgres" in triage.messages[0].content.text
    assert [a.name for a in prompts["reply_to_client"].arguments] == ["room_id", "intent"]
    assert prompts["reply_to_client"].arguments[0].required is True


async def test_id_arguments_complete_from_the_account(connect: Connect, sandbox: Sandbox) -> None:
    async with connect() as client:
        await client.call_tool("get_account", {})
        contract = sandbox.data.contracts[0]["id"]
        by_prompt = await client.complete(
            PromptReference(type="ref/prompt", name="contract_summary"), {"name": "contract_id", "value": contract[:5]}
        )
        rooms = await client.complete(
            PromptReference(type="ref/prompt", name="reply_to_client"), {"name": "room_id", "value": ""}
        )
        by_template = await client.complete(
            ResourceTemplateReference(type="ref/resource", uri="upwork://jobs/{job_id}"),
            {"name": "job_id", "value": ""},
        )
        other = await client.complete(
            PromptReference(type="ref/prompt", name="reply_to_client"), {"name": "intent", "value": "con"}
        )
    assert contract in by_prompt.completion.values
    assert all(v.startswith(contract[:5]) or contract[:5] in v for v in by_prompt.completion.values)
    assert set(rooms.completion.values) <= {r["id"] for r in sandbox.data.rooms} and rooms.completion.values
    assert by_template.completion.values and all(v.isdigit() for v in by_template.completion.values)
    assert other.completion.values == []


async def test_the_weekly_and_proposal_prompts_render_and_complete_without_upstream_requests(
    connect: Connect, sandbox: Sandbox
) -> None:
    async with connect() as client:
        week = await client.get_prompt("weekly_report", {"week": "20261026"})
        followup = await client.get_prompt("proposal_followup", {})
        before = sandbox.api_requests
        weeks = await client.complete(
            PromptReference(type="ref/prompt", name="weekly_report"), {"name": "week", "value": ""}
        )
        statuses = await client.complete(
            PromptReference(type="ref/prompt", name="proposal_followup"), {"name": "status", "value": "de"}
        )
        assert sandbox.api_requests == before
    text = week.messages[0].content.text
    assert "20261026" in text and "get_time_report" in text and "get_earnings" in text
    assert "list_proposals" in followup.messages[0].content.text
    assert len(weeks.completion.values) == 8 and all(
        datetime.strptime(w, "%Y%m%d").weekday() == 0 for w in weeks.completion.values
    )
    assert statuses.completion.values == ["Declined"]


async def test_progress_arrives_while_a_search_spans_several_upstream_pages(connect: Connect, sandbox: Sandbox) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    async with connect() as client:
        await client.call_tool("get_account", {})
        before = sandbox.api_requests
        result = await client.call_tool("search_jobs", {"limit": 120}, progress_callback=on_progress)
    assert len(result.structured_content["jobs"]) == 120 and sandbox.api_requests - before == 3
    # The three pages are fetched at once, so they report in whatever order they finish.
    assert [t for _, t, _ in seen] == [120, 120, 120] and seen[-1][0] == 120
    assert [p for p, _, _ in seen] == sorted(p for p, _, _ in seen)
    ids = [j["id"] for j in result.structured_content["jobs"]]
    assert len(set(ids)) == 120
