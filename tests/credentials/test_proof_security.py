"""Attacks on proofs and keys: algorithm confusion, weak Ed25519 keys, oversized/deep JWS, undefined terms."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from mosaics_match.credentials import jwt, keys, proofs
from mosaics_match.credentials.errors import KeyFormatError, ProofError
from mosaics_match.credentials.keys import _P, _ed_add  # curve arithmetic reused to build torsion points
from mosaics_match.credentials.multibase import multibase_encode

CRED = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "id": "urn:uuid:8e3f1e0a-9b7e-4a43-a2f5-0f1d4f3f9c11",
    "type": ["VerifiableCredential"],
    "issuer": "did:example:issuer",
    "validFrom": "2024-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:subject", "name": "Ada"},
}
WHEN = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def b64u(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def forge(header: dict, payload: dict, sig: bytes = b"") -> str:
    return f"{b64u(json.dumps(header).encode())}.{b64u(json.dumps(payload).encode())}.{b64u(sig)}"


# --- algorithm confusion ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ed():
    sk = keys.generate_ed25519()
    return sk, keys.public_key_of(sk)


def test_alg_none_is_rejected(ed) -> None:
    _, pub = ed
    for alg in ("none", "None", "NONE"):
        with pytest.raises(ProofError) as info:
            jwt.verify_jws(forge({"alg": alg}, CRED), pub)
        assert info.value.code == "jws.alg"


def test_hs256_with_the_public_key_as_secret_is_rejected(ed) -> None:
    _, pub = ed
    for secret in (pub.raw(), pub.multikey().encode(), json.dumps(pub.jwk()).encode()):
        h = b64u(json.dumps({"alg": "HS256"}).encode())
        p = b64u(json.dumps(CRED).encode())
        sig = hmac.new(secret, f"{h}.{p}".encode(), hashlib.sha256).digest()
        with pytest.raises(ProofError) as info:
            jwt.verify_jws(f"{h}.{p}.{b64u(sig)}", pub)
        assert info.value.code == "jws.alg"


def test_es256_token_is_rejected_for_an_ed25519_key(ed) -> None:
    _, pub = ed
    p256 = ec.generate_private_key(ec.SECP256R1())
    token = jwt.sign_vc_jwt(CRED, p256, kid="did:example:issuer#p256")
    assert jwt.parse_jws(token)[0]["alg"] == "ES256"
    with pytest.raises(ProofError) as info:
        jwt.verify_jws(token, pub)
    assert info.value.code == "jws.alg"


def test_header_cannot_choose_the_algorithm(ed) -> None:
    sk, pub = ed
    token = jwt.sign_vc_jwt(CRED, sk, kid="k")
    h, p, s = token.split(".")
    for alg in ("ES256", "RS256", "EdDSA2", "Ed25519"):
        hdr = json.loads(base64.urlsafe_b64decode(h + "=="))
        hdr["alg"] = alg
        with pytest.raises(ProofError) as info:
            jwt.verify_jws(f"{b64u(json.dumps(hdr).encode())}.{p}.{s}", pub)
        assert info.value.code in ("jws.alg", "proof.signature")
    # the P-256 key must not accept an EdDSA token either
    p256 = keys.public_key_of(ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(ProofError) as info:
        jwt.verify_jws(token, p256)
    assert info.value.code == "jws.alg"


def test_each_key_type_round_trips_and_detects_tampering() -> None:
    for sk in (keys.generate_ed25519(), ec.generate_private_key(ec.SECP256R1()),
               rsa.generate_private_key(public_exponent=65537, key_size=2048)):
        pub = keys.public_key_of(sk)
        for version in (1, 2):
            token = jwt.sign_vc_jwt(CRED, sk, kid="did:example:issuer#k", vc_version=version)
            payload = jwt.verify_jws(token, pub)
            assert jwt.credential_from_payload(payload) == CRED
            h, p, s = token.split(".")
            evil = dict(payload, iss="did:example:mallory")
            with pytest.raises(ProofError) as info:
                jwt.verify_jws(f"{h}.{b64u(json.dumps(evil).encode())}.{s}", pub)
            assert info.value.code == "proof.signature"



def test_verify_jws_parts_applies_the_same_rules_as_verify_jws(ed) -> None:
    sk, pub = ed
    token = jwt.sign_vc_jwt(CRED, sk, kid="did:example:issuer#k")
    header, _payload, signing_input, signature = jwt.parse_jws(token)
    jwt.verify_jws_parts(header, signing_input, signature, pub)  # accepted
    cases = [
        (dict(header, alg="none"), signing_input, signature, pub, "jws.alg"),
        (dict(header, alg="ES256"), signing_input, signature, pub, "jws.alg"),
        ({k: v for k, v in header.items() if k != "alg"}, signing_input, signature, pub, "jws.alg"),
        (header, signing_input + b"x", signature, pub, "proof.signature"),
        (header, signing_input, signature[:63], pub, "proof.signature"),
        (header, signing_input, signature, keys.public_key_of(ec.generate_private_key(ec.SECP256R1())), "jws.alg"),
        (header, signing_input, signature, "not a key", "jws.key"),
    ]
    for h, si, sig, key, code in cases:
        with pytest.raises(ProofError) as info:
            jwt.verify_jws_parts(h, si, sig, key)
        assert info.value.code == code, (h, code)

def test_short_rsa_keys_are_refused() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(KeyFormatError):
        keys.public_key_of(weak)
    nums = weak.public_key().public_numbers()
    jwk = {"kty": "RSA", "n": b64u(nums.n.to_bytes(128, "big")), "e": b64u(nums.e.to_bytes(3, "big"))}
    with pytest.raises(KeyFormatError):
        keys.public_key_from_jwk(jwk)


def test_private_jwk_members_are_ignored(ed) -> None:
    _, pub = ed
    jwk = dict(pub.jwk(), d=b64u(b"\x01" * 32))
    assert keys.public_key_from_jwk(jwk) == pub
    assert "d" not in keys.public_key_from_jwk(jwk).jwk()


# --- weak Ed25519 keys --------------------------------------------------------------------------------------------

L = 2**252 + 27742317777372353535851937790883648493


def _encode(pt: tuple[int, int]) -> bytes:
    x, y = pt
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def _mul(pt, n):
    acc, addend = (0, 1), pt
    while n:
        if n & 1:
            acc = _ed_add(acc, addend)
        addend = _ed_add(addend, addend)
        n >>= 1
    return acc


def _small_order_encodings() -> set[bytes]:
    # [L]P lies in the 8-element torsion subgroup for any curve point P; collect all eight.
    # Random curve points (not generated keys: those lie in the prime-order subgroup) have torsion components.
    found: set[bytes] = set()
    for i in range(1, 2000):
        raw = hashlib.sha256(i.to_bytes(4, "big")).digest()
        try:
            x, y = keys._ed_decompress(raw)
        except KeyFormatError:
            continue
        found.add(_encode(_mul((x, y), L)))
        if len(found) == 8:
            break
    return found


def test_all_small_order_ed25519_keys_are_rejected() -> None:
    points = _small_order_encodings()
    assert len(points) == 8
    for raw in points:
        for parse in (keys.ed25519_public_key,
                      lambda r: keys.public_key_from_multikey(multibase_encode(b"\xed\x01" + r)),
                      lambda r: keys.public_key_from_jwk({"kty": "OKP", "crv": "Ed25519", "x": b64u(r)}),
                      lambda r: keys.resolve_did_key("did:key:" + multibase_encode(b"\xed\x01" + r))):
            with pytest.raises(KeyFormatError) as info:
                parse(raw)
            assert info.value.code in ("key.ed25519.small_order", "key.ed25519.noncanonical")


def test_non_canonical_ed25519_encodings_are_rejected() -> None:
    cases = [
        (_P).to_bytes(32, "little"),               # y = p (== 0 mod p)
        (_P + 1).to_bytes(32, "little"),           # y = p + 1 (== identity)
        (1 | (1 << 255)).to_bytes(32, "little"),   # x = 0 with the sign bit set
        b"\xff" * 31 + b"\x7f",                    # y = 2^255 - 1
    ]
    for raw in cases:
        with pytest.raises(KeyFormatError) as info:
            keys.ed25519_public_key(raw)
        assert info.value.code in ("key.ed25519.noncanonical", "key.ed25519.small_order")


def test_a_valid_key_survives_the_checks(ed) -> None:
    _, pub = ed
    assert keys.public_key_from_multikey(pub.multikey()) == pub
    vm, controller, key = keys.resolve_did_key(keys.did_key_verification_method(keys.did_key_for(pub)))
    assert key == pub and vm.startswith(controller + "#")


def test_did_key_fragment_must_name_the_key(ed) -> None:
    _, pub = ed
    other = keys.public_key_of(keys.generate_ed25519())
    with pytest.raises(KeyFormatError):
        keys.resolve_did_key(keys.did_key_for(pub) + "#" + other.multikey())


# --- bounded JWS parsing ------------------------------------------------------------------------------------------

def test_oversized_jws_is_rejected_before_json_parsing(monkeypatch) -> None:
    monkeypatch.setattr(jwt.json, "loads", lambda *a, **k: pytest.fail("json.loads called"))
    big = forge({"alg": "EdDSA"}, {"pad": "x" * (jwt.MAX_TOKEN_BYTES + 10)}, b"\0" * 64)
    with pytest.raises(ProofError) as info:
        jwt.parse_jws(big)
    assert info.value.code == "jws.too_large"


def test_deeply_nested_jws_is_rejected_before_json_parsing(monkeypatch) -> None:
    monkeypatch.setattr(jwt.json, "loads", lambda *a, **k: pytest.fail("json.loads called"))
    depth = 5000
    h = b64u(b'{"alg":"EdDSA"}')
    p = b64u(b"[" * depth + b"]" * depth)
    with pytest.raises(ProofError) as info:
        jwt.parse_jws(f"{h}.{p}.{b64u(bytes(64))}")
    assert info.value.code == "jws.too_deep"
    # brackets inside strings do not count
    assert jwt.json_depth('{"a": "[[[[[[[[", "b": ["]"]}') == 2


@pytest.mark.parametrize("token", [
    "a.b", "a.b.c.d", "", "..", "!!!.eyJ9.AA", forge({"alg": "EdDSA"}, {})[:-1] + "*",
])
def test_malformed_tokens_are_rejected(token: str) -> None:
    with pytest.raises(ProofError):
        jwt.parse_jws(token)


def test_duplicate_members_crit_and_unencoded_payload_are_rejected(ed) -> None:
    _, pub = ed
    h = b64u(b'{"alg":"EdDSA","alg":"none"}')
    with pytest.raises(ProofError):
        jwt.parse_jws(f"{h}.{b64u(b'{}')}.{b64u(bytes(64))}")
    for hdr in ({"alg": "EdDSA", "crit": ["exp"], "exp": 1}, {"alg": "EdDSA", "b64": False, "crit": ["b64"]}):
        with pytest.raises(ProofError):
            jwt.parse_jws(forge(hdr, CRED, bytes(64)))


# --- Data Integrity ---------------------------------------------------------------------------------------------

def test_undefined_term_fails_signing_and_verification(ed) -> None:
    sk, pub = ed
    doc = copy.deepcopy(CRED)
    doc["@context"] = ["https://www.w3.org/2018/credentials/v1", "https://w3id.org/security/data-integrity/v2"]
    doc["issuanceDate"] = doc.pop("validFrom")
    doc["credentialSubject"] = {"id": "did:example:subject"}
    signed = proofs.sign_data_integrity(doc, sk, verification_method="did:example:issuer#k",
                                        cryptosuite="eddsa-rdfc-2022", created=WHEN)
    proofs.verify_proof(proofs.unsecured_document(signed), signed["proof"], pub)
    smuggled = copy.deepcopy(signed)
    smuggled["credentialSubject"]["degree"] = "PhD"
    with pytest.raises(ProofError) as info:
        proofs.verify_proof(proofs.unsecured_document(smuggled), smuggled["proof"], pub)
    assert info.value.code == "jsonld.undefined_term"
    with pytest.raises(ProofError) as info:
        proofs.sign_data_integrity(proofs.unsecured_document(smuggled), sk, verification_method="did:example:i#1",
                                   cryptosuite="eddsa-rdfc-2022", created=WHEN)
    assert info.value.code == "jsonld.undefined_term"


def test_suite_relabelling_fails(ed) -> None:
    sk, pub = ed
    signed = proofs.sign_data_integrity(CRED, sk, verification_method="did:example:issuer#k",
                                        cryptosuite="eddsa-jcs-2022", created=WHEN)
    relabelled = dict(signed["proof"], cryptosuite="eddsa-rdfc-2022")
    with pytest.raises(ProofError):
        proofs.verify_proof(CRED, relabelled, pub)
    unknown = dict(signed["proof"], cryptosuite="eddsa-2022")
    with pytest.raises(ProofError) as info:
        proofs.verify_proof(CRED, unknown, pub)
    assert info.value.code == "proof.cryptosuite"


@pytest.mark.parametrize("value", ["", "u" + "A" * 86, "z0OIl", "z" + "1" * 150, 42, None])
def test_garbled_proof_values_are_malformed(ed, value) -> None:
    sk, pub = ed
    signed = proofs.sign_data_integrity(CRED, sk, verification_method="did:example:issuer#k",
                                        cryptosuite="eddsa-jcs-2022",
                                        created=WHEN)
    bad = dict(signed["proof"], proofValue=value)
    with pytest.raises(ProofError) as info:
        proofs.verify_proof(CRED, bad, pub)
    assert info.value.code == "proof.malformed"


def test_relative_verification_method_is_refused(ed) -> None:
    sk, _ = ed
    with pytest.raises(ProofError) as info:
        proofs.sign_data_integrity(CRED, sk, verification_method="key-1", cryptosuite="eddsa-rdfc-2022",
                                   created=WHEN)
    assert info.value.code == "jsonld.undefined_term"
    assert info.value.pointer == "/proof/verificationMethod"


def test_data_integrity_refuses_non_ed25519_keys(ed) -> None:
    sk, _ = ed
    signed = proofs.sign_data_integrity(CRED, sk, verification_method="did:example:issuer#k",
                                        cryptosuite="eddsa-rdfc-2022",
                                        created=WHEN)
    p256 = keys.public_key_of(ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(ProofError) as info:
        proofs.verify_proof(CRED, signed["proof"], p256)
    assert info.value.code == "proof.key"


def test_jsonld_never_dereferences_a_string_input() -> None:
    from mosaics_match.credentials import jsonld
    from mosaics_match.credentials.errors import ContextError

    with pytest.raises(ContextError):
        jsonld.canonicalize("https://www.w3.org/ns/credentials/v2")  # type: ignore[arg-type]


def test_absurdly_nested_document_fails_cleanly(ed) -> None:
    _, pub = ed
    doc = copy.deepcopy(CRED)
    node = doc["credentialSubject"]
    for _ in range(5000):
        node["knows"] = {"name": "n"}
        node = node["knows"]
    sig = multibase_encode(bytes(range(64)))  # well-formed, so canonicalization really runs
    for suite in ("eddsa-rdfc-2022", "eddsa-jcs-2022"):
        with pytest.raises(ProofError) as info:
            proofs.verify_proof(doc, {"type": "DataIntegrityProof", "cryptosuite": suite,
                                      "created": "2024-01-01T00:00:00Z", "proofValue": sig}, pub)
        assert info.value.code != "proof.malformed"


# --- encodings ----------------------------------------------------------------------------------------------------

def test_base58_round_trip_keeps_leading_zero_bytes() -> None:
    from mosaics_match.credentials.multibase import b58decode, b58encode, multibase_decode

    for raw in (b"", b"\0", b"\0\0\1", bytes(range(64)), b"\xff" * 40):
        assert b58decode(b58encode(raw)) == raw
        assert multibase_decode(multibase_encode(raw, "z")) == raw
        assert multibase_decode(multibase_encode(raw, "u")) == raw
    for bad in ("z0", "zO", "zl", "zI", "x123", "", "uAB=", "uA"):
        with pytest.raises(KeyFormatError):
            multibase_decode(bad)


def test_p256_did_key_resolves_and_documents() -> None:
    pub = keys.public_key_of(ec.generate_private_key(ec.SECP256R1()))
    did = keys.did_key_for(pub)
    assert did.startswith("did:key:zDn")
    vm, controller, key = keys.resolve_did_key(did)
    assert key == pub and controller == did and vm == keys.did_key_verification_method(did)
    doc = keys.did_key_document(did)
    assert doc["id"] == did
    assert doc["verificationMethod"][0]["publicKeyMultibase"] == pub.multikey()
    assert doc["assertionMethod"] == [vm]
    assert keys.public_key_from_verification_method(doc["verificationMethod"][0]) == pub
    assert keys.public_key_from_jwk(pub.jwk()) == pub


def test_key_fingerprint_is_stable_and_distinct(ed) -> None:
    _, pub = ed
    other = keys.public_key_of(keys.generate_ed25519())
    assert pub.fingerprint() == keys.public_key_from_multikey(pub.multikey()).fingerprint()
    assert pub.fingerprint() != other.fingerprint()
    assert len({pub, keys.public_key_from_jwk(pub.jwk())}) == 1


def test_proof_context_must_prefix_the_document_context(ed) -> None:
    sk, pub = ed
    signed = proofs.sign_data_integrity(CRED, sk, verification_method="did:example:issuer#k",
                                        cryptosuite="eddsa-jcs-2022", created=WHEN)
    # The proof configuration takes the document's @context either way, so a matching copy verifies.
    proofs.verify_proof(CRED, dict(signed["proof"], **{"@context": CRED["@context"]}), pub)
    bad = dict(signed["proof"], **{"@context": ["https://www.w3.org/2018/credentials/v1"]})
    with pytest.raises(ProofError) as info:
        proofs.verify_proof(CRED, bad, pub)
    assert info.value.code == "proof.context"
