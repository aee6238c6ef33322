"""Proof suite: ``proof.present``, ``proof.signature``, ``proof.key_binding``, ``proof.purpose``.

After the signature verifies, an RDF-signed credential is replaced by its signed view, so every later check
reads only what the issuer signed. A key speaks for the issuer only when the issuer's own documents list it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from ..fetcher import FetchError
from .resolver import ResolvedKey
from .results import problem
from .state import Fatal, Run, Suite
from .values import as_list, issuer_id, issuer_name, parse_datetime, str_or_none

_log = logging.getLogger(__name__)

#: A proof may say it was created this far after the verifier's clock (clocks drift); beyond it, it fails.
CLOCK_SKEW = timedelta(minutes=5)

# A proof's fields are read as plain JSON (key, purpose, dates), while an RDF suite signs their graph: accept only
# the plain form, where the two cannot differ (no full-IRI keys, value objects, arrays or decoys).
_PROOF_STRING_FIELDS = frozenset({"id", "type", "cryptosuite", "created", "expires", "verificationMethod",
                                  "proofPurpose", "proofValue", "challenge", "domain", "nonce"})


def proof_form_problem(proof: dict) -> str | None:
    """Why a proof object is not in the plain form this verifier reads (``None`` when it is)."""
    for key, value in proof.items():
        if key in _PROOF_STRING_FIELDS:
            if not isinstance(value, str):
                return f"The proof's {key} must be a single string."
        elif key == "previousProof":
            if not (isinstance(value, str) or (isinstance(value, list) and value
                                               and all(isinstance(v, str) for v in value))):
                return "The proof's previousProof must be a proof id or a list of proof ids."
        elif key == "@context":
            if not all(isinstance(c, str) for c in as_list(value)):
                return "The proof's @context must list context URLs."
        else:
            return f"The proof has a member this portal does not read: {key[:80]!r}."
    return None


def proof_suite(proof: dict) -> str | None:
    ptype = proof.get("type")
    if ptype == "DataIntegrityProof":
        return str_or_none(proof.get("cryptosuite"))
    return str_or_none(ptype)


def supported_suites() -> set[str]:
    try:
        from ..proofs import SUITES
    except Exception:  # pragma: no cover - crypto core missing
        return set()
    return set(SUITES)


def check_present(run: Run) -> None:
    cred = run.cred
    assert cred is not None
    if run.jws is not None:
        if "proof" in cred:
            run.add("proof.present", "failure", "The signed token also embeds a proof, which is not allowed.",
                     [problem("proof-mixed", "Mixed securing", "Do not mix JWS and embedded proofs.", "/proof")])
            raise Fatal
        run.add("proof.present", "success", "Is a signed token.")
        return
    proofs = [p for p in as_list(cred.get("proof"))]
    if not proofs:
        run.add("proof.present", "failure", "The credential is not signed.",
                 [problem("proof-missing", "No proof", "The credential has no proof.", "/proof")])
        raise Fatal
    if len(proofs) > run.limits.max_proofs or not all(isinstance(p, dict) for p in proofs):
        run.add("proof.present", "failure", "The credential's proof is malformed.",
                 [problem("proof-malformed", "Malformed proof",
                           f"Expected up to {run.limits.max_proofs} proof objects.", "/proof")])
        raise Fatal
    odd = [i for i, p in enumerate(proofs) if proof_form_problem(p)]
    if odd:
        i = odd[0]
        pointer = "/proof" if not isinstance(cred.get("proof"), list) else f"/proof/{i}"
        run.add("proof.present", "failure", "The credential's proof uses a form this portal does not accept.",
                 [problem("proof-form", "Unusual proof form", proof_form_problem(proofs[i]) or "", pointer)])
        raise Fatal
    run.proofs = proofs
    run.add("proof.present", "success",
             "Carries a digital signature." if len(proofs) == 1 else f"Carries {len(proofs)} digital signatures.")


def _signer_label(run: Run) -> str:
    cred = run.cred or {}
    iid = issuer_id(cred) or "an unknown issuer"
    entry = run.ctx.trust.lookup(iid) if run.ctx.trust is not None else None
    if entry is not None and entry.name:
        return entry.name
    name = issuer_name(cred)
    return f"{name} ({iid})" if name else iid


def check_signature(run: Run) -> None:
    if run.jws is not None:
        return _check_jws_signature(run)
    from ..errors import CredentialError
    from ..proofs import document_for_proof, verify_proof

    cred = run.cred
    assert cred is not None
    supported = supported_suites()
    resolver = run.ctx.resolver()
    unknown: list[dict] = []
    pending: list[dict] = []
    for i, proof in enumerate(run.proofs):
        pointer = "/proof" if not isinstance(cred.get("proof"), list) else f"/proof/{i}"
        suite = proof_suite(proof)
        if suite not in supported:
            unknown.append(problem("proof-unsupported", "Unsupported signature type",
                                    f"Signature type {suite!r} is not supported.", pointer))
            continue
        try:
            rk = resolver.resolve(proof.get("verificationMethod"))  # type: ignore[arg-type]
        except FetchError as exc:
            pending.append(problem("key-unavailable", "Key not available",
                                    f"Could not retrieve the signing key: {exc.reason}.",
                                    pointer + "/verificationMethod"))
            continue
        except CredentialError as exc:
            run.add("proof.signature", "failure", "The signing key could not be used.",
                     [problem("key-invalid", "Invalid key", exc.detail[:300], pointer + "/verificationMethod")])
            raise Fatal from None
        try:
            canonical = verify_proof(document_for_proof(cred, proof), proof, rk.key)
        except CredentialError as exc:
            if exc.code == "jsonld.context.unknown":
                pending.append(problem("context-unknown", "Unknown context", exc.detail[:300], pointer))
                continue
            if exc.code.startswith("jsonld.undefined"):
                run.add("proof.signature", "failure",
                         "The signature cannot be confirmed because the credential contains fields its "
                         "vocabulary does not define (they would not be covered by the signature).",
                         [problem("signature-undefined-terms", "Unsigned fields", exc.detail[:300], pointer)])
                raise Fatal from None
            run.add("proof.signature", "failure",
                     "The signature does not match: the credential was changed after it was signed, or it was "
                     "not signed by this key.",
                     [problem("signature-invalid", "Invalid signature", exc.detail[:300], pointer)])
            raise Fatal from None
        if canonical is not None:
            run.canonical.append(canonical)
        run.verified.append((proof, rk))
    if pending:
        run.add("proof.signature", "indeterminate", "The signature could not be checked right now.",
                 pending + unknown)
        raise Fatal
    if not run.verified:
        run.add("proof.signature", "indeterminate",
                 "The credential uses a signature type this verifier does not support.", unknown)
        raise Fatal
    if run.canonical:
        _use_signed_view(run)
    run.signature_ok = True
    note = f" ({len(unknown)} other signature(s) of unsupported types ignored)" if unknown else ""
    run.add("proof.signature", "success", f"Signed by {_signer_label(run)}{note}.", unknown)


def _use_signed_view(run: Run) -> None:
    """From here on read the credential from the graph the RDF signature covers, not from its JSON."""
    from ..signed_view import SignedViewError, signed_view

    assert run.cred is not None
    try:
        views = [signed_view(c, context=run.cred.get("@context")) for c in dict.fromkeys(run.canonical)]
    except SignedViewError as exc:
        run.add("proof.signature", "failure", "The signed data does not describe exactly one credential.",
                 [problem("signed-graph", "Unreadable signed data", str(exc)[:300])])
        raise Fatal from None
    if any(v != views[0] for v in views[1:]):
        run.add("proof.signature", "failure", "The signatures of this credential cover different contents.",
                 [problem("signed-graph", "Signatures disagree",
                           "Two proofs were computed over different credential data.", "/proof")])
        raise Fatal
    run.json, run.cred = run.cred, views[0]


def _jws_candidates(run: Run) -> list[ResolvedKey]:
    from .. import keys

    header = run.jwt_header or {}
    cred = run.cred or {}
    resolver = run.ctx.resolver()
    kid = header.get("kid")
    if "jwk" in header:
        pub = keys.public_key_from_jwk(header["jwk"])
        return [ResolvedKey(kid if isinstance(kid, str) else "jwk", None, pub, None, "jwk")]
    iss = (run.jwt_claims or {}).get("iss")
    issuer = issuer_id(cred) or (iss if isinstance(iss, str) else None)
    if isinstance(kid, str) and kid:
        ref = kid
        if kid.startswith("#") and issuer:
            ref = issuer + kid
        if ref.startswith(("did:", "https://")):
            return [resolver.resolve(ref)]
    if issuer and issuer.startswith("did:key:"):
        return [resolver.resolve(issuer)]
    if issuer and issuer.startswith("https://"):
        found = resolver.jwks_keys(issuer)
        chosen = [k for k in found if isinstance(kid, str) and k[0] == kid] or \
            ([k for k in found] if not isinstance(kid, str) else [])
        return [ResolvedKey(k or "jwks", issuer, pub, None, "jwks") for k, pub in chosen]
    raise FetchError(str(kid or issuer), "the token does not say which key signed it")


def _check_jws_signature(run: Run) -> None:
    from ..errors import CredentialError

    try:
        candidates = _jws_candidates(run)
    except FetchError as exc:
        run.add("proof.signature", "indeterminate", "The signing key could not be retrieved right now.",
                 [problem("key-unavailable", "Key not available", exc.reason)])
        raise Fatal from None
    except CredentialError as exc:
        run.add("proof.signature", "failure", "The signing key in the token could not be used.",
                 [problem("key-invalid", "Invalid key", exc.detail[:300])])
        raise Fatal from None
    if not candidates:
        run.add("proof.signature", "failure", "None of the issuer's published keys matches the token.",
                 [problem("key-not-found", "Key not found", "No key with the token's kid.")])
        raise Fatal
    from ..jwt import verify_jws_parts

    last: Exception | None = None
    for rk in candidates:
        try:
            assert run.jws_parts is not None  # set with run.jws by the input suite
            verify_jws_parts(*run.jws_parts, rk.key)
        except CredentialError as exc:
            last = exc
            continue
        run.verified.append((None, rk))
        run.signature_ok = True
        run.add("proof.signature", "success", f"Signed by {_signer_label(run)}.")
        return
    run.add("proof.signature", "failure",
             "The signature does not match: the token was changed after it was signed, or it was not signed by "
             "this key.", [problem("signature-invalid", "Invalid signature",
                                    getattr(last, "detail", str(last))[:300])])
    raise Fatal


def check_binding(run: Run) -> None:
    from .. import keys

    cred = run.cred
    assert cred is not None
    issuer = issuer_id(cred)
    resolver = run.ctx.resolver()
    refused: list[dict] = []
    pending: list[dict] = []
    for proof, rk in run.verified:
        pointer = "/proof/verificationMethod" if proof is not None else None
        assertion: bool | None = None
        if rk.source == "jwk":
            bound = False
            if issuer and issuer.startswith("did:key:"):
                try:
                    bound = keys.did_key_for(rk.key) == issuer
                except Exception:
                    bound = False
            if not bound and issuer and issuer.startswith("https://"):
                try:
                    bound = any(pub == rk.key for _k, pub in resolver.jwks_keys(issuer))
                except FetchError:
                    bound = False
            detail = "The token carries its own key, which the issuer has not published."
        elif rk.source == "jwks":
            bound, detail = True, "The key is in the issuer's published key set."
        else:
            try:
                bound, assertion, detail = resolver.issuer_authorisation(issuer, rk.vm_id, rk.key)
            except FetchError as exc:
                pending.append(problem("issuer-document-unavailable", "Issuer's keys not available",
                                        f"Could not retrieve the issuer's key list: {exc.reason}.", pointer))
                continue
        if bound:
            run.bound.append((proof, rk, assertion))
        elif proof is not None and run.jws is None:
            # another party's proof in a proof set or chain: its signature verified, it is not the issuer's
            run.cosigners.append(rk.vm_id.split("#", 1)[0])
            refused.append(problem("key-not-bound", "Key not the issuer's", detail, pointer))
        else:
            refused.append(problem("key-not-bound", "Key not bound to issuer", detail, pointer))
    problems: list[dict] = []
    if run.jwt_claims is not None:
        problems.extend(_claim_problems(run, cred, issuer))
    if not run.bound and pending:
        run.add("proof.key_binding", "indeterminate",
                 "Could not confirm right now that the signing key belongs to the issuer.", pending + refused)
        raise Fatal
    if not run.bound or problems:
        run.add("proof.key_binding", "failure", "The signing key does not belong to the named issuer.",
                 (refused if not run.bound else []) + problems + pending)
        raise Fatal
    run.binding_ok = True
    if run.cosigners:
        who = ", ".join(dict.fromkeys(run.cosigners))
        run.add("proof.key_binding", "success",
                 f"The issuer's key signed it; also signed by {who}.", pending)
        return
    run.add("proof.key_binding", "success", "The signing key belongs to the issuer.", pending)


def _claim_problems(run: Run, cred: dict, issuer: str | None) -> list[dict]:
    claims = run.jwt_claims or {}
    out: list[dict] = []

    def bad(claim: str, detail: str) -> None:
        out.append(problem("claim-mismatch", f"Token claim {claim} disagrees", detail))

    if "iss" in claims and claims["iss"] != issuer:
        bad("iss", f"iss is {str(claims['iss'])[:100]}, the credential's issuer is {issuer}.")
    if "jti" in claims and cred.get("id") is not None and claims["jti"] != cred.get("id"):
        bad("jti", "jti differs from the credential id.")
    subjects = [s for s in as_list(cred.get("credentialSubject")) if isinstance(s, dict)]
    if "sub" in claims and subjects and subjects[0].get("id") is not None and claims["sub"] != subjects[0]["id"]:
        bad("sub", "sub differs from the credential subject id.")
    for claim, names in (("nbf", ("validFrom", "issuanceDate")), ("exp", ("validUntil", "expirationDate"))):
        if claim not in claims:
            continue
        value = claims[claim]
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            bad(claim, f"{claim} is not a number.")
            continue
        for n in names:
            if n in cred:
                try:
                    dt = parse_datetime(cred[n])
                except (ValueError, OverflowError):
                    dt = None
                if dt is None or abs(dt.timestamp() - float(value)) >= 1.0:
                    bad(claim, f"{claim} does not match {n}.")
                break
    return out


def _proof_time(value: object) -> datetime | None:
    """A proof's date-time, or ``None`` when it cannot be read (which the caller treats as a failure)."""
    try:
        return parse_datetime(value)
    except (ValueError, OverflowError):
        return None


def check_purpose(run: Run) -> None:
    problems = []
    assertion_of = {id(proof): assertion for proof, _rk, assertion in run.bound}
    for proof, rk in run.verified:
        if proof is None:  # a signed token: only the key's authorisation applies
            if assertion_of.get(id(proof), rk.assertion) is False:
                problems.append(problem("purpose-not-authorised", "Key not authorised",
                                         "The key's owner has not authorised it to issue credentials "
                                         "(it is not listed under assertionMethod)."))
            continue
        expires = proof.get("expires")
        if expires is not None:
            exp_dt = _proof_time(expires)
            if exp_dt is None or run.now > exp_dt:
                problems.append(problem("proof-expired", "Signature expired",
                                        f"The proof expired ({str(expires)[:40]}).", "/proof/expires"))
                continue
        if proof.get("created") is not None:
            created_dt = _proof_time(proof["created"])
            if created_dt is None:
                problems.append(problem("proof-created", "Unreadable signing time",
                                         "The proof's created date cannot be read.", "/proof/created"))
                continue
            if created_dt > run.now + CLOCK_SKEW:
                problems.append(problem("proof-created-future", "Signed in the future",
                                         f"The proof says it was created on {created_dt.isoformat()}, "
                                         "after the time of this check.", "/proof/created"))
                continue
        if proof.get("proofPurpose") != "assertionMethod":
            problems.append(problem("purpose", "Wrong proof purpose",
                                     f"proofPurpose is {str(proof.get('proofPurpose'))[:60]!r}, "
                                     "expected 'assertionMethod'.", "/proof"))
        elif assertion_of.get(id(proof), rk.assertion) is False:
            problems.append(problem("purpose-not-authorised", "Key not authorised",
                                     "The key's owner has not authorised it to issue credentials "
                                     "(it is not listed under assertionMethod).", "/proof/verificationMethod"))
    if problems:
        run.add("proof.purpose", "failure", "The signature is not valid for issuing credentials.", problems)
        raise Fatal
    if all(proof is None and rk.source in ("jwks", "jwk") for proof, rk in run.verified):
        run.add("proof.purpose", "success", "The key is published by the issuer for signing.")
        return
    run.add("proof.purpose", "success", "The key is authorised to issue credentials.")


SUITE = Suite("proof", (check_present, check_signature, check_binding, check_purpose))
