"""The house rules of design.md, checked on the source: the engine is usable without MCP."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The MCP side of the package: composition, CLI and HTTP serving.
MCP_SIDE = {"server.py", "cli.py", "transports.py"}


def _imports(path: Path) -> set[str]:
    """Modules imported at run time (imports under `if TYPE_CHECKING:` are types only)."""
    found: set[str] = set()

    def walk(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    walk([child])

    walk(ast.parse(path.read_text()).body)
    return found


def test_the_engine_never_imports_mcp_tools_or_prompts() -> None:
    for path in (ROOT / "upwork_mcp").rglob("*.py"):
        if path.name in MCP_SIDE and path.parent.name == "upwork_mcp":
            continue
        bad = _imports(path) & {"mcp", "mcp_types", "tools", "prompts"}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_tools_never_import_http_or_oauth_libraries_nor_read_the_environment() -> None:
    for path in (ROOT / "tools").glob("*.py"):
        assert not _imports(path) & {"httpx", "authlib"}, path.name


def _reads_environment(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"):
            return True
    return False


def test_only_config_reads_the_environment() -> None:
    for path in (ROOT / "upwork_mcp").rglob("*.py"):
        if path.name in ("cli.py", "transports.py"):
            continue  # they hand os.environ to Settings.from_env, the one reader
        assert not _reads_environment(path), path.relative_to(ROOT)
    assert not any(_reads_environment(p) for p in (ROOT / "tools").glob("*.py"))
