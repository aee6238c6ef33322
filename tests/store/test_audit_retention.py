"""Audit retention: old anonymous verifications become one sealed roll-up per day, the chain still verifies, and
tampering after a roll-up (edits, deletions, insertions, a forged or removed roll-up) is still found. SQLite and,
in the PostgreSQL pass, PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from mosaics_match.store import audit_chain
from mosaics_match.store.audit_retention import rollup
from mosaics_match.store.models import AuditEvent
from tests.conftest import REPO, TEST_KEY_SECRET, TEST_SESSION_SECRET
from tests.store.test_audit_chain import KEY, _drop_triggers, _verify

pytestmark = pytest.mark.storage

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _event(session, at: datetime, *, role: str = "public", action: str = "verify", actor: str | None = None,
           outcome: str = "verified") -> AuditEvent:
    event = AuditEvent(at=at, actor=actor or ("api:198.51.100.7" if role == "public" else f"{role}@example.org"),
                       actor_role=role, action=action, subject="urn:uuid:1234", outcome=outcome,
                       details={"source": "api", "verdict": outcome, "reason": "x" * 200})
    session.add(event)
    session.flush()
    return event


def _history(rt, now: datetime = NOW) -> dict[str, int]:
    """Two old days of anonymous verifications, interleaved with events that are kept, then recent ones."""
    ids: dict[str, int] = {}
    old = now - timedelta(days=40)
    with rt.Session.begin() as session:
        for i in range(4):
            _event(session, old + timedelta(minutes=i))
        ids["staff_between"] = _event(session, old + timedelta(minutes=5), role="staff", action="revoke").id
        for i in range(3):
            _event(session, old + timedelta(minutes=10 + i), outcome="not_valid")
        ids["employer_old"] = _event(session, old + timedelta(minutes=20), role="employer").id
        for i in range(5):  # the next day, right after the employer's event
            _event(session, old + timedelta(days=1, minutes=i))
        for i in range(3):  # within the retention period: kept
            ids[f"recent{i}"] = _event(session, now - timedelta(days=2, minutes=-i)).id
    return ids


def _rolled_up(rt) -> None:
    _history(rt)
    report = rollup(rt.Session, key=KEY, now=NOW)
    assert report.removed == 12 and len(report.days) == 2


def test_honest_rollup_keeps_the_chain_verifiable_and_keeps_everything_else(rt) -> None:
    ids = _history(rt)
    before = _verify(rt)
    assert before.ok and before.sealed == 17
    report = rollup(rt.Session, key=KEY, now=NOW)
    assert report.removed == 12 and report.days == [(NOW - timedelta(days=40)).date().isoformat(),
                                                     (NOW - timedelta(days=39)).date().isoformat()]
    after = _verify(rt)
    assert after.ok, after.summary()
    assert after.rolled_up == 12 and after.sealed == 17 - 12 + 2
    assert "rolled up" in after.summary()
    with rt.Session() as session:
        kept = set(session.scalars(select(AuditEvent.id)))
        rollups = session.scalars(select(AuditEvent).where(AuditEvent.action == audit_chain.ROLLUP_ACTION)
                                  .order_by(AuditEvent.id)).all()
    assert set(ids.values()) <= kept  # staff, employer and recent events all stay
    first = rollups[0].details
    assert first["events"] == 7 and first["verdicts"] == {"verified": 4, "not_valid": 3}
    assert len(first["bridges"]) == 2  # the staff event splits the first day into two runs
    assert rollups[1].details["events"] == 5
    assert "198.51.100.7" not in json.dumps([r.details for r in rollups])  # the callers' addresses are gone
    # a few hundred bytes per verification before, a small fraction of that after
    assert report.removed_bytes / report.removed > 300
    assert report.bytes_per_verification is not None and report.bytes_per_verification < 120
    # running again finds nothing to do, and a second roll-up later still verifies
    assert rollup(rt.Session, key=KEY, now=NOW).removed == 0
    assert rollup(rt.Session, key=KEY, now=NOW + timedelta(days=29)).removed == 3
    assert _verify(rt).ok and _verify(rt).rolled_up == 15


def test_the_triggers_are_back_after_a_rollup(rt) -> None:
    _rolled_up(rt)
    with pytest.raises(DBAPIError, match="append-only"):
        with rt.engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_event WHERE actor_role = 'staff'"))
    with pytest.raises(DBAPIError, match="append-only"):
        with rt.engine.begin() as conn:
            conn.execute(text("UPDATE audit_event SET outcome = 'x'"))


def _kept_ids(rt) -> list[int]:
    with rt.Session() as session:
        return list(session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))


@pytest.mark.parametrize("tamper", ["edit_kept", "delete_kept_between_runs", "delete_recent", "insert",
                                    "edit_rollup_count", "forge_rollup_bridge", "delete_rollup"])
def test_tampering_after_a_rollup_is_found(rt, tamper: str) -> None:
    _rolled_up(rt)
    assert _verify(rt).ok
    _drop_triggers(rt)
    with rt.Session() as session:
        staff = session.scalar(select(AuditEvent.id).where(AuditEvent.actor_role == "staff"))
        employer = session.scalar(select(AuditEvent.id).where(AuditEvent.actor_role == "employer"))
        recent = session.scalar(select(func.max(AuditEvent.id)).where(AuditEvent.actor_role == "public"))
        rollup_ids = list(session.scalars(select(AuditEvent.id).where(
            AuditEvent.action == audit_chain.ROLLUP_ACTION).order_by(AuditEvent.id)))
        first_rollup = session.get(AuditEvent, rollup_ids[0])
        details = dict(first_rollup.details)
    with rt.engine.begin() as conn:
        if tamper == "edit_kept":
            conn.execute(text("UPDATE audit_event SET outcome = 'failure' WHERE id = :i"), {"i": staff})
        elif tamper == "delete_kept_between_runs":
            # the staff event sits between two removed runs: without it, the two bridges no longer meet
            conn.execute(text("DELETE FROM audit_event WHERE id = :i"), {"i": staff})
        elif tamper == "delete_recent":
            conn.execute(text("DELETE FROM audit_event WHERE id = :i"), {"i": recent - 1})
        elif tamper == "insert":
            conn.execute(text("INSERT INTO audit_event (at, actor, actor_role, action, subject, outcome, details, "
                              "prev_hash, hash) VALUES (:at, 'x', 'staff', 'revoke', 's', 'success', '{}', :p, :h)"),
                         {"at": NOW, "p": "f" * 64, "h": "e" * 64})
        elif tamper == "edit_rollup_count":
            details["events"] = details["events"] - 1
            conn.execute(text("UPDATE audit_event SET details = :d WHERE id = :i"),
                         {"d": json.dumps(details), "i": rollup_ids[0]})
        elif tamper == "forge_rollup_bridge":
            # claim that the employer's old event was rolled up too, then delete it
            with rt.Session() as session:
                employer_row = session.get(AuditEvent, employer)
                prev, own = employer_row.prev_hash, employer_row.hash
            details["bridges"] = [*details["bridges"], [prev, own, 1]]
            conn.execute(text("UPDATE audit_event SET details = :d WHERE id = :i"),
                         {"d": json.dumps(details), "i": rollup_ids[0]})
            conn.execute(text("DELETE FROM audit_event WHERE id = :i"), {"i": employer})
        elif tamper == "delete_rollup":
            conn.execute(text("DELETE FROM audit_event WHERE id = :i"), {"i": rollup_ids[0]})
    report = _verify(rt)
    assert not report.ok, (tamper, report)
    assert "tampered" in report.summary()


def test_a_broken_chain_is_not_rolled_up(rt) -> None:
    _history(rt)
    _drop_triggers(rt)
    with rt.engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET actor = 'api:203.0.113.9' WHERE id = "
                          "(SELECT MIN(id) FROM audit_event)"))
    with pytest.raises(audit_chain.AuditChainError, match="broken"):
        rollup(rt.Session, key=KEY, now=NOW)
    with rt.Session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 17


def test_cli_rolls_up_and_reports_bytes_per_verification(rt, db_url) -> None:
    _history(rt, datetime.now(UTC))
    env = {"DATABASE_URL": db_url, "MOSAICS_KEY_SECRET": TEST_KEY_SECRET, "MOSAICS_SESSION_SECRET": TEST_SESSION_SECRET,
           "MOSAICS_DEMO": "0", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "mosaics_match", "audit", "rollup", "--keep-days", "30"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Rolled up 12 anonymous verification event(s)" in done.stdout  # the recent ones are 2 days old
    assert "bytes per verification" in done.stdout
    bad = subprocess.run([sys.executable, "-m", "mosaics_match", "audit", "rollup", "--keep-days", "-1"],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "keep-days" in bad.stderr
    verify = subprocess.run([sys.executable, "-m", "mosaics_match", "audit", "verify"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0 and "intact" in verify.stdout, verify.stdout + verify.stderr
    assert _verify(rt).rolled_up == 12
