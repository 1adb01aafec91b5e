"""`upwork-mcp sandbox post-job|change-job|change-proposal`: new work, and clients acting on proposals, in the
embedded sandbox, seen by every process of this user that runs with --sandbox (a server, `watch run`), through
the board file in the data dir."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from ..config import Settings
from ..errors import InvalidInputError
from ..sandbox import board_path
from ..sandbox.posting import Board


def _hourly(text: str) -> list[float]:
    low, sep, high = text.partition("-")
    try:
        values = [float(low), float(high if sep else low)]
    except ValueError:
        raise InvalidInputError(f"--hourly {text!r}: give a range like 30-60.") from None
    if not 0 < values[0] <= values[1] <= 10_000:
        raise InvalidInputError(f"--hourly {text!r}: a range like 30-60, low first, at most 10000.")
    return values


def _act_on_proposal(args: argparse.Namespace, board: Board) -> str:
    from ..sandbox import embedded_sandbox  # lazy: the seeded data, to check the id before it is posted

    if args.reason and args.status is None:
        raise InvalidInputError("--reason goes with --status (the reason for that status).")
    if args.status is None and not args.message and not args.offer:
        raise InvalidInputError("Say what the client does: --status S [--reason R], --message TEXT and/or --offer.")
    known = [p["id"] for p in embedded_sandbox().data.proposals]
    if args.proposal_id not in known:
        raise InvalidInputError(
            f"No proposal {args.proposal_id[:40]!r} in the sandbox's seeded proposals (`upwork-mcp call "
            f"list_proposals --sandbox` lists them; e.g. {', '.join(known[:3])})."
        )
    fields = {"status": args.status, "reason": args.reason, "message": args.message, "offer": args.offer or None}
    board.act_on_proposal(args.proposal_id, {k: v for k, v in fields.items() if v is not None})
    said = [f"status {args.status}" if args.status else "", "a message" if args.message else "",
            "an offer" if args.offer else ""]  # fmt: skip
    return (
        f"The client acted on proposal {args.proposal_id} in the embedded sandbox ({', '.join(s for s in said if s)});"
        " --sandbox processes see it next request (`upwork-mcp call check_proposals --sandbox`, `upwork-mcp watch "
        "check --sandbox`)."
    )


def post(args: argparse.Namespace, settings: Settings) -> str:
    board = Board(board_path(settings.resolved_data_dir()))
    if args.sandbox_command == "change-proposal":
        return _act_on_proposal(args, board)
    if args.sandbox_command == "change-job":
        if args.budget is None and args.status is None:
            raise InvalidInputError("Say what changes: --budget N and/or --status open|closed.")
        fields: dict[str, Any] = {k: v for k, v in (("budget", args.budget), ("status", args.status)) if v is not None}
        board.change(args.job_id, fields)
        return f"Job {args.job_id} changed in the embedded sandbox ({fields}); --sandbox processes see it next request."
    if not 1 <= args.count <= 100:
        raise InvalidInputError("--count must be 1 to 100.")
    if args.budget is not None and not 0 < args.budget <= 10_000_000:
        raise InvalidInputError("--budget must be above 0 and at most 10000000.")
    fields = {
        "title": args.title,
        "description": args.description,
        "skills": [s.strip() for s in (args.skills or "").split(",") if s.strip()] or None,
        "budget": args.budget,
        "hourly": _hourly(args.hourly) if args.hourly else None,
    }
    fields = {k: v for k, v in fields.items() if v is not None}
    events = [board.post(fields, datetime.now(UTC)) for _ in range(args.count)]
    ids = ", ".join(f"{e['id']} (feed id upwork-{e['id']})" for e in events)
    return f"Posted {len(events)} job(s) to the embedded sandbox: {ids}; --sandbox processes see them next request."
