"""`upwork-mcp setup CLIENT`: each client's config, by absolute path, merged, backed up, no secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from upwork_mcp.commands.setup import CLIENTS, setup
from upwork_mcp.errors import ConfigError


@pytest.mark.parametrize(
    ("client", "where", "key"),
    [
        ("claude-desktop", ".config/Claude/claude_desktop_config.json", "mcpServers"),
        ("claude-code", ".claude.json", "mcpServers"),
        ("cursor", ".cursor/mcp.json", "mcpServers"),
        ("vscode", ".config/Code/User/mcp.json", "servers"),
    ],
)
def test_setup_merges_into_the_clients_config_and_keeps_a_backup(
    tmp_path: Path, client: str, where: str, key: str
) -> None:
    path = tmp_path / where
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"theme": "dark", key: {"other": {"command": "/bin/other"}}}))
    lines = setup(client, home=tmp_path, platform="linux")
    config = json.loads(path.read_text())
    server = config[key]["upwork"]
    assert config["theme"] == "dark" and config[key]["other"] == {"command": "/bin/other"}
    assert Path(server["command"]).is_absolute() and Path(server["command"]).exists()
    assert server["args"][-1] == "serve" and "env" not in server  # no secret in a client's config
    assert str(path) in lines[0] and list(path.parent.glob(path.name + ".bak-*"))


def test_setup_for_the_sandbox_and_print_only_write_nothing(tmp_path: Path) -> None:
    printed = json.loads(setup("cursor", print_only=True, sandbox=True, home=tmp_path)[0])
    assert printed["mcpServers"]["upwork"]["args"][-2:] == ["serve", "--sandbox"]
    assert not any(tmp_path.iterdir())


def test_a_broken_config_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / ".cursor/mcp.json"
    path.parent.mkdir(parents=True)
    path.write_text("{ not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        setup("cursor", home=tmp_path)
    assert path.read_text() == "{ not json" and not list(path.parent.glob("*.bak-*"))


def test_a_project_config_goes_in_the_project(tmp_path: Path) -> None:
    setup("claude-code", project=tmp_path, home=tmp_path / "home")
    assert "upwork" in json.loads((tmp_path / ".mcp.json").read_text())["mcpServers"]
    assert set(CLIENTS) == {"claude-desktop", "claude-code", "cursor", "vscode"}
