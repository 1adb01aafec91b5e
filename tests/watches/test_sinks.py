"""Sinks as data: added, listed and removed from the terminal or by a tool, kept per user with their secrets
sealed; a tool adds one only after the person approved the exact address; settings take effect without a
restart; and what a watch may hold is bounded."""

from __future__ import annotations

import math
import stat
from pathlib import Path

import pytest

from tests.mcp_client import Connect
from tests.watches.helpers import engine_on, watching
from upwork_mcp.approvals import Approvals
from upwork_mcp.cli import main
from upwork_mcp.config import Settings
from upwork_mcp.errors import InvalidInputError
from upwork_mcp.sandbox import Sandbox
from upwork_mcp.watches.filters import WatchFilters
from upwork_mcp.watches.service import Watch
from upwork_mcp.world import open_store, state_path

pytestmark = pytest.mark.anyio
URL = "https://hooks.example.net/services/T000/B000/very-secret-path"


def test_sink_commands_keep_the_address_and_key_sealed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sink", "add", "team", URL, "--kind", "slack", "--sandbox"]) == 0
    assert URL in capsys.readouterr().out  # the person at the terminal sees the exact address
    assert main(["sink", "add", "hook", "http://127.0.0.1:9/hook", "--sandbox", "--secret", "s" * 20]) == 0
    assert main(["sink", "add", "team", URL, "--kind", "slack", "--sandbox"]) == 1
    assert "exists" in capsys.readouterr().err
    assert main(["sink", "add", "bad", "ftp://example.net/x", "--sandbox"]) == 1
    assert "https://" in capsys.readouterr().err
    assert main(["sink", "list", "--sandbox"]) == 0
    listed = capsys.readouterr().out
    assert "team (slack to hooks.example.net)" in listed and "very-secret-path" not in listed
    assert main(["sink", "secret", "hook", "--sandbox"]) == 0 and capsys.readouterr().out.strip() == "s" * 20
    settings = Settings.from_env({"UPWORK_SANDBOX": "1"})
    with open_store(settings).db.transaction() as tx:
        rows = tx.all("SELECT * FROM sinks")
    raw = state_path(settings).read_bytes() + b"".join(bytes(r["sealed"]) for r in rows)
    assert len(rows) == 2 and b"very-secret-path" not in raw and b"s" * 20 not in raw  # sealed at rest
    key = settings.resolved_token_file().parent / "sinks.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and key.read_text().encode() not in raw
    assert main(["sink", "remove", "team", "--sandbox"]) == 0 and main(["sink", "remove", "team", "--sandbox"]) == 1


async def test_a_tool_adds_a_sink_only_after_the_person_approved_the_exact_address(
    connect: Connect, sandbox: Sandbox, tmp_path: Path
) -> None:
    args = {"name": "phone", "url": "https://ntfy.sh/my-private-topic-93", "kind": "ntfy"}
    async with connect() as client:
        preview = await client.call_tool("add_sink", args)
        out = preview.structured_content
        forged = await client.call_tool("add_sink", {**args, "confirmation_token": out["approval_id"]})
        moved = {**args, "url": "https://evil.example/collect", "confirmation_token": out["approval_id"]}
        approvals = Approvals(open_store(Settings.from_env({"UPWORK_SANDBOX": "1"})))
        shown = approvals.store.approval(out["approval_id"])
        approvals.decide(out["approval_id"], True)
        redirected = await client.call_tool("add_sink", moved)
        added = await client.call_tool("add_sink", {**args, "confirmation_token": out["approval_id"]})
        listed = await client.call_tool("list_sinks", {})
    assert out["status"] == "needs_approval" and "https://ntfy.sh/my-private-topic-93" in preview.content[0].text
    assert "An ntfy topic is read by anyone who knows its name" in preview.content[0].text
    assert shown is not None and '"sends_to": "https://ntfy.sh/my-private-topic-93"' in shown.payload
    assert forged.is_error and redirected.is_error  # not approved yet; then not the address approved
    assert added.structured_content["status"] == "added"
    assert listed.structured_content["sinks"] == [{"name": "phone", "kind": "ntfy", "host": "ntfy.sh"}]
    assert "my-private-topic" not in listed.content[0].text + added.content[0].text


async def test_settings_changes_take_effect_without_a_restart(sandbox: Sandbox, tmp_path: Path) -> None:
    async with watching(sandbox, "", tmp_path) as watches:
        before = [s.name for s in await watches.sinks()]
        with pytest.raises(InvalidInputError, match="No sink 'phone'"):
            await watches.create(Watch("w", "feed", WatchFilters(), sinks=("phone",)))
        (tmp_path / "watches.toml").write_text('[sinks.phone]\ntype = "ntfy"\nurl = "https://ntfy.sh/t"\n')
        after = [s.name for s in await watches.sinks()]
        await watches.create(Watch("w", "feed", WatchFilters(), sinks=("phone",)))
        (tmp_path / "watches.toml").write_text("[scoring\nbroken")  # a bad edit keeps the last good settings
        kept = [s.name for s in await watches.sinks()]
    assert before == [] and after == kept == ["phone"]


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"skills": ("x" * 1_000_000,)}, "at most 100 characters"),
        ({"skills": tuple(f"s{i}" for i in range(21))}, "at most 20 items"),
        ({"hourly_min": math.inf}, "finite number"),
        ({"budget_min": math.nan}, "finite number"),
        ({"q": "python\u202e"}, "plain text on one line"),
    ],
)
def test_watch_filters_are_bounded(fields: dict[str, object], said: str) -> None:
    with pytest.raises(ValueError, match=said):
        WatchFilters.model_validate(fields)


async def test_a_watch_name_is_whole_and_a_name_the_tools_can_delete(sandbox: Sandbox) -> None:
    async with watching(sandbox) as watches:
        for name in ("w\n", "W", "a/b", "x" * 41, ""):
            with pytest.raises(InvalidInputError, match="name"):
                await watches.create(Watch(name, "feed", WatchFilters()))
    async with engine_on(sandbox) as engine:
        assert await engine.watches().all() == []


def test_a_sink_is_described_by_its_kind_and_host_only() -> None:
    from upwork_mcp.watches.sinks import SinkConfig

    chat = SinkConfig("tg", "telegram", {"token": "123:secret-token", "chat_id": "-100987654"})
    assert chat.describe() == "tg (telegram to api.telegram.org)"
