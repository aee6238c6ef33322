"""The audit log is append-only (the database refuses edits, and no code path edits it) and filterable."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError

from mosaics_match.store import repo
from mosaics_match.store.models import AuditEvent
from tests.conftest import REPO


@pytest.mark.storage
def test_orm_and_bulk_edits_of_the_audit_log_are_refused(rt) -> None:
    with rt.Session.begin() as session:
        repo.record_audit(session, actor="staff@x", actor_role="staff", action="revoke", subject="urn:uuid:1",
                          outcome="success", details={"reason": "fraud"})
    attempts = [
        lambda s: setattr(s.scalars(select(AuditEvent)).one(), "outcome", "forged"),
        lambda s: s.delete(s.scalars(select(AuditEvent)).one()),
        lambda s: s.execute(update(AuditEvent).values(actor="someone-else")),
        lambda s: s.execute(delete(AuditEvent).where(AuditEvent.action == "revoke")),
    ]
    for attempt in attempts:
        with pytest.raises(DBAPIError, match="append-only"):
            with rt.Session.begin() as session:
                attempt(session)
    with rt.Session() as session:
        (event,) = session.scalars(select(AuditEvent)).all()
        assert (event.actor, event.outcome, event.details) == ("staff@x", "success", {"reason": "fraud"})


@pytest.mark.storage
def test_filters_by_action_actor_and_date_range(rt) -> None:
    with rt.Session.begin() as session:
        for actor, action in [("ann@x", "issue"), ("bob@x", "issue"), ("ann@x", "revoke"), ("ann@x", "sign_in")]:
            repo.record_audit(session, actor=actor, actor_role="staff", action=action)
    now = datetime.now(UTC)
    with rt.Session() as session:
        assert [e.actor for e in repo.list_audit(session, action="issue")] == ["bob@x", "ann@x"]
        assert {e.action for e in repo.list_audit(session, actor="ann")} == {"issue", "revoke", "sign_in"}
        assert len(repo.list_audit(session, since=now - timedelta(minutes=5), until=now + timedelta(minutes=5))) == 4
        assert repo.list_audit(session, since=now + timedelta(days=1)) == []
        assert len(repo.list_audit(session, limit=2)) == 2


def test_no_code_path_edits_or_deletes_audit_events() -> None:
    pattern = re.compile(
        r"(update|delete)\(\s*AuditEvent|(UPDATE|DELETE\s+FROM)\s+audit_event|audit_event.*\.(update|delete)\(",
        re.IGNORECASE,
    )
    offenders = []
    for folder in ("mosaics_match", "pages"):
        for path in (REPO / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue  # the triggers themselves
            if path == REPO / "mosaics_match" / "store" / "audit_retention.py":
                continue  # the retention roll-up: the one audited way around the triggers (its own tests)
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if pattern.search(line):
                    offenders.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    assert offenders == []
