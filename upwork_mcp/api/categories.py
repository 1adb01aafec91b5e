"""Upwork's job taxonomy: category and subcategory ids by name.

Job search filters take ids (`categoryIds_any`); a name there silently matches nothing. The tree
(`ontologyCategories`, a few kilobytes) is fetched once and kept at most 24 hours, in whatever
memory the engine was handed, so every process of the user shares it.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Literal

from ..errors import InvalidInputError
from ..models.categories import Category
from ._graphql import GraphQLExecutor
from .memory import Memory

TAXONOMY_TTL = 86_400.0  # Upwork's terms: API data is cached at most 24 hours
_NAMESPACE = "taxonomy"
_ID = re.compile(r"\d{6,25}")


def _key(label: str) -> str:
    """A label for matching: lower case, `&` as `and`, punctuation and spacing ignored."""
    return re.sub(r"[^a-z0-9]+", " ", label.lower().replace("&", " and ")).strip()


class CategoriesAPI:
    def __init__(self, gql: GraphQLExecutor, memory: Memory) -> None:
        self._gql = gql
        self._memory = memory

    async def tree(self, *, refresh: bool = False) -> list[Category]:
        cached = None if refresh else await self._memory.get(_NAMESPACE, "categories")
        if cached is not None:
            return [Category.model_validate(c) for c in json.loads(cached)]
        result = await self._gql.run("Categories")
        tree = [Category.model_validate(c) for c in result.data.get("ontologyCategories") or [] if c]
        if tree:
            payload = json.dumps([c.model_dump(by_alias=True) for c in tree])
            await self._memory.put(_NAMESPACE, "categories", payload, TAXONOMY_TTL)
        return tree

    async def resolve(self, ref: str, kind: Literal["category", "subcategory"]) -> tuple[str, str]:
        """(id, label) for a category or subcategory given by id or by name; names match whole, ignoring
        case and punctuation, or as the unique label that contains them."""
        tree = await self.tree()
        entries = (
            [(c.id, c.preferred_label or c.id) for c in tree]
            if kind == "category"
            else [(s.id, s.preferred_label or s.id) for c in tree for s in c.subcategories]
        )
        text = ref.strip()
        for entry_id, label in entries:
            if text == entry_id:
                return entry_id, label
        wanted = _key(text)
        exact = [(i, label) for i, label in entries if _key(label) == wanted]
        if exact:
            return exact[0]
        partial = [(i, label) for i, label in entries if wanted and wanted in _key(label)]
        if len(partial) == 1:
            return partial[0]
        labels = [label for _, label in entries]
        if partial:
            choices = ", ".join(f'"{label}"' for _, label in partial[:6])
            raise InvalidInputError(f"{kind} {text!r} matches several: {choices}. Give the whole name.")
        if _ID.fullmatch(text) and entries:
            raise InvalidInputError(f"{kind} id {text} is not in Upwork's taxonomy.").about("ontologyCategories")
        close = difflib.get_close_matches(text, labels, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise InvalidInputError(f"No {kind} is called {text!r}.{hint}").about("ontologyCategories")
