"""Prompt templates: Markdown files with a small front matter (name, title, description, arguments).

    ---
    name: draft_proposal
    description: ...
    tools: get_job, search_jobs
    arguments:
      - name: job_id
        description: ...
        required: true
    ---
    Body with {job_id} placeholders.

The front matter is a strict subset of YAML read here, so no YAML library is needed; a file that
does not fit it raises ValueError naming the file and line.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

NOT_GIVEN = "(not given)"


@dataclass(frozen=True)
class Argument:
    name: str
    description: str
    required: bool


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    title: str | None
    description: str
    arguments: tuple[Argument, ...]
    body: str
    tools: tuple[str, ...] = ()  # the tools it asks the model to use: served only where they all are

    def render(self, values: dict[str, str]) -> str:
        missing = [a.name for a in self.arguments if a.required and not values.get(a.name)]
        if missing:
            raise ValueError(f"{self.name} needs {', '.join(missing)}")
        filled = {a.name: (values.get(a.name) or NOT_GIVEN) for a in self.arguments}
        return self.body.format_map(filled)


def parse(text: str, source: str) -> PromptTemplate:
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise ValueError(f"{source}: must start with a '---' front matter line")
    try:
        end = lines.index("---", 1)
    except ValueError:
        raise ValueError(f"{source}: the front matter has no closing '---'") from None
    meta: dict[str, str] = {}
    args: list[dict[str, str]] = []
    in_args = False
    for number, line in enumerate(lines[1:end], start=2):
        if not line.strip():
            continue
        if line.startswith("  - ") and in_args:
            args.append({})
            line = "    " + line[4:]
        if line.startswith("    ") and in_args and args:
            key, sep, value = line.strip().partition(":")
            if not sep:
                raise ValueError(f"{source}:{number}: expected 'key: value'")
            args[-1][key.strip()] = value.strip()
            continue
        key, sep, value = line.partition(":")
        if not sep or line.startswith(" "):
            raise ValueError(f"{source}:{number}: expected 'key: value'")
        in_args = key.strip() == "arguments"
        if not in_args:
            meta[key.strip()] = value.strip()
    for needed in ("name", "description"):
        if not meta.get(needed):
            raise ValueError(f"{source}: the front matter needs '{needed}'")
    arguments = tuple(
        Argument(
            name=a["name"], description=a.get("description", ""), required=a.get("required", "false").lower() == "true"
        )
        for a in args
    )
    body = "\n".join(lines[end + 1 :]).strip() + "\n"
    names = {a.name for a in arguments}
    used = {field for _, field, _, _ in string.Formatter().parse(body) if field}
    if used - names:
        raise ValueError(f"{source}: the body uses {sorted(used - names)} but the arguments are {sorted(names)}")
    return PromptTemplate(
        tools=tuple(t.strip() for t in meta.get("tools", "").split(",") if t.strip()),
        name=meta["name"],
        title=meta.get("title"),
        description=meta["description"],
        arguments=arguments,
        body=body,
    )


def load(directory: Path) -> list[PromptTemplate]:
    return [parse(path.read_text(encoding="utf-8"), path.name) for path in sorted(directory.glob("*.md"))]
