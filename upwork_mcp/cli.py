"""`upwork-mcp`: serve | setup | tools | call | approve | auth | doctor | watch | sandbox | schema.

Heavy imports (mcp, httpx, the sandbox) happen inside the command that needs them, so
`--help` and the stdio server start fast. On stdio, stdout is the protocol: this module
prints only in commands that don't serve stdio.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import webbrowser
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread

from . import __version__
from .advice import explain
from .commands.arguments import sandbox_flag, sandbox_posting_parser, sink_parser, watch_parser
from .errors import ConfigError, UpworkError
from .logs import setup_logging

if TYPE_CHECKING:
    from .config import Settings


def _settings(args: argparse.Namespace) -> Settings:
    from .config import Settings  # lazy: --help and --version answer without loading pydantic

    env = dict(os.environ)
    if getattr(args, "sandbox", False):
        env["UPWORK_SANDBOX"] = "1"
    if getattr(args, "read_only", False):
        env["UPWORK_READ_ONLY"] = "1"
    if getattr(args, "toolsets", None):
        env["UPWORK_TOOLSETS"] = args.toolsets
    return Settings.from_env(env)


def _setup_logging(level: str, log_file: Any = None) -> None:
    setup_logging(level, log_file)


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    level = "DEBUG" if args.verbose >= 2 else "INFO" if args.verbose == 1 else settings.log_level
    _setup_logging(level, args.log_file)
    from .server import build_server  # lazy: the MCP SDK loads only for commands that serve

    transport = getattr(args, "transport", "stdio") or "stdio"
    if getattr(args, "auth", None):
        settings = settings.model_copy(update={"http_auth": args.auth})
    oauth_base = None
    if settings.http_auth == "oauth":
        if transport == "stdio":
            raise ConfigError("--auth oauth is for the HTTP transports: add --transport streamable-http (or sse).")
        if settings.public_url is None and args.port == 0:
            raise ConfigError("--auth oauth needs a fixed address: give --port, or set UPWORK_MCP_PUBLIC_URL.")
        from .server.oauth import public_base  # lazy: team deployments only

        oauth_base = public_base(settings, args.host, args.port)
    server = build_server(settings, oauth_base=oauth_base)
    if transport == "stdio":
        from .server.stdio import serve_stdio  # lazy: with the SDK

        anyio.run(serve_stdio, server)
    else:
        from .server.transports import run_http  # lazy: HTTP serving loads only when asked for

        run_http(server, settings, "sse" if transport == "sse" else "streamable-http", host=args.host, port=args.port)
    return 0


def cmd_tools(args: argparse.Namespace) -> int:
    settings = _settings(args)
    from .server import first_sentence, tool_specs, tool_table  # lazy: the MCP SDK

    if getattr(args, "markdown", False):
        print(tool_table(tool_specs(settings)))
        return 0
    for spec in tool_specs(settings):
        kind = "read" if spec.read_only else "write"
        print(f"{spec.name:24} {spec.toolset:12} {kind:6} {first_sentence(spec.fn.__doc__ or '')}")
    return 0


def _coerce(raw: str, schema: dict[str, Any]) -> object:
    """A key=value argument typed by the tool's input schema."""
    types = {schema.get("type")} | {t.get("type") for t in schema.get("anyOf", [])}
    if "string" in types or not types - {None}:
        return raw
    if raw == "null":
        return None
    try:
        if "integer" in types:
            return int(raw)
        if "number" in types:
            return float(raw)
        if "boolean" in types:
            if raw.lower() in ("true", "1", "yes"):
                return True
            if raw.lower() in ("false", "0", "no"):
                return False
            raise ValueError(raw)
        return json.loads(raw)
    except ValueError:
        raise ConfigError(f"{raw!r} is not a valid {'/'.join(sorted(t for t in types if t))}") from None


def cmd_call(args: argparse.Namespace) -> int:
    settings = _settings(args)
    _setup_logging(settings.log_level)
    try:
        arguments = json.loads(args.json) if args.json else {}
    except ValueError as exc:
        raise ConfigError(f"--json is not valid JSON: {exc}") from None
    if not isinstance(arguments, dict):
        raise ConfigError("--json must be a JSON object of arguments")

    async def run() -> int:
        from mcp import Client  # lazy: the MCP SDK loads only for commands that serve

        from .server import build_server  # lazy: the MCP SDK loads only for commands that serve

        callback = _terminal_confirmation if sys.stdin.isatty() else None
        problem: UpworkError | None = None
        async with Client(build_server(settings), elicitation_callback=callback) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            try:
                _add_pairs(arguments, args.arguments, tools.get(args.tool), args.tool)
            except UpworkError as exc:  # raised after the client closes, not inside its task group
                problem = exc
            else:
                result = await client.call_tool(args.tool, arguments)
        if problem is not None:
            raise problem
        if result.is_error:  # what went wrong, on stderr, in either output mode
            for block in result.content:
                print(getattr(block, "text", block), file=sys.stderr)
            return 1
        if args.structured:
            print(json.dumps(result.structured_content, indent=2, ensure_ascii=False))
        else:
            for block in result.content:
                print(getattr(block, "text", block))
        return 0

    return anyio.run(run)


def _add_pairs(arguments: dict[str, Any], pairs: list[str], tool: object, name: str) -> None:
    if tool is None:
        raise ConfigError(f"no tool {name!r}; `upwork-mcp tools` lists them")
    props = tool.input_schema.get("properties", {})  # type: ignore[attr-defined]
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ConfigError(f"{pair!r}: write arguments as key=value")
        if key not in props:
            raise ConfigError(f"{name} has no argument {key!r}; it takes {', '.join(props)}")
        arguments[key] = _coerce(value, props[key])


async def _terminal_confirmation(context, params):  # type: ignore[no-untyped-def]
    """Elicitation answered at the terminal: the CLI is a client that can ask its user."""
    from mcp_types import ElicitResult  # lazy: the MCP SDK

    print(params.message, file=sys.stderr)
    fields = list((params.requested_schema or {}).get("properties", {}))
    answer = (await anyio.to_thread.run_sync(input, "Confirm? [y/N] ")).strip().lower() in ("y", "yes")
    return ElicitResult(
        action="accept" if answer else "decline", content={fields[0]: True} if answer and fields else None
    )


def _with_client(args: argparse.Namespace, work: Any) -> Any:
    settings = _settings(args)
    _setup_logging(settings.log_level)

    async def run() -> Any:
        from .world import open_client  # lazy: httpx and the engine load for commands that call Upwork

        async with open_client(settings) as client:
            return await work(client)

    return anyio.run(run)


def cmd_auth(args: argparse.Namespace) -> int:
    from .commands import auth as commands  # lazy: httpx and the engine

    if args.auth_command == "login":
        return _login(args)
    if args.auth_command == "status":
        lines = _with_client(args, commands.cmd_status)
    elif args.auth_command == "logout":
        lines = _with_client(args, commands.cmd_logout)
    elif args.auth_command == "orgs":
        lines = _with_client(args, commands.cmd_orgs)
    else:
        lines = _with_client(args, lambda client: commands.cmd_use_org(client, args.org_id))
    print("\n".join(lines))
    return 0


def _login(args: argparse.Namespace) -> int:
    from .commands import auth as commands  # lazy: httpx and the engine

    def show_url(url: str) -> None:
        if args.no_browser or args.manual:
            print("Open this address in a browser and approve access:", file=sys.stderr)
            print(url, flush=True)  # alone on its line of stdout, for scripts
        else:
            print(f"Opening the browser to log in; if it does not open, visit:\n{url}", file=sys.stderr)

    def open_browser(url: str) -> None:
        webbrowser.open(url)

    async def paste() -> str:
        print("Paste the full address the browser was sent to (it starts with your redirect URI):", file=sys.stderr)
        return await anyio.to_thread.run_sync(sys.stdin.readline)

    lines = _with_client(
        args,
        lambda client: commands.cmd_login(
            client,
            show_url=show_url,
            open_browser=None if (args.no_browser or args.manual) else open_browser,
            paste=paste if args.manual else None,
            timeout=args.timeout,
        ),
    )
    print("\n".join(lines), file=sys.stderr)
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from .commands.doctor import run_checks  # lazy: httpx and the engine

    checks = _with_client(args, run_checks)
    for check in checks:
        print(check.line())
    failed = [c for c in checks if c.ok is False]
    print(f"{len(failed)} problem(s) found." if failed else "Everything checked works.")
    return 1 if failed else 0


def cmd_setup(args: argparse.Namespace) -> int:
    from .commands.setup import setup  # lazy: only this command

    lines = setup(
        args.client,
        name=args.name,
        print_only=args.print_only,
        sandbox=args.sandbox,
        read_only=args.read_only,
        toolsets=args.toolsets,
        project=args.project,
    )
    print("\n".join(lines))
    return 0


def cmd_approve(args: argparse.Namespace) -> int:
    from .advice import approve_command  # lazy: the store loads for this command
    from .approvals import Approvals
    from .commands import approve
    from .world import open_store, world_for

    settings = world_for(_settings(args)).settings
    store = open_store(settings)

    def command(approval_id: str) -> str:
        return approve_command(settings, approval_id)

    approvals = Approvals(store, command=command)
    person = approve.in_terminal(sys.stdin, sys.stdout)
    if args.pair or args.unpair:
        return _pair(settings, store, unpair=args.unpair, person=person)
    if not args.approval_id:
        print("\n".join(approve.list_pending(approvals, command)))
        return 0

    def ask(question: str) -> bool:
        if args.yes:
            print(question + "yes (--yes)")
            return True
        return input(question).strip().lower() in ("y", "yes")

    status, lines = approve.decide(
        approvals, args.approval_id, ask=ask if person else None, decline=args.decline, command=command
    )
    print("\n".join(lines), file=sys.stdout if status == 0 else sys.stderr)
    return status


def _pair(settings: Settings, store: Any, *, unpair: bool, person: bool) -> int:
    from .server.approval_page import pairing_cookie_for  # lazy: the page's pieces load for this command
    from .store.web import WebStore

    web = WebStore(store)
    if unpair:
        print(f"{web.end_sessions('pairing')} paired browser(s) forgotten: approving in a browser needs --pair again.")
        return 0
    if not person:
        print(
            "upwork-mcp approve --pair pairs a browser only from an interactive terminal: run it yourself, in "
            "your own terminal. Nothing was paired.",
            file=sys.stderr,
        )
        return 2
    from .server.pairing import pair_browser  # lazy: uvicorn loads for this command

    paired = pair_browser(
        web,
        pairing_cookie_for(settings),
        open_browser=webbrowser.open,
        say=print,
        header_timeout=settings.header_timeout,
    )
    return 0 if paired else 1


def cmd_sandbox(args: argparse.Namespace) -> int:
    if getattr(args, "sandbox_command", None):
        from .commands.sandbox import post  # lazy: the sandbox's data, for this command only

        print(post(args, _settings(args)), flush=True)
        return 0
    # lazy: the sandbox and uvicorn load only for this command
    from .sandbox import Faults, Sandbox, create_app
    from .serving import serve_asgi

    try:
        faults = Faults.parse(",".join(args.fault or []))
    except ValueError as exc:
        raise ConfigError(f"--fault: {exc}") from exc
    box = Sandbox.create(seed=args.seed, faults=faults)
    box.rate_limit = args.rate_limit
    box.trickle = args.trickle

    def banner(base: str) -> str:
        return (
            f"Upwork sandbox on {base}  (seed {args.seed}; {len(box.data.jobs)} jobs, "
            f"{len(box.data.contracts)} contracts, {len(box.data.freelancers)} freelancers)\n"
            f"Point a client at it:\n"
            f"  UPWORK_API_URL={base}/graphql UPWORK_OAUTH_URL={base} UPWORK_JOB_FEED_URL={base}\n"
            f"  UPWORK_CLIENT_ID={box.client_id} UPWORK_CLIENT_SECRET={box.client_secret} "
            f"UPWORK_JOB_FEED_API_KEY={box.feed_key}\n"
            f'Faults: {base}/__sandbox__/faults (GET to read, POST {{"spec": "rate_limit=2"}} to set)\n'
            f'New jobs: POST {base}/__sandbox__/jobs {{"count": 1, "title": "...", "budget": 800}}\n'
            f'The client on a proposal: POST {base}/__sandbox__/proposals/ID {{"status": "Declined", "message": "..."}}'
            + (f" (and one every {args.trickle:g} s)" if args.trickle else "")
        )

    serve_asgi(create_app(box), host=args.host, port=args.port, banner=banner)
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    """`keys new` prints a sealing key; `keys rotate` seals every stored login with the newest key."""
    from .store.sealing import new_key  # lazy: cryptography, for this command only

    if args.keys_command == "new":
        print(new_key())
        return 0
    from .store.team import TeamStore  # lazy: as above
    from .world import open_store, sealer_for

    settings = _settings(args)
    from .store.sinks import reseal_sinks  # lazy: as above

    sealer = sealer_for(settings)
    store = open_store(settings)
    count = TeamStore(store).reseal_all(sealer.reseal)
    sinks = reseal_sinks(store, sealer.reseal)
    print(
        f"{count} stored login(s) and {sinks} sink(s) sealed with the first key of UPWORK_ENCRYPTION_KEY; "
        "the old key can now go."
    )
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from .commands import schema  # lazy: graphql-core loads for this command

    if args.what == "pull":
        from .world import pulled_schema_path, world_for  # lazy: the engine loads for a pull

        path = pulled_schema_path(world_for(_settings(args)).settings)
        lines = _with_client(args, lambda client: schema.cmd_pull(client, path, everything=args.all))
        print(file=sys.stderr)
        print("\n".join(lines))
        return 0
    sys.stdout.write(schema.show(args.what))
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    return _with_engine(args, "watch")


def cmd_sink(args: argparse.Namespace) -> int:
    return _with_engine(args, "sink")


def _with_engine(args: argparse.Namespace, group: str) -> int:
    settings = _settings(args)
    _setup_logging(settings.log_level)

    async def go() -> int:
        from .commands import sink, watch  # lazy: httpx, the engine and the watches
        from .world import Engine, world_for

        engine = Engine(world_for(settings))
        try:
            return await (watch.command if group == "watch" else sink.command)(args, engine)
        finally:
            await engine.aclose()

    return anyio.run(go)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="upwork-mcp", description="Upwork for AI assistants, over MCP.")
    parser.add_argument("--version", action="version", version=f"upwork-mcp {__version__}")
    sub = parser.add_subparsers(dest="command")

    def server_flags(p: argparse.ArgumentParser) -> None:
        sandbox_flag(p)
        p.add_argument("--read-only", action="store_true", help="serve no write tools; refuse mutations")
        p.add_argument("--toolsets", help="comma list of toolsets (`upwork-mcp tools` shows each tool's), or all")

    serve = sub.add_parser("serve", help="serve the MCP server (the default command)")
    server_flags(serve)
    serve.add_argument("--transport", choices=["stdio", "sse", "streamable-http"], default="stdio")
    serve.add_argument(
        "--auth",
        choices=["bearer", "oauth"],
        help="HTTP only: bearer (one shared token, one login; the default) or oauth (each user logs in to their own "
        "Upwork; needs UPWORK_DATABASE_URL or the embedded database, and UPWORK_ENCRYPTION_KEY)",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000, help="0 picks a free port (named on stderr)")
    serve.add_argument(
        "--log-file", type=Path, help="log here (appended) instead of stderr; a desktop client often hides stderr"
    )
    serve.add_argument("-v", "--verbose", action="count", default=0, help="-v for INFO, -vv for DEBUG")
    serve.set_defaults(func=cmd_serve)

    setup = sub.add_parser("setup", help="add this server to an MCP client's config (by absolute path)")
    setup.add_argument("client", choices=["claude-desktop", "claude-code", "cursor", "vscode"])
    setup.add_argument("--print", dest="print_only", action="store_true", help="print the entry, write nothing")
    setup.add_argument("--name", default="upwork", help="the server's name in the config (default: upwork)")
    setup.add_argument("--project", type=Path, help="write the project's config in this directory, not the user's")
    server_flags(setup)
    setup.set_defaults(func=cmd_setup)

    tools = sub.add_parser("tools", help="list the tools this configuration serves")
    server_flags(tools)
    tools.add_argument("--markdown", action="store_true", help="print the README's tool table")
    tools.set_defaults(func=cmd_tools)

    call = sub.add_parser("call", help="call one tool through the MCP server and print what the model reads")
    server_flags(call)
    call.add_argument("tool")
    call.add_argument("arguments", nargs="*", metavar="key=value")
    call.add_argument("--json", help="arguments as a JSON object (key=value pairs are added to it)")
    call.add_argument("--structured", action="store_true", help="print the structured content as JSON")
    call.set_defaults(func=cmd_call)

    auth = sub.add_parser("auth", help="log in to Upwork and manage the saved login")
    auth_sub = auth.add_subparsers(dest="auth_command", required=True)
    login = auth_sub.add_parser("login", help="log in with the browser (authorization code + PKCE)")
    login.add_argument("--no-browser", action="store_true", help="print the address instead of opening a browser")
    login.add_argument("--manual", action="store_true", help="paste the redirect address (no local listener)")
    login.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the browser")
    auth_sub.add_parser("status", help="who is logged in, the organization in use, token expiry")
    auth_sub.add_parser("logout", help="revoke at Upwork and delete the saved login")
    auth_sub.add_parser("orgs", help="list the organizations (tenants) you can act in")
    use_org = auth_sub.add_parser("use-org", help="set the organization used by default")
    use_org.add_argument("org_id")
    for p in auth_sub.choices.values():
        sandbox_flag(p)
    auth.set_defaults(func=cmd_auth)

    approve = sub.add_parser(
        "approve", help="approve a write an assistant asked for, in your own terminal (lists them without an id)"
    )
    approve.add_argument("approval_id", nargs="?", help="the id the assistant gave; omit to list what waits")
    approve.add_argument("--decline", action="store_true", help="refuse the write")
    approve.add_argument("--yes", action="store_true", help="approve without asking (in a terminal only)")
    approve.add_argument("--pair", action="store_true", help="pair your browser with the approval page (once)")
    approve.add_argument("--unpair", action="store_true", help="forget every paired browser")
    sandbox_flag(approve)
    approve.set_defaults(func=cmd_approve)

    doctor = sub.add_parser("doctor", help="check settings, login, reachability, tenant and permissions")
    sandbox_flag(doctor)
    doctor.set_defaults(func=cmd_doctor)

    watch_parser(sub, cmd_watch)
    sink_parser(sub, cmd_sink)

    keys = sub.add_parser("keys", help="the key that seals stored logins (team deployments)")
    key_actions = keys.add_subparsers(dest="keys_command", required=True)
    key_actions.add_parser("new", help="print a new key for UPWORK_ENCRYPTION_KEY")
    key_actions.add_parser("rotate", help="seal every stored login with the first key of UPWORK_ENCRYPTION_KEY")
    keys.set_defaults(func=cmd_keys)

    sandbox = sub.add_parser("sandbox", help="serve the offline Upwork (GraphQL, OAuth, job feed) on 127.0.0.1")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8766)
    sandbox.add_argument("--seed", type=int, default=2026)
    sandbox.add_argument(
        "--rate-limit",
        type=float,
        default=10.0,
        help="GraphQL requests per second per client address before 429 (Upwork: 10)",
    )
    sandbox.add_argument(
        "--fault",
        action="append",
        metavar="SPEC",
        help="e.g. rate_limit=2, server_error=1, slow=0.5, partial, deny=Query.vendorContracts",
    )
    sandbox.add_argument(
        "--trickle", type=float, default=0.0, metavar="SECONDS", help="post a new job every SECONDS (0: never)"
    )
    sandbox_posting_parser(sandbox)
    sandbox.set_defaults(func=cmd_sandbox)

    schema = sub.add_parser(
        "schema",
        help="print Upwork's schema, one type or one operation; `schema pull` asks "
        "Upwork with your key and reports drift",
    )
    schema.add_argument(
        "what", nargs="?", help="pull, an operation (e.g. SearchJobs) or a type (e.g. MarketplaceJobPosting)"
    )
    schema.add_argument("--all", action="store_true", help="with pull: walk every type when introspection is per type")
    sandbox_flag(schema)
    schema.set_defaults(func=cmd_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args, extra = parser.parse_known_args(argv)
    if getattr(args, "func", None) is None:  # `upwork-mcp` alone serves stdio
        args, extra = parser.parse_known_args(["serve", *argv])
    if args.command == "call" and all("=" in e and not e.startswith("-") for e in extra):
        args.arguments += extra  # key=value pairs may follow the flags
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:
        # The reader went away (`upwork-mcp call ... | head`): stop quietly, and keep Python's final flush
        # of stdout from failing too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except ConfigError as exc:
        print(f"upwork-mcp: configuration error: {exc}", file=sys.stderr)
        return 2
    except UpworkError as exc:
        print(f"upwork-mcp: {explain(exc, 'person')}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
