"""`upwork-mcp`: serve | tools | call | auth | doctor | sandbox | schema.

Heavy imports (mcp, httpx, the sandbox) happen inside the command that needs them, so
`--help` and the stdio server start fast. On stdio, stdout is the protocol: this module
prints only in commands that don't serve stdio.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from .errors import ConfigError, UpworkError


def _settings(args: argparse.Namespace):  # -> Settings
    from .config import Settings

    env = dict(os.environ)
    if getattr(args, "sandbox", False):
        env["UPWORK_SANDBOX"] = "1"
    if getattr(args, "read_only", False):
        env["UPWORK_READ_ONLY"] = "1"
    if getattr(args, "toolsets", None):
        env["UPWORK_TOOLSETS"] = args.toolsets
    return Settings.from_env(env)


def _setup_logging(level: str) -> None:
    # stderr only: stdout carries the MCP protocol on stdio.
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, level, logging.WARNING),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def cmd_sandbox(args: argparse.Namespace) -> int:
    import uvicorn

    from .sandbox import Faults, Sandbox, create_app

    try:
        faults = Faults.parse(",".join(args.fault or []))
    except ValueError as exc:
        raise ConfigError(f"--fault: {exc}") from None
    box = Sandbox.create(seed=args.seed, faults=faults)
    base = f"http://{args.host}:{args.port}"
    print(
        f"Upwork sandbox on {base}  (seed {args.seed}; {len(box.data.jobs)} jobs, "
        f"{len(box.data.contracts)} contracts, {len(box.data.freelancers)} freelancers)\n"
        f"Point a client at it:\n"
        f"  UPWORK_API_URL={base}/graphql UPWORK_OAUTH_URL={base} UPWORK_JOB_FEED_URL={base}\n"
        f"  UPWORK_CLIENT_ID={box.client_id} UPWORK_CLIENT_SECRET={box.client_secret} "
        f"UPWORK_JOB_FEED_API_KEY={box.feed_key}\n"
        f"Faults: {base}/__sandbox__/faults (GET to read, POST {{\"spec\": \"rate_limit=2\"}} to set)",
        file=sys.stderr,
        flush=True,
    )
    uvicorn.run(create_app(box), host=args.host, port=args.port, log_level="warning")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from . import graphql as documents

    if args.operation:
        sys.stdout.write(documents.operation(args.operation))
    else:
        sys.stdout.write(documents.schema_sdl())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="upwork-mcp", description="Upwork for AI assistants, over MCP.")
    sub = parser.add_subparsers(dest="command")

    sandbox = sub.add_parser("sandbox", help="serve the offline Upwork (GraphQL, OAuth, job feed) on 127.0.0.1")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8766)
    sandbox.add_argument("--seed", type=int, default=2026)
    sandbox.add_argument("--fault", action="append", metavar="SPEC",
                         help="e.g. rate_limit=2, server_error=1, slow=0.5, partial, deny=Query.vendorContracts")
    sandbox.set_defaults(func=cmd_sandbox)

    schema = sub.add_parser("schema", help="print our Upwork SDL, or one bundled operation document")
    schema.add_argument("operation", nargs="?", help="an operation name, e.g. SearchJobs")
    schema.set_defaults(func=cmd_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"upwork-mcp: configuration error: {exc}", file=sys.stderr)
        return 2
    except UpworkError as exc:
        print(f"upwork-mcp: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
