"""`upwork-mcp approve [ID]`: the human step for a write, in a terminal.

Without an id it lists the writes waiting for approval; with one it shows exactly what will be written
and asks. The answer is recorded in the store, where the server that asked reads it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from ..approvals import Approval, Approvals


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


def list_pending(approvals: Approvals) -> list[str]:
    pending = approvals.pending()
    if not pending:
        return ["No write is waiting for approval."]
    lines = [line for record in pending for line in _describe(record, full=False)]
    return [*lines, "Approve one with `upwork-mcp approve ID` (it shows the whole text first)."]


def decide(approvals: Approvals, approval_id: str, *, ask: Callable[[str], bool], decline: bool) -> list[str]:
    record = approvals.store.approval(approval_id)
    if record is None or record.mode != "human" or record.state != "pending":
        state = f" (it is {record.state})" if record else ""
        return [f"No write {approval_id!r} is waiting for approval{state}. `upwork-mcp approve` lists them."]
    shown = _describe(record, full=True)
    if decline:
        approvals.decide(approval_id, False)
        return [*shown, "Declined: nothing will be written."]
    if not ask("\n".join([*shown, "Approve this write? [y/N] "])):
        return ["Not approved; it stays waiting until it expires. `--decline` refuses it."]
    approvals.decide(approval_id, True)
    return ["Approved. The assistant can make this write now, once."]
