"""Local state behind one interface: secrets, the approvals ledger, the cache (and, later, watches).

store = Store(SQLiteDatabase(path))     # the embedded default; the composition root chooses
"""

from __future__ import annotations

from ._db import Database, SQLiteDatabase
from .core import Approval, Store, StoreMemory

__all__ = ["Approval", "Database", "SQLiteDatabase", "Store", "StoreMemory"]
