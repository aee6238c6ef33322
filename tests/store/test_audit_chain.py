"""The audit log is a sealed chain: with the triggers dropped, an UPDATE, a DELETE or a back-dated INSERT is found,
and the first bad event is named; concurrent writers never fork the chain. Runs on SQLite and, in CI's second run
(``DATABASE_URL=postgresql://… -m storage``), on PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from mosaics_match.store import audit_chain, repo
from mosaics_match.store.models import AuditEvent
from tests.conftest import REPO, TEST_KEY_SECRET, TEST_SESSION_SECRET

pytestmark = pytest.mark.storage

KEY = audit_chain.chain_key(TEST_KEY_SECRET)


def _write(rt, n: int, *, prefix: str = "e") -> list[int]:
    ids = []
    for i in range(n):
        with rt.Session.begin() as session:
            event = repo.record_audit(session, actor=f"{prefix}{i}@example.org", actor_role="staff", action="revoke",
                                      subject=f"urn:uuid:{i}", outcome="success", details={"i": i, "why": "x"})
            session.flush()
            ids.append(event.id)
    return ids


def _verify(rt) -> audit_chain.ChainReport:
    with rt.Session() as session:
        return audit_chain.verify_chain(session, key=KEY)


def _drop_triggers(rt) -> None:
    with rt.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP TRIGGER audit_event_no_change ON audit_event"))
        else:
            conn.execute(text("DROP TRIGGER audit_event_no_update"))
            conn.execute(text("DROP TRIGGER audit_event_no_delete"))


def test_an_untouched_log_verifies_and_events_in_one_transaction_chain_in_order(rt) -> None:
    _write(rt, 3)
    with rt.Session.begin() as session:
        for action in ("sign_in", "verify", "search"):
            repo.record_audit(session, actor="a@example.org", actor_role="partner", action=action)
    report = _verify(rt)
    assert report.ok and report.sealed == 6 and report.first_bad_id is None, report
    with rt.Session() as session:
        rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert rows[0].prev_hash == audit_chain.GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(rows, rows[1:]))
    assert report.head == rows[-1].hash
    assert "intact" in report.summary()


def test_update_after_dropping_the_trigger_is_found_at_that_event(rt) -> None:
    ids = _write(rt, 5)
    _drop_triggers(rt)
    with rt.engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET actor = 'someone-else@example.org' WHERE id = :id"), {"id": ids[2]})
    report = _verify(rt)
    assert not report.ok and report.first_bad_id == ids[2]
    assert f"event #{ids[2]} does not match its seal" in report.summary()


def test_update_of_the_details_only_is_found_too(rt) -> None:
    ids = _write(rt, 3)
    _drop_triggers(rt)
    with rt.engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET details = :d WHERE id = :id"),
                     {"d": json.dumps({"i": 1, "why": "forged"}), "id": ids[1]})
    assert _verify(rt).first_bad_id == ids[1]


def test_delete_is_found_at_the_event_after_the_gap(rt) -> None:
    ids = _write(rt, 5)
    _drop_triggers(rt)
    with rt.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": ids[1]})
    report = _verify(rt)
    assert not report.ok and report.first_bad_id == ids[2]
    assert f"does not follow event #{ids[0]}" in report.problem


def test_deleting_the_newest_events_is_found_by_the_chain_head(rt) -> None:
    ids = _write(rt, 4)
    _drop_triggers(rt)
    with rt.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE id >= :id"), {"id": ids[2]})
    report = _verify(rt)
    assert not report.ok and report.first_bad_id is None
    assert "newest events are missing" in report.problem and f"after event #{ids[1]}" in report.problem


def test_a_back_dated_insert_is_found_at_that_event(rt) -> None:
    ids = _write(rt, 3)
    with rt.Session() as session:
        last = session.get(AuditEvent, ids[-1])
    forged_at = (last.at - timedelta(days=30)).replace(tzinfo=None)
    # Written straight into the table (no trigger stops an INSERT), linked to the real last event.
    with rt.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO audit_event (at, actor, actor_role, action, subject, outcome, details, prev_hash, hash) "
            "VALUES (:at, 'staff@mosaics.example', 'staff', 'revoke', 'urn:uuid:x', 'success', '{}', :prev, :hash)"),
            {"at": forged_at, "prev": last.hash, "hash": "f" * 64})
        forged_id = conn.execute(text("SELECT MAX(id) FROM audit_event")).scalar_one()
    report = _verify(rt)
    assert not report.ok and report.first_bad_id == forged_id
    assert "does not match its seal" in report.problem


def test_an_unsealed_insert_between_sealed_events_is_found(rt) -> None:
    ids = _write(rt, 2)
    with rt.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO audit_event (at, actor, actor_role, action, details) "
            "VALUES (:at, 'x', 'staff', 'issue', '{}')"), {"at": datetime(2026, 1, 1)})
        forged_id = conn.execute(text("SELECT MAX(id) FROM audit_event")).scalar_one()
    _write(rt, 1, prefix="after")
    report = _verify(rt)
    assert report.first_bad_id == forged_id and "carries no seal" in report.problem
    assert forged_id > ids[-1]


def test_a_second_event_after_the_same_predecessor_is_refused(rt) -> None:
    _write(rt, 2)
    with rt.Session() as session:
        last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    with pytest.raises(IntegrityError):
        with rt.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO audit_event (at, actor, actor_role, action, details, prev_hash, hash) "
                "VALUES (:at, 'x', 'staff', 'issue', '{}', :prev, :hash)"),
                {"at": datetime(2026, 1, 1), "prev": last.prev_hash, "hash": "e" * 64})


def test_an_altered_chain_head_stops_new_events_and_is_reported(rt) -> None:
    _write(rt, 3)
    with rt.Session() as session:
        rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    # Point the head back at the second event (as after cutting off the third) without the key.
    with rt.engine.begin() as conn:
        conn.execute(text("UPDATE app_state SET value = :v WHERE key = :k"),
                     {"k": audit_chain.HEAD_KEY, "v": json.dumps({"n": 2, "hash": rows[1].hash, "mac": "0" * 64})})
    assert "chain head record was altered" in _verify(rt).problem
    with pytest.raises(audit_chain.AuditChainError, match="chain head was altered"):
        _write(rt, 1, prefix="later")


def test_concurrent_writers_do_not_fork_the_chain(rt) -> None:
    writers, each = 6, 8
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def work(w: int) -> None:
        try:
            barrier.wait()
            for i in range(each):
                with rt.Session.begin() as session:
                    repo.record_audit(session, actor=f"w{w}", actor_role="public", action="verify",
                                      details={"w": w, "i": i})
                    repo.record_audit(session, actor=f"w{w}", actor_role="public", action="search")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = _verify(rt)
    assert report.ok and report.sealed == writers * each * 2, report


def test_without_the_key_secret_no_event_is_written_unsealed(rt) -> None:
    from mosaics_match.runtime import open_runtime

    keyless = open_runtime(replace(rt.settings, key_secret=None), migrate=False)
    try:
        with pytest.raises(audit_chain.AuditChainError, match="MOSAICS_KEY_SECRET"):
            with keyless.Session.begin() as session:
                repo.record_audit(session, actor="x", actor_role="staff", action="issue")
    finally:
        keyless.engine.dispose()
    with rt.Session() as session:
        assert session.scalars(select(AuditEvent)).all() == []


def test_a_wrong_key_does_not_verify(rt) -> None:
    _write(rt, 2)
    with rt.Session() as session:
        report = audit_chain.verify_chain(session, key=audit_chain.chain_key("another secret"))
    assert not report.ok and report.first_bad_id is not None


def _cli(rt, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOSAICS_")}
    env.update({"DATABASE_URL": rt.settings.database_url, "MOSAICS_KEY_SECRET": TEST_KEY_SECRET,
                "MOSAICS_SESSION_SECRET": TEST_SESSION_SECRET})
    return subprocess.run([sys.executable, "-m", "mosaics_match", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)


def test_cli_audit_verify_names_the_first_bad_event_and_is_audited(rt) -> None:
    ids = _write(rt, 4)
    good = _cli(rt, "audit", "verify")
    assert good.returncode == 0, good.stderr
    assert "intact: 4 sealed event(s)" in good.stdout and "chain head:" in good.stdout
    _drop_triggers(rt)
    with rt.engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET outcome = 'failure' WHERE id = :id"), {"id": ids[1]})
    bad = _cli(rt, "audit", "verify")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert f"event #{ids[1]} does not match its seal" in bad.stdout
    with rt.Session() as session:
        runs = session.scalars(select(AuditEvent).where(AuditEvent.action == "audit_verify")
                               .order_by(AuditEvent.id)).all()
    assert [(e.actor, e.outcome, e.details["first_bad_id"]) for e in runs] == [("cli", "intact", None),
                                                                                ("cli", "broken", ids[1])]


def test_cli_audit_verify_without_key_secret_is_one_line(rt) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOSAICS_")}
    env.update({"DATABASE_URL": rt.settings.database_url, "MOSAICS_DEMO": "0"})
    out = subprocess.run([sys.executable, "-m", "mosaics_match", "audit", "verify"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines() == ["error: set MOSAICS_KEY_SECRET: the audit log's seals are checked "
                                               "with it"]


def test_events_from_before_the_chain_are_reported_as_unsealed(rt) -> None:
    with rt.engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_event (at, actor, actor_role, action, details) "
                          "VALUES (:at, 'old', 'staff', 'issue', '{}')"),
                     {"at": datetime.now(UTC).replace(tzinfo=None)})
    _write(rt, 2)
    report = _verify(rt)
    assert report.ok and report.unsealed == 1 and report.sealed == 2
    assert "1 older event(s)" in report.summary()
