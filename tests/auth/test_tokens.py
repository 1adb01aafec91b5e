"""Tokens stay fresh and safe: one refresh for many callers, rotation saved first, atomic writes."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from pydantic import SecretStr

from tests.auth.conftest import LoopbackSandbox
from tests.conftest import FakeClock, make_loop
from upwork_mcp.advice import explain
from upwork_mcp.auth import store as store_module
from upwork_mcp.auth.manager import TokenManager
from upwork_mcp.auth.store import FileTokenStore
from upwork_mcp.auth.tokens import TokenSet
from upwork_mcp.config import Settings
from upwork_mcp.errors import APIConnectionError, NotAuthenticatedError
from upwork_mcp.sandbox import Sandbox
from upwork_mcp.world import open_client, world_for

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]


def _seed_tokens(loopback: LoopbackSandbox, path: Path, *, expired: bool = True) -> TokenSet:
    issued = loopback.box.issue_tokens()
    tokens = TokenSet.from_response(issued).model_copy(
        update={"expires_at": time.time() - 60 if expired else time.time() + 3600}
    )
    FileTokenStore(path).save(tokens)
    return tokens


def test_expires_in_may_be_a_string() -> None:
    tokens = TokenSet.from_response({"access_token": "a", "refresh_token": "r", "expires_in": "86400"}, now=1000.0)
    assert tokens.expires_at == 87400.0
    kept = TokenSet.from_response({"access_token": "b", "expires_in": 10}, now=0, previous=tokens)
    assert kept.refresh_token.get_secret_value() == "r"  # an answer without a new refresh token keeps the old one


async def test_fifty_concurrent_tool_calls_with_an_expired_token_cause_one_refresh(
    loopback: LoopbackSandbox, tmp_path: Path
) -> None:
    from mcp import Client

    from upwork_mcp.server import build_server

    path = tmp_path / "tokens.json"
    _seed_tokens(loopback, path)
    settings = Settings.from_env(loopback.env(UPWORK_TOKEN_FILE=str(path)))
    results = []
    async with Client(build_server(settings)) as client:

        async def call(i: int) -> None:
            results.append(await client.call_tool("search_jobs", {"q": "python", "limit": 1 + i % 5}))

        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:
                for i in range(50):
                    tg.start_soon(call, i)
    assert len(results) == 50 and not any(r.is_error for r in results)
    assert loopback.box.token_requests == 1
    assert FileTokenStore(path).load().expires_at > time.time() + 3600


async def test_a_401_refreshes_once_for_all_concurrent_callers(loopback: LoopbackSandbox, tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    tokens = _seed_tokens(loopback, path, expired=False)
    loopback.box.access_tokens.pop(tokens.access_token.get_secret_value())  # Upwork no longer accepts it
    settings = Settings.from_env(loopback.env(UPWORK_TOKEN_FILE=str(path)))
    async with open_client(settings) as client:
        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                for _ in range(20):
                    tg.start_soon(lambda: client.account.me(refresh=True))
    assert loopback.box.token_requests == 1


class HeldAtTheLock:
    """The token file as a second process sees it: its refresh waits at the cross-process lock until
    `go` is set (`waiting` says it got there, after its first read of the file)."""

    def __init__(self, path: Path) -> None:
        self.inner = FileTokenStore(path)
        self.waiting, self.go = threading.Event(), threading.Event()

    def load(self) -> TokenSet | None:
        return self.inner.load()

    def save(self, tokens: TokenSet) -> None:
        self.inner.save(tokens)

    def clear(self) -> None:
        self.inner.clear()

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        self.waiting.set()
        assert self.go.wait(timeout=30), "the first refresh never finished"
        with self.inner.locked():
            yield


async def test_a_manager_that_waited_for_the_lock_uses_the_refresh_another_made(
    http: httpx.AsyncClient, sandbox: Sandbox, clock: FakeClock, tmp_path: Path
) -> None:
    world = world_for(Settings.from_env({"UPWORK_SANDBOX": "1"}), transport=http._transport)
    path = tmp_path / "tokens.json"
    issued = TokenSet.from_response(sandbox.issue_tokens(), now=clock())
    expired = issued.model_copy(update={"expires_at": clock() - 60})
    FileTokenStore(path).save(expired)
    first = TokenManager(world.settings, FileTokenStore(path), make_loop(http, clock), clock=clock)
    held = HeldAtTheLock(path)
    second = TokenManager(world.settings, held, make_loop(http, clock), clock=clock)
    got: dict[str, TokenSet] = {}

    async def second_caller() -> None:
        got["second"] = await second.current()

    with anyio.fail_after(30):
        async with anyio.create_task_group() as tg:
            tg.start_soon(second_caller)
            # The second manager read the expired set and is now at the lock.
            assert await anyio.to_thread.run_sync(held.waiting.wait, 30)
            got["first"] = await first.current()  # refreshes meanwhile
            held.go.set()
    assert sandbox.token_requests == 1, "the second manager must re-read the file under the lock, not refresh again"
    assert got["second"].access_token == got["first"].access_token != expired.access_token
    assert FileTokenStore(path).load() == got["first"]


_WORKER = """
import anyio, os
from upwork_mcp.config import Settings
from upwork_mcp.world import open_client

async def main():
    async with open_client(Settings.from_env(os.environ)) as client:
        me = await client.account.me()
        print(me.user.name)

anyio.run(main)
"""


def test_processes_sharing_the_token_file_refresh_once(loopback: LoopbackSandbox, tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    _seed_tokens(loopback, path)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("UPWORK_")},
        **loopback.env(UPWORK_TOKEN_FILE=str(path)),
    }
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [w.communicate(timeout=120) for w in workers]
    assert all(w.returncode == 0 for w in workers), [o[1][-500:] for o in outputs]
    assert all(o[0].strip() == "Sandy Freelancer" for o in outputs)
    assert loopback.box.token_requests == 1


async def test_rotation_is_saved_before_use_over_several_refreshes(loopback: LoopbackSandbox, tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    _seed_tokens(loopback, path, expired=False)
    settings = Settings.from_env(loopback.env(UPWORK_TOKEN_FILE=str(path)))
    seen = []
    async with open_client(settings) as client:
        for _ in range(4):
            before = FileTokenStore(path).load()
            fresh = await client.tokens.after_rejection(before.access_token.get_secret_value())
            on_disk = FileTokenStore(path).load()
            assert on_disk.refresh_token.get_secret_value() == fresh.refresh_token.get_secret_value()
            assert on_disk.refresh_token.get_secret_value() != before.refresh_token.get_secret_value()
            seen.append(on_disk.refresh_token.get_secret_value())
            await client.account.me(refresh=True)  # the new access token works
    assert len(set(seen)) == 4 and loopback.box.token_requests == 4


async def test_a_rejected_refresh_clears_the_store_and_says_login(loopback: LoopbackSandbox, tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    tokens = _seed_tokens(loopback, path)
    loopback.box.refresh_tokens.clear()
    settings = Settings.from_env(loopback.env(UPWORK_TOKEN_FILE=str(path)))
    async with open_client(settings) as client:
        with pytest.raises(NotAuthenticatedError, match="saved login was removed") as raised:
            await client.account.me()
    assert "upwork-mcp auth login" in explain(raised.value, "person")
    assert not path.exists()
    assert tokens.refresh_token.get_secret_value() not in str(tmp_path.iterdir())


async def test_other_failures_never_clear_the_store(loopback: LoopbackSandbox, tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    _seed_tokens(loopback, path)
    loopback.box.faults.server_error = 0
    settings = Settings.from_env(
        loopback.env(UPWORK_TOKEN_FILE=str(path), UPWORK_OAUTH_URL="http://127.0.0.1:9", UPWORK_MAX_RETRIES="0")
    )
    async with open_client(settings) as client:
        with pytest.raises(APIConnectionError):
            await client.account.me()
    assert FileTokenStore(path).load() is not None


async def test_an_access_token_from_the_environment_bypasses_the_store(
    loopback: LoopbackSandbox, tmp_path: Path
) -> None:
    token = loopback.box.issue_tokens()["access_token"]
    path = tmp_path / "tokens.json"
    settings = Settings.from_env(loopback.env(UPWORK_TOKEN_FILE=str(path), UPWORK_ACCESS_TOKEN=token))
    async with open_client(settings) as client:
        assert (await client.account.me()).user.name == "Sandy Freelancer"
    assert not path.exists()


@pytest.mark.parametrize("step", ["dump", "fsync", "replace"])
def test_a_write_interrupted_at_any_step_leaves_a_loadable_file(tmp_path: Path, monkeypatch, step: str) -> None:
    path = tmp_path / "cfg" / "tokens.json"
    store = FileTokenStore(path)
    old = TokenSet(access_token=SecretStr("old-access"), refresh_token=SecretStr("old-refresh"))
    new = TokenSet(access_token=SecretStr("new-access"), refresh_token=SecretStr("new-refresh"))
    store.save(old)

    class Crash(Exception):
        pass

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise Crash(step)

    if step == "dump":

        def half_dump(obj, handle):  # type: ignore[no-untyped-def]
            handle.write(json.dumps(obj)[:20])
            raise Crash(step)

        monkeypatch.setattr(store_module.json, "dump", half_dump)
    elif step == "fsync":
        monkeypatch.setattr(store_module.os, "fsync", boom)
    else:
        monkeypatch.setattr(store_module.os, "replace", boom)
    with pytest.raises(Crash):
        store.save(new)
    monkeypatch.undo()
    loaded = store.load()
    assert loaded is not None and loaded.access_token.get_secret_value() == "old-access"
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".tokens-")] == []  # no temp file left
    store.save(new)
    assert store.load().access_token.get_secret_value() == "new-access"


def test_a_torn_file_is_reported_not_crashed_on(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text('{"access_token": "abc", "refresh')
    from upwork_mcp.errors import ConfigError

    with pytest.raises(ConfigError, match="auth login"):
        FileTokenStore(path).load()


def test_the_keychain_store_round_trips(tmp_path: Path) -> None:
    keyring = pytest.importorskip("keyring")
    from keyring.backend import KeyringBackend

    class Memory(KeyringBackend):
        priority = 1  # type: ignore[assignment]
        items: dict[tuple[str, str], str] = {}

        def get_password(self, service, username):  # type: ignore[no-untyped-def]
            return self.items.get((service, username))

        def set_password(self, service, username, password):  # type: ignore[no-untyped-def]
            self.items[(service, username)] = password

        def delete_password(self, service, username):  # type: ignore[no-untyped-def]
            self.items.pop((service, username))

    previous = keyring.get_keyring()
    keyring.set_keyring(Memory())
    try:
        from upwork_mcp.world import default_store

        store = default_store(
            Settings.from_env(
                {
                    "UPWORK_TOKEN_STORE": "keyring",
                    "UPWORK_CLIENT_ID": "cid",
                    "UPWORK_TOKEN_FILE": str(tmp_path / "t.json"),
                }
            )
        )
        store.save(TokenSet(access_token=SecretStr("kc-access")))
        assert store.load().access_token.get_secret_value() == "kc-access"
        assert not (tmp_path / "t.json").exists()
        store.clear()
        assert store.load() is None
    finally:
        keyring.set_keyring(previous)


async def test_refresh_sends_client_id_and_secret_in_the_body() -> None:
    seen: list[dict[str, str]] = []

    def token_endpoint(request: httpx.Request) -> httpx.Response:
        from urllib.parse import parse_qsl

        seen.append(dict(parse_qsl(request.content.decode())))
        return httpx.Response(200, json={"access_token": "n", "refresh_token": "r2", "expires_in": "86400"})

    from upwork_mcp._http import RequestLoop, RetryPolicy
    from upwork_mcp.auth.oauth import refresh_tokens

    settings = Settings.from_env({"UPWORK_CLIENT_ID": "cid", "UPWORK_CLIENT_SECRET": "sec"})
    async with httpx.AsyncClient(transport=httpx.MockTransport(token_endpoint)) as http:
        fresh = await refresh_tokens(
            RequestLoop(http, timeout=5, policy=RetryPolicy()),
            settings,
            TokenSet(access_token=SecretStr("a"), refresh_token=SecretStr("r1")),
        )
    assert seen == [{"grant_type": "refresh_token", "refresh_token": "r1", "client_id": "cid", "client_secret": "sec"}]
    assert fresh.refresh_token.get_secret_value() == "r2"


def test_saving_into_a_shared_directory_leaves_its_mode_alone(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    FileTokenStore(shared / "tokens.json").save(TokenSet(access_token=SecretStr("a")))
    assert shared.stat().st_mode & 0o777 == 0o755
    assert (shared / "tokens.json").stat().st_mode & 0o777 == 0o600
    made = tmp_path / "new" / "dir"
    FileTokenStore(made / "tokens.json").save(TokenSet(access_token=SecretStr("a")))
    assert made.stat().st_mode & 0o777 == 0o700  # a directory we create is private


def test_a_token_file_others_can_read_is_made_private_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    FileTokenStore(path).save(TokenSet(access_token=SecretStr("a")))
    os.chmod(path, 0o644)
    store = FileTokenStore(path)
    assert store.load() is not None
    assert path.stat().st_mode & 0o777 == 0o600 and "readable by other users" in (store.repaired or "")


def test_temporary_files_of_writers_killed_mid_save_are_removed(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    store = FileTokenStore(path)
    store.save(TokenSet(access_token=SecretStr("a"), refresh_token=SecretStr("r")))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    leftovers = [tmp_path / f".tokens-{dead.stdout.strip()}-x{i}.tmp" for i in range(3)]
    for leftover in leftovers:
        leftover.write_text('{"refresh_token": "left-behind"}')
    store.load()
    assert not any(p.exists() for p in leftovers)
    mine = tmp_path / f".tokens-{os.getpid()}-busy.tmp"  # a save in progress in a live process stays
    mine.write_text("{}")
    store.save(TokenSet(access_token=SecretStr("b")))
    assert mine.exists()


def test_kill_minus_nine_during_saves_leaves_a_loadable_file_and_no_refresh_token_in_temp_files(tmp_path: Path) -> None:
    import signal
    import time

    path = tmp_path / "tokens.json"
    FileTokenStore(path).save(TokenSet(access_token=SecretStr("a0"), refresh_token=SecretStr("r0")))
    writer = (
        "import sys\nfrom pydantic import SecretStr\nfrom upwork_mcp.auth.store import FileTokenStore\n"
        "from upwork_mcp.auth.tokens import TokenSet\nstore = FileTokenStore(__import__('pathlib').Path(sys.argv[1]))\n"
        "i = 0\nwhile True:\n    i += 1\n    store.save(TokenSet(access_token=SecretStr(f'a{i}'), "
        "refresh_token=SecretStr(f'r{i}')))\n"
    )
    for i in range(6):
        proc = subprocess.Popen([sys.executable, "-c", writer, str(path)], cwd=ROOT)
        time.sleep(0.3 + i * 0.013)  # kills land at different points of a save
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert FileTokenStore(path).load() is not None
    leftover = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert leftover == [], leftover
