"""The wheel ships tools/ and prompts/ inside upwork_mcp/, never as top-level packages, and runs."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
# The distribution's name: `upwork-mcp` on PyPI is another project (with the same import package and
# command), so ours is published as upwork-mcp-server and installs the `upwork-mcp` command.
DIST = "upwork_mcp_server"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return next(out.glob(f"{DIST}-*.whl"))


def test_the_wheel_nests_tools_and_prompts_in_the_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"upwork_mcp", f"{DIST}-{wheel.name.split('-')[1]}.dist-info"}
    assert (
        "upwork_mcp/tools/jobs.py" in names
        and "upwork_mcp/graphql/upwork-live-2026-04.graphql" in names
        and "upwork_mcp/graphql/overlay.graphql" in names
    )
    assert "upwork_mcp/graphql/SearchJobs.graphql" in names
    assert any(n.startswith("upwork_mcp/prompts/") for n in names)


def test_the_wheel_installs_into_a_fresh_venv_and_serves(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)  # this run's pip installs into it (pip --python)
    bindir = env_dir / ("Scripts" if sys.platform == "win32" else "bin")
    py = bindir / "python"
    site = Path(
        subprocess.run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # The wheel itself through pip (offline); its dependencies come from this test run's environment
    # through a .pth, whose own .pth files are not read, so an editable checkout there stays invisible.
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index", "-q", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    probe = (
        "import upwork_mcp, upwork_mcp._bundled as b; t = b.tools_package(); "
        "print(upwork_mcp.__file__); print(t.__file__); print(b.prompts_dir())"
    )
    shown = subprocess.run([str(py), "-c", probe], check=True, capture_output=True, text=True, cwd=tmp_path).stdout
    assert all(str(site) in line for line in shown.splitlines()), shown
    assert not (site / "tools").exists() and not (site / "prompts").exists()
    called = subprocess.run(
        [str(bindir / "upwork-mcp"), "call", "search_jobs", "q=python", "limit=2", "--sandbox"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert called.returncode == 0 and "jobs match" in called.stdout, called.stderr
    # What a desktop client is given: the installed command by absolute path, which starts the server.
    printed = subprocess.run(
        [str(bindir / "upwork-mcp"), "setup", "claude-code", "--print", "--sandbox"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    server = json.loads(printed.stdout)["mcpServers"]["upwork"]
    assert Path(server["command"]) == bindir / "upwork-mcp"
    started = subprocess.run(
        [server["command"], *server["args"]],
        input="",
        capture_output=True,
        text=True,
        cwd="/",
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert started.returncode == 0, started.stderr  # started from an empty PATH, served stdio until EOF


def test_a_user_module_named_tools_is_not_shadowed(tmp_path: Path) -> None:
    (tmp_path / "tools.py").write_text("MINE = True\n")
    probe = "import upwork_mcp._bundled as b; b.tools_package(); import tools; print(tools.MINE)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path)
    assert out.stdout.strip() == "True", out.stderr


def test_the_checkout_and_editable_install_resolve_the_repositorys_tools() -> None:
    from upwork_mcp import _bundled

    assert Path(_bundled.tools_package().__file__).parent == ROOT / "tools"
    assert _bundled.prompts_dir() == ROOT / "prompts"
