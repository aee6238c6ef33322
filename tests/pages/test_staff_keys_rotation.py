"""Before a key rotation is confirmed, the keys page says plainly what it changes for verifiers outside the portal:
with did:key a new identifier (and the old one becomes "Retired Seneca key"), with did:web nothing."""

from __future__ import annotations

import pytest
import streamlit as st
from sqlalchemy import select

from mosaics_match.store.models import Issuer
from tests.conftest import app_test, make_settings, session_token_for

WEB_DID = "did:web:portal.example.ca"


def _open_dialog(token: str):
    at = app_test("pages/staff_keys.py", token=token)
    assert not at.exception, at.exception
    at.button[[b.label for b in at.button].index("Rotate the key…")].click().run()
    assert not at.exception, at.exception
    return at


def _issuers(db_url: str, *, local: bool = False) -> dict[str, str | None]:
    """Trusted issuers (identifier: notes); only Seneca's own signing identity with ``local``."""
    from mosaics_match.runtime import open_runtime

    rt = open_runtime(make_settings(db_url), migrate=False)
    query = select(Issuer).where(Issuer.trusted, Issuer.is_local) if local else select(Issuer).where(Issuer.trusted)
    with rt.Session() as session:
        found = {i.identifier: i.notes for i in session.scalars(query)}
    rt.engine.dispose()
    return found


def test_did_key_rotation_warns_that_the_identity_changes(portal_env: str) -> None:
    token = session_token_for(portal_env, "staff@mosaics.example")
    known = {i for i in _issuers(portal_env) if i.startswith("did:key:")}  # the demo's peer issuer too
    before = {i for i in _issuers(portal_env, local=True) if i.startswith("did:key:")}
    at = _open_dialog(token)
    assert any("Before rotating: For verifiers outside this portal, Seneca's identity changes." in c.value
               for c in at.caption)
    warning = " ".join(w.value for w in at.warning)
    assert "Seneca's identity changes" in warning and "did:key issuer the key *is* the identifier" in warning
    assert "Retired Seneca key" in warning and "MOSAICS_ISSUER_DID" in warning
    (old,) = before
    assert f"`{old}`" in warning
    at.button(key="rotate_yes").click().run()
    after = _issuers(portal_env)
    assert after[old].startswith("Retired Seneca key")
    assert len({i for i in after if i.startswith("did:key:")} - known) == 1


def test_did_web_rotation_says_nothing_changes_outside(portal_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    token = session_token_for(portal_env, "staff@mosaics.example")
    monkeypatch.setenv("MOSAICS_ISSUER_DID", WEB_DID)
    st.cache_resource.clear()
    first = " ".join(w.value for w in _open_dialog(token).warning)
    assert "identity changes once" in first and f"`{WEB_DID}`" in first  # the move from did:key to did:web
    at = _open_dialog(token)
    at.button(key="rotate_yes").click().run()
    assert not at.exception, at.exception
    at = _open_dialog(token)
    warning = " ".join(w.value for w in at.warning)
    assert "For verifiers outside this portal nothing changes." in warning and f"Seneca stays `{WEB_DID}`" in warning
    assert any("nothing changes" in c.value for c in at.caption)
