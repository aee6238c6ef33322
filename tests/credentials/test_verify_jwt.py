"""VC-JWT verification: EdDSA / ES256 / RS256, the ``vc`` claim form, key binding and claim consistency."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from mosaics_match.credentials import keys
from mosaics_match.credentials.fetcher import DictFetcher
from mosaics_match.credentials.jwt import sign_compact_jws, sign_vc_jwt
from mosaics_match.credentials.verifier import VerifyContext, verify
from tests.credentials.test_verify_support import NOW, Issuer, statuses

HTTPS_ISSUER = "https://badges.example.org/issuer"
JWKS_URL = "https://badges.example.org/.well-known/jwks.json"


@pytest.fixture()
def issuer() -> Issuer:
    i = Issuer()
    i.publish_lists()
    return i


@pytest.mark.parametrize("vc_version", [1, 2])
def test_eddsa_did_key_token_is_valid(issuer: Issuer, vc_version: int) -> None:
    token = sign_vc_jwt(issuer.unsigned(), issuer.private_key, kid=issuer.vm, vc_version=vc_version)
    r = verify(token.encode(), ctx=issuer.ctx())
    assert r.verdict == "valid", [(c.id, c.status, c.problems) for c in r.checks if c.status != "success"]
    assert r.input_kind == "jws"
    assert r.summary["achievement"]["name"] == "Data Visualisation Fundamentals"


def test_es256_did_key_token_is_valid(issuer: Issuer) -> None:
    priv = ec.generate_private_key(ec.SECP256R1())
    did = keys.did_key_for(keys.public_key_of(priv))
    unsigned = issuer.unsigned(status=False)
    unsigned["issuer"]["id"] = did
    token = sign_vc_jwt(unsigned, priv, kid=keys.did_key_verification_method(did))
    r = verify(token, ctx=VerifyContext(clock=lambda: NOW))
    assert r.verdict == "valid", [(c.id, c.status, c.problems) for c in r.checks if c.status != "success"]


def _https_token(priv, *, kid: str = "k1", issuer: Issuer, header_extra: dict | None = None) -> str:
    unsigned = issuer.unsigned(status=False)
    unsigned["issuer"]["id"] = HTTPS_ISSUER
    header = {"kid": kid, "typ": "vc+jwt", **(header_extra or {})}
    header["alg"] = {"Ed25519": "EdDSA", "P-256": "ES256", "RSA": "RS256"}[keys.public_key_of(priv).kind]
    return sign_compact_jws(header, unsigned, priv)


def test_rs256_with_issuer_jwks(issuer: Issuer) -> None:
    priv = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**keys.public_key_of(priv).jwk(), "kid": "k1"}
    fetcher = DictFetcher({JWKS_URL: {"keys": [jwk]}})
    ctx = VerifyContext(clock=lambda: NOW, fetcher=fetcher)
    r = verify(_https_token(priv, issuer=issuer), ctx=ctx)
    assert r.verdict == "valid", [(c.id, c.status, c.problems) for c in r.checks if c.status != "success"]
    # a kid the issuer has not published
    r = verify(_https_token(priv, kid="other", issuer=issuer), ctx=ctx)
    assert r.verdict == "invalid" and r.check("proof.signature").status == "failure"


def test_jwks_unavailable_is_indeterminate(issuer: Issuer) -> None:
    priv = keys.generate_ed25519()
    r = verify(_https_token(priv, issuer=issuer), ctx=VerifyContext(clock=lambda: NOW, fetcher=DictFetcher()))
    assert r.verdict == "indeterminate" and r.check("proof.signature").status == "indeterminate"


def test_embedded_jwk_must_be_bound_to_issuer(issuer: Issuer) -> None:
    rogue = keys.generate_ed25519()
    fetcher = DictFetcher({JWKS_URL: {"keys": [{**keys.public_key_of(keys.generate_ed25519()).jwk(), "kid": "k1"}]}})
    token = _https_token(rogue, issuer=issuer, header_extra={"jwk": keys.public_key_of(rogue).jwk()})
    r = verify(token, ctx=VerifyContext(clock=lambda: NOW, fetcher=fetcher))
    assert r.check("proof.signature").status == "success"
    assert r.check("proof.key_binding").status == "failure" and r.verdict == "invalid"
    # the same key embedded by a did:key issuer that *is* that key is fine
    unsigned = issuer.unsigned(status=False)
    token = sign_compact_jws({"alg": "EdDSA", "jwk": keys.public_key_of(issuer.private_key).jwk()}, unsigned,
                             issuer.private_key)
    assert verify(token, ctx=VerifyContext(clock=lambda: NOW)).verdict == "valid"


def test_claims_must_agree_with_credential(issuer: Issuer) -> None:
    unsigned = issuer.unsigned(status=False)
    payload = {"vc": unsigned, "iss": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
               "jti": unsigned["id"]}
    token = sign_compact_jws({"alg": "EdDSA", "kid": issuer.vm}, payload, issuer.private_key)
    r = verify(token, ctx=VerifyContext(clock=lambda: NOW))
    assert r.check("proof.key_binding").status == "failure"
    assert any("iss" in p["title"] for p in r.check("proof.key_binding").problems)


def test_exp_claim_in_the_past_expires_token(issuer: Issuer) -> None:
    unsigned = issuer.unsigned(status=False)
    payload = {"vc": unsigned, "iss": issuer.did, "exp": int((NOW - timedelta(days=1)).timestamp())}
    token = sign_compact_jws({"alg": "EdDSA", "kid": issuer.vm}, payload, issuer.private_key)
    r = verify(token, ctx=VerifyContext(clock=lambda: NOW))
    assert r.verdict == "invalid" and statuses(r)["time.expiry"] == "failure"


def test_tampered_token_payload_fails(issuer: Issuer) -> None:
    token = sign_vc_jwt(issuer.unsigned(status=False), issuer.private_key, kid=issuer.vm)
    head, payload, sig = token.split(".")
    other = sign_vc_jwt(issuer.unsigned(status=False, name="Something Else"), issuer.private_key, kid=issuer.vm)
    r = verify(".".join([head, other.split(".")[1], sig]), ctx=VerifyContext(clock=lambda: NOW))
    assert r.verdict == "invalid" and r.check("proof.signature").status == "failure"


def _publish_lists_as_tokens(issuer: Issuer) -> None:
    """Serve the issuer's status lists as VC-JWTs (Bitstring Status List §3.2 allows any securing mechanism)."""
    from mosaics_match.credentials.status import StatusBits, build_status_list_credential

    for purpose in ("revocation", "suspension"):
        bits = issuer.bits.setdefault(purpose, StatusBits(131_072))
        doc = build_status_list_credential(list_url=issuer.list_url(purpose), issuer=issuer.did, purpose=purpose,
                                           bits=bits, valid_from=NOW - timedelta(days=30))
        issuer.fetcher.add(issuer.list_url(purpose), sign_vc_jwt(doc, issuer.private_key, kid=issuer.vm))


def test_a_status_list_served_as_a_token_is_read_and_its_bits_count() -> None:
    issuer = Issuer()
    _publish_lists_as_tokens(issuer)
    good = issuer.issue(index=5)
    revoked = issuer.issue(index=6)
    issuer.bits["revocation"].set(6)
    _publish_lists_as_tokens(issuer)
    ok = verify(good, ctx=issuer.ctx())
    assert ok.verdict == "valid", [(c.id, c.status, c.problems) for c in ok.checks if c.status != "success"]
    assert statuses(ok)["status.revocation"] == "success"
    bad = verify(revoked, ctx=issuer.ctx())
    assert bad.verdict == "invalid" and statuses(bad)["status.revocation"] == "failure"


def test_a_status_list_token_signed_by_another_key_does_not_confirm_the_status() -> None:
    issuer, stranger = Issuer(), Issuer()
    _publish_lists_as_tokens(issuer)
    for purpose in ("revocation", "suspension"):
        payload = issuer.fetcher.fetch(issuer.list_url(purpose)).decode().split(".")[1]
        doc = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        issuer.fetcher.add(issuer.list_url(purpose), sign_vc_jwt(doc, stranger.private_key, kid=stranger.vm))
    result = verify(issuer.issue(index=5), ctx=issuer.ctx())
    assert result.verdict != "valid"
    assert statuses(result)["status.revocation"] != "success"
