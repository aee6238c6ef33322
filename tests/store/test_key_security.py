"""Private signing keys never appear usable in the database, and without the key secret nothing is signed."""

from __future__ import annotations

import base64
import re
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import func, inspect, select, text

from mosaics_match.credentials.multibase import multibase_encode
from mosaics_match.services import issuing
from mosaics_match.store import repo
from mosaics_match.store.keystore import KeySecretError, decrypt_private_key
from mosaics_match.store.models import AuditEvent, Earner, IssuedCredential, Issuer, SigningKey, StatusList
from tests.conftest import TEST_KEY_SECRET, app_test, session_token_for
from tests.pages.test_staff_bulk_issue import add_catalogue

_ED25519_PRIV_MULTICODEC = b"\x80\x26"


def _raw(private) -> bytes:
    return private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                 serialization.NoEncryption())


def _encodings(raw: bytes) -> list[str]:
    """Every text form a leaked 32-byte Ed25519 seed would plausibly take."""
    b64 = base64.b64encode(raw).decode()
    forms = [raw.hex(), raw.hex().upper(), b64, b64.rstrip("="), base64.urlsafe_b64encode(raw).decode().rstrip("="),
             multibase_encode(_ED25519_PRIV_MULTICODEC + raw, "z")]
    forms.append(multibase_encode(raw, "z"))
    return forms


def _full_dump(rt) -> str:
    """All columns of all tables: ``iterdump`` on SQLite, SELECT * of every table elsewhere."""
    parts: list[str] = []
    if rt.settings.is_sqlite:
        raw = rt.engine.raw_connection()
        try:
            parts.extend(raw.driver_connection.iterdump())
        finally:
            raw.close()
    with rt.engine.connect() as conn:
        for table in inspect(rt.engine).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                for value in row:
                    parts.append(value.hex() if isinstance(value, (bytes, memoryview)) and not isinstance(value, str)
                                 else repr(value))
    return "\n".join(parts)


@pytest.fixture
def busy_rt(rt):
    """A database with keys (one rotated), credentials in every format and a status change."""
    add_catalogue(rt)
    with rt.Session.begin() as session:
        signer = issuing.open_signer(session, settings=rt.settings)
        earner = repo.create_earner(session, email="leak@example.org", name="Leak Test")
        achievement = repo.list_achievements(session)[0]
        for fmt in issuing.PROOF_FORMATS:
            last = issuing.issue_credential(session, signer=signer, earner=earner, achievement=achievement,
                                            actor="staff", fmt=fmt)
        issuing.change_status(session, signer=signer, credential=last.credential, action="suspend", reason="x",
                              actor="staff")
    with rt.Session.begin() as session:
        issuing.rotate_key(session, settings=rt.settings, actor="staff")
    with rt.Session.begin() as session:
        signer = issuing.open_signer(session, settings=rt.settings)
        issuing.issue_credential(session, signer=signer, earner=session.get(Earner, earner.id),
                                 achievement=repo.list_achievements(session)[0], actor="staff", fmt="vc-jwt")
    return rt


@pytest.mark.storage
def test_database_dump_holds_no_usable_private_key(busy_rt) -> None:
    rt = busy_rt
    dump = _full_dump(rt)
    with rt.Session() as session:
        keys = list(session.scalars(select(SigningKey)))
    assert len(keys) == 2
    for key in keys:
        private = decrypt_private_key(key.private_key_encrypted, secret=TEST_KEY_SECRET,
                                      binding=key.verification_method)
        raw = _raw(private)
        for form in _encodings(raw):
            assert form not in dump, "a private key is stored in a readable encoding"
        # The sealed blob is in the dump, but it does not open with another secret or for another key row.
        with pytest.raises(KeySecretError):
            decrypt_private_key(key.private_key_encrypted, secret=TEST_KEY_SECRET + "-wrong",
                                binding=key.verification_method)
        with pytest.raises(KeySecretError):
            decrypt_private_key(key.private_key_encrypted, secret=TEST_KEY_SECRET,
                                binding=next(k for k in keys if k.id != key.id).verification_method)
    assert "PRIVATE KEY" not in dump and "-----BEGIN" not in dump
    assert not re.search(r"""["']d["']\s*:\s*["'][A-Za-z0-9_-]{20,}""", dump), "a JWK private part (d) is stored"
    # Sanity: the dump really covers the tables that hold key material and signed documents.
    assert keys[0].public_multikey in dump and keys[0].private_key_encrypted.hex() in dump.lower()


def _counts(rt) -> dict[str, int]:
    with rt.Session() as session:
        return {m.__tablename__: session.scalar(select(func.count()).select_from(m)) or 0
                for m in (Issuer, SigningKey, IssuedCredential, StatusList, AuditEvent, Earner)}


@pytest.mark.storage
def test_without_key_secret_nothing_is_signed_or_written(busy_rt) -> None:
    rt = busy_rt
    no_secret = replace(rt.settings, key_secret=None)
    before = _counts(rt)
    with rt.Session() as session:
        lists_before = {(s.number, s.purpose): s.version for s in repo.status_lists(session)}
    with rt.Session() as session:
        achievements = repo.list_achievements(session)
    for attempt in ("open", "rotate", "bulk"):
        with pytest.raises(issuing.IssuingError, match="MOSAICS_KEY_SECRET"):
            if attempt == "bulk":
                from mosaics_match.services import bulk_issue

                plan = bulk_issue.parse_bulk_csv(b"email,name,achievement\nn@example.org,N,skill-0\n",
                                                 achievements=achievements)
                bulk_issue.issue_plan(rt.Session, settings=no_secret, plan=plan, actor="staff")
            else:
                with rt.Session.begin() as session:
                    if attempt == "open":
                        issuing.open_signer(session, settings=no_secret)
                    else:
                        issuing.rotate_key(session, settings=no_secret, actor="staff")
    assert _counts(rt) == before
    with rt.Session() as session:
        assert {(s.number, s.purpose): s.version for s in repo.status_lists(session)} == lists_before


@pytest.mark.storage
def test_fresh_database_without_key_secret_creates_no_issuer(rt) -> None:
    with pytest.raises(issuing.IssuingError, match="MOSAICS_KEY_SECRET"):
        with rt.Session.begin() as session:
            issuing.ensure_local_issuer(session, settings=replace(rt.settings, key_secret=None))
    assert _counts(rt)["issuer"] == 0 and _counts(rt)["signing_key"] == 0


def test_without_key_secret_a_deployment_serves_no_page(portal_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from mosaics_match.runtime import open_runtime
    from tests.conftest import make_settings

    monkeypatch.setenv("MOSAICS_KEY_SECRET", "")
    monkeypatch.setenv("MOSAICS_DEMO", "0")  # demo mode would generate a local secret
    token = session_token_for(portal_env, "staff@mosaics.example")
    probe = open_runtime(make_settings(portal_env), migrate=False)
    before = _counts(probe)

    for page in ("pages/staff_issue.py", "pages/staff_keys.py"):
        at = app_test(page, token=token)
        assert not at.exception, at.exception
        assert [e.value for e in at.error] == [
            "Seneca Mosaics will not start: set MOSAICS_KEY_SECRET (long random values, the same on every replica; "
            "demo mode is off because DATABASE_URL is set or MOSAICS_DEMO=0)."]
        assert not at.button and not at.title
    assert _counts(probe) == before
    probe.engine.dispose()
