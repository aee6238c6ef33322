"""Conformance with the W3C vc-di-eddsa test vectors (../shared/vectors/w3c-vc-di-eddsa) and sign/verify round trips."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from mosaics_match.credentials import jsonld, keys, proofs
from mosaics_match.credentials.errors import ProofError
from mosaics_match.credentials.multibase import multibase_decode
from tests.conftest import shared_dir

EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
# The examples context is a single @vocab; defined here for tests only (never a product context).
TEST_DOCS = {EXAMPLES_V2: {"@context": {"@vocab": "https://www.w3.org/ns/credentials/examples#"}}}


@pytest.fixture(autouse=True)
def _examples_context():
    with jsonld.extra_contexts({**TEST_DOCS, **jsonld.conformance_documents()}):
        yield


def tv(*parts: str) -> Path:
    return shared_dir("vectors", "w3c-vc-di-eddsa", "TestVectors", *parts)


def load(*parts: str):
    return json.loads(tv(*parts).read_text("utf-8"))


def text(*parts: str) -> str:
    return tv(*parts).read_text("utf-8")


def private_key_from_multibase(value: str) -> Ed25519PrivateKey:
    raw = multibase_decode(value)
    assert raw[:2] == b"\x80\x26"  # multicodec ed25519-priv
    return Ed25519PrivateKey.from_private_bytes(raw[2:])


RDFC_CASES = [
    ("eddsa-rdfc-2022", "signedDataInt.json", "canonDocDataInt.txt", "proofCanonDataInt.txt",
     "docHashDataInt.txt", "proofHashDataInt.txt", "sigBTC58DataInt.txt"),
    ("eddsa-rdfc-2022/employ", "signedDataInt.json", "canonDocDataInt.txt", "proofCanonDataInt.txt",
     "docHashDataInt.txt", "proofHashDataInt.txt", "sigBTC58DataInt.txt"),
    ("Ed25519Signature2020", "signedEdSig.json", "canonDocEdSig.txt", "proofCanonEdSig.txt",
     "docHashEdSig.txt", "proofHashEdSig.txt", "sigBTC58EdSig.txt"),
]


@pytest.mark.parametrize("case", RDFC_CASES, ids=[c[0] for c in RDFC_CASES])
def test_rdf_vector_intermediates_and_signature(case) -> None:
    folder, signed_f, canon_f, pcanon_f, dhash_f, phash_f, sig_f = case
    signed = load(folder, signed_f)
    doc = proofs.unsecured_document(signed)
    proof = signed["proof"]
    canon = jsonld.canonicalize(doc)
    assert canon == text(folder, canon_f)
    assert canon == jsonld.canonicalize_pyld(doc)
    pcanon = jsonld.canonicalize(proofs.proof_configuration(doc, proof))
    assert pcanon == text(folder, pcanon_f)
    assert hashlib.sha256(canon.encode()).hexdigest() == text(folder, dhash_f).strip()
    assert hashlib.sha256(pcanon.encode()).hexdigest() == text(folder, phash_f).strip()
    assert proof["proofValue"] == text(folder, sig_f).strip()
    _, _, key = keys.resolve_did_key(proof["verificationMethod"])
    proofs.verify_proof(doc, proof, key)


@pytest.mark.parametrize("case", RDFC_CASES, ids=[c[0] for c in RDFC_CASES])
def test_signing_reproduces_the_vector_proof(case) -> None:
    folder, signed_f = case[0], case[1]
    signed = load(folder, signed_f)
    proof = signed["proof"]
    sk = private_key_from_multibase(load("keyPair.json")["privateKeyMultibase"])
    suite = proof.get("cryptosuite", proof["type"])
    created = datetime.fromisoformat(proof["created"].replace("Z", "+00:00"))
    ours = proofs.sign_data_integrity(proofs.unsecured_document(signed), sk,
                                      verification_method=proof["verificationMethod"], cryptosuite=suite,
                                      created=created)
    assert ours["proof"]["proofValue"] == proof["proofValue"]  # Ed25519 is deterministic


def test_jcs_vector() -> None:
    signed = load("eddsa-jcs-2022", "signedJCS.json")
    doc = proofs.unsecured_document(signed)
    proof = signed["proof"]
    assert rfc8785.dumps(doc).decode() == text("eddsa-jcs-2022", "canonDocJCS.txt").strip()
    config = proofs.proof_configuration(doc, proof)
    assert rfc8785.dumps(config).decode() == text("eddsa-jcs-2022", "proofCanonJCS.txt").strip()
    data = proofs.signing_input(doc, proof)
    assert data.hex() == text("eddsa-jcs-2022", "combinedHashJCS.txt").strip()
    _, _, key = keys.resolve_did_key(proof["verificationMethod"])
    proofs.verify_proof(doc, proof, key)
    sk = private_key_from_multibase(load("keyPair.json")["privateKeyMultibase"])
    ours = proofs.sign_data_integrity(doc, sk, verification_method=proof["verificationMethod"],
                                      cryptosuite="eddsa-jcs-2022", created=datetime(2023, 2, 24, 23, 36, 38,
                                                                                    tzinfo=UTC))
    assert ours["proof"]["proofValue"] == proof["proofValue"]


@pytest.mark.parametrize("name", ["signedProofSet1.json", "signedProofSet2.json", "signedProofChain1.json",
                                  "signedProofChain2.json"])
def test_proof_sets_and_chains_verify(name: str) -> None:
    signed = load("proof-set-chain", name)
    plist = proofs.proof_list(signed)
    assert len(plist) >= 1
    for p in plist:
        _, _, key = keys.resolve_did_key(p["verificationMethod"])
        proofs.verify_proof(proofs.document_for_proof(signed, p), p, key)


def test_proof_chain_fails_when_a_previous_proof_is_altered() -> None:
    signed = load("proof-set-chain", "signedProofChain2.json")
    chained = [p for p in signed["proof"] if "previousProof" in p]
    assert chained
    target = chained[0]
    prev_id = target["previousProof"][0] if isinstance(target["previousProof"], list) else target["previousProof"]
    for p in signed["proof"]:
        if p.get("id") == prev_id:
            p["created"] = "2030-01-01T00:00:00Z"
    _, _, key = keys.resolve_did_key(target["verificationMethod"])
    with pytest.raises(ProofError) as info:
        proofs.verify_proof(proofs.document_for_proof(signed, target), target, key)
    assert info.value.code == "proof.signature"


@pytest.mark.parametrize("suite", proofs.SUITES)
def test_round_trip_and_tamper(suite: str) -> None:
    unsigned = load("unsigned.json")
    if suite == "Ed25519Signature2020":
        unsigned["@context"] = unsigned["@context"] + [proofs.ED25519_2020_CONTEXT]
    sk = keys.generate_ed25519()
    pub = keys.public_key_of(sk)
    did = keys.did_key_for(pub)
    vm = keys.did_key_verification_method(did)
    signed = proofs.sign_data_integrity(unsigned, sk, verification_method=vm, cryptosuite=suite,
                                        created=datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC))
    assert "proof" not in unsigned
    assert signed["proof"]["created"] == "2024-05-06T07:08:09Z"
    proofs.verify_proof(proofs.unsecured_document(signed), signed["proof"], pub)

    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["alumniOf"] = "The School of Forgeries"
    with pytest.raises(ProofError) as info:
        proofs.verify_proof(proofs.unsecured_document(tampered), tampered["proof"], pub)
    assert info.value.code == "proof.signature"

    for field, value in (("created", "2024-05-06T07:08:10Z"), ("proofPurpose", "authentication")):
        bad = copy.deepcopy(signed["proof"])
        bad[field] = value
        with pytest.raises(ProofError):
            proofs.verify_proof(proofs.unsecured_document(signed), bad, pub)

    other = keys.public_key_of(keys.generate_ed25519())
    with pytest.raises(ProofError) as info:
        proofs.verify_proof(proofs.unsecured_document(signed), signed["proof"], other)
    assert info.value.code == "proof.signature"


def test_unicode_is_signed_as_written_not_normalised() -> None:
    unsigned = load("unsigned.json")
    unsigned["credentialSubject"]["alumniOf"] = "Caf\u00e9"  # NFC
    sk = keys.generate_ed25519()
    pub = keys.public_key_of(sk)
    for suite in ("eddsa-rdfc-2022", "eddsa-jcs-2022"):
        signed = proofs.sign_data_integrity(unsigned, sk, verification_method="did:example:1#k", cryptosuite=suite,
                                            created=datetime(2024, 1, 1, tzinfo=UTC))
        nfd = copy.deepcopy(signed)
        nfd["credentialSubject"]["alumniOf"] = "Cafe\u0301"  # NFD: same text to a human, different bytes
        with pytest.raises(ProofError):
            proofs.verify_proof(proofs.unsecured_document(nfd), nfd["proof"], pub)


def test_proof_set_signing_appends() -> None:
    unsigned = load("unsigned.json")
    a, b = keys.generate_ed25519(), keys.generate_ed25519()
    t = datetime(2024, 1, 1, tzinfo=UTC)
    one = proofs.sign_data_integrity(unsigned, a, verification_method="did:example:a#1",
                                     cryptosuite="eddsa-rdfc-2022", created=t)
    two = proofs.sign_data_integrity(one, b, verification_method="did:example:b#1",
                                     cryptosuite="eddsa-jcs-2022", created=t)
    plist = proofs.proof_list(two)
    assert len(plist) == 2
    for p, sk in zip(plist, (a, b)):
        proofs.verify_proof(proofs.document_for_proof(two, p), p, keys.public_key_of(sk))


def _dcc_did_key_proofs() -> list[tuple[str, int]]:
    root = shared_dir("vectors", "dcc-vc-test-fixtures", "verifiableCredentials")
    cases = []
    for path in sorted(root.rglob("*.json")):
        doc = json.loads(path.read_text("utf-8"))
        for i, p in enumerate(proofs.proof_list(doc)):
            if str(p.get("verificationMethod", "")).startswith("did:key:"):
                cases.append((str(path.relative_to(root)), i))
    return cases


def test_dcc_fixtures_verify_except_the_tampered_one() -> None:
    root = shared_dir("vectors", "dcc-vc-test-fixtures", "verifiableCredentials")
    cases = _dcc_did_key_proofs()
    assert len(cases) >= 70
    outcomes = {}
    for rel, i in cases:
        doc = json.loads((root / rel).read_text("utf-8"))
        p = proofs.proof_list(doc)[i]
        _, _, key = keys.resolve_did_key(p["verificationMethod"])
        try:
            proofs.verify_proof(proofs.document_for_proof(doc, p), p, key)
            outcomes[(rel, i)] = "ok"
        except ProofError as exc:
            outcomes[(rel, i)] = exc.code
    expected_bad = {k for k in outcomes if k[0].endswith("-tampered.json")}
    assert expected_bad, "the fixture set should contain a tampered credential"
    assert {k for k, v in outcomes.items() if v != "ok"} == expected_bad
    assert all(outcomes[k] == "proof.signature" for k in expected_bad)


# --- the fast JCS path must equal the rfc8785 reference -------------------------------------------------------


_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**60), 2**60),
              st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8)),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=6), children,
                                                                               max_size=4)),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(value=_json)
def test_fast_jcs_equals_rfc8785(value) -> None:
    try:
        expected = rfc8785.dumps(value)
    except Exception:
        with pytest.raises(ProofError):
            proofs.jcs(value)
        return
    assert proofs.jcs(value) == expected
