"""`upwork-mcp approve [ID] [--pair]`: the human step for a write, in the person's own terminal.

Without an id it lists the writes waiting for approval; with one it shows exactly what will be written
and asks. `--pair` pairs the person's browser with the approval page. Approving and pairing happen only
in an interactive terminal: a model's shell tool runs commands through pipes, and `y` on a pipe, or
`--yes` without a terminal, is not a person's answer. Only the one login's writes are listed and
answered here: on a team server each person answers their own on its approval page.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TextIO

from ..approvals import Approval, Approvals

NOT_A_TERMINAL = (
    "upwork-mcp approve approves only in an interactive terminal: run it yourself, in your own terminal (not "
    "through an assistant, a pipe or a script). Nothing was approved."
)


def in_terminal(*streams: TextIO) -> bool:
    """True when every stream is a terminal (a person types the answer and reads the question)."""
    try:
        return all(s.isatty() for s in streams)
    except (AttributeError, ValueError):  # closed or replaced streams are not a terminal
        return False


def _describe(record: Approval, *, full: bool) -> list[str]:
    payload = json.loads(record.payload)
    left = max(0, int(record.expires - time.time()))
    lines = [f"{record.id}  {record.kind}  (expires in {left // 60} min {left % 60} s)"]
    for key, value in payload.items():
        if value in (None, "", {}):
            continue
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        if not full and len(shown) > 100:
            shown = shown[:99] + "…"
        lines.append(f"  {key}: " + shown.replace("\n", "\n    "))
    return lines


def list_pending(approvals: Approvals, command: Callable[[str], str]) -> list[str]:
    pending = approvals.pending()
    if not pending:
        return ["No write is waiting for approval."]
    lines = [line for record in pending for line in _describe(record, full=False)]
    return [*lines, f"Approve one with `{command('ID')}` (it shows the whole text first)."]


def decide(
    approvals: Approvals,
    approval_id: str,
    *,
    ask: Callable[[str], bool] | None,
    decline: bool,
    command: Callable[[str], str],
) -> tuple[int, list[str]]:
    """(exit status, lines): 0 answered, 1 nothing waiting or not approved, 2 not in a terminal. `ask` is None
    when no person can be asked (not a terminal): a decline still goes through, an approval never does."""
    record = approvals.waiting(approval_id)
    if record is None or record.state != "pending":
        state = f" (it is {record.state})" if record else ""
        return 1, [f"No write {approval_id!r} is waiting for approval{state}. `{command('')}` lists them."]
    shown = _describe(record, full=True)
    if decline:
        approvals.decide(approval_id, False)
        return 0, [*shown, "Declined: nothing will be written."]
    if ask is None:
        return 2, [NOT_A_TERMINAL]
    if not ask("\n".join([*shown, "Approve this write? [y/N] "])):
        return 1, ["Not approved; it stays waiting until it expires. `--decline` refuses it."]
    approvals.decide(approval_id, True)
    return 0, ["Approved. The assistant can make this write now, once."]
