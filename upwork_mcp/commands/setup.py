"""`upwork-mcp setup CLIENT`: put this server into a client's MCP config, by absolute path.

A desktop app does not start from the shell that installed upwork-mcp, so `upwork-mcp` alone is not
on its PATH ("spawn upwork-mcp ENOENT"): the entry names the installed command by its absolute path.
Writing merges: other servers stay, the old file is kept as a backup, and nothing secret goes in (the
login lives in the token store, client id and secret included).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError


@dataclass(frozen=True)
class ClientConfig:
    name: str
    key: str  # the JSON key holding servers
    stdio_type: bool  # entries carry "type": "stdio"

    def path(self, home: Path, platform: str, project: Path | None) -> Path:
        if project is not None:
            return project / {
                "claude-code": ".mcp.json",
                "cursor": ".cursor/mcp.json",
                "vscode": ".vscode/mcp.json",
            }.get(self.name, ".mcp.json")
        if self.name == "claude-desktop":
            if platform == "darwin":
                return home / "Library/Application Support/Claude/claude_desktop_config.json"
            if platform == "win32":
                return home / "AppData/Roaming/Claude/claude_desktop_config.json"
            return home / ".config/Claude/claude_desktop_config.json"
        if self.name == "claude-code":
            return home / ".claude.json"
        if self.name == "cursor":
            return home / ".cursor/mcp.json"
        if platform == "darwin":
            return home / "Library/Application Support/Code/User/mcp.json"
        if platform == "win32":
            return home / "AppData/Roaming/Code/User/mcp.json"
        return home / ".config/Code/User/mcp.json"


CLIENTS = {
    "claude-desktop": ClientConfig("claude-desktop", "mcpServers", stdio_type=False),
    "claude-code": ClientConfig("claude-code", "mcpServers", stdio_type=True),
    "cursor": ClientConfig("cursor", "mcpServers", stdio_type=False),
    "vscode": ClientConfig("vscode", "servers", stdio_type=True),
}


def installed_command() -> list[str]:
    """The absolute command that starts this installation's server."""
    beside = Path(sys.executable).parent / ("upwork-mcp.exe" if sys.platform == "win32" else "upwork-mcp")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("upwork-mcp")
    if found:
        return [str(Path(found).resolve())]
    return [str(Path(sys.executable).resolve()), "-m", "upwork_mcp"]


def entry(client: ClientConfig, *, sandbox: bool, read_only: bool, toolsets: str | None) -> dict[str, Any]:
    command = installed_command()
    args = [*command[1:], "serve"]
    if sandbox:
        args.append("--sandbox")
    if read_only:
        args.append("--read-only")
    if toolsets:
        args += ["--toolsets", toolsets]
    out: dict[str, Any] = {"type": "stdio"} if client.stdio_type else {}
    out.update({"command": command[0], "args": args})
    return out


def merged(existing: dict[str, Any], client: ClientConfig, name: str, server: dict[str, Any]) -> dict[str, Any]:
    servers = existing.get(client.key)
    if servers is not None and not isinstance(servers, dict):
        raise ConfigError(f"The config's {client.key!r} is not an object; fix the file before adding a server.")
    return {**existing, client.key: {**(servers or {}), name: server}}


def write(path: Path, config: dict[str, Any]) -> Path | None:
    """Write atomically, keeping the old file as a timestamped backup; return the backup's path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    backup = None
    if path.exists():
        backup = path.with_name(f"{path.name}.bak-{time.strftime('%Y%m%d-%H%M%S')}")
        shutil.copy2(path, backup)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return backup


def read(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except ValueError as exc:
        raise ConfigError(
            f"{path} is not valid JSON ({exc}); fix it (or move it away) and run setup again. Nothing was written."
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path} does not hold a JSON object; nothing was written.")
    return data


def setup(
    client_name: str,
    *,
    name: str = "upwork",
    print_only: bool = False,
    sandbox: bool = False,
    read_only: bool = False,
    toolsets: str | None = None,
    project: Path | None = None,
    home: Path | None = None,
    platform: str = sys.platform,
) -> list[str]:
    client = CLIENTS.get(client_name)
    if client is None:
        raise ConfigError(f"Unknown client {client_name!r}; choose {', '.join(CLIENTS)}.")
    server = entry(client, sandbox=sandbox, read_only=read_only, toolsets=toolsets)
    if print_only:
        return [json.dumps({client.key: {name: server}}, indent=2)]
    path = client.path(home or Path.home(), platform, project)
    backup = write(path, merged(read(path), client, name, server))
    lines = [f"Added the {name!r} server to {path}" + (f" (the old file is kept as {backup.name})." if backup else ".")]
    lines.append(f"It runs: {server['command']} {' '.join(server['args'])}")
    if not sandbox:
        lines.append("Log in once with `upwork-mcp auth login`; the client needs no secret in its config.")
    lines.append(f"Restart {client_name} to load it.")
    return lines
