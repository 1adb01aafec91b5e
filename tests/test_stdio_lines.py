"""stdio's screening in process: requests with ids no JSON-RPC client may use, and lines too long to hold."""

from __future__ import annotations

import io
import json
from typing import Any

import anyio
import pytest

from upwork_mcp.server import stdio
from upwork_mcp.server.stdio import INVALID_REQUEST, ScreenedLines, screen

pytestmark = pytest.mark.anyio


def _answer(message: Any) -> dict[str, Any]:
    return json.loads(message.message.model_dump_json(by_alias=True, exclude_none=True))


@pytest.mark.parametrize("request_id", ['{"a":1}', "1e400", "1.5", "true", "[1]"])
def test_a_request_with_an_id_that_is_neither_string_nor_integer_is_answered(request_id: str) -> None:
    keep, answers = screen(f'{{"jsonrpc":"2.0","id":{request_id},"method":"tools/list"}}')
    assert not keep and len(answers) == 1
    answer = _answer(answers[0])
    assert answer["error"]["code"] == INVALID_REQUEST and "string or an integer" in answer["error"]["message"]


def test_a_notification_and_a_request_with_a_good_id_pass() -> None:
    assert screen('{"jsonrpc":"2.0","method":"notifications/initialized"}') == (True, [])
    assert screen('{"jsonrpc":"2.0","id":7,"method":"ping"}') == (True, [])
    assert screen('{"jsonrpc":"2.0","id":"x","method":"ping","params":{"note":"an \\"id\\" in a value"}}') == (True, [])


class _Recorded(io.TextIOWrapper):
    """stdin whose lines, as read, are measured."""

    longest = 0

    def readline(self, size: int | None = -1, /) -> str:  # type: ignore[override]
        line = super().readline(-1 if size is None else size)
        _Recorded.longest = max(_Recorded.longest, len(line))
        return line


async def test_a_line_over_the_limit_is_refused_without_holding_it_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stdio, "MAX_LINE", 1_000)
    huge = '{"jsonrpc":"2.0","id":41,"method":"tools/call","params":{"x":"' + "a" * 200_000 + '"}}'
    data = (huge + "\n" + '{"jsonrpc":"2.0","id":42,"method":"ping"}\n').encode()
    send, receive = anyio.create_memory_object_stream[Any](10)
    async with send, receive:
        lines = ScreenedLines(send, io.BytesIO(data))
        lines._stdin = _Recorded(io.BytesIO(data), encoding="utf-8")
        passed = [line async for line in lines]
        answers = [_answer(receive.receive_nowait())]
    assert answers[0]["id"] == 41 and answers[0]["error"]["code"] == INVALID_REQUEST and "too large" in str(answers)
    assert [json.loads(line)["id"] for line in passed] == [42]  # the next request is served
    assert _Recorded.longest <= 1_001  # never more than the limit of the line at once
