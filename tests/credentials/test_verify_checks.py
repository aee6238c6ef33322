"""End-to-end behaviour of verify() on credentials we issue: each check's success and failure paths."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest

from mosaics_match.credentials import keys
from mosaics_match.credentials.fetcher import DictFetcher
from mosaics_match.credentials.proofs import sign_data_integrity
from mosaics_match.credentials.verifier import ADVISORY_CHECKS, CHECKS, VerifyContext, verify, verify_many
from tests.credentials.test_verify_support import EMAIL, NOW, Issuer, statuses


@pytest.fixture()
def issuer() -> Issuer:
    i = Issuer()
    i.publish_lists()
    return i


@pytest.mark.parametrize("fmt", ["eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020"])
def test_fresh_credential_is_valid_with_every_check_reported(issuer: Issuer, fmt: str) -> None:
    cred = issuer.issue(fmt)
    r = verify(json.dumps(cred), ctx=issuer.ctx(email=EMAIL))
    assert r.verdict == "valid", r.to_dict()["checks"]
    assert [c.id for c in r.checks] == list(CHECKS)
    s = statuses(r)
    assert s["status.revocation"] == "success" and s["status.suspension"] == "success"
    assert r.issuer_trusted is True and r.recipient_match is True
    assert r.check("proof.signature").message == "Signed by Seneca Polytechnic."
    assert r.check("status.revocation").message == "Has not been revoked."
    assert all(c.message for c in r.checks)


def test_summary_has_display_fields(issuer: Issuer) -> None:
    r = verify(issuer.issue(), ctx=issuer.ctx())
    s = r.summary
    assert s["achievement"]["name"] == "Data Visualisation Fundamentals"
    assert s["achievement"]["criteria"].startswith("Completed 4 graded")
    assert s["achievement"]["hours"] == "40" and s["achievement"]["partner"] == "Lakeshore Analytics"
    assert s["alignments"][0]["targetFramework"] == "ESCO"
    assert s["issuer"] == {"id": issuer.did, "name": "Seneca Polytechnic", "url": "https://www.senecapolytechnic.ca",
                           "image": None}
    assert s["earner_name"] == "Amara Singh"
    assert s["valid_from"].startswith("2026-05-22")
    json.dumps(r.to_dict())


def test_revoked_credential_is_invalid(issuer: Issuer) -> None:
    cred = issuer.issue(index=77)
    issuer.bits["revocation"].set(77)
    issuer.publish_lists()
    r = verify(cred, ctx=issuer.ctx())
    assert r.verdict == "invalid"
    assert r.check("status.revocation").status == "failure"
    assert r.check("status.revocation").message == "Has been revoked by the issuer."
    assert r.check("status.suspension").status == "success"


def test_suspended_credential_is_invalid(issuer: Issuer) -> None:
    cred = issuer.issue(index=78)
    issuer.bits["suspension"].set(78)
    issuer.publish_lists()
    r = verify(cred, ctx=issuer.ctx())
    assert r.verdict == "invalid" and r.check("status.suspension").status == "failure"
    assert r.check("status.revocation").status == "success"


def test_neighbouring_bit_does_not_revoke(issuer: Issuer) -> None:
    cred = issuer.issue(index=80)
    issuer.bits["revocation"].set(79)
    issuer.bits["revocation"].set(81)
    issuer.publish_lists()
    assert verify(cred, ctx=issuer.ctx()).verdict == "valid"


def test_unreachable_status_list_is_indeterminate_never_not_revoked(issuer: Issuer) -> None:
    cred = issuer.issue()
    ctx = issuer.ctx()
    ctx.fetcher = DictFetcher()
    r = verify(cred, ctx=ctx)
    assert r.verdict == "indeterminate"
    assert r.check("status.revocation").status == "indeterminate"
    assert "could not be retrieved" in r.check("status.revocation").problems[0]["detail"]


def test_status_list_signed_by_another_key_is_indeterminate(issuer: Issuer) -> None:
    cred = issuer.issue()
    issuer.publish_lists(signer=keys.generate_ed25519())
    r = verify(cred, ctx=issuer.ctx())
    assert r.verdict == "indeterminate"
    assert r.check("status.revocation").status == "indeterminate"


def test_status_list_from_another_issuer_is_indeterminate(issuer: Issuer) -> None:
    cred = issuer.issue()
    other = keys.generate_ed25519()
    issuer.publish_lists(signer=other, issuer_id=keys.did_key_for(keys.public_key_of(other)))
    r = verify(cred, ctx=issuer.ctx())
    assert r.verdict == "indeterminate"
    assert "list-issuer-mismatch" in r.check("status.revocation").problems[0]["type"]


def test_short_status_list_is_an_error() -> None:
    issuer = Issuer()
    issuer.publish_lists(length=1024)
    r = verify(issuer.issue(), ctx=issuer.ctx())
    assert r.verdict == "indeterminate"
    assert "list-too-short" in r.check("status.revocation").problems[0]["type"]


def test_expired_status_list_is_indeterminate() -> None:
    issuer = Issuer()
    issuer.publish_lists(valid_until=NOW - timedelta(days=1))
    r = verify(issuer.issue(), ctx=issuer.ctx())
    assert r.verdict == "indeterminate"
    assert "list-expired" in r.check("status.revocation").problems[0]["type"]


def test_credential_without_status_skips_status_checks(issuer: Issuer) -> None:
    r = verify(issuer.issue(status=False), ctx=issuer.ctx())
    assert r.verdict == "valid"
    assert r.check("status.revocation").status == "skipped"


def test_expired_credential(issuer: Issuer) -> None:
    cred = issuer.issue(valid_from=NOW - timedelta(days=400), valid_until=NOW - timedelta(days=5))
    r = verify(cred, ctx=issuer.ctx())
    assert r.verdict == "invalid"
    assert r.check("time.expiry").message == f"Expired on {(NOW - timedelta(days=5)).day} May 2026."


def test_not_yet_valid_credential(issuer: Issuer) -> None:
    r = verify(issuer.issue(valid_from=NOW + timedelta(days=3)), ctx=issuer.ctx())
    assert r.verdict == "invalid" and r.check("time.valid_from").status == "failure"
    assert r.check("time.valid_from").message == "Not valid until 4 June 2026."


def test_untrusted_issuer_is_reported_but_still_valid(issuer: Issuer) -> None:
    r = verify(issuer.issue(), ctx=issuer.ctx(trusted=False))
    assert r.verdict == "valid" and r.issuer_trusted is False
    assert r.check("issuer.trusted").message == "Issuer is not on your trusted list."
    assert r.check("proof.signature").message.startswith("Signed by Seneca Polytechnic (did:key:")


def test_recipient_mismatch_and_case_sensitivity(issuer: Issuer) -> None:
    cred = issuer.issue()
    r = verify(cred, ctx=issuer.ctx(email=EMAIL.upper()))
    assert r.recipient_match is False and r.verdict == "valid"
    assert r.check("recipient.identity").status == "failure"
    r = verify(cred, ctx=issuer.ctx())
    assert r.recipient_match is None and r.check("recipient.identity").status == "skipped"


def test_forged_issuer_claim_is_not_trusted(issuer: Issuer) -> None:
    """A credential signed by an attacker's key that names the trusted issuer must fail key binding."""
    attacker = Issuer(name="Seneca Polytechnic")
    attacker.publish_lists()
    unsigned = attacker.unsigned()
    unsigned["issuer"]["id"] = issuer.did
    forged = sign_data_integrity(unsigned, attacker.private_key, verification_method=attacker.vm,
                                 cryptosuite="eddsa-rdfc-2022", created=NOW)
    r = verify(forged, ctx=issuer.ctx())
    assert r.verdict == "invalid" and r.issuer_trusted is False
    assert r.check("proof.key_binding").status == "failure"
    assert r.check("issuer.trusted").status == "indeterminate"


def test_wrong_proof_purpose_fails(issuer: Issuer) -> None:
    unsigned = issuer.unsigned(status=False)
    signed = sign_data_integrity(unsigned, issuer.private_key, verification_method=issuer.vm,
                                 cryptosuite="eddsa-rdfc-2022", created=NOW, proof_purpose="authentication")
    r = verify(signed, ctx=issuer.ctx())
    assert r.verdict == "invalid" and r.check("proof.purpose").status == "failure"


def test_unsigned_credential_fails_proof_present(issuer: Issuer) -> None:
    r = verify(issuer.unsigned(), ctx=issuer.ctx())
    assert r.verdict == "invalid" and r.check("proof.present").status == "failure"
    assert r.check("proof.signature").status == "skipped"
    # a fatal failure stops only its own suite
    assert r.check("time.expiry").status == "success"


def test_undefined_term_is_rejected(issuer: Issuer) -> None:
    unsigned = issuer.unsigned(status=False)
    unsigned["credentialSubject"]["favouriteColour"] = "blue"
    signed = sign_data_integrity(unsigned, issuer.private_key, verification_method=issuer.vm,
                                 cryptosuite="eddsa-jcs-2022", created=NOW)
    r = verify(signed, ctx=issuer.ctx())
    assert r.verdict == "invalid"
    lossless = r.check("jsonld.lossless")
    assert lossless.status == "failure"
    assert lossless.problems[0]["pointer"] == "/credentialSubject/favouriteColour"


def test_unknown_context_is_indeterminate(issuer: Issuer) -> None:
    cred = copy.deepcopy(issuer.issue())
    cred["@context"].append("https://example.org/unknown-context/v1")
    r = verify(cred, ctx=issuer.ctx())
    # without the vocabulary nothing can be decided: "cannot be confirmed", naming the context, never "altered"
    assert r.verdict == "indeterminate"
    assert r.check("structure.context").status == "indeterminate"
    assert "https://example.org/unknown-context/v1" in r.reason
    assert r.check("proof.signature").status == "skipped"
    assert not any(c.status == "failure" for c in r.checks)


def test_a_genuine_w3c_vector_with_an_unpinned_context_cannot_be_confirmed_and_is_not_called_altered() -> None:
    from tests.conftest import shared_dir

    doc = json.loads((shared_dir("vectors", "w3c-vc-di-eddsa") / "TestVectors" / "eddsa-rdfc-2022" / "employ"
                      / "signedDataInt.json").read_text())
    r = verify(doc, ctx=VerifyContext(clock=lambda: NOW))
    assert r.verdict == "indeterminate"
    assert "https://w3id.org/citizenship/v4rc1" in r.reason
    assert "changed" not in r.reason and "altered" not in r.reason


def test_did_web_issuer_is_resolved_through_the_fetcher() -> None:
    priv = keys.generate_ed25519()
    pub = keys.public_key_of(priv)
    did = "did:web:badges.example.org:issuers:seneca"
    vm = did + "#key-1"
    issuer = Issuer(private_key=priv)
    doc = {"@context": ["https://www.w3.org/ns/did/v1"], "id": did,
           "verificationMethod": [{"id": vm, "type": "Multikey", "controller": did,
                                   "publicKeyMultibase": pub.multikey()}],
           "assertionMethod": [vm]}
    issuer.fetcher.add("https://badges.example.org/issuers/seneca/did.json", doc)
    unsigned = issuer.unsigned(status=False)
    unsigned["issuer"]["id"] = did
    signed = sign_data_integrity(unsigned, priv, verification_method=vm, cryptosuite="eddsa-rdfc-2022",
                                 created=NOW)
    ctx = VerifyContext(clock=lambda: NOW, fetcher=issuer.fetcher)
    r = verify(signed, ctx=ctx)
    assert r.verdict == "valid", r.to_dict()["checks"]
    # a key listed only for authentication is not allowed to issue
    doc["assertionMethod"] = []
    doc["authentication"] = [vm]
    r = verify(signed, ctx=VerifyContext(clock=lambda: NOW, fetcher=issuer.fetcher))
    assert r.verdict == "invalid" and r.check("proof.purpose").status == "failure"


def test_batch_shares_status_lists(issuer: Issuer) -> None:
    creds = [issuer.issue() for _ in range(5)]
    ctx = issuer.ctx()
    results = verify_many(creds, ctx)
    assert [r.verdict for r in results] == ["valid"] * 5
    assert ctx.cache.stats["status_lists_built"] == 2
    assert issuer.fetcher.calls.count(issuer.list_url("revocation")) == 1


def test_every_check_id_has_a_meaning() -> None:
    assert all(isinstance(v, str) and len(v) > 20 for v in CHECKS.values())
    assert ADVISORY_CHECKS <= set(CHECKS)


def test_lossless_cache_cannot_be_primed_through_inline_aliases(issuer: Issuer) -> None:
    """A credential with an inline @type alias must be checked on its own, not via a cached template result."""
    unsigned = issuer.unsigned(status=False)
    unsigned["@context"] = unsigned["@context"] + [{"kind": "@type"}]
    unsigned["credentialSubject"]["kind"] = "AchievementSubject"
    signed = sign_data_integrity(unsigned, issuer.private_key, verification_method=issuer.vm,
                                 cryptosuite="eddsa-jcs-2022", created=NOW)
    ctx = issuer.ctx()
    assert verify(signed, ctx=ctx).verdict == "valid"
    primed = copy.deepcopy(unsigned)
    primed["credentialSubject"]["kind"] = "undefinedThing"
    resigned = sign_data_integrity(primed, issuer.private_key, verification_method=issuer.vm,
                                   cryptosuite="eddsa-jcs-2022", created=NOW)
    r = verify(resigned, ctx=ctx)
    assert r.check("jsonld.lossless").status == "failure" and r.verdict == "invalid"


def test_a_verification_past_its_cpu_budget_stops_and_is_never_valid(issuer: Issuer) -> None:
    cred = issuer.issue("eddsa-rdfc-2022")
    ctx = issuer.ctx(email=EMAIL)
    assert verify(cred, ctx=ctx).verdict == "valid"
    ctx.cpu_budget = 0.0  # every suite after the structure checks starts over budget
    r = verify(cred, ctx=ctx)
    assert r.verdict == "indeterminate"
    assert r.check("proof.signature").status == "indeterminate"
    assert "processing time" in r.reason
    assert r.check("proof.signature").problems[0]["type"].endswith("cpu-budget")


def test_a_proof_set_with_a_second_party_is_valid_and_names_the_cosigner(issuer: Issuer) -> None:
    cred = issuer.issue("eddsa-rdfc-2022")
    witness = keys.generate_ed25519()
    witness_did = keys.did_key_for(keys.public_key_of(witness))
    both = sign_data_integrity(cred, witness, verification_method=witness_did + "#" + witness_did.split(":")[-1],
                               cryptosuite="eddsa-rdfc-2022", created=NOW)
    assert isinstance(both["proof"], list) and len(both["proof"]) == 2
    r = verify(both, ctx=issuer.ctx())
    assert r.verdict == "valid", r.to_dict()["checks"]
    assert r.summary["cosigners"] == [witness_did]
    assert witness_did in r.check("proof.key_binding").message
    # the second party alone, without the issuer's proof, is not the issuer
    alone = dict(both, proof=both["proof"][1])
    r = verify(alone, ctx=issuer.ctx())
    assert r.verdict == "invalid" and r.check("proof.key_binding").status == "failure"
    # a broken co-signature breaks the whole credential: every proof in a set must verify
    broken = json.loads(json.dumps(both))
    broken["proof"][1]["proofValue"] = broken["proof"][0]["proofValue"]
    assert verify(broken, ctx=issuer.ctx()).verdict == "invalid"
