"""The one bounded cache (mosaics_match/lru.py): eviction order, expiry on an injected clock, per-entry lifetimes."""

from __future__ import annotations

import threading

import pytest

from mosaics_match.lru import LruCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_least_recently_used_entry_goes_first():
    cache: LruCache[str, int] = LruCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recent: "b" goes when a third arrives
    cache.put("c", 3)
    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c"), len(cache)) == (1, 3, 2)


def test_entries_expire_on_the_clock_and_one_entry_may_live_shorter():
    clock = Clock()
    cache: LruCache[str, str] = LruCache(10, ttl=300, clock=clock)
    cache.put("document", "ok")
    cache.put("failure", "error", ttl=30)
    clock.now = 29.9
    assert (cache.get("document"), cache.get("failure")) == ("ok", "error")
    clock.now = 30.0
    assert (cache.get("document"), cache.get("failure")) == ("ok", None)
    clock.now = 300.0
    assert cache.get("document") is None
    assert len(cache) == 0


def test_pop_clear_and_default():
    cache: LruCache[str, int] = LruCache(3)
    cache.put("a", 1)
    assert cache.get("missing", -1) == -1
    assert cache.pop("a") == 1 and cache.pop("a", 7) == 7
    cache.put("b", 2)
    cache.clear()
    assert len(cache) == 0


def test_a_falsy_value_is_a_hit():
    cache: LruCache[str, bytes] = LruCache(2)
    cache.put("empty", b"")
    assert cache.get("empty", b"default") == b""


def test_read_then_write_is_atomic_under_the_lock():
    cache: LruCache[str, int] = LruCache(4)
    cache.put("n", 0)

    def add() -> None:
        for _ in range(2000):
            with cache.lock:
                cache.put("n", (cache.get("n") or 0) + 1)

    threads = [threading.Thread(target=add) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.get("n") == 8000


def test_refuses_a_cache_that_holds_nothing():
    with pytest.raises(ValueError, match="at least 1"):
        LruCache(0)


def test_peek_reads_without_making_an_entry_recent():
    cache: LruCache[str, int] = LruCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.peek("a") == 1  # "a" stays the oldest: it goes when a third arrives
    cache.put("c", 3)
    assert cache.peek("a") is None and cache.peek("b") == 2
