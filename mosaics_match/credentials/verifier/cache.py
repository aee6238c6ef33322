"""Caches shared by the verifications of one :class:`~.context.VerifyContext`: fetched documents, resolved keys
and built status lists, each entry with an optional time to live."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

__all__ = ["VerifyCache"]


class VerifyCache:
    """Caches shared by all verifications that use one :class:`VerifyContext` (documents, keys, status lists).

    Thread-safe. Entries live at most ``ttl`` seconds (``None``: for the life of the cache), so a long-lived cache
    still notices a revocation published later.
    """

    def __init__(self, max_entries: int = 4096, ttl: float | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        self.max_entries = max_entries
        self.ttl = ttl
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self.documents: dict[str, Any] = {}
        self.keys: dict[str, Any] = {}
        self.status_lists: dict[str, Any] = {}
        self.stats = {"documents_fetched": 0, "status_lists_built": 0}

    def get(self, table: dict, key: str) -> Any:
        """The live entry for ``key`` or ``None``."""
        hit = table.get(key)
        if hit is None:
            return None
        expires, value = hit
        if expires is not None and self._clock() > expires:
            with self._lock:
                table.pop(key, None)
            return None
        return value

    def _put(self, table: dict, key: str, value: Any) -> None:
        expires = None if self.ttl is None else self._clock() + self.ttl
        with self._lock:
            if key not in table and len(table) >= self.max_entries:
                table.pop(next(iter(table)), None)
            table[key] = (expires, value)
