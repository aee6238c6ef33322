"""What a verification needs from the outside world, all injectable: clock, fetcher, trust list, limits,
caches and a CPU budget."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..fetcher import Fetcher
from ..inputs import Limits
from ..trust import TrustRegistry
from .cache import VerifyCache
from .resolver import KeyResolver

__all__ = ["VerifyCache", "VerifyContext", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


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

    def with_email(self, email: str | None) -> VerifyContext:
        """A copy sharing caches but comparing against ``email``."""
        return VerifyContext(self.clock, self.fetcher, self.trust, email, self.limits, self.key_resolver,
                             self.cache, self.cpu_budget)
