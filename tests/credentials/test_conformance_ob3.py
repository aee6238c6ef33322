"""Conformance with the 1EdTech Open Badges 3.0 signed-credential test vector (eddsa-rdfc-2022)."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mosaics_match.credentials import jsonld, keys, proofs
from mosaics_match.credentials.errors import ProofError
from tests.conftest import shared_dir


def obv3(name: str):
    return shared_dir("vectors", "1edtech-openbadges-specification", "ob_v3p0", "impl", "test-vectors", "obv3p0") / name


@pytest.fixture()
def signed() -> dict:
    return json.loads(obv3("signed-credential.json").read_text("utf-8"))


@pytest.fixture()
def keypair() -> dict:
    return json.loads(obv3("keypair-and-intermediates.json").read_text("utf-8"))


def test_document_canonical_form_equals_vector(signed) -> None:
    doc = proofs.unsecured_document(signed)
    canon = jsonld.canonicalize(doc, strict=True)
    assert canon == obv3("document-canon.txt").read_text("utf-8")
    assert canon == jsonld.canonicalize_pyld(doc)


def test_proof_canonical_form_and_hashes(signed, keypair) -> None:
    doc = proofs.unsecured_document(signed)
    pcanon = jsonld.canonicalize(proofs.proof_configuration(doc, signed["proof"]))
    assert pcanon == obv3("proof-canon.txt").read_text("utf-8")
    assert hashlib.sha256(pcanon.encode()).hexdigest() == keypair["section:ob-proof-hash"]
    assert proofs.signing_input(doc, signed["proof"]).hex() == keypair["section:ob-data"]


def test_proof_verifies_with_the_published_key(signed, keypair) -> None:
    key = keys.public_key_from_multikey(keypair["publicKeyMultibase"])
    assert key.raw().hex() == keypair["publicKeyHex"]
    assert signed["proof"]["verificationMethod"] == keypair["verificationMethod"]
    proofs.verify_proof(proofs.unsecured_document(signed), signed["proof"], key)


def test_signing_reproduces_the_published_proof(signed, keypair) -> None:
    sk = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(keypair["privateKeyHex"])[:32])
    created = datetime.fromisoformat(signed["proof"]["created"].replace("Z", "+00:00"))
    ours = proofs.sign_data_integrity(proofs.unsecured_document(signed), sk,
                                      verification_method=keypair["verificationMethod"],
                                      cryptosuite="eddsa-rdfc-2022", created=created)
    assert ours["proof"]["proofValue"] == keypair["section:ob-proof-value"]


def test_tampered_achievement_fails(signed, keypair) -> None:
    key = keys.public_key_from_multikey(keypair["publicKeyMultibase"])
    bad = copy.deepcopy(signed)
    bad["credentialSubject"]["achievement"]["name"] += "!"
    with pytest.raises(ProofError) as info:
        proofs.verify_proof(proofs.unsecured_document(bad), bad["proof"], key)
    assert info.value.code == "proof.signature"


def test_added_undefined_term_fails_instead_of_being_dropped(signed, keypair) -> None:
    key = keys.public_key_from_multikey(keypair["publicKeyMultibase"])
    bad = copy.deepcopy(signed)
    bad["credentialSubject"]["honours"] = "summa cum laude"  # not in any context: RDFC would drop it
    doc = proofs.unsecured_document(bad)
    assert jsonld.undefined_terms(doc) == ["/credentialSubject/honours"]
    with pytest.raises(ProofError) as info:
        proofs.verify_proof(doc, bad["proof"], key)
    assert info.value.code == "jsonld.undefined_term"
    assert info.value.pointer == "/credentialSubject/honours"
    # Without the strict check the signature would still verify: the term is simply not signed.
    proofs.verify_proof(doc, bad["proof"], key, strict=False)
