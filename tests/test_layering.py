"""The floors of the house, checked on the source: arrows point down, there is no import cycle (counting
imports inside functions), nothing below the composition root imports the sandbox, and the engine is
usable without MCP."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "upwork_mcp"

# Bottom to top. A module may import its own floor and the floors below, never above.
FLOORS: list[tuple[str, tuple[str, ...]]] = [
    (
        "base",
        (
            "upwork_mcp",
            "upwork_mcp.errors",
            "upwork_mcp.facts",
            "upwork_mcp.config",
            "upwork_mcp.prompt_templates",
            "upwork_mcp.notes",
            "upwork_mcp.text",
        ),
    ),
    ("http", ("upwork_mcp._http",)),
    ("auth", ("upwork_mcp.auth",)),
    ("graphql", ("upwork_mcp.graphql", "upwork_mcp.models")),
    ("api", ("upwork_mcp.api",)),
    ("store", ("upwork_mcp.store", "upwork_mcp.approvals")),
    ("watches", ("upwork_mcp.watches",)),
    ("sandbox", ("upwork_mcp.sandbox",)),
    (
        "root",
        (
            "upwork_mcp.world",
            "upwork_mcp.advice",
            "upwork_mcp.server",
            "upwork_mcp.cli",
            "upwork_mcp.commands",
            "upwork_mcp.serving",
            "upwork_mcp.logs",
            "upwork_mcp._bundled",
            "upwork_mcp.__main__",
        ),
    ),
]
# The MCP side of the package: the server package (composition, registration, serving) and the CLI.
MCP_SIDE = ("upwork_mcp.server", "upwork_mcp.cli")


def _mcp_side(module: str) -> bool:
    return any(module == side or module.startswith(side + ".") for side in MCP_SIDE)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _floor(module: str) -> int:
    best, floor = -1, -1
    for index, (_, prefixes) in enumerate(FLOORS):
        for prefix in prefixes:
            # The package itself is a floor of its own: its name is nobody's prefix.
            within = module == prefix or (prefix != "upwork_mcp" and module.startswith(prefix + "."))
            if within and len(prefix) > best:
                best, floor = len(prefix), index
    assert floor >= 0, f"{module} has no floor: add it to FLOORS in tests/test_layering.py"
    return floor


def _imports(module: str, path: Path) -> list[tuple[str, ast.stmt, bool]]:
    """(imported upwork_mcp module, statement, inside a function) for every run-time import."""
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[str, ast.stmt, bool]] = []

    def resolve(base: str, names: list[str]) -> list[str]:
        out = []
        for name in names:
            candidate = f"{base}.{name}" if base else name
            out.append(candidate if candidate in MODULES else base)
        return out

    def walk(nodes: list[ast.stmt], in_function: bool) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                walk(node.orelse, in_function)  # the `if TYPE_CHECKING:` body is for types only
                continue
            if isinstance(node, ast.Import):
                found.extend((a.name, node, in_function) for a in node.names if a.name.startswith("upwork_mcp"))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                    base = f"{base}.{node.module}" if node.module else base
                else:
                    base = node.module or ""
                if base.startswith("upwork_mcp"):
                    found.extend((target, node, in_function) for target in resolve(base, [a.name for a in node.names]))
            inner = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    walk([child], inner)

    walk(ast.parse(path.read_text()).body, False)
    return found


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def test_every_import_points_down_or_level() -> None:
    wrong = []
    for module, imports in GRAPH.items():
        for target, node, _ in imports:
            if target in MODULES and _floor(target) > _floor(module):
                wrong.append(
                    f"{module} (floor {FLOORS[_floor(module)][0]}) imports {target} "
                    f"(floor {FLOORS[_floor(target)][0]}) at line {node.lineno}"
                )
    assert not wrong, "\n".join(wrong)


def test_nothing_below_the_composition_root_imports_the_sandbox() -> None:
    root = len(FLOORS) - 1
    for module, imports in GRAPH.items():
        if _floor(module) == root or module.startswith("upwork_mcp.sandbox"):
            continue
        assert not [t for t, _, _ in imports if t.startswith("upwork_mcp.sandbox")], module


def test_there_is_no_import_cycle_counting_imports_inside_functions() -> None:
    edges = {m: {t for t, _, _ in imports if t in MODULES and t != m} for m, imports in GRAPH.items()}
    # A package importing its own submodules is how packages are built, not a cycle with them.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def connect(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges[node]:
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in edges:
        if node not in index:
            connect(node)
    assert not cycles, f"import cycles: {cycles}"


def _has_reason(path: Path, node: ast.stmt) -> bool:
    """A comment on the import's line, or on the line above it or above the block of imports it is in."""
    lines = path.read_text().splitlines()
    if "#" in lines[node.lineno - 1]:
        return True
    at = node.lineno - 2
    while at >= 0 and lines[at].strip().startswith(("import ", "from ")):
        if "#" in lines[at]:
            return True
        at -= 1
    return at >= 0 and lines[at].strip().startswith("#")


def test_an_import_inside_a_function_says_why() -> None:
    """Function-level imports exist only where start-up time needs them, each with a one-line reason."""
    unexplained = []
    for path in [*PACKAGE.rglob("*.py"), *(ROOT / "tools").glob("*.py")]:
        tree = ast.parse(path.read_text())
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.Import | ast.ImportFrom) and not _has_reason(path, node):
                    unexplained.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")
    assert not unexplained, "imports inside functions without a reason beside them:\n" + "\n".join(unexplained)


def _third_party(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_the_engine_never_imports_mcp_tools_or_prompts() -> None:
    for module, path in MODULES.items():
        if _mcp_side(module):
            continue
        bad = _third_party(path) & {"mcp", "mcp_types", "tools", "prompts"}
        assert not bad, f"{module} imports {bad}"


def test_tools_never_import_http_or_oauth_libraries_nor_read_the_environment() -> None:
    for path in (ROOT / "tools").glob("*.py"):
        assert not _third_party(path) & {"httpx", "authlib"}, path.name
        assert not _reads_environment(path), path.name


def _reads_environment(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"):
            return True
    return False


def test_only_config_reads_the_environment() -> None:
    for module, path in MODULES.items():
        if module in ("upwork_mcp.cli", "upwork_mcp.server.transports"):
            continue  # they hand os.environ to Settings.from_env, the one reader
        assert not _reads_environment(path), module
