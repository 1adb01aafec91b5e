"""`upwork-mcp approve`: the person's own terminal is the only place it approves or pairs; an unknown id is not
a success; the pairing link reaches the browser it opens and nothing else."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.person import as_run, clean_env, in_terminal, without_terminal
from upwork_mcp.config import Settings
from upwork_mcp.server.approval_page import pairing_cookie_for
from upwork_mcp.store.web import WebStore
from upwork_mcp.world import open_store, world_for

BROWSER = """import json, sys, urllib.request
answer = urllib.request.urlopen(sys.argv[2], timeout=10)
cookies = [v for k, v in answer.headers.items() if k.lower() == "set-cookie"]
open(sys.argv[1], "w").write(json.dumps({"status": answer.status, "cookies": cookies}))
"""


def _web() -> tuple[WebStore, str]:
    settings = world_for(Settings.from_env({"UPWORK_SANDBOX": "1"})).settings
    return WebStore(open_store(settings)), pairing_cookie_for(settings)


def test_pairing_happens_in_a_terminal_and_pairs_only_the_browser_it_opens(tmp_path: Path) -> None:
    script, seen = tmp_path / "browser.py", tmp_path / "seen.json"
    script.write_text(BROWSER)
    env = clean_env(BROWSER=f"{sys.executable} {script} {seen} %s")
    piped = without_terminal(as_run("upwork-mcp approve --pair --sandbox"), env=env)
    assert piped.returncode == 2 and "terminal" in piped.stderr and not seen.exists()
    status, shown = in_terminal(as_run("upwork-mcp approve --pair --sandbox"), answer=None, env=env)
    visit = json.loads(seen.read_text())
    web, cookie = _web()
    [line] = [c for c in visit["cookies"] if c.startswith(cookie + "=")]
    secret = line.split(";")[0].split("=", 1)[1]
    flags = line.lower()
    assert status == 0 and "Paired" in shown and "/pair/" not in shown  # the link went to the browser only
    assert visit["status"] == 200 and "httponly" in flags and "samesite=strict" in flags
    assert web.session("pairing", secret) is not None and web.session("pairing", "made-up") is None
    with web.db.transaction() as tx:
        stored = [r["handle"] for r in tx.all("SELECT handle FROM web_sessions")]
    assert secret not in stored  # only its hash is kept
    forgot = without_terminal(as_run("upwork-mcp approve --unpair --sandbox"), env=env)
    assert forgot.returncode == 0 and web.session("pairing", secret) is None


def test_an_id_with_nothing_waiting_is_not_a_success() -> None:
    unknown = without_terminal(as_run("upwork-mcp approve nope123 --sandbox"))
    declined = without_terminal(as_run("upwork-mcp approve nope123 --decline --sandbox"))
    listed = without_terminal(as_run("upwork-mcp approve --sandbox"))
    assert unknown.returncode == 1 and "No write 'nope123' is waiting" in unknown.stderr
    assert declined.returncode == 1
    assert listed.returncode == 0 and "No write is waiting" in listed.stdout
