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
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

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

    @staticmethod
    def data_version(rt: Runtime) -> tuple[str, str]:
        """The database and its current data version (one read of one row, in a read transaction)."""
        with rt.engine.connect() as conn:
            value = conn.execute(select(AppState.value).where(AppState.key == DATA_VERSION_KEY)).scalar()
        return rt.settings.database_url, value or "0"

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
