"""Audit retention: old anonymous verification events become one sealed roll-up event per day.

Policy
------
* Anonymous verification events (action ``verify`` by the ``public`` role: visitors and ``api:<ip>`` callers)
  are kept one by one for :data:`KEEP_DAYS` (30) days. After that each UTC day's events are replaced by one
  ``audit_rollup`` event holding what is worth keeping: how many there were, by verdict and by source, the id
  range, and the bridges that keep the chain verifiable. The callers' addresses go with the removed events.
* Everything else is kept for good: staff, employer, partner and earner actions, sign-ins, issuance, status
  changes, signed-in employers' own verifications (their verification history), chain checks and roll-ups.

The chain stays verifiable: the job first checks the whole chain and refuses to touch a broken one (a roll-up
must not launder tampering). For every run of consecutive removed events the roll-up records the seal the run
followed, the seal of its last event and its length; :func:`mosaics_match.store.audit_chain.verify_chain` accepts
a gap only where such sealed bridges join its two ends, and counts the bridged events towards the head's total.

The database triggers refuse ``DELETE`` on ``audit_event``. This job is the one way around them: inside its own
write transaction it lifts the delete trigger (drops it on SQLite, disables it on PostgreSQL), deletes the rolled-
up rows, writes the roll-up events and restores the trigger before it commits, so no other transaction ever sees
the log without it, and a failure rolls all of it back. The roll-up events are the job's own audit record.

Schedule: the server runs it at start and then daily (:class:`DailyRollup`, started from ``portal.py``; replicas
serialise on the database's write lock or a PostgreSQL advisory lock, and a second run finds nothing to do), or
by hand / cron: ``python -m mosaics_match audit rollup [--keep-days 30]``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session, sessionmaker

from mosaics_match.store.audit_chain import ROLLUP_ACTION, AuditChainError, chain_key, verify_chain
from mosaics_match.store.models import AuditEvent, utcnow

__all__ = ["KEEP_DAYS", "ROLLED_UP_ACTION", "ROLLED_UP_ROLE", "RollupReport", "DailyRollup", "rollup"]

LOG = logging.getLogger(__name__)

KEEP_DAYS = 30
ROLLED_UP_ACTION = "verify"
ROLLED_UP_ROLE = "public"
ACTOR = "system:retention"
_LOCK_KEY = 0x5E4E_CA_02
_SQLITE_TRIGGER = ("CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
                   "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END")
_CHUNK = 500


@dataclass(frozen=True)
class RollupReport:
    """What a roll-up did.

    Attributes
    ----------
    days : list of str
        UTC days rolled up (``YYYY-MM-DD``).
    removed : int
        Events removed.
    removed_bytes : int
        Their stored content (actor, role, action, subject, outcome, details, time, seals), in bytes.
    rollup_bytes : int
        The same measure of the roll-up events that replaced them.
    """

    days: list[str] = field(default_factory=list)
    removed: int = 0
    removed_bytes: int = 0
    rollup_bytes: int = 0

    @property
    def bytes_per_verification(self) -> float | None:
        """Bytes the log keeps per rolled-up verification (``None`` when nothing was rolled up)."""
        return self.rollup_bytes / self.removed if self.removed else None

    def summary(self) -> str:
        """One line for the CLI and the server log."""
        if not self.removed:
            return "Nothing to roll up: no anonymous verification event is older than the retention period."
        before = self.removed_bytes / self.removed
        return (f"Rolled up {self.removed:,} anonymous verification event(s) of {len(self.days)} day(s) "
                f"({self.days[0]} to {self.days[-1]}) into {len(self.days)} event(s): {before:,.0f} bytes per "
                f"verification before, {self.bytes_per_verification:,.2f} after.")


def _stored_bytes(actor: str | None, role: str | None, action: str | None, subject: str | None,
                  outcome: str | None, details: Any) -> int:
    fields = (actor, role, action, subject, outcome)
    return (sum(len((f or "").encode("utf-8")) for f in fields)
            + len(json.dumps(details or {}, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
            + 8 + 2 * 64)  # the time and the two seals


def _lift_delete_trigger(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change"))
    else:
        session.execute(text("DROP TRIGGER IF EXISTS audit_event_no_delete"))


def _restore_delete_trigger(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_change"))
    else:
        session.execute(text(_SQLITE_TRIGGER))


def rollup(factory: sessionmaker[Session], *, key: bytes, keep_days: int = KEEP_DAYS,
           now: datetime | None = None) -> RollupReport:
    """Roll up anonymous verification events older than ``keep_days`` whole UTC days (see the module policy).

    Parameters
    ----------
    factory : sessionmaker
        The portal's sessions (they seal audit events).
    key : bytes
        The chain key (:func:`mosaics_match.store.audit_chain.chain_key`); the chain is checked first.
    keep_days : int
        Days kept event by event (``0`` rolls up everything before today).
    now : datetime, optional
        The current time (tests).

    Returns
    -------
    RollupReport
        Days, events removed and the bytes before and after.

    Raises
    ------
    AuditChainError
        The chain is broken: nothing is rolled up until it has been investigated.
    ValueError
        ``keep_days`` is negative.
    """
    if keep_days < 0:
        raise ValueError("keep_days must be 0 or more")
    now = now or utcnow()
    cutoff = datetime.combine(now.astimezone(UTC).date() - timedelta(days=keep_days), time.min,
                              tzinfo=UTC)
    with factory() as session:
        check = verify_chain(session, key=key)
    if not check.ok:
        raise AuditChainError(f"The audit log was not rolled up because its chain is broken: {check.problem} Run "
                              "`python -m mosaics_match audit verify` and investigate first.")
    cols = (AuditEvent.id, AuditEvent.at, AuditEvent.actor, AuditEvent.actor_role, AuditEvent.action,
            AuditEvent.subject, AuditEvent.outcome, AuditEvent.details, AuditEvent.prev_hash, AuditEvent.hash)
    with factory.begin() as session:
        rows = session.execute(select(*cols).where(
            AuditEvent.action == ROLLED_UP_ACTION, AuditEvent.actor_role == ROLLED_UP_ROLE,
            AuditEvent.at < cutoff, AuditEvent.hash.is_not(None)).order_by(AuditEvent.id)).all()
        if not rows:
            return RollupReport()
        by_day: dict[date, list[Any]] = {}
        for row in rows:
            by_day.setdefault(row.at.astimezone(UTC).date(), []).append(row)
        _lift_delete_trigger(session)
        removed_bytes = rollup_bytes = 0
        for day, events in sorted(by_day.items()):
            bridges: list[list[Any]] = []
            for row in events:
                if bridges and bridges[-1][1] == row.prev_hash:
                    bridges[-1][1], bridges[-1][2] = row.hash, bridges[-1][2] + 1  # nothing kept in between
                else:
                    bridges.append([row.prev_hash, row.hash, 1])
            details = {
                "day": day.isoformat(), "events": len(events), "first_id": events[0].id, "last_id": events[-1].id,
                "verdicts": dict(Counter(str(r.outcome) for r in events)),
                "sources": dict(Counter(str((r.details or {}).get("source")) for r in events)),
                "policy": f"anonymous verifications kept {keep_days} days, then one event per day",
                "bridges": bridges,
            }
            event = AuditEvent(actor=ACTOR, actor_role="system", action=ROLLUP_ACTION,
                               subject=f"verify events of {day.isoformat()}", outcome="rolled_up", details=details)
            session.add(event)
            session.flush()  # sealed now, after every event it replaces
            ids = [r.id for r in events]
            for start in range(0, len(ids), _CHUNK):
                session.execute(delete(AuditEvent).where(AuditEvent.id.in_(ids[start:start + _CHUNK]))
                                .execution_options(synchronize_session=False))
            removed_bytes += sum(_stored_bytes(r.actor, r.actor_role, r.action, r.subject, r.outcome, r.details)
                                 for r in events)
            rollup_bytes += _stored_bytes(event.actor, event.actor_role, event.action, event.subject, event.outcome,
                                          details)
        _restore_delete_trigger(session)
    return RollupReport([d.isoformat() for d in sorted(by_day)], len(rows), removed_bytes, rollup_bytes)


class DailyRollup:
    """Runs :func:`rollup` in a daemon thread at start and then every ``interval`` seconds; logs each outcome.

    Parameters
    ----------
    factory : sessionmaker
        The portal's sessions.
    key_secret : str or None
        ``MOSAICS_KEY_SECRET``; without it (nothing can be sealed) the job does not run.
    interval : float
        Seconds between runs (a day).
    """

    def __init__(self, factory: sessionmaker[Session], *, key_secret: str | None,
                 interval: float = 86_400.0) -> None:
        self.factory, self.interval = factory, interval
        self.key = chain_key(key_secret) if key_secret else None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.key is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="mosaics-audit-rollup", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        assert self.key is not None
        while not self._stop.is_set():
            try:
                report = rollup(self.factory, key=self.key)
                if report.removed:
                    LOG.info("Audit retention: %s", report.summary())
            except Exception as exc:
                LOG.error("Audit retention did not run: %s", " ".join(str(exc).split()) or type(exc).__name__)
            self._stop.wait(self.interval)
