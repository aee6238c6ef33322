"""Migrations are the schema's source of truth: they must produce exactly the models' schema, on SQLite and on
PostgreSQL (CI runs these tests a second time with DATABASE_URL pointing at PostgreSQL)."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from mosaics_match.store import db, repo
from mosaics_match.store.models import AuditEvent, Base

pytestmark = pytest.mark.storage


def test_migrations_produce_the_models_schema(rt):
    with rt.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"migrations and models disagree: {diff}"
    assert db.current_revision(rt.engine) is not None


def test_upgrade_twice_is_a_no_op(rt):
    before = db.table_names(rt.engine)
    db.upgrade(rt.engine)
    assert db.table_names(rt.engine) == before


def test_downgrade_to_base_and_back(rt):
    db.downgrade(rt.engine, "base")
    assert [t for t in db.table_names(rt.engine) if t != "alembic_version"] == []
    db.upgrade(rt.engine)
    assert "issued_credential" in db.table_names(rt.engine)


def test_audit_log_refuses_update_and_delete(rt):
    with rt.Session.begin() as session:
        repo.record_audit(session, actor="a@example.org", actor_role="staff", action="verify", outcome="valid")
    for statement in ("UPDATE audit_event SET outcome = 'tampered'", "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError, match="append-only"):
            with rt.engine.begin() as conn:
                conn.execute(text(statement))
    with rt.Session() as session:
        events = session.query(AuditEvent).all()
        assert [e.outcome for e in events] == ["valid"]


def test_data_version_counts_every_bump(rt):
    with rt.Session.begin() as session:
        assert repo.data_version(session) == 0
        repo.bump_data_version(session)
        repo.bump_data_version(session)
    with rt.Session.begin() as session:
        assert repo.data_version(session) == 2


def test_datetimes_come_back_timezone_aware(rt):
    with rt.Session.begin() as session:
        event = repo.record_audit(session, actor="x", actor_role="public", action="verify")
        session.flush()
        event_id = event.id
    with rt.Session() as session:
        stored = session.get(AuditEvent, event_id)
        assert stored.at.tzinfo is not None and stored.at.utcoffset().total_seconds() == 0
