"""Other shapes a real verifier meets: VC 1.1 with StatusList2021, the 1EdTech revocation list, dates without
offsets, plus the trust registry, identity hashing and the credential builder."""

from __future__ import annotations

import base64
import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mosaics_match.credentials.build import build_credential
from mosaics_match.credentials.identity import identity_hash, recipient_matches
from mosaics_match.credentials.jsonld import undefined_terms
from mosaics_match.credentials.proofs import sign_data_integrity
from mosaics_match.credentials.status import StatusBits
from mosaics_match.credentials.trust import TrustRegistry
from mosaics_match.credentials.verifier import VerifyContext, parse_datetime, verify, verify_many
from tests.credentials.test_verify_support import EMAIL, NOW, Issuer, achievement

VC1 = "https://www.w3.org/2018/credentials/v1"
DI = "https://w3id.org/security/data-integrity/v2"
SL2021 = "https://w3id.org/vc/status-list/2021/v1"
OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB3_EXT = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"


def _sign(doc: dict, issuer: Issuer) -> dict:
    return sign_data_integrity(doc, issuer.private_key, verification_method=issuer.vm, cryptosuite="eddsa-rdfc-2022",
                               created=NOW - timedelta(days=1))


def test_vc11_with_statuslist2021() -> None:
    issuer = Issuer()
    url = "https://mosaics.example/status/2021-1"
    bits = StatusBits()
    bits.set(9)
    encoded = base64.urlsafe_b64encode(gzip.compress(bits.to_bytes())).decode().rstrip("=")
    issuer.fetcher.add(url, _sign({
        "@context": [VC1, SL2021, DI], "id": url, "type": ["VerifiableCredential", "StatusList2021Credential"],
        "issuer": issuer.did, "issuanceDate": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": url + "#list", "type": "StatusList2021", "statusPurpose": "revocation",
                              "encodedList": encoded}}, issuer))

    def cred(index: int, **extra) -> dict:
        return _sign({
            "@context": [VC1, SL2021, DI], "id": f"urn:uuid:{index:08d}-0000-4000-8000-000000000000",
            "type": ["VerifiableCredential"], "issuer": issuer.did, "issuanceDate": "2026-02-01T00:00:00",
            "credentialSubject": {"id": "did:example:earner"},
            "credentialStatus": {"id": f"{url}#{index}", "type": "StatusList2021Entry",
                                 "statusPurpose": "revocation", "statusListIndex": str(index),
                                 "statusListCredential": url}, **extra}, issuer)

    ctx = VerifyContext(clock=lambda: NOW, fetcher=issuer.fetcher)
    ok = verify(cred(8), ctx=ctx)
    assert ok.verdict == "valid", [(c.id, c.problems) for c in ok.checks if c.status != "success"]
    assert ok.check("structure.context").message.endswith("1.1 vocabulary.")
    assert verify(cred(9), ctx=ctx).check("status.revocation").status == "failure"
    expired = verify(cred(8, expirationDate="2026-03-01T00:00:00Z"), ctx=ctx)
    assert expired.check("time.expiry").message == "Expired on 1 March 2026."


def test_vc11_without_issuance_date_fails() -> None:
    issuer = Issuer()
    doc = _sign({"@context": [VC1, DI], "type": ["VerifiableCredential"], "issuer": issuer.did,
                 "credentialSubject": {"id": "did:example:x"}}, issuer)
    r = verify(doc, ctx=VerifyContext(clock=lambda: NOW))
    assert r.check("time.valid_from").status == "failure" and r.verdict == "invalid"


def test_1edtech_revocation_list_through_verify() -> None:
    issuer = Issuer()
    url = "https://mosaics.example/revocations"
    unsigned = issuer.unsigned(status=False)
    unsigned["@context"].append(OB3_EXT)
    unsigned["credentialStatus"] = {"id": url, "type": "1EdTechRevocationList"}
    signed = _sign(unsigned, issuer)
    issuer.fetcher.add(url, {"id": url, "issuer": issuer.did, "revokedCredentials": []})
    ctx = VerifyContext(clock=lambda: NOW, fetcher=issuer.fetcher)
    r = verify(signed, ctx=ctx)
    assert r.verdict == "valid", [(c.id, c.problems) for c in r.checks if c.status != "success"]
    issuer.fetcher.add(url, {"id": url, "issuer": issuer.did, "revokedCredentials": [
        {"id": signed["id"], "revocationReason": "Issued in error"}]})
    r = verify(signed, ctx=VerifyContext(clock=lambda: NOW, fetcher=issuer.fetcher))
    assert r.verdict == "invalid" and r.check("status.revocation").status == "failure"


@pytest.mark.parametrize("text,expected", [
    ("2026-06-30", datetime(2026, 6, 30, tzinfo=UTC)),
    ("2026-06-30T10:00:00", datetime(2026, 6, 30, 10, tzinfo=UTC)),
    ("2026-06-30T10:00:00.5Z", datetime(2026, 6, 30, 10, 0, 0, 500000, tzinfo=UTC)),
    ("2026-06-30T10:00:00-04:00", datetime(2026, 6, 30, 14, tzinfo=UTC)),
])
def test_dates_without_offset_are_utc(text: str, expected: datetime) -> None:
    assert parse_datetime(text) == expected


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01", "", 3.5j])
def test_bad_dates_raise(bad) -> None:
    with pytest.raises((ValueError, TypeError)):
        parse_datetime(bad)


def test_trust_registry_round_trip(tmp_path: Path) -> None:
    reg = TrustRegistry.from_json({"issuers": [{"id": "https://www.senecapolytechnic.ca/", "name": "Seneca"},
                                               {"id": "did:web:credly.com", "name": "Credly", "notes": "vendor"}]})
    assert reg.is_trusted("https://www.senecapolytechnic.ca") and reg.lookup("did:web:credly.com").notes == "vendor"
    assert not reg.is_trusted("did:web:CREDLY.com") and not reg.is_trusted(None)
    reg.dump(tmp_path / "t.json")
    again = TrustRegistry.load(tmp_path / "t.json")
    assert again.to_json() == reg.to_json() and len(again) == 2
    for bad in ({}, {"issuers": [{"name": "x"}]}, {"issuers": "x"}):
        with pytest.raises(ValueError):
            TrustRegistry.from_json(bad)


def test_identity_hash_and_exact_matching() -> None:
    assert identity_hash("a@b.c", "salt") == "sha256$" + __import__("hashlib").sha256(b"a@b.csalt").hexdigest()
    cred = {"credentialSubject": {"identifier": [{"type": "IdentityObject", "identityHash": identity_hash(
        "Amara@Example.com", "s"), "identityType": "emailAddress", "hashed": True, "salt": "s"}]}}
    assert recipient_matches(cred, "Amara@Example.com") is True
    assert recipient_matches(cred, "amara@example.com") is False  # no case folding
    assert recipient_matches(cred, " Amara@Example.com") is False
    assert recipient_matches({"credentialSubject": {"id": "did:example:1"}}, "x@y.z") is None
    plain = {"credentialSubject": {"identifier": {"identityHash": "x@y.z", "identityType": "emailAddress",
                                                  "hashed": False}}}
    assert recipient_matches(plain, "x@y.z") is True


def test_built_credential_is_lossless_and_complete() -> None:
    issuer = Issuer()
    cred = issuer.unsigned()
    assert undefined_terms(cred) == []
    assert cred["@context"] == ["https://www.w3.org/ns/credentials/v2", OB3]
    assert cred["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    ident = cred["credentialSubject"]["identifier"][0]
    assert ident == {"type": "IdentityObject", "identityHash": identity_hash(EMAIL, "pepper-1234"),
                     "identityType": "emailAddress", "hashed": True, "salt": "pepper-1234"}
    purposes = [s["statusPurpose"] for s in cred["credentialStatus"]]
    assert purposes == ["revocation", "suspension"]
    ach = cred["credentialSubject"]["achievement"]
    assert ach["alignment"][0]["targetFramework"] == "ESCO"
    assert {"hours:40", "level:Intermediate", "partner:Lakeshore Analytics"} <= set(ach["tag"])


@pytest.mark.parametrize("change", [
    {"credential_id": "not a uri"}, {"salt": "short"}, {"recipient_email": "nobody"},
    {"achievement": achievement(alignments=[{"targetName": "x", "targetUrl": "https://x", "bogus": 1}])},
    {"achievement": achievement(criteria="")},
])
def test_builder_rejects_bad_input(change: dict) -> None:
    args = dict(credential_id="urn:uuid:1", issuer={"id": "did:example:1", "name": "X"}, achievement=achievement(),
                recipient_email=EMAIL, salt="longenough", earner_name=None, valid_from=NOW)
    args.update(change)
    with pytest.raises(ValueError):
        build_credential(**args)


def test_verify_many_with_two_workers_matches_serial() -> None:
    issuer = Issuer()
    issuer.publish_lists()
    creds = [issuer.issue("jwt", index=i) for i in range(1, 41)]
    issuer.bits["revocation"].set(7)
    issuer.publish_lists()
    serial = [r.verdict for r in verify_many(creds, issuer.ctx())]
    parallel = [r.verdict for r in verify_many(creds, issuer.ctx(), workers=2, chunksize=8)]
    assert serial == parallel and serial.count("invalid") == 1


@pytest.mark.parametrize("did,url", [
    ("did:web:example.com", "https://example.com/.well-known/did.json"),
    ("did:web:example.com:user:alice", "https://example.com/user/alice/did.json"),
    ("did:web:localhost%3A8443", "https://localhost:8443/.well-known/did.json"),
])
def test_did_web_urls(did: str, url: str) -> None:
    from mosaics_match.credentials.verifier import KeyResolver

    assert KeyResolver.did_web_url(did) == url


@pytest.mark.parametrize("did", ["did:web:", "did:web:evil.example%2Fpath", "did:web:user%40evil.example"])
def test_did_web_malformed(did: str) -> None:
    from mosaics_match.credentials.fetcher import FetchError
    from mosaics_match.credentials.verifier import KeyResolver

    with pytest.raises(FetchError):
        KeyResolver.did_web_url(did)
