"""Upwork's job taxonomy (`ontologyCategories`): the ids `categoryIds_any` and `subcategoryIds_any` take."""

from __future__ import annotations

from ._base import APIModel


class Subcategory(APIModel):
    id: str
    preferred_label: str | None = None


class Category(APIModel):
    id: str
    preferred_label: str | None = None
    subcategories: list[Subcategory] = []
