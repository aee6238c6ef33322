"""Data Integrity proofs: eddsa-rdfc-2022, eddsa-jcs-2022 (W3C vc-di-eddsa) and legacy Ed25519Signature2020.

All three sign ``SHA-256(canonical proof configuration) || SHA-256(canonical document)`` with Ed25519 and
carry the signature as a base58btc multibase ``proofValue``. The proof configuration is the proof without
``proofValue`` and with the document's ``@context``. RDF suites canonicalize with RDFC-1.0 over pinned contexts
and, by default, refuse documents with terms their contexts do not define (they would not be signed).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

from mosaics_match.lru import LruCache

from . import jsonld
from .errors import ContextError, KeyFormatError, ProofError
from .keys import PublicKey, public_key_of
from .multibase import multibase_decode, multibase_encode

SUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020")
_DI_SUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022")
ED25519_2020_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"
_MAX_PROOFS = 16


def format_datetime(value: datetime) -> str:
    """XML Schema dateTime in UTC with a ``Z`` and whole seconds (naive values are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def proof_list(doc: Any) -> list[dict]:
    """The proofs of a secured document as a list (single proof or proof set; none -> ``[]``).

    Raises
    ------
    ProofError
        If ``proof`` is neither an object nor a list of objects, or the set is unreasonably large.
    """
    if not isinstance(doc, dict) or "proof" not in doc:
        return []
    proof = doc["proof"]
    items = proof if isinstance(proof, list) else [proof]
    if len(items) > _MAX_PROOFS:
        raise ProofError(f"too many proofs ({len(items)})", code="proof.malformed", pointer="/proof")
    for i, p in enumerate(items):
        if not isinstance(p, dict):
            raise ProofError("each proof must be a JSON object", code="proof.malformed",
                             pointer="/proof" + (f"/{i}" if isinstance(proof, list) else ""))
    return list(items)


def unsecured_document(doc: dict) -> dict:
    """A shallow copy of ``doc`` without its ``proof``."""
    return {k: v for k, v in doc.items() if k != "proof"}


def document_for_proof(doc: dict, proof: dict) -> dict:
    """The document a given proof of a proof set/chain was computed over.

    For a proof with ``previousProof`` (a proof chain) that is the unsecured document plus the proofs it
    names; otherwise it is the unsecured document.

    Raises
    ------
    ProofError
        If a ``previousProof`` id does not match any proof in ``doc``.
    """
    base = unsecured_document(doc)
    prev = proof.get("previousProof")
    if prev is None:
        return base
    ids = prev if isinstance(prev, list) else [prev]
    by_id = {p.get("id"): p for p in proof_list(doc) if p.get("id")}
    chosen = []
    for pid in ids:
        if pid not in by_id:
            raise ProofError(f"previousProof {pid!r} is not in the proof set", code="proof.previous_missing")
        chosen.append(by_id[pid])
    # Data Integrity §2.1.2: the previous proofs go back as a list, even one (JCS signs the JSON, so the form
    # matters; RDF canonicalization would not see a difference)
    base["proof"] = chosen
    return base


# --- canonical forms --------------------------------------------------------------------------------------------

# Proof configurations repeat (same issuer key, purpose, contexts; often the same timestamp in bulk issuing);
# their canonical form is a pure function of the JSON and the pinned contexts.
_proof_config_cache: LruCache[str, str] = LruCache(4096)


def clear_caches() -> None:
    """Forget cached proof-configuration and document canonical forms (benchmarks; memory pressure)."""
    _proof_config_cache.clear()
    jsonld.clear_document_cache()


def _rdfc(doc: dict, *, strict: bool, pointer_prefix: str = "", loader: jsonld.LoaderFn | None = None) -> str:
    try:
        return jsonld.canonicalize(doc, strict=strict, loader=loader)
    except ContextError as exc:
        keep = exc.code.startswith("jsonld.undefined") or exc.code == "jsonld.context.unknown"
        raise ProofError(exc.detail, code=exc.code if keep else "proof.jsonld",
                         pointer=(pointer_prefix + exc.pointer) if exc.pointer and exc.pointer.startswith("/")
                         else exc.pointer) from exc


def _rdfc_proof_config(config: dict, *, strict: bool, loader: jsonld.LoaderFn | None = None) -> str:
    if loader is not None:  # issuing: no cache that verification requests fill
        return _rdfc(config, strict=strict, pointer_prefix="/proof", loader=loader)
    key = ("s" if strict else "l") + json.dumps(config, sort_keys=True, ensure_ascii=False,
                                               separators=(",", ":"))
    hit = _proof_config_cache.get(key)
    if hit is None:
        hit = _rdfc(config, strict=strict, pointer_prefix="/proof")
        _proof_config_cache.put(key, hit)
    return hit


_JSON_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
# Outside strings, Python's JSON differs from RFC 8785 only for floats ("." / exponent) and integers beyond
# 2**53 (ES6 would round them); a 16+ digit run conservatively routes those to the reference encoder.
_NOT_ES6_SAFE = re.compile(r"[.eE]|\d{16,}")
_ABOVE_D7FF = re.compile("[\ud800-\U0010ffff]")


def jcs(value: Any) -> bytes:
    """RFC 8785 (JCS) canonical JSON bytes; a C-speed path for the common case, ``rfc8785`` otherwise.

    Raises
    ------
    ProofError
        ``proof.jcs`` when the value cannot be canonicalized (NaN, lone surrogates, unsupported types).
    """
    try:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        # Code-point key order equals RFC 8785's UTF-16 order unless characters above U+D7FF occur.
        keys_ok = text.isascii() or not _ABOVE_D7FF.search(text)
        # Without escaped quotes, splitting on '"' alternates outside/inside strings (much faster than a regex).
        outside = "".join(text.split('"')[0::2]) if '\\"' not in text else _JSON_STRINGS.sub("", text)
        if keys_ok and not _NOT_ES6_SAFE.search(outside):
            return text.encode("utf-8")
    except (TypeError, ValueError, RecursionError):
        pass  # let rfc8785 decide and produce its own error
    try:
        return rfc8785.dumps(value)
    except Exception as exc:  # rfc8785 raises its own errors for NaN, huge ints, bad strings
        raise ProofError(f"document cannot be canonicalized with JCS: {exc}", code="proof.jcs") from exc


def _proof_config(doc: dict, proof: dict) -> dict:
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in doc:
        config["@context"] = doc["@context"]
    return config


def _hash_data(doc: dict, proof: dict, suite: str, *, strict: bool,
               loader: jsonld.LoaderFn | None = None) -> tuple[bytes, str | None]:
    """The signed bytes, and the canonical N-Quads of ``doc`` for RDF suites (``None`` for JCS)."""
    config = _proof_config(doc, proof)
    if suite == "eddsa-jcs-2022":
        return hashlib.sha256(jcs(config)).digest() + hashlib.sha256(jcs(doc)).digest(), None
    proof_canon = _rdfc_proof_config(config, strict=strict, loader=loader)
    doc_canon = _rdfc(doc, strict=strict, loader=loader)
    return (hashlib.sha256(proof_canon.encode("utf-8")).digest()
            + hashlib.sha256(doc_canon.encode("utf-8")).digest()), doc_canon


def signing_input(doc_without_proof: dict, proof: dict, *, strict: bool = True) -> bytes:
    """The 64 bytes a proof signs: SHA-256(canonical proof configuration) || SHA-256(canonical document)."""
    return _hash_data(doc_without_proof, proof, _suite_of(proof), strict=strict)[0]


def proof_configuration(doc_without_proof: dict, proof: dict) -> dict:
    """The proof configuration that is canonicalized: ``proof`` minus ``proofValue``, with the doc's ``@context``."""
    return _proof_config(doc_without_proof, proof)


def _suite_of(proof: dict) -> str:
    ptype = proof.get("type")
    if ptype == "DataIntegrityProof":
        suite = proof.get("cryptosuite")
        if suite not in _DI_SUITES:
            raise ProofError(f"unsupported cryptosuite {suite!r}", code="proof.cryptosuite",
                             pointer="/proof/cryptosuite")
        return suite
    if ptype == "Ed25519Signature2020":
        return "Ed25519Signature2020"
    raise ProofError(f"unsupported proof type {ptype!r}", code="proof.type", pointer="/proof/type")


# --- sign / verify ----------------------------------------------------------------------------------------------

def sign_data_integrity(doc: dict, private_key: Any, *, verification_method: str, cryptosuite: str,
                        created: datetime, proof_purpose: str = "assertionMethod",
                        strict: bool = True) -> dict:
    """Sign ``doc`` and return a new document with the proof attached.

    Parameters
    ----------
    doc
        The unsecured document (a proof already present makes the result a proof set; the new proof does
        not cover existing proofs).
    private_key
        An ``Ed25519PrivateKey``.
    verification_method
        The verification method id written into the proof (e.g. a did:key URL).
    cryptosuite
        One of :data:`SUITES`.
    created
        Proof creation time (written as UTC, whole seconds).
    proof_purpose
        Usually ``"assertionMethod"``.
    strict
        Refuse to sign (``ProofError`` code ``jsonld.undefined_term``) when a term would be dropped by the
        RDF canonicalization, i.e. would not be covered by the signature.

    Returns
    -------
    dict
        A new document; ``doc`` is not modified.
    """
    if cryptosuite not in SUITES:
        raise ValueError(f"unknown cryptosuite {cryptosuite!r}; choose one of {SUITES}")
    if not isinstance(private_key, ed25519.Ed25519PrivateKey):
        raise KeyFormatError("these suites sign with Ed25519 keys only", code="key.unsupported")
    unsigned = unsecured_document(doc)
    if cryptosuite == "Ed25519Signature2020":
        proof: dict[str, Any] = {"type": "Ed25519Signature2020"}
    else:
        proof = {"type": "DataIntegrityProof", "cryptosuite": cryptosuite}
    proof.update({"created": format_datetime(created), "verificationMethod": verification_method,
                  "proofPurpose": proof_purpose})
    data, _canon = _hash_data(unsigned, proof, cryptosuite, strict=strict, loader=jsonld.issuing_loader())
    proof["proofValue"] = multibase_encode(private_key.sign(data), "z")
    out = _copy_json(unsigned)
    existing = proof_list(doc)
    out["proof"] = [_copy_json(p) for p in existing] + [proof] if existing else proof
    return out


def _copy_json(value: Any) -> Any:
    """Deep copy of JSON-shaped data (dicts, lists, scalars); anything else goes through ``copy.deepcopy``."""
    t = type(value)
    if t is dict:
        return {k: _copy_json(v) for k, v in value.items()}
    if t is list:
        return [_copy_json(v) for v in value]
    if t in (str, int, float, bool) or value is None:
        return value
    return copy.deepcopy(value)


def verify_proof(doc_without_proof: dict, proof: dict, public_key: PublicKey, *, strict: bool = True,
                 loader: jsonld.LoaderFn | None = None) -> str | None:
    """Verify one Data Integrity / Ed25519Signature2020 proof.

    Only the cryptography is checked here: proof type/suite, the proofValue encoding and the signature over
    the canonical forms. Whether ``verificationMethod`` belongs to the issuer, the proof purpose, and dates
    are the caller's checks.

    Parameters
    ----------
    doc_without_proof
        The document the proof was computed over (see :func:`document_for_proof` for proof chains).
    proof
        The proof object.
    public_key
        The Ed25519 key of the proof's verification method.
    strict
        Fail (code ``jsonld.undefined_term``) when the document or proof uses terms its context does not
        define, instead of verifying a signature that does not cover them.
    loader
        JSON-LD loader to canonicalize with (default: the verifying loader).

    Returns
    -------
    str | None
        For RDF suites the canonical N-Quads of the document: exactly what the signature covers, to read
        the credential's facts from (see :mod:`.signed_view`); ``None`` for eddsa-jcs-2022, whose signature
        covers the JSON itself.

    Raises
    ------
    ProofError
        ``proof.type`` / ``proof.cryptosuite`` (unsupported), ``proof.malformed`` (missing/garbled
        proofValue), ``proof.key`` (wrong key type), ``proof.jsonld`` / ``jsonld.undefined_term``
        (canonicalization), ``proof.signature`` (signature does not verify).
    """
    if not isinstance(proof, dict):
        raise ProofError("proof must be a JSON object", code="proof.malformed", pointer="/proof")
    if not isinstance(doc_without_proof, dict):
        raise ProofError("document must be a JSON object", code="proof.malformed")
    suite = _suite_of(proof)
    if not isinstance(public_key, PublicKey) or public_key.kind != "Ed25519":
        raise ProofError(f"{suite} needs an Ed25519 key", code="proof.key")
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z") or len(value) > 200:
        raise ProofError("proofValue must be a base58btc multibase string", code="proof.malformed",
                         pointer="/proof/proofValue")
    try:
        signature = multibase_decode(value)
    except KeyFormatError as exc:
        raise ProofError(f"proofValue is not valid base58btc: {exc.detail}", code="proof.malformed",
                         pointer="/proof/proofValue") from exc
    if len(signature) != 64:
        raise ProofError(f"Ed25519 signature must be 64 bytes, got {len(signature)}", code="proof.malformed",
                         pointer="/proof/proofValue")
    if "proof" in doc_without_proof and proof.get("previousProof") is None:
        raise ProofError("pass the document without its proof (use document_for_proof)", code="proof.malformed")
    if "@context" in proof:
        # Data Integrity §4.4: a proof's own @context must be a prefix of the document's @context.
        pctx = proof["@context"] if isinstance(proof["@context"], list) else [proof["@context"]]
        dctx = doc_without_proof.get("@context")
        dctx = dctx if isinstance(dctx, list) else [dctx]
        if dctx[:len(pctx)] != pctx:
            raise ProofError("the proof's @context does not match the start of the document's @context",
                             code="proof.context", pointer="/proof/@context")
    if suite == "Ed25519Signature2020" and ED25519_2020_CONTEXT not in _context_urls(doc_without_proof):
        raise ProofError(f"Ed25519Signature2020 needs the {ED25519_2020_CONTEXT} context in the document",
                         code="proof.context", pointer="/@context")
    data, canonical = _hash_data(doc_without_proof, proof, suite, strict=strict, loader=loader)
    try:
        public_key.key.verify(signature, data)
    except InvalidSignature:
        raise ProofError("signature does not match the document", code="proof.signature",
                         pointer="/proof/proofValue") from None
    return canonical


def _context_urls(doc: dict) -> list[str]:
    ctx = doc.get("@context")
    items = ctx if isinstance(ctx, list) else [ctx]
    return [c for c in items if isinstance(c, str)]


def verify_with_private(doc: dict, private_key: Any) -> None:
    """Verify every proof of ``doc`` against the public half of ``private_key`` (self-check after signing)."""
    pub = public_key_of(private_key)
    for p in proof_list(doc):
        verify_proof(document_for_proof(doc, p), p, pub, loader=jsonld.issuing_loader())


__all__ = [
    "SUITES", "sign_data_integrity", "verify_proof", "proof_list", "document_for_proof", "unsecured_document",
    "format_datetime", "verify_with_private", "signing_input", "proof_configuration", "jcs",
    "clear_caches",
]
