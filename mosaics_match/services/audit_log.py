"""The audit log as staff read it: filter, export, and check the seal chain. Reading, exporting and checking
are themselves audited; nothing here (or anywhere) edits or deletes an event.

Each function opens its own session (or transaction, when it writes an audit event) from the runtime and
returns plain dataclasses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from mosaics_match.exports import csv as csv_export
from mosaics_match.services.auth import Viewer
from mosaics_match.store import audit_chain, repo
from mosaics_match.store.audit_chain import ChainReport
from mosaics_match.store.models import AuditEvent

if TYPE_CHECKING:
    from mosaics_match.runtime import Runtime

__all__ = ["MAX_EVENTS", "CSV_COLUMNS", "AuditRecord", "AuditFilters", "ChainReport", "actions", "search",
           "recent", "verify_chain", "export_csv", "export_json", "record_export"]

#: The most events one search returns.
MAX_EVENTS = 5000
CSV_COLUMNS = ("id", "at", "actor", "role", "action", "subject", "outcome", "details")


@dataclass(frozen=True)
class AuditRecord:
    """One audit event as shown and exported."""

    id: int
    at: datetime
    actor: str
    role: str
    action: str
    subject: str
    outcome: str
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The event as exported (the time as ISO 8601 to the second)."""
        return {"id": self.id, "at": self.at.isoformat(timespec="seconds"), "actor": self.actor, "role": self.role,
                "action": self.action, "subject": self.subject, "outcome": self.outcome, "details": self.details}

    def details_json(self) -> str:
        """The details as one line of JSON (for the table and the CSV)."""
        return json.dumps(self.details, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class AuditFilters:
    """What a staff search of the audit log asked for (kept in the export's own audit event)."""

    action: str | None = None
    actor: str | None = None
    since: date | None = None
    until: date | None = None
    limit: int = 500


def record_of(e: AuditEvent) -> AuditRecord:
    """An audit event row as an :class:`AuditRecord` (for services reading events in their own session)."""
    return AuditRecord(id=e.id, at=e.at, actor=e.actor, role=e.actor_role, action=e.action, subject=e.subject or "",
                       outcome=e.outcome or "", details=e.details or {})


def actions(rt: Runtime) -> list[str]:
    """Every action name in the log, sorted (the filter's choices).

    Parameters
    ----------
    rt : Runtime
        The portal runtime.

    Returns
    -------
    list of str
    """
    with rt.Session() as session:
        return sorted(a for a in session.scalars(select(AuditEvent.action).distinct()) if a)


def search(rt: Runtime, *, filters: AuditFilters) -> list[AuditRecord]:
    """Events matching ``filters``, newest first: one action, an actor containing the text, UTC days inclusive.

    Parameters
    ----------
    rt : Runtime
        The portal runtime.
    filters : AuditFilters
        The search.

    Returns
    -------
    list of AuditRecord
        At most ``filters.limit`` events.
    """
    since = datetime.combine(filters.since, time(0, 0), tzinfo=UTC) if filters.since else None
    until = (datetime.combine(filters.until, time(0, 0), tzinfo=UTC) + timedelta(days=1)
             - timedelta(microseconds=1)) if filters.until else None
    with rt.Session() as session:
        events = repo.list_audit(session, action=filters.action or None, actor=filters.actor or None, since=since,
                                 until=until, limit=int(filters.limit))
        return [record_of(e) for e in events]


def recent(rt: Runtime, *, limit: int = 8) -> list[AuditRecord]:
    """The newest ``limit`` events.

    Parameters
    ----------
    rt : Runtime
        The portal runtime.
    limit : int
        How many.

    Returns
    -------
    list of AuditRecord
    """
    with rt.Session() as session:
        return [record_of(e) for e in repo.list_audit(session, limit=limit)]


def verify_chain(rt: Runtime, *, viewer: Viewer) -> ChainReport:
    """Check every event's seal and their order (as ``python -m mosaics_match audit verify`` does), and audit
    the check.

    Parameters
    ----------
    rt : Runtime
        The portal runtime (its key secret gives the sealing key).
    viewer : Viewer
        Who asked (the audit actor).

    Returns
    -------
    ChainReport
        What was found; without a key secret, a report saying the seals cannot be checked (nothing is audited).
    """
    if not rt.settings.key_secret:
        return ChainReport(False, 0, 0, problem="no key secret is configured (MOSAICS_KEY_SECRET), so the seals "
                                                "cannot be checked.")
    with rt.Session() as session:
        report = audit_chain.verify_chain(session, key=audit_chain.chain_key(rt.settings.key_secret))
    with rt.Session.begin() as session:
        repo.record_audit(session, actor=viewer.email, actor_role=viewer.role, action="audit_verify",
                          outcome="intact" if report.ok else "broken",
                          details={"sealed": report.sealed, "unsealed": report.unsealed,
                                   "first_bad_id": report.first_bad_id})
    return report


def export_csv(records: list[AuditRecord]) -> str:
    """The events as CSV, formula cells neutralised.

    Parameters
    ----------
    records : list of AuditRecord
        The events shown.

    Returns
    -------
    str
    """
    return csv_export.csv_text(CSV_COLUMNS, (_csv_row(r) for r in records))


def _csv_row(record: AuditRecord) -> list[Any]:
    exported = record.as_dict()
    return [exported[k] for k in CSV_COLUMNS[:-1]] + [record.details_json()]


def export_json(records: list[AuditRecord]) -> str:
    """The events as a JSON document ``{"events": [...]}``.

    Parameters
    ----------
    records : list of AuditRecord
        The events shown.

    Returns
    -------
    str
    """
    return json.dumps({"events": [r.as_dict() for r in records]}, indent=2, ensure_ascii=False)


def record_export(rt: Runtime, *, viewer: Viewer, fmt: str, count: int, filters: AuditFilters) -> None:
    """Audit that ``viewer`` downloaded ``count`` events as ``fmt`` (``"csv"`` or ``"json"``).

    Parameters
    ----------
    rt : Runtime
        The portal runtime.
    viewer : Viewer
        Who exported.
    fmt : str
        The file format.
    count : int
        Events in the file.
    filters : AuditFilters
        The search that selected them.
    """
    with rt.Session.begin() as session:
        repo.record_audit(session, actor=viewer.email, actor_role=viewer.role, action="audit_export",
                          subject=f"{count} events", outcome="success",
                          details={"format": fmt, "action": filters.action or "(all)", "actor": filters.actor or "",
                                   "since": str(filters.since), "until": str(filters.until)})
