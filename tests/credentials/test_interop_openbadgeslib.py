"""Interoperability with openbadgeslib (LGPL; a test dependency only, never imported by the product).

Credentials we issue verify there, and credentials it issues verify here, in both Data Integrity
(eddsa-rdfc-2022) and JWT form.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization

try:
    from openbadgeslib import ob3
    from openbadgeslib.ob3.verifier import OB3VerificationError
except ImportError as exc:
    # It is pinned in requirements-dev.txt: in CI a missing copy is a broken setup, not a reason to skip.
    if os.environ.get("CI"):
        pytest.fail(f"openbadgeslib cannot be imported ({exc}); CI must run the interop tests "
                    "(pip install -r requirements-dev.txt)", pytrace=False)
    pytest.skip("openbadgeslib not installed (pip install -r requirements-dev.txt)", allow_module_level=True)

from mosaics_match.credentials.verifier import VerifyContext, verify
from tests.credentials.test_verify_support import EMAIL, NOW, Issuer


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return Issuer()


def _pems(issuer: Issuer) -> tuple[bytes, bytes]:
    priv = issuer.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption())
    pub = issuer.private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)
    return priv, pub


def _their_credential(issuer: Issuer):
    return ob3.OpenBadgeCredential(
        issuer=ob3.Issuer(id=issuer.did, name="Seneca Polytechnic", url="https://www.senecapolytechnic.ca"),
        recipient_id=None,
        achievement=ob3.Achievement(
            id="https://mosaics.example/achievements/intro", name="Intro to Data", description="Basics.",
            criteria_narrative="Pass the quiz.", tags=["hours:10"],
            alignments=[ob3.Alignment("analyse data", "http://data.europa.eu/esco/skill/abc", "ESCO")]),
        issuance_date=NOW - timedelta(days=1), expiration_date=NOW + timedelta(days=365),
        identifiers=[ob3.IdentityObject.create(EMAIL, salt="s3cr3t-salt")])


def test_our_data_integrity_credential_verifies_in_openbadgeslib(issuer: Issuer) -> None:
    cred = issuer.issue(status=False)
    parsed = ob3.OB3LdpVerifier.for_issuer_did(issuer.did).verify(cred)
    assert parsed.achievement.name == "Data Visualisation Fundamentals"
    _priv, pub = _pems(issuer)
    assert ob3.OB3LdpVerifier(pub).verify(cred).issuer.id == issuer.did


def test_our_jwt_verifies_in_openbadgeslib(issuer: Issuer) -> None:
    token = issuer.issue("jwt", status=False)
    parsed = ob3.OB3Verifier.for_issuer_did(issuer.did).verify(token)
    assert parsed.achievement.name == "Data Visualisation Fundamentals"


def test_our_tampered_credential_is_rejected_by_openbadgeslib(issuer: Issuer) -> None:
    cred = issuer.issue(status=False)
    cred["credentialSubject"]["achievement"]["name"] = "Something Grander"
    with pytest.raises(OB3VerificationError, match="signature mismatch"):
        ob3.OB3LdpVerifier.for_issuer_did(issuer.did).verify(cred)


def test_their_data_integrity_credential_verifies_here(issuer: Issuer) -> None:
    priv, _pub = _pems(issuer)
    doc = ob3.OB3LdpSigner(priv).sign(_their_credential(issuer), created=NOW - timedelta(hours=1))
    r = verify(doc, ctx=VerifyContext(clock=lambda: NOW, email=EMAIL))
    assert r.verdict == "valid", [(c.id, c.status, c.problems) for c in r.checks if c.status != "success"]
    assert r.recipient_match is True
    assert r.summary["alignments"][0]["targetFramework"] == "ESCO"


def test_their_jwt_verifies_here(issuer: Issuer) -> None:
    priv, _pub = _pems(issuer)
    token = ob3.OB3Signer(priv, "EdDSA").sign(_their_credential(issuer))
    r = verify(token, ctx=VerifyContext(clock=lambda: NOW, email=EMAIL))
    assert r.verdict == "valid", [(c.id, c.status, c.problems) for c in r.checks if c.status != "success"]
    assert r.check("proof.key_binding").status == "success"


def test_their_jwt_signed_by_a_key_other_than_the_issuer_is_rejected(issuer: Issuer) -> None:
    other = Issuer()
    priv, _ = _pems(other)
    token = ob3.OB3Signer(priv, "EdDSA").sign(_their_credential(issuer))  # names issuer, signed by other
    r = verify(token, ctx=VerifyContext(clock=lambda: NOW))
    assert r.verdict == "invalid" and r.check("proof.key_binding").status == "failure"
