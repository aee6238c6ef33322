"""Generating the first signing key from the keys page on an empty database, and credential search."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mosaics_match.services import issuing
from mosaics_match.store import repo
from mosaics_match.store.models import Account, AuditEvent, Issuer, SigningKey
from tests.conftest import TEST_KEY_SECRET, TEST_SESSION_SECRET, app_test, session_token_for
from tests.pages.test_staff_bulk_issue import add_catalogue


@pytest.mark.storage
def test_first_key_is_generated_from_the_keys_page(rt, monkeypatch: pytest.MonkeyPatch) -> None:
    import streamlit as st

    with rt.Session.begin() as session:
        session.add(Account(email="keeper@example.org", display_name="Key Keeper", role="staff"))
    for name, value in {"DATABASE_URL": rt.settings.database_url, "MOSAICS_KEY_SECRET": TEST_KEY_SECRET,
                        "MOSAICS_SESSION_SECRET": TEST_SESSION_SECRET, "MOSAICS_DEMO": "0"}.items():
        monkeypatch.setenv(name, value)
    st.cache_resource.clear()
    try:
        at = app_test("pages/staff_keys.py", token=session_token_for(rt.settings.database_url, "keeper@example.org"))
        assert not at.exception, at.exception
        assert "Seneca has no active signing key yet." in [w.value for w in at.warning]
        [b for b in at.button if b.label == "Generate a signing key"][0].click().run()
        assert not at.exception, at.exception
    finally:
        st.cache_resource.clear()
    with rt.Session() as session:
        key = session.scalars(select(SigningKey)).one()
        assert session.scalars(select(Issuer).where(Issuer.is_local.is_(True))).one().id == key.issuer_id
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "key_generate")).one()
        assert event.actor == "keeper@example.org" and event.details["fingerprint"] == key.fingerprint
    assert any(key.fingerprint in s.value for s in at.success) or any(key.fingerprint in m.value for m in at.markdown)


@pytest.mark.storage
def test_search_credentials_by_email_name_achievement_id_and_state(rt) -> None:
    add_catalogue(rt, 2)
    with rt.Session.begin() as session:
        signer = issuing.open_signer(session, settings=rt.settings)
        a0, a1 = repo.list_achievements(session)
        ann = repo.create_earner(session, email="ann.lee@example.org", name="Ann Lee")
        bo = repo.create_earner(session, email="bo_50%@example.org", name="Bo Chen")
        r1 = issuing.issue_credential(session, signer=signer, earner=ann, achievement=a0, actor="s", fmt="vc-jwt")
        r2 = issuing.issue_credential(session, signer=signer, earner=ann, achievement=a1, actor="s", fmt="vc-jwt")
        r3 = issuing.issue_credential(session, signer=signer, earner=bo, achievement=a0, actor="s", fmt="vc-jwt")
        issuing.change_status(session, signer=signer, credential=r2.credential, action="suspend", reason="r", actor="s")
        ids = [r.credential.credential_id for r in (r1, r2, r3)]

    def found(query: str = "", state: str = "any") -> set[str]:
        with rt.Session() as session:
            return {c.credential_id for c in repo.search_credentials(session, query=query, state=state)}

    assert found() == set(ids)
    assert found("ANN.LEE@") == {ids[0], ids[1]}
    assert found("chen") == {ids[2]}
    assert found("skill number 1") == {ids[1]}
    assert found("skill-0") == {ids[0], ids[2]}
    assert found(ids[2][-12:]) == {ids[2]}
    assert found("50%") == {ids[2]} and found("%") == {ids[2]}  # LIKE wildcards are literal
    assert found("_") == {ids[2]}
    assert found(state="suspended") == {ids[1]} and found(state="valid") == {ids[0], ids[2]}
    assert found("ann", state="revoked") == set()
    with rt.Session() as session:
        assert [e.email for e in repo.search_earners(session, query="LEE")] == ["ann.lee@example.org"]
