"""Local state behind one interface: secrets, the approvals ledger, the cache, watches.

store = Store(SQLiteDatabase(path))     # the embedded default; the composition root chooses
"""

from __future__ import annotations

from ._db import Database, PostgresDatabase, SQLiteDatabase, open_database
from .core import Approval, Store, StoreMemory
from .watches import WatchStore

__all__ = [
    "Approval",
    "Database",
    "PostgresDatabase",
    "SQLiteDatabase",
    "Store",
    "StoreMemory",
    "WatchStore",
    "open_database",
]
