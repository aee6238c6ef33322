"""Earner CSV import: bounded, validated, previewed, idempotent by email, never re-enabling withdrawn consent."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from mosaics_match.services import earner_import
from mosaics_match.services.bulk_issue import BulkError
from mosaics_match.store import repo
from mosaics_match.store.models import AuditEvent, Earner

FILE = (
    "email,name,discoverable,share_email,location\n"
    "Ada@Example.org,Ada Lovelace,yes,yes,Toronto\n"
    "grace@example.org,Grace Hopper,no,yes,\n"
)


def test_parse_and_validate_rows() -> None:
    plan = earner_import.parse_earners_csv(FILE.encode())
    assert plan.ok
    ada, grace = plan.rows
    assert (ada.email, ada.discoverable, ada.share_email, ada.location) == ("ada@example.org", True, True, "Toronto")
    assert grace.share_email is False  # sharing an email only makes sense for a discoverable earner


@pytest.mark.parametrize(
    ("row", "message"),
    [("bad-email,X,yes", "not a valid email"), ("a@example.org,,no", "name is missing"),
     ("a@example.org,A,maybe", "discoverable must be yes or no"),
     ("ada@example.org,Again,no", "same email is on line 2")],
)
def test_bad_rows_block_the_import(row: str, message: str) -> None:
    plan = earner_import.parse_earners_csv(("email,name,discoverable\nada@example.org,Ada,yes\n" + row + "\n").encode())
    assert not plan.ok and message in "; ".join(plan.rows[1].errors)
    with pytest.raises(BulkError, match="Nothing was imported"):
        earner_import.import_earners(None, plan=plan, actor="s")  # type: ignore[arg-type]


def test_bounds() -> None:
    with pytest.raises(BulkError, match="limit"):
        earner_import.parse_earners_csv(b"x" * (earner_import.MAX_CSV_BYTES + 1))
    many = "email,name\n" + "".join(f"p{i}@example.org,P\n" for i in range(5))
    assert any("more than 3 rows" in p for p in earner_import.parse_earners_csv(many.encode(), max_rows=3).problems)


@pytest.mark.storage
def test_import_is_idempotent_and_keeps_withdrawn_consent(rt) -> None:
    plan = earner_import.parse_earners_csv(FILE.encode())
    with rt.Session() as session:
        earner_import.plan_against(plan, session)
    assert [r.action for r in plan.rows] == ["create", "create"]
    with rt.Session.begin() as session:
        version = repo.data_version(session)
        report = earner_import.import_earners(session, plan=plan, actor="staff@x")
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    with rt.Session.begin() as session:
        assert repo.data_version(session) > version  # a new discoverable earner is searchable at once
        ada = repo.get_earner_by_email(session, email="ada@example.org")
        assert ada.discoverable and ada.share_email
        repo.set_consent(session, earner=ada, discoverable=False, share_email=False, actor="ada", actor_role="earner")

    again = earner_import.parse_earners_csv(FILE.replace("Grace Hopper", "Grace B. Hopper").encode())
    with rt.Session() as session:
        earner_import.plan_against(again, session)
    assert [r.action for r in again.rows] == ["unchanged", "update"]
    with rt.Session.begin() as session:
        report = earner_import.import_earners(session, plan=again, actor="staff@x")
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    with rt.Session() as session:
        assert session.scalar(select(func.count()).select_from(Earner)) == 2
        ada = repo.get_earner_by_email(session, email="ada@example.org")
        assert not ada.discoverable and not ada.share_email  # the old file did not switch consent back on
        assert repo.get_earner_by_email(session, email="grace@example.org").name == "Grace B. Hopper"
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "earner_import")) == 2
