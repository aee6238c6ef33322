"""What a verification needs from the outside world, all injectable: clock, fetcher, trust list, limits,
caches and a CPU budget."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from ..fetcher import Fetcher
from ..inputs import Limits
from ..trust import TrustRegistry
from .resolver import KeyResolver

__all__ = ["VerifyCache", "VerifyContext", "utcnow"]


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


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class VerifyContext:
    """Everything ``verify`` needs from the outside world (all injectable).

    Attributes
    ----------
    clock : callable
        Returns the current time as an aware datetime.
    fetcher : Fetcher | None
        Used for did:web documents, issuer JWKS and status lists; ``None`` means fully offline.
    trust : TrustRegistry | None
        Trusted issuers.
    email : str | None
        E-mail address to compare with the credential's recipient.
    limits : Limits
        Resource bounds.
    key_resolver : KeyResolver | None
        Defaults to one over ``fetcher``.
    cache : VerifyCache
        Shared caches (status lists fetched and checked once per context).
    cpu_budget : float | None
        CPU seconds (of the verifying thread) after which the remaining checks are not started and the
        outcome is indeterminate; ``None``: no budget.
    """

    clock: Callable[[], datetime] = utcnow
    fetcher: Fetcher | None = None
    trust: TrustRegistry | None = None
    email: str | None = None
    limits: Limits = field(default_factory=Limits)
    key_resolver: KeyResolver | None = None
    cache: VerifyCache = field(default_factory=VerifyCache)
    cpu_budget: float | None = 2.0

    def resolver(self) -> KeyResolver:
        """The key resolver in use."""
        if self.key_resolver is None:
            self.key_resolver = KeyResolver(self.fetcher, self.limits, self.cache)
        return self.key_resolver

    def with_email(self, email: str | None) -> "VerifyContext":
        """A copy sharing caches but comparing against ``email``."""
        return VerifyContext(self.clock, self.fetcher, self.trust, email, self.limits, self.key_resolver,
                             self.cache, self.cpu_budget)
