"""Earners as staff manage them: find, change their consent to be found by partners, import them from CSV.

Each function opens its own session or transaction from the runtime and returns plain dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from mosaics_match.services import earner_import
from mosaics_match.services.auth import Viewer
from mosaics_match.store import repo
from mosaics_match.store.models import Earner

if TYPE_CHECKING:
    from mosaics_match.runtime import Runtime

__all__ = ["EarnerRow", "ImportConflict", "find", "set_consent", "plan_import", "import_plan"]


class ImportConflict(RuntimeError):
    """The database refused the import (another import may have added the same earners meanwhile)."""


@dataclass(frozen=True)
class EarnerRow:
    """One earner as the staff search lists them."""

    id: int
    name: str
    email: str
    discoverable: bool
    share_email: bool
    location: str | None
    credentials: int


def find(rt: Runtime, *, query: str, viewer: Viewer, audit: bool, limit: int = 200) -> list[EarnerRow]:
    """Earners whose email or name contains ``query`` (all when empty), by name.

    Parameters
    ----------
    rt : Runtime
        The portal runtime.
    query : str
        The search text.
    viewer : Viewer
        The staff member searching.
    audit : bool
        Write a ``search`` audit event (the page asks once per distinct search, not per rerun).
    limit : int
        At most this many.

    Returns
    -------
    list of EarnerRow
    """
    with rt.Session() as session:
        rows = [EarnerRow(e.id, e.name, e.email, e.discoverable, e.share_email, e.location, len(e.credentials))
                for e in repo.search_earners(session, query=query, limit=limit)]
    if audit:
        with rt.Session.begin() as session:
            repo.record_audit(session, actor=viewer.email, actor_role=viewer.role, action="search",
                              subject=f"earners:{query.strip()[:200]}", outcome=f"{len(rows)} found",
                              details={"page": "staff_earners"})
    return rows


def set_consent(rt: Runtime, *, earner_id: int, discoverable: bool, share_email: bool, viewer: Viewer) -> bool:
    """Change whether partners may find an earner and see their email (audited; every search at once).

    Parameters
    ----------
    rt : Runtime
        The portal runtime.
    earner_id : int
        The earner.
    discoverable : bool
        Partners may find them.
    share_email : bool
        Partners who find them see their email (only ever while discoverable).
    viewer : Viewer
        The staff member (audit actor).

    Returns
    -------
    bool
        ``False`` when the earner no longer exists.
    """
    with rt.Session.begin() as session:
        earner = session.get(Earner, earner_id)
        if earner is None:
            return False
        repo.set_consent(session, earner=earner, discoverable=discoverable, share_email=share_email and discoverable,
                         actor=viewer.email, actor_role=viewer.role)
        return True


def plan_import(rt: Runtime, *, data: bytes) -> earner_import.EarnerPlan:
    """Parse an earners CSV and say, row by row, what importing it would do (nothing is written).

    Parameters
    ----------
    rt : Runtime
        The portal runtime.
    data : bytes
        The uploaded file.

    Returns
    -------
    EarnerPlan

    Raises
    ------
    bulk_issue.BulkError
        The file cannot be read at all.
    """
    plan = earner_import.parse_earners_csv(data)
    with rt.Session() as session:
        earner_import.plan_against(plan, session)
    return plan


def import_plan(rt: Runtime, *, plan: earner_import.EarnerPlan, viewer: Viewer) -> earner_import.ImportReport:
    """Import a checked plan in one transaction (audited); all rows or none.

    Parameters
    ----------
    rt : Runtime
        The portal runtime.
    plan : EarnerPlan
        From :func:`plan_import`, with ``plan.ok``.
    viewer : Viewer
        The staff member (audit actor).

    Returns
    -------
    ImportReport

    Raises
    ------
    bulk_issue.BulkError
        The plan is not valid.
    ImportConflict
        The database refused it; nothing was imported.
    """
    try:
        with rt.Session.begin() as session:
            return earner_import.import_earners(session, plan=plan, actor=viewer.email, actor_role=viewer.role)
    except SQLAlchemyError as exc:
        raise ImportConflict(str(exc)) from exc
