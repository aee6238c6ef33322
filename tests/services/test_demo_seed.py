"""Demo seeding: realistic, reproducible, idempotent, signed with a key generated at first start."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from mosaics_match.services import demo
from mosaics_match.store import repo
from mosaics_match.store.models import Account, Achievement, Earner, IssuedCredential, SigningKey, StatusList

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
    from mosaics_match.services import auth

    demo.seed(rt, earners=5, workers=1)
    with rt.Session.begin() as session:
        creds = demo.demo_passwords(session, settings=rt.settings)
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


def _every_stored_text(rt) -> str:
    """Every value of every column of every table, as text (what a database dump would show)."""
    from sqlalchemy import MetaData

    meta = MetaData()
    meta.reflect(bind=rt.engine)
    parts = []
    with rt.engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(table.select()):
                parts.extend(v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in row)
    return "\n".join(parts)


def test_demo_passwords_are_never_stored(rt):
    from dataclasses import replace

    demo.seed(rt, earners=3, workers=1)
    with rt.Session() as session:
        shown = demo.demo_passwords(session, settings=rt.settings)
    dump = _every_stored_text(rt)
    assert shown and all(password not in dump for _email, password in shown.values())
    with rt.Session() as session:
        assert repo.get_state(session, key=demo.DEMO_PASSWORDS_KEY) is None
    # Derived from the secret: another secret, other passwords; the same secret, the same ones.
    other = replace(rt.settings, session_secret="another-session-secret-" + "z" * 16)
    with rt.Session() as session:
        assert demo.demo_passwords(session, settings=other)["staff"][1] != shown["staff"][1]
        assert demo.demo_passwords(session, settings=rt.settings) == shown


def test_demo_accounts_seeded_under_an_old_scheme_get_the_derived_passwords(rt):
    from mosaics_match.services import auth
    from mosaics_match.store.models import AuditEvent
    from mosaics_match.store.passwords import hash_password

    demo.seed(rt, earners=3, workers=1)
    with rt.Session.begin() as session:
        for role, (email, _name, _org) in demo.DEMO_ACCOUNTS.items():
            repo.get_account(session, email=email).password_hash = hash_password(f"{role}-forgotten-random")
        repo.set_state(session, key=demo.DEMO_PASSWORDS_SYNCED_KEY, value="")
        epoch = repo.get_account(session, email=demo.DEMO_ACCOUNTS["staff"][0]).session_epoch
    with rt.Session.begin() as session:
        assert demo.sync_demo_passwords(session, settings=rt.settings) == 4
    with rt.Session.begin() as session:
        assert demo.sync_demo_passwords(session, settings=rt.settings) == 0  # marked: no Argon2 work again
        email, password = demo.demo_passwords(session, settings=rt.settings)["staff"]
        assert auth.authenticate(session, email=email, password=password).ok
        assert repo.get_account(session, email=email).session_epoch == epoch + 1
        reset = session.scalars(select(AuditEvent).where(AuditEvent.action == "demo_passwords_reset")).one()
        assert sorted(reset.details["roles"]) == sorted(demo.DEMO_ACCOUNTS)


def test_the_migration_removes_plaintext_demo_passwords(rt):
    from sqlalchemy import text

    from mosaics_match.store import db

    db.downgrade(rt.engine, "0002")
    with rt.engine.begin() as conn:
        conn.execute(text("INSERT INTO app_state (key, value) VALUES ('demo_passwords', :v)"),
                     {"v": json.dumps({"staff": "staff-plaintext-123"})})
    db.upgrade(rt.engine)
    with rt.engine.connect() as conn:
        keys = {r[0] for r in conn.execute(text("SELECT key FROM app_state"))}
    assert "demo_passwords" not in keys and "audit_chain_head" in keys
