"""An earner's choices about being found by partners, as use cases for the *My credentials* page."""

from __future__ import annotations

from typing import Any

from mosaics_match.store import repo
from mosaics_match.store.models import Earner

__all__ = ["consent_of", "change_consent"]


def _factory(db: Any):  # noqa: ANN202 - a sessionmaker
    return db.Session if hasattr(db, "Session") else db


def consent_of(db: Any, *, earner_id: int) -> tuple[bool, bool]:
    """(partners may find the earner, partners see the e-mail address); both ``False`` for an unknown earner."""
    with _factory(db)() as session:
        earner = session.get(Earner, earner_id)
        return (bool(earner.discoverable), bool(earner.share_email)) if earner is not None else (False, False)


def change_consent(db: Any, *, earner_id: int, discoverable: bool, share_email: bool, actor: str,
                   actor_role: str) -> bool:
    """Change both choices (audited; every search sees it at once); ``False`` for an unknown earner."""
    with _factory(db).begin() as session:
        earner = session.get(Earner, earner_id)
        if earner is None:
            return False
        repo.set_consent(session, earner=earner, discoverable=discoverable, share_email=share_email, actor=actor,
                         actor_role=actor_role)
        return True
