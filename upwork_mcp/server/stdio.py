"""stdio with an answer for every request: malformed lines get a JSON-RPC error instead of silence.

The SDK's stdio transport hands a line it cannot validate to the session as an exception, and the
session drops it: a client that sent a request with an id (params a string, nesting too deep for the
parser, a batch) waits forever. Lines are screened here first; a line the SDK would drop is answered
with the JSON-RPC error its id is owed (-32700 for what does not parse, -32600 for what is not a
request, -32602 for params of the wrong shape), and only valid lines reach the session.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from io import TextIOWrapper
from typing import Any, BinaryIO

import anyio
import mcp_types as types
from mcp.server import MCPServer
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage

PARSE_ERROR, INVALID_REQUEST, INVALID_PARAMS = -32700, -32600, -32602
MAX_LINE = 4 * 1024 * 1024


def top_level_id(line: str) -> tuple[bool, Any]:
    """(found, value) of the top-level "id" of a JSON object, scanning without recursion.

    Used when the line is too deep or too odd for a parser: the id is still owed its answer.
    """
    depth = 0
    i, n = 0, len(line)
    expect_key = False
    while i < n:
        ch = line[i]
        if ch == '"':
            end = i + 1
            while end < n and line[end] != '"':
                end += 2 if line[end] == "\\" else 1
            text = line[i + 1 : end]
            if depth == 1 and expect_key and text == "id":
                rest = line[end + 1 :].lstrip()
                if rest.startswith(":"):
                    value = rest[1:].lstrip()
                    for parse in (_json_number, _json_string, _json_null):
                        found = parse(value)
                        if found is not None:
                            return True, found[0]
            expect_key = False
            i = end + 1
            continue
        if ch in "{[":
            depth += 1
            expect_key = ch == "{" and depth == 1
        elif ch in "}]":
            depth -= 1
        elif ch == "," and depth == 1:
            expect_key = True
        i += 1
    return False, None


def _json_number(text: str) -> tuple[Any] | None:
    digits = ""
    for ch in text:
        if ch.isdigit() or (ch == "-" and not digits):
            digits += ch
        else:
            break
    return (int(digits),) if digits.lstrip("-") else None


def _json_string(text: str) -> tuple[Any] | None:
    if not text.startswith('"'):
        return None
    end = text.find('"', 1)
    return (text[1:end],) if end > 0 and "\\" not in text[1:end] else None


def _json_null(text: str) -> tuple[Any] | None:
    return (None,) if text.startswith("null") else None


def _error(request_id: Any, code: int, message: str) -> SessionMessage:
    if not isinstance(request_id, int | str) or isinstance(request_id, bool):
        request_id = None
    return SessionMessage(
        types.JSONRPCError(jsonrpc="2.0", id=request_id, error=types.ErrorData(code=code, message=message))
    )


def screen(line: str) -> tuple[bool, list[SessionMessage]]:
    """(pass the line on, errors to answer). A valid message passes; anything else is answered."""
    if not line.strip():
        return False, []
    if len(line) > MAX_LINE:
        return False, [too_large(line[:4096])]
    try:
        message = types.jsonrpc_message_adapter.validate_json(line, by_name=False)
    except Exception:  # noqa: S110 - any failure is answered below
        pass
    else:
        if isinstance(message, types.JSONRPCNotification) and '"id"' in line and "id" in json.loads(line):
            # A request whose id is neither a string nor an integer ({"a": 1}, 1e400, 1.5, true) validates
            # as a notification, which nobody answers: its sender would wait forever.
            return False, [_error(None, INVALID_REQUEST, "Invalid request: the id must be a string or an integer.")]
        return True, []
    try:
        value = json.loads(line)
    except RecursionError:
        found, request_id = top_level_id(line)
        return False, [_error(request_id if found else None, INVALID_REQUEST, "The message nests too deeply.")]
    except ValueError:
        return False, [_error(None, PARSE_ERROR, "Parse error: the line is not JSON.")]
    if isinstance(value, list):
        answers = [
            _error(item.get("id"), INVALID_REQUEST, "Batches are not supported: send one message per line.")
            for item in value
            if isinstance(item, dict) and "id" in item and "method" in item
        ]
        return False, answers or [_error(None, INVALID_REQUEST, "Batches are not supported.")]
    if not isinstance(value, dict):
        return False, [_error(None, INVALID_REQUEST, "A message must be a JSON object.")]
    if "method" not in value or "id" not in value:
        return False, []  # a malformed notification or response: nothing is owed an answer
    params = value.get("params")
    if params is not None and not isinstance(params, dict):
        return False, [_error(value.get("id"), INVALID_PARAMS, "params must be an object.")]
    return False, [_error(value.get("id"), INVALID_REQUEST, "Invalid request: it does not match JSON-RPC 2.0.")]


def too_large(head: str) -> SessionMessage:
    """The answer to a line over MAX_LINE, of which `head` is the start."""
    found, request_id = top_level_id(head)
    return _error(request_id if found else None, INVALID_REQUEST, f"Request too large (over {MAX_LINE:,} characters).")


class ScreenedLines:
    """stdin, line by line, with the lines the session would drop turned into answers. A line is never held
    whole past MAX_LINE: the rest of a longer one is read and dropped piece by piece."""

    def __init__(self, answers: anyio.abc.ObjectSendStream[SessionMessage], stdin: BinaryIO | None = None) -> None:
        self._answers = answers
        self._stdin = TextIOWrapper(stdin or sys.stdin.buffer, encoding="utf-8", errors="replace")

    async def _line(self) -> tuple[str, list[SessionMessage]]:
        """The next line ("" at the end) and, for one over MAX_LINE, its answer instead."""
        line = await anyio.to_thread.run_sync(self._stdin.readline, MAX_LINE + 1)
        if len(line) <= MAX_LINE or line.endswith("\n"):
            return line, []
        answer = too_large(line[:4096])
        while line and not line.endswith("\n"):
            line = await anyio.to_thread.run_sync(self._stdin.readline, MAX_LINE)
        return "\n", [answer]

    async def __aiter__(self) -> AsyncIterator[str]:
        while True:
            line, answers = await self._line()
            if not line:
                return
            keep, more = screen(line) if not answers else (False, [])
            answers += more
            for answer in answers:
                await self._answers.send(answer)
            if keep:
                yield line


async def serve_stdio(server: MCPServer[Any]) -> None:
    """Serve `server` on stdin/stdout, answering every request, malformed ones included."""
    send_answers, answers = anyio.create_memory_object_stream[SessionMessage](100)
    lines = ScreenedLines(send_answers)
    async with stdio_server(stdin=lines) as (read_stream, write_stream):  # type: ignore[arg-type]

        async def forward() -> None:
            async with answers:
                async for answer in answers:
                    await write_stream.send(answer)

        async with anyio.create_task_group() as tg:
            tg.start_soon(forward)
            # The SDK's own stdio entry point runs its low-level server the same way.
            lowlevel = server._lowlevel_server
            await lowlevel.run(read_stream, write_stream, lowlevel.create_initialization_options())
            tg.cancel_scope.cancel()
