"""Per-client token buckets for the HTTP API and the verification pages (in memory, per replica).

Each client (an IP address for the API, a browser session for the pages) has a bucket holding at most ``burst``
tokens that refills at ``rate`` tokens per second; a request takes one token (or one per credential it checks) or
is refused with the number of seconds until enough are available (``Retry-After``). Buckets live in this process
only: with ``n`` replicas behind a load balancer a client can reach ``n`` times the limit at worst, which is the
price of not needing a shared store for a coarse abuse guard.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from mosaics_match.lru import LruCache

__all__ = ["TokenBucketLimiter", "Decision", "describe_wait"]


@dataclass(frozen=True)
class Decision:
    """Outcome of one :meth:`TokenBucketLimiter.take`.

    Attributes
    ----------
    allowed : bool
        The request may proceed.
    retry_after : int
        Whole seconds until a token is available (0 when allowed).
    remaining : int
        Whole tokens left in the bucket after this request.
    """

    allowed: bool
    retry_after: int
    remaining: int


class TokenBucketLimiter:
    """Token buckets keyed by client, bounded in number (least recently used buckets are dropped).

    Parameters
    ----------
    rate : float
        Tokens added per second.
    burst : int
        Bucket capacity (requests allowed at once after a quiet period).
    max_clients : int
        Most buckets kept; a dropped bucket comes back full, which only ever errs towards allowing.
    clock : callable, optional
        Monotonic clock in seconds (tests).
    """

    def __init__(self, rate: float, burst: int, *, max_clients: int = 50_000,
                 clock: Callable[[], float] | None = None) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = float(rate)
        self.burst = int(burst)
        self.max_clients = max_clients
        self._clock = clock or time.monotonic
        self._buckets: LruCache[str, tuple[float, float]] = LruCache(max_clients)
        self._lock = self._buckets.lock

    def take(self, client: str, cost: float = 1.0) -> Decision:
        """Take ``cost`` tokens from ``client``'s bucket if it holds them.

        Parameters
        ----------
        client : str
            Key of the bucket (the client IP address).
        cost : float
            Tokens this request needs.

        Returns
        -------
        Decision
            Whether to serve the request and, if not, how long to wait.
        """
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.pop(client) or (float(self.burst), now)
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= cost:
                tokens -= cost
                decision = Decision(True, 0, int(tokens))
            else:
                decision = Decision(False, max(1, math.ceil((cost - tokens) / self.rate)), 0)
            self._buckets.put(client, (tokens, now))
        return decision


def describe_wait(seconds: int) -> str:
    """A wait in plain words: ``"1 second"``, ``"45 seconds"``, ``"3 minutes 20 seconds"``, ``"2 hours 5 minutes"``.

    Parameters
    ----------
    seconds : int
        Whole seconds (as in :attr:`Decision.retry_after`); anything below 1 reads as 1 second. Waits of an hour
        or more are rounded up to whole minutes.
    """
    seconds = max(1, int(seconds))
    if seconds >= 3600:
        seconds = math.ceil(seconds / 60) * 60
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n} {unit}" + ("s" if n != 1 else "")
             for n, unit in ((hours, "hour"), (minutes, "minute"), (secs, "second")) if n]
    return " ".join(parts)
