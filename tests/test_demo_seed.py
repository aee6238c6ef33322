"""Demo seeding: realistic, reproducible, idempotent, signed with a key generated at first start."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from mosaics_match import demo, repo
from mosaics_match.models import Account, Achievement, Earner, IssuedCredential, SigningKey, StatusList

pytestmark = pytest.mark.storage


def _counts(rt) -> dict[str, int]:
    with rt.Session() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (Achievement, Earner, IssuedCredential, Account, SigningKey, StatusList)
        } | {"data_version": repo.data_version(session)}


def test_seed_then_seed_again_changes_nothing(rt):
    report = demo.seed(rt, earners=25, workers=1)
    assert report.changed and report.earners == 25 and report.credentials >= 25
    first = _counts(rt)
    again = demo.seed(rt, earners=25, workers=1)
    assert not again.changed
    assert _counts(rt) == first


def test_seeded_world_has_the_promised_shape(rt):
    demo.seed(rt, earners=25, workers=1)
    with rt.Session() as session:
        achievements = repo.list_achievements(session)
        assert len(achievements) >= 40
        assert all(4 <= len(a.competencies) <= 10 for a in achievements)
        assert len(repo.list_postings(session)) >= 25
        roles = {a.role for a in repo.list_accounts(session)}
        assert roles == {"staff", "employer", "partner", "earner"}
        per_earner = session.execute(
            select(IssuedCredential.earner_id, func.count()).group_by(IssuedCredential.earner_id)
        ).all()
        assert all(1 <= n <= 6 for _, n in per_earner)
        sample = session.scalars(select(IssuedCredential).limit(5)).all()
        for row in sample:
            doc = json.loads(row.document) if row.document.startswith("{") else None
            if doc is not None:
                assert doc["proof"]["cryptosuite"] in ("eddsa-rdfc-2022", "eddsa-jcs-2022")
                assert doc["id"] == row.credential_id
        # every status list the credentials point at exists, signed
        lists = repo.status_lists(session)
        assert lists and all(lst.signed_document for lst in lists)


def test_demo_passwords_open_the_demo_accounts(rt):
    from mosaics_match import auth

    demo.seed(rt, earners=5, workers=1)
    with rt.Session.begin() as session:
        creds = demo.demo_passwords(session)
        assert set(creds) == {"staff", "employer", "partner", "earner"}
        email, password = creds["partner"]
        result = auth.authenticate(session, email=email, password=password)
        assert result.ok and result.account.role == "partner"


def test_private_key_is_stored_encrypted(rt):
    demo.seed(rt, earners=3, workers=1)
    with rt.Session() as session:
        key = session.scalars(select(SigningKey)).first()
        assert key.private_key_encrypted.startswith(b"MK1")
        assert len(key.private_key_encrypted) > 32 + 16


def test_a_seeding_interrupted_after_the_earners_is_completed_by_the_next_run(rt, monkeypatch):
    # First run dies after committing the earners (as when the first browser tab closes mid-seed).
    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(demo, "_seed_credentials", interrupted)
    with pytest.raises(KeyboardInterrupt):
        demo.seed(rt, earners=12, workers=1)
    assert demo.needs_seeding(rt)
    monkeypatch.undo()
    report = demo.seed(rt, earners=12, workers=1)
    assert report.earners == 0 and report.credentials >= 12
    with rt.Session() as session:
        without = session.scalar(
            select(func.count()).select_from(Earner).where(~Earner.id.in_(select(IssuedCredential.earner_id)))
        )
        assert without == 0
