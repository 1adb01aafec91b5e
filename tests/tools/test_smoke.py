"""Every tool the registry declares answers its sample calls against the sandbox, and `doctor` can check
every Upwork operation a tool needs. Expectations come from the registry: a new tool without sample
arguments, a probe or a permission name fails here."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FakeClock, make_loop, sandbox_client
from tests.mcp_client import Connect
from tests.tools.samples import load, resolve, sample_files, stated_criteria, values
from upwork_mcp import graphql as documents
from upwork_mcp._bundled import tools_package
from upwork_mcp.api._graphql import PERMISSIONS
from upwork_mcp.api.probes import PROBES, probe, remembered_name
from upwork_mcp.config import Settings
from upwork_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio


def _specs() -> list:
    return list(tools_package().all_specs())


def _roots() -> dict[str, list[str]]:
    """Each Upwork root operation a tool needs -> the tools that need it."""
    roots: dict[str, list[str]] = {}
    for spec in _specs():
        for need in spec.needs:
            for root in need.split("|"):
                roots.setdefault(root, []).append(spec.name)
    return roots


def test_every_tool_has_sample_calls_and_every_sample_a_tool() -> None:
    names = {spec.name for spec in _specs()}
    for name in sorted(names):
        load(name)  # fails with what to write
    assert set(sample_files()) == names, f"samples for tools that do not exist: {set(sample_files()) - names}"


async def test_every_served_tool_answers_its_sample_calls(connect: Connect, sandbox: Sandbox, tmp_path: Path) -> None:
    known = values(sandbox)
    problems: list[str] = []
    async with connect(env=stated_criteria(tmp_path)) as client:
        served = {tool.name for tool in (await client.list_tools()).tools}
        specs = [spec for spec in _specs() if spec.name in served]
        assert {spec.name for spec in specs} == {spec.name for spec in _specs()}, "the default server serves all"
        for spec in specs:
            sample = load(spec.name)
            for name, arguments in sample.given:
                first = await client.call_tool(name, resolve(arguments, known))
                assert not first.is_error, (spec.name, name, first.content[0].text[:300])
            statuses = []
            for arguments in sample.calls:
                result = await client.call_tool(spec.name, resolve(arguments, known))
                text = result.content[0].text if result.content else ""
                if result.is_error or not text:
                    problems.append(f"{spec.name}({arguments}): {text[:300] or 'an empty answer'}")
                statuses.append((result.structured_content or {}).get("status"))
            if not spec.read_only and not spec.local and "needs_approval" not in statuses:
                # A write to Upwork answers a first call with its approval flow, never by writing.
                problems.append(f"{spec.name} writes to Upwork but answered {statuses}, not needs_approval")
    assert not problems, "\n".join(problems)
    assert sandbox.sent_messages == [], "a sample call wrote to Upwork without a person's approval"


def test_every_upwork_operation_a_tool_needs_has_a_probe_and_a_permission_name() -> None:
    schema = documents.bundled_schema()
    assert schema.query_type is not None and schema.mutation_type is not None
    user_type = schema.get_type("CurrentUser")
    user_fields = getattr(user_type, "fields", {})
    writes = set(schema.mutation_type.fields)
    problems = []
    for root, tools in sorted(_roots().items()):
        if root.startswith("user."):
            exists = root.removeprefix("user.") in user_fields
        else:
            exists = root in schema.query_type.fields or root in writes
        if not exists:
            problems.append(f"{tools} need {root}, which Upwork's schema does not have")
        if root not in PROBES and root not in writes:  # writes are not probed: a probe must not write
            problems.append(f"{tools} need {root}: doctor has no probe for it (PROBES in upwork_mcp/api/probes.py)")
        if remembered_name(root).removeprefix("Query.") not in PERMISSIONS:
            problems.append(f"{tools} need {root}: no permission name (PERMISSIONS in upwork_mcp/api/_graphql.py)")
    assert not problems, "\n".join(problems)


async def test_doctor_s_probe_for_every_operation_a_tool_reads_answers_on_a_full_key(
    http, sandbox: Sandbox, clock: FakeClock
) -> None:
    client = sandbox_client(http, Settings.from_env({"UPWORK_SANDBOX": "1"}), make_loop(http, clock))
    found = {root: await probe(client, root, client.account.user_id) for root in sorted(_roots()) if root in PROBES}
    assert found and all(p.state == "allowed" for p in found.values()), {r: p.detail for r, p in found.items()}
