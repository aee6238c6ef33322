"""VC-JWT: compact JWS signing and strict, bounded verification.

The algorithm is pinned by the verification key, never chosen by the token header: Ed25519 -> EdDSA,
P-256 -> ES256, RSA (>= 2048 bits) -> RS256. ``none``, HMAC and anything else are rejected. Tokens are
size-checked and their JSON nesting depth is measured before any JSON parsing.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from .errors import ProofError
from .keys import MIN_RSA_BITS, PublicKey

MAX_TOKEN_BYTES = 256 * 1024
MAX_HEADER_BYTES = 4096
MAX_JSON_DEPTH = 32
ALG_FOR_KIND = {"Ed25519": "EdDSA", "P-256": "ES256", "RSA": "RS256"}
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
# The closing quote is optional so an unterminated string is consumed in one linear match (without it, every later
# quote starts a new scan to the end: quadratic on a hostile payload).
_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.S)
_BRACKETS = re.compile(r"[\[\]{}]")


def _b64u(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


def _b64u_decode(seg: str, what: str) -> bytes:
    if len(seg) % 4 == 1:
        raise ProofError(f"JWS {what} is not valid base64url", code="jws.malformed")
    raw = base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4))
    if _b64u(raw) != seg:  # stray low bits: one token, one spelling
        raise ProofError(f"JWS {what} is not canonical base64url", code="jws.malformed")
    return raw


def json_depth(text: str) -> int:
    """Maximum nesting depth of arrays/objects in JSON text, without parsing it."""
    depth = best = 0
    for ch in _BRACKETS.findall(_STRINGS.sub("", text)):
        if ch == "[" or ch == "{":
            depth += 1
            if depth > best:
                best = depth
        else:
            depth -= 1
    return best


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ProofError("duplicate JSON member", code="jws.malformed")
    return out


def _text(raw: bytes, what: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ProofError(f"JWS {what} is not UTF-8", code="jws.malformed") from None
    # Nesting cannot exceed the number of openers, so the scan is only needed for bracket-rich text.
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH and json_depth(text) > MAX_JSON_DEPTH:
        raise ProofError(f"JWS {what} is nested too deeply (limit {MAX_JSON_DEPTH})", code="jws.too_deep")
    return text


def _reject_constant(name: str) -> Any:
    raise ProofError(f"JSON constant {name} is not allowed", code="jws.malformed")


def _parse_json(text: str, what: str) -> dict:
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise ProofError(f"JWS {what} is not valid JSON", code="jws.malformed") from None
    if not isinstance(value, dict):
        raise ProofError(f"JWS {what} must be a JSON object", code="jws.malformed")
    return value


def parse_jws(token: str) -> tuple[dict, dict, bytes, bytes]:
    """Split and decode a compact JWS without verifying it.

    Parameters
    ----------
    token
        ``header.payload.signature`` (base64url, no padding).

    Returns
    -------
    tuple
        (header, payload, signing input bytes, signature bytes).

    Raises
    ------
    ProofError
        ``jws.too_large`` (over :data:`MAX_TOKEN_BYTES`), ``jws.too_deep`` (JSON nesting over
        :data:`MAX_JSON_DEPTH`), ``jws.malformed`` (anything else: segments, encoding, JSON, duplicate
        members, missing ``alg``, ``crit``, unencoded payload).
    """
    if isinstance(token, bytes):
        token = token.decode("ascii", "replace")
    if not isinstance(token, str):
        raise ProofError("JWS must be a string", code="jws.malformed")
    token = token.strip()
    if len(token) > MAX_TOKEN_BYTES:
        raise ProofError(f"JWS is larger than {MAX_TOKEN_BYTES} bytes", code="jws.too_large")
    parts = token.split(".")
    if len(parts) != 3:
        raise ProofError("compact JWS must have exactly three segments", code="jws.malformed")
    h, p, s = parts
    if not all(_B64URL.fullmatch(x) for x in parts) or not h or not p:
        raise ProofError("JWS segments must be non-empty base64url", code="jws.malformed")
    if len(h) > MAX_HEADER_BYTES:
        raise ProofError("JWS header is too large", code="jws.too_large")
    # Size and depth of both parts are checked before either is handed to the JSON parser.
    header_text = _text(_b64u_decode(h, "header"), "header")
    payload_text = _text(_b64u_decode(p, "payload"), "payload")
    signature = _b64u_decode(s, "signature")
    header = _parse_json(header_text, "header")
    alg = header.get("alg")
    if not isinstance(alg, str) or not alg:
        raise ProofError("JWS header has no alg", code="jws.malformed")
    if "crit" in header:
        raise ProofError("JWS header has critical extensions this verifier does not understand",
                         code="jws.malformed")
    if header.get("b64") is False:
        raise ProofError("unencoded JWS payloads are not accepted", code="jws.malformed")
    payload = _parse_json(payload_text, "payload")
    return header, payload, f"{h}.{p}".encode("ascii"), signature


def verify_jws(token: str, public_key: PublicKey) -> dict:
    """Verify a compact JWS with ``public_key`` and return its payload.

    The algorithm is determined by the key type (:data:`ALG_FOR_KIND`); a header naming another algorithm
    (``none``, ``HS256``, ES256 for an Ed25519 key, ...) is rejected before any signature check.

    Raises
    ------
    ProofError
        ``jws.alg`` (algorithm not allowed for this key), ``jws.key`` (weak/unsupported key),
        ``proof.signature`` (bad signature) and the :func:`parse_jws` codes.
    """
    header, payload, signing_input, signature = parse_jws(token)
    verify_jws_parts(header, signing_input, signature, public_key)
    return payload


def verify_jws_parts(header: dict, signing_input: bytes, signature: bytes, public_key: PublicKey) -> None:
    """Check the signature of a compact JWS already split by :func:`parse_jws` (no second decode).

    The algorithm is pinned by the key type (:data:`ALG_FOR_KIND`); the header's ``alg`` must name exactly it.

    Parameters
    ----------
    header
        The decoded protected header.
    signing_input
        ``ASCII(base64url(header) "." base64url(payload))``.
    signature
        The decoded signature bytes.
    public_key
        The verification key.

    Raises
    ------
    ProofError
        ``jws.key`` (unsupported or weak key), ``jws.alg`` (header names another algorithm),
        ``proof.signature`` (signature does not verify).
    """
    if not isinstance(public_key, PublicKey) or public_key.kind not in ALG_FOR_KIND:
        raise ProofError("unsupported verification key", code="jws.key")
    expected = ALG_FOR_KIND[public_key.kind]
    alg = header.get("alg") if isinstance(header, dict) else None
    if alg != expected:
        raise ProofError(f"JWS alg {str(alg)[:20]!r} is not accepted for a {public_key.kind} key "
                         f"(expected {expected})", code="jws.alg")
    try:
        if expected == "EdDSA":
            if len(signature) != 64:
                raise InvalidSignature
            public_key.key.verify(signature, signing_input)
        elif expected == "ES256":
            if len(signature) != 64:
                raise InvalidSignature
            der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
            public_key.key.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
        else:
            if public_key.key.key_size < MIN_RSA_BITS:
                raise ProofError("RSA key is too short", code="jws.key")
            public_key.key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise ProofError("JWS signature does not verify", code="proof.signature") from None


def _numeric_date(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        return None
    return int(dt.astimezone(UTC).timestamp())


def _id_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"]
    return None


def sign_compact_jws(header: dict, payload: dict, private_key: Any) -> str:
    """Sign ``payload`` as a compact JWS; ``alg`` is set from the key type (overriding ``header``)."""
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        alg = "EdDSA"
    elif isinstance(private_key, ec.EllipticCurvePrivateKey) and isinstance(private_key.curve, ec.SECP256R1):
        alg = "ES256"
    elif isinstance(private_key, rsa.RSAPrivateKey) and private_key.key_size >= MIN_RSA_BITS:
        alg = "RS256"
    else:
        raise ProofError("unsupported signing key for JWS", code="jws.key")
    hdr = {"alg": alg, **{k: v for k, v in header.items() if k != "alg"}}
    h = _b64u(json.dumps(hdr, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    p = _b64u(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    signing_input = f"{h}.{p}".encode("ascii")
    if alg == "EdDSA":
        sig = private_key.sign(signing_input)
    elif alg == "ES256":
        r, s = decode_dss_signature(private_key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:
        sig = private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{h}.{p}.{_b64u(sig)}"


def sign_vc_jwt(credential: dict, private_key: Any, *, kid: str, vc_version: Literal[1, 2] = 2) -> str:
    """Secure a credential as a VC-JWT.

    Parameters
    ----------
    credential
        The unsecured credential (no ``proof``).
    private_key
        Ed25519 (EdDSA), P-256 (ES256) or RSA >= 2048 (RS256) private key.
    kid
        Verification method id placed in the header.
    vc_version
        ``2``: VC-JOSE-COSE, the payload is the credential itself, ``typ: vc+jwt``.
        ``1``: VC Data Model 1.1 JWT encoding, the credential under ``vc`` plus ``iss``/``sub``/``jti``/``nbf``/
        ``exp`` claims derived from it, ``typ: JWT``.

    Returns
    -------
    str
        The compact JWS.
    """
    if not isinstance(credential, dict):
        raise TypeError("credential must be a dict")
    if vc_version == 2:
        header = {"kid": kid, "typ": "vc+jwt", "cty": "vc"}
        payload = dict(credential)
    elif vc_version == 1:
        header = {"kid": kid, "typ": "JWT"}
        payload = {"vc": dict(credential)}
        claims = {
            "iss": _id_of(credential.get("issuer")),
            "sub": _id_of(credential.get("credentialSubject")),
            "jti": credential.get("id") if isinstance(credential.get("id"), str) else None,
            "nbf": _numeric_date(credential.get("issuanceDate") or credential.get("validFrom")),
            "exp": _numeric_date(credential.get("expirationDate") or credential.get("validUntil")),
        }
        payload.update({k: v for k, v in claims.items() if v is not None})
    else:
        raise ValueError("vc_version must be 1 or 2")
    return sign_compact_jws(header, payload, private_key)


def credential_from_payload(payload: dict) -> dict:
    """The credential carried by a verified VC-JWT payload (VC 2.0: the payload; VC 1.1: ``payload["vc"]``)."""
    vc = payload.get("vc")
    if isinstance(vc, dict):
        return vc
    return payload


__all__ = [
    "parse_jws", "verify_jws", "verify_jws_parts", "sign_vc_jwt", "sign_compact_jws", "credential_from_payload",
    "json_depth",
    "ALG_FOR_KIND", "MAX_TOKEN_BYTES", "MAX_JSON_DEPTH",
]
