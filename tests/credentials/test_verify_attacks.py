"""Attacks on the verifier that were reproduced against the portal, written down before the fixes.

1. An RDF signature (``eddsa-rdfc-2022``, ``Ed25519Signature2020``) covers the graph, while the checks and the
   card read JSON keys: a term written under its full IRI, as a value object, in a one-element array, with
   ``@index``, or as a dropped decoy next to its full-IRI twin keeps the signed N-Quads byte-identical but hides
   a revocation, an expiry or a recipient, or puts the holder's own names on the card.
2. The rdfc shape-template cache keyed documents on a key-sorted skeleton but filled its placeholders in
   document order: swapping two sibling strings *and* their key order verified once a genuine credential of the
   shape had been seen, and a forgery seen first poisoned the process (genuine credentials failed, and what the
   process signed afterwards failed everywhere else).
3. Key binding trusted the ``controller`` a verification method claims about itself.
4. A proof ``created`` in the future was accepted; internal exception text reached check messages.

Credentials are portal-shaped (``tests/factories/portal.py``: ``issuing.build_unsigned`` + the engine's
signing); the term IRIs come from the pinned contexts through ``jsonld.expand`` (``tests/factories/rewrites.py``);
fresh-process verification forks one child per document from a process that verified nothing
(``tests/factories/fresh.py``).
"""

from __future__ import annotations

import base64
import json
import random
import re
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from mosaics_match.credentials import keys, proofs
from mosaics_match.credentials.fetcher import HttpsFetcher
from mosaics_match.credentials.identity import identity_hash
from mosaics_match.credentials.inputs import Limits
from mosaics_match.credentials.multibase import multibase_encode
from mosaics_match.credentials.verifier import JWT_REGISTERED_CLAIMS, KeyResolver, VerifyContext, verify
from tests.factories import rewrites as rw
from tests.factories.fresh import clear_canonical_caches, outcome, verify_in_fresh_processes
from tests.factories.portal import (
    ACHIEVEMENT_NAME,
    EARNER_EMAIL,
    EARNER_NAME,
    NOW,
    OTHER_EMAIL,
    PortalIssuer,
    did_web_document,
    multikey_method,
)

RDF_SUITES = ["eddsa-rdfc-2022", "Ed25519Signature2020"]
JSON_SUITES = ["eddsa-jcs-2022", "vc-jwt"]
VC1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
DATA_INTEGRITY_CONTEXT = "https://w3id.org/security/data-integrity/v2"
ACHIEVEMENT = ("credentialSubject", "achievement")
NESTING_IRI = "https://example.org/vocab#nested"  # any absolute IRI: JSON-LD keeps it, no context defines it
DEPTH_LIMIT = Limits().max_json_depth


@pytest.fixture(autouse=True)
def _canonical_caches_start_and_end_empty() -> Any:
    """Each test decides what its process has seen; nothing it did leaks into other tests."""
    clear_canonical_caches()
    yield
    clear_canonical_caches()


@pytest.fixture(scope="module")
def seneca() -> PortalIssuer:
    """The portal's default issuer (did:key) with its signed revocation and suspension lists."""
    return PortalIssuer()


def _suite_offset(fmt: str) -> int:
    return 100 * (RDF_SUITES + JSON_SUITES).index(fmt)


def _seen(r: Any) -> str:
    """What a verification showed, for failure messages."""
    parts = [f"verdict={r.verdict}", f"recipient_match={r.recipient_match}"]
    for c in r.checks:
        if c.id.startswith(("proof.", "time.", "status.", "recipient.")) and c.status != "success":
            detail = "; ".join(str(p.get("detail"))[:120] for p in c.problems)
            parts.append(f"{c.id}={c.status}" + (f" ({detail})" if detail else ""))
    return ", ".join(parts)


# --- 1. what the signature covers versus what the checks read -------------------------------------------------

@pytest.mark.parametrize("fmt", RDF_SUITES)
@pytest.mark.parametrize("purpose", ["revocation", "suspension"])
def test_a_revoked_or_suspended_credential_is_not_valid_when_its_credentialStatus_is_written_under_its_full_iri(
        seneca: PortalIssuer, fmt: str, purpose: str) -> None:
    index = 10 + _suite_offset(fmt) + (purpose == "suspension")
    cred = seneca.issue(fmt, index=index)
    seneca.set_status(purpose, index)
    assert verify(cred, ctx=seneca.ctx()).verdict == "invalid"
    forged = rw.rewrite(cred, ("credentialStatus",), "full-iri")
    assert rw.rdf_equivalent(cred, forged)
    r = verify(forged, ctx=seneca.ctx())
    assert r.verdict != "valid", f"the {purpose} was not seen: {_seen(r)}"


@pytest.mark.parametrize("fmt", RDF_SUITES)
def test_an_expired_credential_is_not_valid_when_its_validUntil_is_written_under_its_full_iri(
        seneca: PortalIssuer, fmt: str) -> None:
    cred = seneca.issue(fmt, index=12 + _suite_offset(fmt), valid_from=NOW - timedelta(days=400),
                        valid_until=NOW - timedelta(days=1))
    assert verify(cred, ctx=seneca.ctx()).check("time.expiry").status == "failure"
    forged = rw.rewrite(cred, ("validUntil",), "full-iri")
    assert "validUntil" not in forged and rw.rdf_equivalent(cred, forged)
    r = verify(forged, ctx=seneca.ctx())
    assert r.verdict != "valid", f"the expiry was not seen: {_seen(r)}"


def test_an_expired_vc_1_1_credential_is_not_valid_when_its_expirationDate_is_written_under_its_full_iri(
        seneca: PortalIssuer) -> None:
    cred = seneca.sign({
        "@context": [VC1_CONTEXT, DATA_INTEGRITY_CONTEXT],
        "id": "urn:uuid:00000000-0000-4000-8000-000000000013", "type": ["VerifiableCredential"],
        "issuer": seneca.did, "issuanceDate": "2025-01-01T00:00:00Z", "expirationDate": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:ebfeb1f712ebc6f1c276e12ec21"},
    })
    assert verify(cred, ctx=seneca.ctx()).check("time.expiry").status == "failure"
    forged = rw.rewrite(cred, ("expirationDate",), "full-iri")
    assert rw.rdf_equivalent(cred, forged)
    r = verify(forged, ctx=seneca.ctx())
    assert r.verdict != "valid", f"the expiry was not seen: {_seen(r)}"


def _claim_recipient(cred: dict, email: str) -> dict:
    """An unsalted IdentityObject for ``email`` that JSON-LD reads as nothing: its identityHash is an alias of
    ``@index`` (no triple) and its blank node is the genuine identity's (node merge, no new triple)."""
    forged = json.loads(json.dumps(cred))
    identities = forged["credentialSubject"]["identifier"]
    identities[0] = {"@id": "_:recipient", **identities[0]}
    identities.append({"@context": {"identityHash": "@index"}, "@id": "_:recipient",
                       "identityHash": identity_hash(email, "")})
    return forged


@pytest.mark.parametrize("fmt", RDF_SUITES)
@pytest.mark.parametrize("spelling", ["identifier under its full IRI", "identifier behind a dropped decoy",
                                      "an identityHash aliased to @index on the same node"])
def test_someone_elses_credential_never_matches_the_email_the_employer_typed(
        seneca: PortalIssuer, fmt: str, spelling: str) -> None:
    cred = seneca.issue(fmt, index=14 + _suite_offset(fmt))  # issued to EARNER_EMAIL
    genuine = verify(cred, ctx=seneca.ctx(email=OTHER_EMAIL))
    assert genuine.verdict == "valid" and genuine.recipient_match is False
    forged = {
        "identifier under its full IRI": lambda: rw.rewrite(cred, ("credentialSubject", "identifier"), "full-iri"),
        "identifier behind a dropped decoy": lambda: rw.rewrite(cred, ("credentialSubject", "identifier"), "decoy"),
        "an identityHash aliased to @index on the same node": lambda: _claim_recipient(cred, OTHER_EMAIL),
    }[spelling]()
    assert rw.rdf_equivalent(cred, forged)
    r = verify(forged, ctx=seneca.ctx(email=OTHER_EMAIL))
    assert r.recipient_match is not True, f"{OTHER_EMAIL} matched someone else's credential: {_seen(r)}"
    if r.verdict == "valid":
        assert r.recipient_match is False and r.check("recipient.identity").status == "failure", \
            f"the mismatch was hidden: {_seen(r)}"


def _names(summary: dict) -> dict:
    return {"name": summary.get("name"), "achievement": (summary.get("achievement") or {}).get("name"),
            "earner": summary.get("earner_name"), "issuer": (summary.get("issuer") or {}).get("name")}


@pytest.mark.parametrize("fmt", RDF_SUITES)
def test_the_card_shows_the_names_the_issuer_signed_and_never_a_decoys(seneca: PortalIssuer, fmt: str) -> None:
    cred = seneca.issue(fmt, index=15 + _suite_offset(fmt))
    genuine = verify(cred, ctx=seneca.ctx())
    assert _names(genuine.summary) == {"name": ACHIEVEMENT_NAME, "achievement": ACHIEVEMENT_NAME,
                                       "earner": EARNER_NAME, "issuer": seneca.name}
    decoys = {("name",): "Doctor of Medicine", ACHIEVEMENT + ("name",): "Doctor of Medicine",
              ("credentialSubject", "name"): "Mallory Attacker", ("issuer", "name"): "Harvard University"}
    forged = cred
    for path, text in decoys.items():
        forged = rw.rewrite(forged, path, "decoy", text=text)
    assert rw.rdf_equivalent(cred, forged)
    r = verify(forged, ctx=seneca.ctx())
    shown = json.dumps(r.summary)
    assert not [t for t in set(decoys.values()) if t in shown], \
        f"verdict {r.verdict}, the card shows {_names(r.summary)}"
    if r.verdict == "valid":
        assert _names(r.summary) == _names(genuine.summary)


# Member paths whose full-IRI spelling must be among the RDF-equivalent rewrites (the matrix is not vacuous).
_MUST_BE_REWRITTEN = [("credentialStatus",), ("validUntil",), ("credentialSubject", "identifier"), ("name",),
                      ("credentialSubject", "name"), ACHIEVEMENT + ("name",), ("issuer", "name")]


@pytest.mark.parametrize("fmt", RDF_SUITES)
def test_no_rdf_equivalent_rewrite_of_a_portal_credential_verifies_with_a_changed_meaning(
        seneca: PortalIssuer, fmt: str) -> None:
    cred = seneca.issue(fmt, index=16 + _suite_offset(fmt), valid_until=NOW + timedelta(days=365))
    own, other = seneca.ctx(email=EARNER_EMAIL), seneca.ctx(email=OTHER_EMAIL)
    genuine_own, genuine_other = verify(cred, ctx=own), verify(cred, ctx=other)
    assert genuine_own.verdict == "valid" and genuine_own.recipient_match is True
    assert genuine_other.recipient_match is False
    expected_own, expected_other = rw.facts(genuine_own), rw.facts(genuine_other)

    variants = list(rw.all_rewrites(cred))
    equivalent = {(path, kind) for path, kind, doc in variants if rw.rdf_equivalent(cred, doc)}
    per_kind = Counter(kind for _path, kind in equivalent)
    assert all(per_kind[k] >= 10 for k in rw.KINDS), per_kind
    assert [p for p in _MUST_BE_REWRITTEN if (p, "full-iri") not in equivalent] == []

    changed: list[str] = []
    verified = 0
    for path, kind, doc in variants:
        r = verify(doc, ctx=own)
        if r.verdict != "valid":
            continue
        verified += 1
        diff = rw.differences(expected_own, rw.facts(r))
        if not diff:
            diff = {f"{k} (other e-mail)": v for k, v in rw.differences(expected_other,
                                                                         rw.facts(verify(doc, ctx=other))).items()}
        if diff:
            changed.append(f"{'/'.join(map(str, path))} [{kind}]: "
                           + "; ".join(f"{k}: {str(e)[:80]} -> {str(g)[:80]}" for k, (e, g) in sorted(diff.items())))
    assert not changed, (f"{len(changed)} of {verified} verified rewrites (of {len(variants)}, "
                         f"{len(equivalent)} RDF-equivalent) change what the portal shows or decides:\n"
                         + "\n".join(changed[:40]))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt_payload(token: str) -> dict:
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def _with_payload(token: str, payload: dict) -> str:
    head, _body, sig = token.split(".")
    return ".".join([head, _b64(json.dumps(payload).encode()), sig])


@pytest.mark.parametrize("fmt", JSON_SUITES)
def test_no_rewrite_of_a_credential_whose_signature_covers_its_json_verifies(seneca: PortalIssuer, fmt: str) -> None:
    signed = seneca.issue(fmt, index=17 + _suite_offset(fmt), valid_until=NOW + timedelta(days=365))
    ctx = seneca.ctx(email=EARNER_EMAIL)
    assert verify(signed, ctx=ctx).verdict == "valid"
    if fmt == "vc-jwt":
        assert isinstance(signed, str)
        items = [(path, kind, _with_payload(signed, doc))
                 for path, kind, doc in rw.all_rewrites(_jwt_payload(signed), skip=tuple(JWT_REGISTERED_CLAIMS))]
    else:
        # a proof set of one ("proof": [proof]) is the same proof, and no suite signs the proof member itself
        items = [(path, kind, doc) for path, kind, doc in rw.all_rewrites(signed) if path != ("proof",)]
    assert len(items) >= 150
    verified = [f"{'/'.join(map(str, path))} [{kind}]" for path, kind, item in items
                if verify(item, ctx=ctx).verdict == "valid"]
    assert verified == []


# --- 2. the shape-template cache ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", RDF_SUITES)
def test_a_revoked_credential_with_statusPurpose_and_statusListIndex_swapped_is_not_valid_after_another_of_its_shape(
        seneca: PortalIssuer, fmt: str) -> None:
    index = 20 + _suite_offset(fmt)
    someone_else = seneca.issue(fmt, index=index + 1, email="dana.li@example.org", earner_name="Dana Li")
    revoked = seneca.issue(fmt, index=index)
    seneca.set_status("revocation", index)
    forged = rw.swap(revoked, ("credentialStatus", 0), "statusPurpose", "statusListIndex")
    assert verify(someone_else, ctx=seneca.ctx()).verdict == "valid"  # the process has seen this shape
    r = verify(forged, ctx=seneca.ctx())
    assert r.verdict != "valid", f"the revocation was not seen: {_seen(r)}"


@pytest.mark.parametrize("fmt", RDF_SUITES)
def test_no_credential_with_two_sibling_strings_swapped_along_with_their_key_order_verifies(
        seneca: PortalIssuer, fmt: str) -> None:
    cred = seneca.issue(fmt, index=22 + _suite_offset(fmt))
    pairs = [(where, a, b) for where, a, b in rw.sibling_string_pairs(cred)
             if rw.get(cred, where)[a] != rw.get(cred, where)[b]]
    assert len(pairs) >= 60
    verified = []
    for where, a, b in pairs:
        clear_canonical_caches()  # each forgery meets a process that has seen exactly the genuine credential
        ctx = seneca.ctx()
        assert verify(cred, ctx=ctx).verdict == "valid"
        r = verify(rw.swap(cred, where, a, b), ctx=ctx)
        if r.verdict == "valid":
            verified.append(f"{'/'.join(map(str, where)) or '(top)'}: {a} <-> {b}")
    assert verify(cred, ctx=seneca.ctx()).verdict == "valid"
    assert not verified, f"{len(verified)} of {len(pairs)} swaps verified:\n" + "\n".join(verified)


def test_verdicts_do_not_depend_on_what_the_process_verified_before(seneca: PortalIssuer) -> None:
    a = seneca.issue(index=30)
    b = seneca.issue(index=31, email="dana.li@example.org", earner_name="Dana Li")
    legacy = seneca.issue("Ed25519Signature2020", index=32)
    revoked = seneca.issue(index=33)
    seneca.set_status("revocation", 33)
    corpus: dict[str, Any] = {
        "genuine A": a,
        "genuine B": b,
        "genuine A (Ed25519Signature2020)": legacy,
        "genuine A (eddsa-jcs-2022)": seneca.issue("eddsa-jcs-2022", index=34),
        "genuine A (VC-JWT)": seneca.issue("vc-jwt", index=35),
        "A, achievement name <-> description": rw.swap(a, ACHIEVEMENT, "name", "description"),
        "A, statusPurpose <-> statusListIndex": rw.swap(a, ("credentialStatus", 0), "statusPurpose",
                                                        "statusListIndex"),
        "B, issuer name <-> url": rw.swap(b, ("issuer",), "name", "url"),
        "A (Ed25519Signature2020), achievement name <-> description": rw.swap(legacy, ACHIEVEMENT, "name",
                                                                              "description"),
        "revoked, credentialStatus under its full IRI": rw.rewrite(revoked, ("credentialStatus",), "full-iri"),
        "A, identifier under its full IRI": rw.rewrite(a, ("credentialSubject", "identifier"), "full-iri"),
        "A, nested to the depth limit": {**a, "credentialSubject": {**a["credentialSubject"],
                                                                    NESTING_IRI: _nested_nodes(DEPTH_LIMIT - 4)}},
        "A, a list as verificationMethod": {**a, "proof": {**a["proof"], "verificationMethod": [seneca.vm]}},
    }
    names = list(corpus)
    fresh = dict(zip(names, verify_in_fresh_processes([corpus[n] for n in names], documents=seneca.fetcher.documents,
                                                      trust={seneca.did: seneca.name}, now=NOW, email=EARNER_EMAIL)))
    for n in ("genuine A", "genuine B", "genuine A (Ed25519Signature2020)", "genuine A (VC-JWT)"):
        assert fresh[n]["verdict"] == "valid", (n, fresh[n]["checks"])

    keep = ("verdict", "checks", "recipient_match")
    clear_canonical_caches()
    mismatches = []
    for seed in (3, 17, 2024):
        order = names[:]
        random.Random(seed).shuffle(order)
        ctx = seneca.ctx(email=EARNER_EMAIL)  # one shared context per pass, as a batch uses
        for position, n in enumerate(order):
            got = outcome(verify(corpus[n], ctx=ctx))
            if {k: got[k] for k in keep} != {k: fresh[n][k] for k in keep}:
                diff = {cid: (fresh[n]["checks"].get(cid), s) for cid, s in got["checks"].items()
                        if fresh[n]["checks"].get(cid) != s}
                mismatches.append(f"seed {seed}, #{position} {n}: fresh {fresh[n]['verdict']}, here "
                                  f"{got['verdict']} {diff}")
    assert not mismatches, "\n".join(mismatches)


def test_a_credential_issued_after_a_forged_one_was_verified_verifies_in_a_fresh_process() -> None:
    issuer = PortalIssuer()
    genuine = issuer.issue(index=40)
    forged = rw.swap(genuine, ACHIEVEMENT, "name", "description")
    clear_canonical_caches()  # from here the process has seen nothing but what follows
    verify(forged, ctx=issuer.ctx())  # a hostile input arrives first
    again = verify(genuine, ctx=issuer.ctx())
    issued = issuer.issue(index=41, email="dana.li@example.org", earner_name="Dana Li")
    fresh = verify_in_fresh_processes([issued, genuine], documents=issuer.fetcher.documents,
                                      trust={issuer.did: issuer.name}, now=NOW)
    assert again.verdict == "valid", f"the genuine credential failed after the forgery: {_seen(again)}"
    assert fresh[0]["verdict"] == "valid", \
        f"a credential issued after the forgery fails elsewhere: {fresh[0]['checks']}"
    assert fresh[1]["verdict"] == "valid"


@pytest.mark.parametrize("where,a,b", [(("credentialSubject",), "statusPurpose", "encodedList"),
                                       (("credentialSubject",), "id", "type"), ((), "id", "issuer")],
                         ids=["statusPurpose<->encodedList", "subject id<->type", "id<->issuer"])
def test_status_lists_signed_after_a_forged_status_list_was_verified_still_verify_elsewhere(
        where: tuple, a: str, b: str) -> None:
    issuer = PortalIssuer()
    cred = issuer.issue(index=50)
    forged_list = rw.swap(issuer.fetcher.documents[issuer.list_url("revocation")], where, a, b)
    clear_canonical_caches()
    verify(forged_list, ctx=issuer.ctx())  # a hostile input arrives first
    try:
        issuer.set_status("suspension", 51)  # staff suspend someone: the process re-signs its lists
    except Exception as exc:
        pytest.fail(f"the portal can no longer sign its status lists: {exc.__class__.__name__}: {exc}")
    fresh = verify_in_fresh_processes([cred], documents=issuer.fetcher.documents,
                                      trust={issuer.did: issuer.name}, now=NOW)[0]
    assert fresh["verdict"] == "valid", f"lists signed after the forgery fail elsewhere: {fresh['checks']}"


# --- 3. key binding ----------------------------------------------------------------------------------------------

ATTACKER_DID = "did:web:attacker.example"


def _attacker_key_document(issuer: PortalIssuer, kind: str, private_key: Any) -> str:
    """Host a key the attacker holds whose own document names ``issuer`` as its controller; its id."""
    if kind == "did:web":
        vm = f"{ATTACKER_DID}#seneca-signing"
        issuer.fetcher.add(KeyResolver.did_web_url(ATTACKER_DID),
                           did_web_document(ATTACKER_DID, [multikey_method(vm, issuer.did, private_key)],
                                            assertion=[vm]))
        return vm
    vm = "https://attacker.example/keys/seneca-signing"
    issuer.fetcher.add(vm, {"@context": ["https://w3id.org/security/multikey/v1"],
                            **multikey_method(vm, issuer.did, private_key)})
    return vm


@pytest.mark.parametrize("fmt", ["eddsa-rdfc-2022", "vc-jwt"])
@pytest.mark.parametrize("key_document", ["did:web", "https"])
@pytest.mark.parametrize("issuer_did", ["", "did:web:mosaics.example"], ids=["did:key issuer", "did:web issuer"])
def test_a_signature_by_a_key_whose_own_document_claims_the_issuer_as_controller_is_not_valid(
        issuer_did: str, key_document: str, fmt: str) -> None:
    issuer = PortalIssuer(issuer_did=issuer_did)
    attacker_key = keys.generate_ed25519()
    vm = _attacker_key_document(issuer, key_document, attacker_key)
    forged = issuer.sign(issuer.unsigned(index=60), fmt, private_key=attacker_key, verification_method=vm)
    r = verify(forged, ctx=issuer.ctx())
    assert r.verdict != "valid" and r.issuer_trusted is False, f"signed as {issuer.did}: {_seen(r)}"
    assert "failure" in (r.check("proof.key_binding").status, r.check("proof.signature").status), _seen(r)


@pytest.mark.parametrize("fmt", ["eddsa-rdfc-2022", "vc-jwt"])
def test_a_credential_signed_with_a_key_the_issuers_own_did_web_document_lists_for_assertion_is_valid(fmt: str) -> None:
    issuer = PortalIssuer(issuer_did="did:web:mosaics.example")
    r = verify(issuer.issue(fmt, index=61), ctx=issuer.ctx())
    assert r.verdict == "valid" and r.issuer_trusted is True, _seen(r)


@pytest.mark.parametrize("assertion", ["another key", "no assertionMethod at all"])
def test_a_key_the_issuers_did_web_document_lists_only_under_authentication_fails_the_proof_purpose(
        assertion: str) -> None:
    issuer = PortalIssuer(issuer_did="did:web:mosaics.example")
    cred = issuer.issue(index=62)
    other = keys.generate_ed25519()
    other_vm = f"{issuer.did}#key-other"
    methods = [multikey_method(issuer.vm, issuer.did, issuer.private_key)]
    if assertion == "another key":
        methods.append(multikey_method(other_vm, issuer.did, other))
    issuer.publish_did_document(did_web_document(issuer.did, methods, authentication=[issuer.vm],
                                                 assertion=[other_vm] if assertion == "another key" else None))
    r = verify(cred, ctx=issuer.ctx())
    assert r.verdict == "invalid" and r.check("proof.purpose").status == "failure", _seen(r)


# --- 4. proof dates and error messages --------------------------------------------------------------------------

@pytest.mark.parametrize("fmt,spelling", [("eddsa-rdfc-2022", "as signed"), ("Ed25519Signature2020", "as signed"),
                                          ("eddsa-jcs-2022", "as signed"), ("eddsa-rdfc-2022", "full-iri"),
                                          ("eddsa-rdfc-2022", "value")])
def test_a_proof_created_a_year_in_the_future_is_not_valid(seneca: PortalIssuer, fmt: str, spelling: str) -> None:
    cred = seneca.issue(fmt, index=70 + _suite_offset(fmt), created=NOW + timedelta(days=365))
    if spelling != "as signed":
        forged = rw.rewrite(cred, ("proof", "created"), spelling)
        assert rw.rdf_equivalent(cred, forged)
        cred = forged
    r = verify(cred, ctx=seneca.ctx())
    assert r.verdict != "valid", f"a proof dated {NOW + timedelta(days=365):%Y-%m-%d} was accepted: {_seen(r)}"


@pytest.mark.parametrize("spelling", ["as signed", "full-iri", "decoy", "value", "array"])
def test_an_expired_proof_is_not_valid_however_its_expires_is_written(seneca: PortalIssuer, spelling: str) -> None:
    unsigned = seneca.unsigned(index=72)
    proof = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "created": "2026-05-01T00:00:00Z",
             "expires": "2026-05-15T00:00:00Z", "verificationMethod": seneca.vm, "proofPurpose": "assertionMethod"}
    proof["proofValue"] = multibase_encode(seneca.private_key.sign(proofs.signing_input(unsigned, proof)), "z")
    cred = {**unsigned, "proof": proof}
    if spelling != "as signed":
        forged = rw.rewrite(cred, ("proof", "expires"), spelling)
        assert rw.rdf_equivalent(cred, forged)
        cred = forged
    r = verify(cred, ctx=seneca.ctx())
    assert r.verdict != "valid", f"a proof that expired on 15 May 2026 was accepted: {_seen(r)}"


# Python exception class names (RecursionError, ValueError, JsonLdError ...) and tracebacks.
_INTERNAL = re.compile(r"\b(?:[A-Z][a-z0-9]+)+(?:Error|Exception)\b|Traceback")


def _nested_lists(depth: int) -> Any:
    value: Any = "Data Visualisation Fundamentals"
    for _ in range(depth):
        value = [value]
    return value


def _nested_lists_in_list_objects(depth: int) -> Any:
    value: Any = {"@value": "dashboards"}
    for _ in range(depth):
        value = {"@list": [value]}
    return value


def _nested_nodes(depth: int) -> dict:
    top: dict = {}
    node = top
    for _ in range(depth):
        node[NESTING_IRI] = {}
        node = node[NESTING_IRI]
    return top


def _refuse_dns(host: str, port: int) -> list[str]:
    raise OSError(f"no DNS in tests ({host})")


def _hostile(seneca: PortalIssuer, case: str) -> tuple[Any, VerifyContext]:
    cred = seneca.issue(index=80)
    ctx = seneca.ctx(email=OTHER_EMAIL)
    proof = cred["proof"]
    if case == "a list as verificationMethod":
        return {**cred, "proof": {**proof, "verificationMethod": [seneca.vm]}}, ctx
    if case == "an object as verificationMethod":
        return {**cred, "proof": {**proof, "verificationMethod": {"id": seneca.vm}}}, ctx
    if case == "a number as verificationMethod":
        return {**cred, "proof": {**proof, "verificationMethod": 42}}, ctx
    if case == "an id of http://[::1":
        return {**cred, "id": "http://[::1"}, ctx
    if case == "an issuer id of https://[::1":
        return {**cred, "issuer": {**cred["issuer"], "id": "https://[::1"}}, ctx
    if case == "a verificationMethod of https://[::1 fetched over HTTPS":
        return ({**cred, "proof": {**proof, "verificationMethod": "https://[::1#k"}},
                VerifyContext(clock=lambda: NOW, fetcher=HttpsFetcher(resolver=_refuse_dns, timeout=2)))
    if case == "a VC-JWT whose iss is https://[::1":
        payload = {**_jwt_payload(seneca.issue("vc-jwt", index=81)), "iss": "https://[::1"}
        payload["issuer"] = {**payload["issuer"], "id": "https://[::1"}
        header = _b64(json.dumps({"alg": "EdDSA"}).encode())
        return f"{header}.{_b64(json.dumps(payload).encode())}.{_b64(bytes(64))}", ctx
    if case == "a validFrom beyond the year 9999":
        return {**cred, "validFrom": "9999-12-31T23:59:59-23:59"}, ctx
    # nested to one level under the input depth limit (the credential's own object is level 1)
    if case == "lists nested to the depth limit as the name":
        return {**cred, "name": _nested_lists(DEPTH_LIMIT - 2)}, ctx
    if case == "@list objects nested to the depth limit":
        return {**cred, NESTING_IRI: _nested_lists_in_list_objects((DEPTH_LIMIT - 3) // 2)}, ctx
    if case == "nodes nested to the depth limit under a full IRI":
        subject = {**cred["credentialSubject"], NESTING_IRI: _nested_nodes(DEPTH_LIMIT - 4)}
        return {**cred, "credentialSubject": subject}, ctx
    raise AssertionError(case)


@pytest.mark.parametrize("case", [
    "a list as verificationMethod", "an object as verificationMethod", "a number as verificationMethod",
    "an id of http://[::1", "an issuer id of https://[::1", "a verificationMethod of https://[::1 fetched over HTTPS",
    "a VC-JWT whose iss is https://[::1", "a validFrom beyond the year 9999",
    "lists nested to the depth limit as the name", "@list objects nested to the depth limit",
    "nodes nested to the depth limit under a full IRI",
])
def test_hostile_inputs_never_show_internal_exception_text(seneca: PortalIssuer, case: str) -> None:
    data, ctx = _hostile(seneca, case)
    for given in (data, data if isinstance(data, str) else json.dumps(data)):
        r = verify(given, ctx=ctx)
        if "nested" in case:
            assert r.check("input.limits").status == "success"  # within the limits: it reaches the checks
        leaked = [f"{c.id}: {text}" for c in r.checks
                  for text in [c.message] + [str(p.get(k)) for p in c.problems for k in ("title", "detail")]
                  if _INTERNAL.search(text)]
        assert not leaked, "\n".join(leaked)
