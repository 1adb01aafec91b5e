"""Sample calls for every tool, kept beside its snapshot (tests/toolsnaps/<name>.args.json): what the smoke
test and the planted-text test call. A file holds

    {"given": [["create_watch", {...}]],      calls made first (optional)
     "calls": [{...arguments...}, ...]}        one or more argument sets for this tool

and a string argument written as "{job}", "{room}", ... stands for that object of the sandbox's seeded data
(`values`), so the samples hold whatever seed the sandbox is generated from.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from upwork_mcp.sandbox import Sandbox

SNAPS = Path(__file__).resolve().parents[1] / "toolsnaps"
SUFFIX = ".args.json"

Call = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Sample:
    tool: str
    given: list[Call]
    calls: list[dict[str, Any]]


def sample_files() -> dict[str, Path]:
    return {p.name.removesuffix(SUFFIX): p for p in SNAPS.glob(f"*{SUFFIX}")}


def load(tool: str) -> Sample:
    """The sample calls of `tool` (a clear failure when it has none: every tool needs them)."""
    path = SNAPS / f"{tool}{SUFFIX}"
    assert path.exists(), (
        f"{tool} has no sample arguments: write {path.relative_to(SNAPS.parents[1])} with a call the sandbox "
        'answers ({"calls": [{...}]}; placeholders in tests/tools/samples.py)'
    )
    raw = json.loads(path.read_text())
    assert set(raw) <= {"given", "calls"} and raw.get("calls"), f"{path.name}: needs a non-empty calls list"
    return Sample(tool, [(name, args) for name, args in raw.get("given", [])], list(raw["calls"]))


def values(sandbox: Sandbox) -> dict[str, str]:
    """What each placeholder stands for in this sandbox."""
    data = sandbox.data
    anchor = data.anchor
    monday = (anchor - timedelta(days=7 + anchor.weekday())).date()
    return {
        "job": data.jobs[0]["id"],
        # One that takes proposals and asks no screening question (submit_proposal's sample answers none).
        "open_job": next(
            j["id"] for j in data.jobs if j["_status"] == "ACTIVE" and not j["_fixed"] and not j["_questions"]
        ),
        "contract": data.contracts[0]["id"],
        "room": data.rooms[0]["id"],
        "freelancer": data.freelancers[0]["ciphertext"],
        "proposal": data.proposals[0]["id"],
        "offer": data.offers[0]["id"],
        "week_start": monday.isoformat(),
        "week_end": (monday + timedelta(days=6)).isoformat(),
        "day": (monday + timedelta(days=2)).isoformat(),
        "month_start": (anchor - timedelta(days=30)).date().isoformat(),
    }


def resolve(value: Any, known: dict[str, str]) -> Any:
    """`value` with every "{name}" string replaced by what it stands for."""
    placeholder = re.fullmatch(r"\{([a-z_]+)\}", value) if isinstance(value, str) else None
    if placeholder:
        name = placeholder.group(1)
        assert name in known, f"unknown placeholder {value}: tests/tools/samples.py knows {sorted(known)}"
        return known[name]
    if isinstance(value, dict):
        return {k: resolve(v, known) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, known) for v in value]
    return value


def stated_criteria(tmp_path: Path) -> dict[str, str]:
    """The environment of a user who stated their ranking criteria in the watch settings file: nothing is ranked
    before they do, so the watch tools' sample calls need it."""
    path = tmp_path / "watches.toml"
    path.write_text('[scoring]\nskills = ["python"]\nrate_floor = 30\n')
    return {"UPWORK_WATCH_CONFIG": str(path)}
