"""The approval life cycle under contention: one approval is spent by one caller, however the callers
interleave."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from upwork_mcp.approvals import ApprovalError, Approvals, Reservation
from upwork_mcp.store import SQLiteDatabase, Store
from upwork_mcp.store.core import Approval


class HeldAfterReading(Store):
    """A store (one process's own connection) whose first read of an approval waits at `barrier`, so every
    caller has read the record, and passed its state check, before any of them tries to reserve it."""

    def __init__(self, path: Path, barrier: threading.Barrier) -> None:
        super().__init__(SQLiteDatabase(path))
        self._barrier: threading.Barrier | None = barrier

    def approval(self, approval_id: str) -> Approval | None:
        record = super().approval(approval_id)
        if self._barrier is not None:
            barrier, self._barrier = self._barrier, None
            barrier.wait(timeout=30)
        return record


@pytest.mark.parametrize("mode", ["token", "human"])
def test_two_callers_past_the_state_check_reserve_one_approval_once(tmp_path: Path, mode: str) -> None:
    path = tmp_path / "state.sqlite3"
    issuer = Approvals(Store(SQLiteDatabase(path)))
    payload = {"room_id": "room_1", "message": "Sent once, whoever asks."}
    ticket = issuer.issue("send_message", payload, human=mode == "human")
    if mode == "human":
        issuer.decide(ticket.id, approve=True)  # the person's click
    token = ticket.token or ticket.id
    barrier = threading.Barrier(2)
    callers = [Approvals(HeldAfterReading(path, barrier)) for _ in range(2)]

    def redeem(approvals: Approvals) -> Reservation | str:
        try:
            return approvals.redeem("send_message", payload, token)
        except ApprovalError as exc:
            return str(exc)

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(redeem, callers))
    assert not barrier.broken, "both callers must have read the approval before either reserved it"
    won = [o for o in outcomes if isinstance(o, Reservation)]
    lost = [o for o in outcomes if isinstance(o, str)]
    assert len(won) == 1, outcomes
    assert len(lost) == 1 and "being used by another call" in lost[0]
    assert issuer.store.approval(ticket.id).state == "sending"  # type: ignore[union-attr]


def test_an_approval_id_is_safe_to_type_after_a_command(tmp_path: Path) -> None:
    """A person pastes the id after `upwork-mcp approve`: an id starting with "-" would be read as an option
    (base64url ids did, one in 64). Ids are lower-case hex: nothing a shell or argparse treats specially."""
    approvals = Approvals(Store(SQLiteDatabase(tmp_path / "state.sqlite3")))
    ids = [approvals.issue("send_message", {"n": n}, human=True).id for n in range(200)]
    assert all(re.fullmatch(r"[0-9a-f]{16}", i) for i in ids), [i for i in ids if not re.fullmatch(r"[0-9a-f]+", i)]
    assert len(set(ids)) == len(ids)
