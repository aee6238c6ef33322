"""Caches shared by the verifications of one :class:`~.context.VerifyContext`: fetched documents, resolved keys
and built status lists, each entry with an optional time to live."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from mosaics_match.lru import LruCache

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
        clock = clock or time.monotonic
        self.documents: LruCache[str, Any] = LruCache(max_entries, ttl=ttl, clock=clock)
        self.keys: LruCache[str, Any] = LruCache(max_entries, ttl=ttl, clock=clock)
        self.status_lists: LruCache[str, Any] = LruCache(max_entries, ttl=ttl, clock=clock)
        self.stats = {"documents_fetched": 0, "status_lists_built": 0}
