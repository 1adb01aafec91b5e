"""What a person does, for tests of the human step: run `upwork-mcp` in a real terminal (a pty), and use a
browser they paired with the approval page. And what a model can do: run a command without a terminal."""

from __future__ import annotations

import os
import select
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from upwork_mcp.config import Settings
from upwork_mcp.server.approval_page import pairing_cookie_for
from upwork_mcp.server.pairing import pair_browser
from upwork_mcp.store.web import WebStore
from upwork_mcp.world import open_store, world_for

ROOT = Path(__file__).resolve().parent.parent


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment (its private XDG dirs) without UPWORK_ settings, plus `extra`."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("UPWORK_")}, **extra}


def as_run(command: str) -> list[str]:
    """A printed `upwork-mcp ...` command as this checkout runs it (the same words after the program)."""
    words = shlex.split(command)
    assert words[0] == "upwork-mcp", command
    return [sys.executable, "-m", "upwork_mcp", *words[1:]]


def without_terminal(
    args: list[str], *, answer: str = "y\n", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """How a model's shell tool runs a command: pipes in and out, `answer` written to its stdin."""
    return subprocess.run(
        args, input=answer, capture_output=True, text=True, env=env or clean_env(), cwd=ROOT, timeout=60
    )


def in_terminal(args: list[str], *, answer: str | None = "y\n", env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run `args` on a pseudo-terminal as a person does; type `answer` once the question shows. (exit, output)"""
    master, slave = os.openpty()
    proc = subprocess.Popen(
        args, stdin=slave, stdout=slave, stderr=slave, env=env or clean_env(), cwd=ROOT, start_new_session=True
    )
    os.close(slave)
    out = b""
    typed = answer is None
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the terminal closed: the program ended
                    break
                if not chunk:
                    break
                out += chunk
                if not typed and b"[y/N]" in out:
                    assert answer is not None
                    os.write(master, answer.encode())
                    typed = True
            elif proc.poll() is not None:
                break
        else:
            proc.kill()
            raise TimeoutError(f"the command did not end within 60 s: {out.decode(errors='replace')[-500:]}")
        proc.wait(10)
    finally:
        os.close(master)
    return proc.returncode, out.decode(errors="replace").replace("\r\n", "\n")


@contextmanager
def paired_browser(env: dict[str, str] | None = None) -> Iterator[httpx.Client]:
    """A browser paired with the (sandbox) server's approval page, as `upwork-mcp approve --pair` pairs one:
    the person's browser visits the one-time link, which sets the pairing cookie. (Its calls block: the pages
    it visits run in threads of their own.)"""
    settings = world_for(Settings.from_env(env or {"UPWORK_SANDBOX": "1"})).settings
    with httpx.Client(timeout=10) as browser:

        def visit(link: str) -> bool:
            return browser.get(link).status_code == 200

        web = WebStore(open_store(settings))
        assert pair_browser(web, pairing_cookie_for(settings), open_browser=visit, say=lambda _: None, timeout=10)
        yield browser


def click(browser: httpx.Client, link: str, decision: str = "approve") -> httpx.Response:
    """The person opens the approval page and clicks a button: the form posted from the page's own origin."""
    page = browser.get(link)
    assert page.status_code == 200, page.text
    base = link.split("/approve/")[0]
    key = link.split("k=", 1)[1]
    return browser.post(
        link.split("?")[0],
        data={"k": key, "decision": decision},
        headers={"Origin": base, "Sec-Fetch-Site": "same-origin"},
    )
