"""`upwork-mcp sink add|list|remove|secret`: where watches send new jobs, kept in the store (secrets sealed).

A person at the terminal adds a sink directly; an assistant adds one only through the add_sink tool,
which needs the person's approval of the exact address.
"""

from __future__ import annotations

import argparse

import anyio.to_thread

from ..errors import InvalidInputError
from ..store.sinks import StoredSink
from ..watches.service import Watches
from ..watches.sinks import parse_sink
from ..world import Engine


def _say(text: str) -> None:
    print(text, flush=True)


async def command(args: argparse.Namespace, engine: Engine) -> int:
    watches: Watches = engine.watches()
    store = watches.sink_store
    assert store is not None  # the engine always hands the watches a sink store
    action = args.sink_command
    if action == "add":
        sink = parse_sink(
            args.name, args.url, kind=args.kind, secret=args.secret, digest=args.digest, min_verdict=args.min_verdict
        )
        if args.name in watches.config.sinks:
            raise InvalidInputError(f"The watch settings file already has a sink {args.name!r}; choose another name.")
        record = StoredSink(sink.name, sink.type, sink.settings, sink.shown(), sink.options())
        if not await anyio.to_thread.run_sync(lambda: store.add(record, replace=args.replace)):
            raise InvalidInputError(f"A sink named {args.name!r} exists; add --replace to change it.")
        _say(f"Sink {sink.describe()} added: it posts to {sink.exact()}")
        if sink.type == "webhook":
            _say("Messages are signed: X-Upwork-MCP-Signature: sha256=HMAC-SHA256(secret, body). The secret: "
                 f"`upwork-mcp sink secret {sink.name}`.")  # fmt: skip
        return 0
    if action == "list":
        sinks = await watches.sinks()
        for s in sinks:
            where = "settings file" if s.source == "file" else "store"
            _say(f"{s.describe()}, gets {s.min_verdict or 'what its watches send (APPLY and REVIEW)'} ({where})")
        _say(f"{len(sinks)} sinks")
        return 0
    if action == "secret":
        found = await anyio.to_thread.run_sync(store.get, args.name)
        if found is None or "secret" not in found.secrets:
            raise InvalidInputError(f"No webhook sink {args.name!r} with a signing secret (upwork-mcp sink list).")
        _say(found.secrets["secret"])
        return 0
    if not await anyio.to_thread.run_sync(store.remove, args.name):
        raise InvalidInputError(f"No sink {args.name!r} in the store (upwork-mcp sink list).")
    _say(f"Sink {args.name} removed; watches that named it no longer queue for it.")
    return 0
