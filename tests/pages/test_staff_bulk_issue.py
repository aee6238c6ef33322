"""Bulk issuing: bounded CSV parsing, validation of every row, and row-per-transaction issuing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from mosaics_match.services import bulk_issue, issuing
from mosaics_match.store import repo
from mosaics_match.store.models import Achievement, AuditEvent, Competency, Earner, IssuedCredential

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def add_catalogue(rt, n: int = 2) -> list[str]:
    """A tiny catalogue in a fresh database (the slugs)."""
    slugs = []
    with rt.Session.begin() as session:
        for i in range(n):
            a = Achievement(slug=f"skill-{i}", name=f"Skill Number {i}", description="Demonstrates a skill.",
                            criteria="Pass the assessment.", school="School of Tests", partner="Partner Inc",
                            hours=10 + i, level="foundation", tags=["test"])
            a.competencies.append(Competency(slug="c1", name=f"Competency {i}", description="Does things.",
                                             esco_uri="http://data.europa.eu/esco/skill/test", esco_label="test"))
            session.add(a)
            slugs.append(a.slug)
    return slugs


def _achievements(rt) -> list[Achievement]:
    with rt.Session() as session:
        return repo.list_achievements(session)


class _Cat:
    def __init__(self, slug: str, name: str) -> None:
        self.slug, self.name = slug, name


CATALOGUE = [_Cat("python-data", "Data with Python"), _Cat("safe-food", "Safe Food Handling")]


def _plan(text: str, **kw) -> bulk_issue.BulkPlan:
    return bulk_issue.parse_bulk_csv(text.encode("utf-8"), achievements=CATALOGUE, now=NOW, **kw)


def test_valid_file_with_names_slugs_formats_and_dates() -> None:
    plan = _plan(
        "Email,Name,Achievement,Format,Valid_From,Valid_Until\n"
        " Ada@Example.org ,Ada  Lovelace,python-data,,2026-07-01,2029-07-01\n"
        "grace@example.org,Grace Hopper,safe food handling,jwt,,\n"
        "\n"
    )
    assert plan.ok, plan.preview()
    a, g = plan.rows
    assert (a.email, a.name, a.achievement_slug, a.fmt) == ("ada@example.org", "Ada Lovelace", "python-data",
                                                            "eddsa-rdfc-2022")
    assert a.valid_from == datetime(2026, 7, 1, tzinfo=UTC) and a.valid_until.year == 2029
    assert (g.achievement_slug, g.fmt, g.valid_from, g.valid_until) == ("safe-food", "vc-jwt", None, None)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("x@,Name,python-data", "not a valid email"),
        ("a@example.org,,python-data", "name is missing"),
        ("a@example.org,Name,underwater-basket", "no micro-credential called"),
        ("a@example.org,Name,python-data,rsa-2048", "format 'rsa-2048'"),
        ("a@example.org,Name,python-data,,2026-13-01", "not a date"),
        ("a@example.org,Name,python-data,,2026-08-01,2026-07-01", "must be after"),
        ("a@example.org,Name,python-data,,2020-01-01,2021-01-01", "in the past"),
        ("a@example.org,Na\x07me,python-data", "control characters"),
    ],
)
def test_each_bad_row_is_reported_and_blocks_the_file(row: str, message: str) -> None:
    plan = _plan("email,name,achievement,format,valid_from,valid_until\nok@example.org,Ok,python-data\n" + row + "\n")
    assert not plan.ok
    assert plan.rows[0].ok
    assert message in "; ".join(plan.rows[1].errors)
    assert plan.rows[1].line == 3


def test_duplicate_pair_in_one_file_is_an_error() -> None:
    plan = _plan("email,name,achievement\na@example.org,A,python-data\nA@example.org,A,Data with Python\n")
    assert "same earner and micro-credential as line 2" in plan.rows[1].errors


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"x" * (bulk_issue.MAX_CSV_BYTES + 1), "limit is"),
        (b"email,name,achievement\n\xff\xfe", "not UTF-8"),
        (b"email,name\na@example.org,A\n", r"lacks the column\(s\) achievement"),
        (b"email,email,name,achievement\n", "twice"),
    ],
)
def test_unusable_files_raise_a_plain_error(data: bytes, message: str) -> None:
    with pytest.raises(bulk_issue.BulkError, match=message):
        bulk_issue.parse_bulk_csv(data, achievements=CATALOGUE)


def test_row_and_cell_bounds() -> None:
    many = "email,name,achievement\n" + "".join(f"p{i}@example.org,P {i},python-data\n" for i in range(12))
    plan = _plan(many, max_rows=10)
    assert len(plan.rows) == 10 and any("more than 10 rows" in p for p in plan.problems) and not plan.ok
    long_cell = _plan("email,name,achievement\na@example.org," + "n" * 400 + ",python-data\n")
    assert any("longer than" in p for p in long_cell.problems)
    extra = _plan("email,name,achievement,salary\na@example.org,A,python-data,1\n")
    assert any("Unknown column(s) salary" in p for p in extra.problems)
    header_only = _plan("email,name,achievement\n")
    assert header_only.problems == ["The file has a header but no rows."]


def test_results_csv_neutralises_formulas() -> None:
    text = bulk_issue.results_csv([bulk_issue.RowResult(2, "=cmd@example.org", "+SUM(A1)", False, message="-x")])
    assert "'=cmd@example.org" in text and "'+SUM(A1)" in text and "'-x" in text


@pytest.mark.storage
def test_issue_plan_issues_each_row_and_creates_earners(rt) -> None:
    slugs = add_catalogue(rt)
    with rt.Session.begin() as session:
        repo.create_earner(session, email="known@example.org", name="Known Earner")
    text = (
        "email,name,achievement,format\n"
        f"known@example.org,Other Name,{slugs[0]},eddsa-jcs-2022\n"
        f"new@example.org,New Earner,{slugs[1]},vc-jwt\n"
    )
    plan = bulk_issue.parse_bulk_csv(text.encode(), achievements=_achievements(rt))
    with rt.Session() as session:
        bulk_issue.annotate_with_database(plan, session)
    assert "that name is kept" in plan.rows[0].notes[0] and plan.rows[1].notes == ["new earner"]
    seen = []
    results = bulk_issue.issue_plan(rt.Session, settings=rt.settings, plan=plan, actor="staff@x",
                                    progress=lambda i, n, r: seen.append((i, n, r.ok)))
    assert [r.ok for r in results] == [True, True] and seen == [(1, 2, True), (2, 2, True)]
    assert all(r.claim_code and r.credential_id for r in results)
    with rt.Session() as session:
        known = repo.get_earner_by_email(session, email="known@example.org")
        assert known.name == "Known Earner"
        creds = {c.credential_id: c for c in session.scalars(select(IssuedCredential))}
        assert set(creds) == {r.credential_id for r in results}
        assert creds[results[1].credential_id].proof_format == "vc-jwt"
        assert creds[results[0].credential_id].claim_code_hash == issuing.hash_claim_code(results[0].claim_code)
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "issue")) == 2


@pytest.mark.storage
def test_a_row_failing_at_signing_time_rolls_back_alone(rt, monkeypatch) -> None:
    slugs = add_catalogue(rt)
    text = "email,name,achievement\n" + "".join(f"p{i}@example.org,P {i},{slugs[0]}\n" for i in range(3))
    plan = bulk_issue.parse_bulk_csv(text.encode(), achievements=_achievements(rt))
    real = issuing.issue_credential
    calls = {"n": 0}

    def flaky(session, **kw):
        calls["n"] += 1
        receipt = real(session, **kw)  # writes the row, status index, audit...
        if calls["n"] == 2:
            raise RuntimeError("disk on fire")  # ...then fails: all of it must roll back
        return receipt

    monkeypatch.setattr(issuing, "issue_credential", flaky)
    results = bulk_issue.issue_plan(rt.Session, settings=rt.settings, plan=plan, actor="staff@x")
    assert [r.ok for r in results] == [True, False, True]
    assert "nothing was saved for this row" in results[1].message
    with rt.Session() as session:
        assert session.scalar(select(func.count()).select_from(IssuedCredential)) == 2
        assert repo.get_earner_by_email(session, email="p1@example.org") is None  # earner creation rolled back
        indexes = sorted(session.scalars(select(IssuedCredential.status_index)))
        assert len(set(indexes)) == 2
        failures = list(session.scalars(select(AuditEvent).where(AuditEvent.outcome == "failure")))
        assert [f.subject for f in failures] == ["p1@example.org"]


@pytest.mark.storage
def test_invalid_plan_or_missing_secret_issues_nothing(rt) -> None:
    from dataclasses import replace

    slugs = add_catalogue(rt)
    bad = bulk_issue.parse_bulk_csv(f"email,name,achievement\nbad,X,{slugs[0]}\n".encode(),
                                    achievements=_achievements(rt))
    with pytest.raises(bulk_issue.BulkError, match="Nothing was issued"):
        bulk_issue.issue_plan(rt.Session, settings=rt.settings, plan=bad, actor="s")
    good = bulk_issue.parse_bulk_csv(f"email,name,achievement\na@example.org,A,{slugs[0]}\n".encode(),
                                     achievements=_achievements(rt))
    with pytest.raises(issuing.IssuingError, match="MOSAICS_KEY_SECRET"):
        bulk_issue.issue_plan(rt.Session, settings=replace(rt.settings, key_secret=None), plan=good, actor="s")
    with rt.Session() as session:
        assert session.scalar(select(func.count()).select_from(IssuedCredential)) == 0
        assert session.scalar(select(func.count()).select_from(Earner)) == 0


@pytest.mark.storage
def test_signer_cache_follows_a_key_rotation_mid_batch(rt) -> None:
    add_catalogue(rt)
    cache = bulk_issue.SignerCache(rt.settings)
    with rt.Session.begin() as session:
        first = cache.signer(session).key.id
    with rt.Session.begin() as session:
        issuing.rotate_key(session, settings=rt.settings, actor="s")
    with rt.Session.begin() as session:
        signer = cache.signer(session)
        assert signer.key.id != first and signer.key.retired_at is None
        doc = issuing.issue_credential(session, signer=signer, earner=repo.create_earner(
            session, email="z@example.org", name="Z"), achievement=repo.list_achievements(session)[0], actor="s")
        assert doc.credential.key_id == signer.key.id
        assert json.loads(doc.credential.document)["proof"]["verificationMethod"] == signer.verification_method


def test_dates_in_the_past_for_valid_from_are_allowed() -> None:
    plan = _plan("email,name,achievement,valid_from\na@example.org,A,python-data,2025-01-01\n")
    assert plan.ok and plan.rows[0].valid_from == datetime(2025, 1, 1, tzinfo=UTC)
    assert NOW - plan.rows[0].valid_from > timedelta(days=100)
