"""The data version moves whenever a status list or a signing key changes, whoever changes it.

``app_state['data_version']`` is how every process and replica notices that shared data changed: the matching
index is rebuilt for a new version, and the HTTP routes answer status lists, the DID document and the JWK Set
from memory only while the version they were loaded under is current. Services bump it themselves when they
issue or change a status; these session hooks bump it at commit for any transaction that added, changed or removed
a :class:`StatusList` or :class:`SigningKey` row (re-signing a list, rotating a key) without bumping it, so no path
can change what those routes publish and leave another process serving the old copy.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String, event, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from mosaics_match.store.models import AppState, SigningKey, StatusList

__all__ = ["DATA_VERSION_KEY", "install"]

DATA_VERSION_KEY = "data_version"
_PUBLISHED = (StatusList, SigningKey)


def _touches_published(session: Session) -> bool:
    if any(isinstance(obj, _PUBLISHED) for obj in session.new) or \
            any(isinstance(obj, _PUBLISHED) for obj in session.deleted):
        return True
    return any(isinstance(obj, _PUBLISHED) and session.is_modified(obj) for obj in session.dirty)


_SEEN = "mosaics_published_version"


def _current(session: Session) -> str | None:
    return session.execute(select(AppState.value).where(AppState.key == DATA_VERSION_KEY)).scalar()


def _note_published_change(session: Session, _flush_context: Any, _instances: Any) -> None:
    if _SEEN not in session.info and _touches_published(session):
        session.info[_SEEN] = _current(session)


def _bump_unless_bumped(session: Session) -> None:
    if _SEEN not in session.info and _touches_published(session):
        session.info[_SEEN] = _current(session)  # changes not flushed yet (commit flushes after this hook)
    if _SEEN not in session.info:
        return
    session.flush()
    seen = session.info.pop(_SEEN)
    if _current(session) != seen:
        return  # the service bumped it itself in this transaction
    # One UPDATE, so concurrent bumps never lose an increment (the same statement as repo.bump_data_version).
    result = session.execute(
        update(AppState).where(AppState.key == DATA_VERSION_KEY)
        .values(value=func.cast(func.cast(AppState.value, Integer()) + 1, String(500))))
    if result.rowcount == 0:
        session.execute(insert(AppState).values(key=DATA_VERSION_KEY, value="1"))


def _forget(session: Session, _transaction: Any) -> None:
    if _transaction.parent is None:
        session.info.pop(_SEEN, None)


def install(factory: sessionmaker[Session]) -> None:
    """Bump the data version at the commit of any transaction of ``factory`` that changed a status list or key
    and did not bump it itself."""
    event.listen(factory, "before_flush", _note_published_change)
    event.listen(factory, "before_commit", _bump_unless_bumped)
    event.listen(factory, "after_transaction_end", _forget)
