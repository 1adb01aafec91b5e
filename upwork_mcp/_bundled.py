"""Find the `tools` and `prompts` that ship with upwork-mcp, wherever it runs from.

In a wheel they are installed inside the package (`upwork_mcp/tools`, `upwork_mcp/prompts`), so
no top-level `tools` package lands in site-packages. In a checkout or an editable install they
are the repository's top-level folders, loaded under the same name `upwork_mcp.tools`.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

_PACKAGE_DIR = Path(__file__).resolve().parent


def _source_root(name: str) -> Path:
    inside = _PACKAGE_DIR / name
    if inside.is_dir():
        return inside
    beside = _PACKAGE_DIR.parent / name
    if beside.is_dir():
        return beside
    raise RuntimeError(f"upwork-mcp is installed without its {name}/ folder; reinstall the package")


def tools_package() -> ModuleType:
    """`upwork_mcp.tools`, imported once."""
    name = "upwork_mcp.tools"
    if name in sys.modules:
        return sys.modules[name]
    root = _source_root("tools")
    if root.parent == _PACKAGE_DIR:
        return importlib.import_module(name)
    spec = importlib.util.spec_from_file_location(name, root / "__init__.py", submodule_search_locations=[str(root)])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def tools_root() -> Path:
    """The folder the tool modules are in (inside the package in a wheel, beside it in a checkout)."""
    return _source_root("tools")


def prompts_dir() -> Path:
    return _source_root("prompts")
