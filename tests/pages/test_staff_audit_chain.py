"""Staff verify the audit chain from the audit page: intact, then, after someone edits an event around the
portal, the first bad event is named; every check is itself audited."""

from __future__ import annotations

from sqlalchemy import create_engine, select, text

from mosaics_match.store.models import AuditEvent
from tests.conftest import app_test, session_token_for


def _verify_on_page(at):
    at.button(key="audit_verify_chain").click()
    at.run()
    assert not at.exception, at.exception
    return at


def test_staff_see_the_chain_intact_then_the_first_tampered_event(portal_env: str) -> None:
    token = session_token_for(portal_env, "staff@mosaics.example")
    at = app_test("pages/staff_audit.py", token=token)
    assert not at.exception, at.exception
    _verify_on_page(at)
    assert any("The audit log is intact" in s.value for s in at.success), [s.value for s in at.success]
    assert not at.error

    engine = create_engine(portal_env)
    with engine.begin() as conn:
        victim = conn.execute(text("SELECT id FROM audit_event WHERE hash IS NOT NULL ORDER BY id LIMIT 1")
                              ).scalar_one()
        conn.execute(text("DROP TRIGGER audit_event_no_update"))
        conn.execute(text("UPDATE audit_event SET actor = 'nobody@example.org' WHERE id = :id"), {"id": victim})
    _verify_on_page(at)
    errors = " ".join(e.value for e in at.error)
    assert "The audit log was tampered with" in errors and f"event #{victim} does not match its seal" in errors
    assert f"Start with event #{victim}." in errors

    with engine.connect() as conn:
        checks = conn.execute(select(AuditEvent.actor, AuditEvent.outcome)
                              .where(AuditEvent.action == "audit_verify").order_by(AuditEvent.id)).all()
    engine.dispose()
    assert [tuple(c) for c in checks] == [("staff@mosaics.example", "intact"), ("staff@mosaics.example", "broken")]
