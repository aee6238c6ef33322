"""The one bounded cache the project uses: least-recently-used eviction, optional expiry, thread-safe.

Caches here hold derived values (canonical forms, fetched documents, resolved keys, status lists, counters of
failed sign-ins or request budgets), never the only copy of anything, so dropping an entry is always safe. The
credential engine uses it as well, which is why it lives at the top of the package and imports nothing of it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["LruCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

class LruCache(Generic[K, V]):
    """A mapping of at most ``max_entries`` entries; the least recently used goes first.

    Parameters
    ----------
    max_entries : int
        Entries kept; putting one more evicts the least recently used.
    ttl : float or None
        Seconds an entry lives (``None``: until evicted). :meth:`put` may give one entry its own.
    clock : callable
        Monotonic seconds; injectable so tests move time without sleeping.

    Notes
    -----
    Every method takes :attr:`lock` (re-entrant), so a caller that reads and then writes one key atomically
    (a counter, a token bucket) holds ``with cache.lock:`` around both calls.
    """

    def __init__(self, max_entries: int, *, ttl: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self.ttl = ttl
        self.clock = clock
        self.lock = threading.RLock()
        self._data: OrderedDict[K, tuple[float | None, V]] = OrderedDict()

    def get(self, key: K, default: V | None = None) -> V | None:
        """The live value of ``key`` (now the most recently used), or ``default``."""
        return self._live(key, default, touch=True)

    def peek(self, key: K, default: V | None = None) -> V | None:
        """The live value of ``key`` without making it the most recently used, or ``default``."""
        return self._live(key, default, touch=False)

    def _live(self, key: K, default: V | None, *, touch: bool) -> V | None:
        with self.lock:
            hit = self._data.get(key)
            if hit is None:
                return default
            expires, value = hit
            if expires is not None and self.clock() >= expires:
                del self._data[key]
                return default
            if touch:
                self._data.move_to_end(key)
            return value

    def put(self, key: K, value: V, *, ttl: float | None = None) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds (default: the cache's own ``ttl``)."""
        life = self.ttl if ttl is None else ttl
        with self.lock:
            self._data[key] = (None if life is None else self.clock() + life, value)
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def pop(self, key: K, default: V | None = None) -> V | None:
        """Remove ``key`` and return its value (expired or not), or ``default``."""
        with self.lock:
            hit = self._data.pop(key, None)
            return default if hit is None else hit[1]

    def clear(self) -> None:
        """Forget every entry."""
        with self.lock:
            self._data.clear()

    def __len__(self) -> int:
        with self.lock:
            return len(self._data)
