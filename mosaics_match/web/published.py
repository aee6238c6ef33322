"""What the HTTP routes publish (status lists, the DID document, the JWK Set), kept in memory per data version.

A verifier revalidates a status list every ``max-age`` with ``If-None-Match``; answering that from the database
cost almost as much as sending the list. Here each process keeps the documents it served, with their ETags, for
the current ``app_state['data_version']`` of its database, and every request reads only that one value: when
another process or replica revokes a credential, re-signs a list or rotates a key, the version moves (services
bump it, and :mod:`mosaics_match.store.versioning` bumps it for any change to a list or key), and the next request
on every process loads the new document. A ``304`` then costs one indexed read of one row.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from mosaics_match.runtime import Runtime
from mosaics_match.store.models import AppState
from mosaics_match.store.versioning import DATA_VERSION_KEY

__all__ = ["Published", "PublishedCache", "etag_of"]


@dataclass(frozen=True)
class Published:
    """One document as served: body, ``ETag`` (quoted), media type and its own headers."""

    body: bytes
    etag: str
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)


def etag_of(body: bytes, prefix: str) -> str:
    """A strong ETag from the body's SHA-256 (for documents without a version number of their own)."""
    return f'"{prefix}-{hashlib.sha256(body).hexdigest()[:20]}"'


class PublishedCache:
    """Documents keyed by name, valid for one ``(database, data version)``; a new version empties the cache.

    Parameters
    ----------
    enabled : bool
        ``False`` loads every document from the database on every request (the behaviour before this cache;
        the load benchmark measures both).
    """

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self._lock = threading.Lock()
        self._version: tuple[str, str] | None = None
        self._documents: dict[Hashable, Published] = {}
        self._watch: tuple[str, sqlite3.Connection] | None = None
        self._watch_seen: tuple[int, str] | None = None
        self._pg: tuple[Any, Any] | None = None

    @staticmethod
    def _sqlite_file(rt: Runtime) -> str | None:
        url = rt.engine.url
        if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
            return None
        return url.database

    def _sqlite_version(self, path: str) -> str:
        """The data version through this cache's own read-only connection (call with ``_lock`` held).

        ``PRAGMA data_version`` changes only when another connection commits to the file, and costs no I/O, so
        while nothing was committed the stored value is still current and ``app_state`` is not read at all.
        """
        if self._watch is None or self._watch[0] != path:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA busy_timeout=5000")
            self._watch, self._watch_seen = (path, conn), None
        conn = self._watch[1]
        stamp = conn.execute("PRAGMA data_version").fetchone()[0]
        if self._watch_seen is not None and self._watch_seen[0] == stamp:
            return self._watch_seen[1]
        row = conn.execute("SELECT value FROM app_state WHERE key = ?", (DATA_VERSION_KEY,)).fetchone()
        value = (row[0] if row else None) or "0"
        self._watch_seen = (stamp, value)
        return value

    def data_version(self, rt: Runtime) -> tuple[str, str]:
        """The database and its current data version (one read of one row; on SQLite usually none at all)."""
        path = self._sqlite_file(rt)
        if path is not None:
            with self._lock:
                return rt.settings.database_url, self._sqlite_version(path)
        if rt.engine.dialect.name == "postgresql":
            with self._lock:
                value = self._postgres_version(rt)
            if value is not None:
                return rt.settings.database_url, value
        with rt.engine.connect() as conn:
            value = conn.execute(select(AppState.value).where(AppState.key == DATA_VERSION_KEY)).scalar()
        return rt.settings.database_url, value or "0"

    def _postgres_version(self, rt: Runtime) -> str | None:
        """The data version through one autocommit connection kept by this cache (call with ``_lock`` held).

        Per request this saves a pool checkout, its liveness ping and the ORM layer: one round trip remains.
        ``None`` when that connection failed (it is reopened next time; the caller reads through the pool).
        """
        try:
            if self._pg is None or self._pg[0] is not rt.engine:
                raw = rt.engine.raw_connection()
                raw.driver_connection.autocommit = True
                self._pg = (rt.engine, raw)
            cur = self._pg[1].cursor()
            try:
                cur.execute("SELECT value FROM app_state WHERE key = %s", (DATA_VERSION_KEY,))
                row = cur.fetchone()
            finally:
                cur.close()
            return (row[0] if row else None) or "0"
        except Exception:
            if self._pg is not None:
                try:
                    self._pg[1].invalidate()
                except Exception:
                    pass
            self._pg = None
            return None

    def peek(self, rt: Runtime, name: Hashable) -> Published | None:
        """The document ``name`` if it is in memory and current, checked without blocking (SQLite only; elsewhere,
        and on a miss, ``None``: call :meth:`get` from a worker thread).

        Parameters
        ----------
        rt : Runtime
            The process runtime.
        name : hashable
            Which document.
        """
        if not self.enabled or self._sqlite_file(rt) is None:
            return None
        version = self.data_version(rt)
        with self._lock:
            if version != self._version:
                return None
            return self._documents.get(name)

    def get(self, rt: Runtime, name: Hashable, load: Callable[[], Published | None]) -> Published | None:
        """The document ``name``: from memory while the data version is unchanged, else from ``load()``.

        Parameters
        ----------
        rt : Runtime
            The process runtime.
        name : hashable
            Which document (e.g. ``("status", "revocation", 1)``).
        load : callable
            Reads it from the database; ``None`` when there is no such document (not cached).
        """
        if not self.enabled:
            return load()
        # Read before loading: what load() reads is at least as new as this version, never older.
        version = self.data_version(rt)
        with self._lock:
            if version != self._version:
                self._version, self._documents = version, {}
            found = self._documents.get(name)
        if found is not None:
            return found
        found = load()
        if found is not None:
            with self._lock:
                if self._version == version:
                    self._documents[name] = found
        return found
