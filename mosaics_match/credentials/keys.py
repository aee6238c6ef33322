"""Public keys, Multikey / JWK encodings and ``did:key``.

Only verification-side key handling lives here (plus Ed25519 key generation for issuers); private keys at rest
are :mod:`mosaics_match.store.keystore`'s business. Supported key types: Ed25519, P-256 (did:key, Multikey, JWK) and
RSA >= 2048 bits (JWK only, for RS256 VC-JWTs).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from .errors import KeyFormatError
from .multibase import b58decode, multibase_decode, multibase_encode

KeyKind = Literal["Ed25519", "P-256", "RSA"]

# Multicodec varint prefixes (https://github.com/multiformats/multicodec table).
_ED25519_PUB = b"\xed\x01"
_P256_PUB = b"\x80\x24"
_RSA_PUB = b"\x85\x24"

MIN_RSA_BITS = 2048

# --- Ed25519 point checks -------------------------------------------------------------------------------------
# cryptography/OpenSSL accept small-order and non-canonically encoded public keys; for signatures that is how
# "one signature verifies for many messages/keys" tricks work, so we reject them before building the key.
_P = 2**255 - 19
_D = (-121665 * pow(121666, -1, _P)) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _ed_decompress(raw: bytes) -> tuple[int, int]:
    y = int.from_bytes(raw, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    if y >= _P:
        raise KeyFormatError("Ed25519 public key is not canonically encoded (y >= p)", code="key.ed25519.noncanonical")
    u = (y * y - 1) % _P
    v = (_D * y * y + 1) % _P
    x = (u * pow(v, 3, _P) * pow(u * pow(v, 7, _P), (_P - 5) // 8, _P)) % _P
    vx2 = (v * x * x) % _P
    if vx2 == u:
        pass
    elif vx2 == (-u) % _P:
        x = (x * _SQRT_M1) % _P
    else:
        raise KeyFormatError("Ed25519 public key is not a point on the curve", code="key.ed25519.invalid")
    if x == 0 and sign:
        raise KeyFormatError("Ed25519 public key is not canonically encoded (x = 0 with sign bit set)",
                             code="key.ed25519.noncanonical")
    if (x & 1) != sign:
        x = _P - x
    return x, y


def _ed_add(p1: tuple[int, int], p2: tuple[int, int]) -> tuple[int, int]:
    x1, y1 = p1
    x2, y2 = p2
    t = (_D * x1 * x2 * y1 * y2) % _P
    x3 = ((x1 * y2 + x2 * y1) * pow(1 + t, -1, _P)) % _P
    y3 = ((y1 * y2 + x1 * x2) * pow(1 - t, -1, _P)) % _P
    return x3, y3


@lru_cache(maxsize=4096)
def _check_ed25519_raw(raw: bytes) -> None:
    if len(raw) != 32:
        raise KeyFormatError(f"Ed25519 public key must be 32 bytes, got {len(raw)}", code="key.ed25519.length")
    pt = _ed_decompress(raw)
    for _ in range(3):  # [8]P: the torsion subgroup has order 8
        pt = _ed_add(pt, pt)
    if pt == (0, 1):
        raise KeyFormatError("Ed25519 public key has small order (weak key)", code="key.ed25519.small_order")


def _b64u(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


def _b64u_dec(s: Any, what: str) -> bytes:
    if not isinstance(s, str) or not s or "=" in s or len(s) > 2048:
        raise KeyFormatError(f"JWK member {what!r} must be an unpadded base64url string", code="key.jwk")
    try:
        raw = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    except (ValueError, TypeError):
        raise KeyFormatError(f"JWK member {what!r} is not base64url", code="key.jwk") from None
    if _b64u(raw) != s:
        raise KeyFormatError(f"JWK member {what!r} is not canonical base64url", code="key.jwk")
    return raw


@dataclass(frozen=True, eq=False)
class PublicKey:
    """A verification key with its type.

    Attributes
    ----------
    kind
        ``"Ed25519"``, ``"P-256"`` or ``"RSA"``.
    key
        The ``cryptography`` public key object.
    """

    kind: KeyKind
    key: Any

    def raw(self) -> bytes:
        """Raw key bytes: 32 bytes (Ed25519), 33-byte compressed point (P-256), PKCS#1 DER (RSA)."""
        if self.kind == "Ed25519":
            return self.key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        if self.kind == "P-256":
            return self.key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
        return self.key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)

    def multikey(self) -> str:
        """``publicKeyMultibase`` value (``z6Mk...`` for Ed25519, ``zDn...`` for P-256)."""
        prefix = {"Ed25519": _ED25519_PUB, "P-256": _P256_PUB, "RSA": _RSA_PUB}[self.kind]
        return multibase_encode(prefix + self.raw(), "z")

    def jwk(self) -> dict[str, str]:
        """Public JWK (RFC 7517 / RFC 8037); never contains private members."""
        if self.kind == "Ed25519":
            return {"kty": "OKP", "crv": "Ed25519", "x": _b64u(self.raw())}
        if self.kind == "P-256":
            nums = self.key.public_numbers()
            return {"kty": "EC", "crv": "P-256", "x": _b64u(nums.x.to_bytes(32, "big")),
                    "y": _b64u(nums.y.to_bytes(32, "big"))}
        nums = self.key.public_numbers()
        return {"kty": "RSA", "n": _b64u(nums.n.to_bytes((nums.n.bit_length() + 7) // 8, "big")),
                "e": _b64u(nums.e.to_bytes((nums.e.bit_length() + 7) // 8, "big"))}

    def fingerprint(self) -> str:
        """Short display fingerprint: first 64 bits of SHA-256 over the multikey, as ``xxxx:xxxx:xxxx:xxxx``."""
        h = hashlib.sha256(self.multikey().encode("ascii")).hexdigest()[:16]
        return ":".join(h[i:i + 4] for i in range(0, 16, 4))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublicKey) and other.kind == self.kind and other.raw() == self.raw()

    def __hash__(self) -> int:
        return hash((self.kind, self.raw()))

    def __repr__(self) -> str:
        return f"PublicKey({self.kind}, {self.fingerprint()})"


def generate_ed25519() -> ed25519.Ed25519PrivateKey:
    """Generate a fresh Ed25519 signing key."""
    return ed25519.Ed25519PrivateKey.generate()


def public_key_of(private_key: Any) -> PublicKey:
    """Wrap the public half of a ``cryptography`` private key (Ed25519, P-256 or RSA).

    Raises
    ------
    KeyFormatError
        For an unsupported key type or curve.
    """
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        return PublicKey("Ed25519", private_key.public_key())
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        if not isinstance(private_key.curve, ec.SECP256R1):
            raise KeyFormatError(f"unsupported curve {private_key.curve.name}", code="key.unsupported")
        return PublicKey("P-256", private_key.public_key())
    if isinstance(private_key, rsa.RSAPrivateKey):
        return _rsa_public(private_key.public_key())
    raise KeyFormatError(f"unsupported private key type {type(private_key).__name__}", code="key.unsupported")


def _rsa_public(pub: rsa.RSAPublicKey) -> PublicKey:
    if pub.key_size < MIN_RSA_BITS:
        raise KeyFormatError(f"RSA key of {pub.key_size} bits is too short (minimum {MIN_RSA_BITS})",
                             code="key.rsa.too_short")
    return PublicKey("RSA", pub)


def ed25519_public_key(raw: bytes) -> PublicKey:
    """Build an Ed25519 :class:`PublicKey` from 32 raw bytes, rejecting small-order / non-canonical points."""
    _check_ed25519_raw(bytes(raw))
    return PublicKey("Ed25519", ed25519.Ed25519PublicKey.from_public_bytes(bytes(raw)))


def _p256_public_key(point: bytes) -> PublicKey:
    if len(point) not in (33, 65):
        raise KeyFormatError("P-256 public key must be a 33-byte compressed (or 65-byte) point", code="key.p256.length")
    try:
        pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise KeyFormatError("P-256 public key is not a valid curve point", code="key.p256.invalid") from None
    return PublicKey("P-256", pub)


def public_key_from_multikey(value: str) -> PublicKey:
    """Parse a Multikey ``publicKeyMultibase`` (also the Ed25519VerificationKey2020 form).

    Parameters
    ----------
    value
        ``z6Mk...`` (Ed25519) or ``zDn...`` (P-256).

    Raises
    ------
    KeyFormatError
        On bad encoding, unsupported multicodec, wrong length or an unsafe Ed25519 point.
    """
    if not isinstance(value, str) or not value.startswith("z"):
        raise KeyFormatError("publicKeyMultibase must be a base58btc ('z') multibase string", code="key.multikey")
    data = multibase_decode(value)
    if data[:2] == _ED25519_PUB:
        return ed25519_public_key(data[2:])
    if data[:2] == _P256_PUB:
        if len(data) != 35:
            raise KeyFormatError("P-256 multikey must hold a 33-byte compressed point", code="key.p256.length")
        return _p256_public_key(data[2:])
    raise KeyFormatError("unsupported multikey codec (expected Ed25519 or P-256 public key)",
                         code="key.multikey.codec")


def public_key_from_jwk(jwk: dict) -> PublicKey:
    """Parse a public JWK (OKP/Ed25519, EC/P-256, RSA >= 2048 bits).

    Private members such as ``d`` are ignored (never used, never required).

    Raises
    ------
    KeyFormatError
        On unsupported ``kty``/``crv``, malformed members, weak RSA or unsafe Ed25519 keys.
    """
    if not isinstance(jwk, dict):
        raise KeyFormatError("JWK must be a JSON object", code="key.jwk")
    kty = jwk.get("kty")
    if kty == "OKP":
        if jwk.get("crv") != "Ed25519":
            raise KeyFormatError(f"unsupported OKP curve {jwk.get('crv')!r}", code="key.jwk.crv")
        return ed25519_public_key(_b64u_dec(jwk.get("x"), "x"))
    if kty == "EC":
        if jwk.get("crv") != "P-256":
            raise KeyFormatError(f"unsupported EC curve {jwk.get('crv')!r}", code="key.jwk.crv")
        x, y = _b64u_dec(jwk.get("x"), "x"), _b64u_dec(jwk.get("y"), "y")
        if len(x) != 32 or len(y) != 32:
            raise KeyFormatError("P-256 JWK coordinates must be 32 bytes", code="key.jwk")
        return _p256_public_key(b"\x04" + x + y)
    if kty == "RSA":
        n = int.from_bytes(_b64u_dec(jwk.get("n"), "n"), "big")
        e = int.from_bytes(_b64u_dec(jwk.get("e"), "e"), "big")
        if e < 3 or e % 2 == 0:
            raise KeyFormatError("RSA public exponent is invalid", code="key.rsa.invalid")
        try:
            pub = rsa.RSAPublicNumbers(e, n).public_key()
        except ValueError:
            raise KeyFormatError("RSA JWK is invalid", code="key.rsa.invalid") from None
        return _rsa_public(pub)
    raise KeyFormatError(f"unsupported JWK kty {kty!r}", code="key.jwk.kty")


def public_key_from_verification_method(vm: dict) -> PublicKey:
    """Extract the key from a verification method object of a DID document / controller document.

    Understands ``publicKeyMultibase`` (Multikey, Ed25519VerificationKey2020), ``publicKeyJwk`` (JsonWebKey,
    JsonWebKey2020) and ``publicKeyBase58`` (Ed25519VerificationKey2018).
    """
    if not isinstance(vm, dict):
        raise KeyFormatError("verification method must be an object", code="key.vm")
    if "publicKeyMultibase" in vm:
        return public_key_from_multikey(vm["publicKeyMultibase"])
    if "publicKeyJwk" in vm:
        return public_key_from_jwk(vm["publicKeyJwk"])
    if "publicKeyBase58" in vm and vm.get("type") == "Ed25519VerificationKey2018":
        return ed25519_public_key(b58decode(vm["publicKeyBase58"]))
    raise KeyFormatError("verification method has no supported public key member", code="key.vm")


def did_key_for(public: PublicKey) -> str:
    """The ``did:key`` identifier of an Ed25519 or P-256 key."""
    if public.kind not in ("Ed25519", "P-256"):
        raise KeyFormatError("did:key is only supported for Ed25519 and P-256 keys", code="key.unsupported")
    return "did:key:" + public.multikey()


def did_key_verification_method(did: str) -> str:
    """Verification method id of a ``did:key``: the DID, ``#``, and its multibase value."""
    if not did.startswith("did:key:"):
        raise KeyFormatError("not a did:key identifier", code="did.method")
    base = did.split("#", 1)[0]
    return base + "#" + base[len("did:key:"):]


def resolve_did_key(did_or_url: str) -> tuple[str, str, PublicKey]:
    """Resolve a ``did:key`` DID or DID URL locally.

    Parameters
    ----------
    did_or_url
        ``did:key:z6Mk...`` or ``did:key:z6Mk...#z6Mk...``.

    Returns
    -------
    tuple
        (verification method id, controller DID, public key).

    Raises
    ------
    KeyFormatError
        If it is not a did:key, the fragment does not name the key, or the key is invalid/unsupported.
    """
    if not isinstance(did_or_url, str) or not did_or_url.startswith("did:key:"):
        raise KeyFormatError("not a did:key identifier", code="did.method")
    did, _, fragment = did_or_url.partition("#")
    msid = did[len("did:key:"):]
    if not msid or any(c in msid for c in "/?:;"):
        raise KeyFormatError("did:key has unsupported path, query or parameters", code="did.key.syntax")
    if fragment and fragment != msid:
        raise KeyFormatError("did:key fragment does not match the key", code="did.key.fragment")
    key = public_key_from_multikey(msid)
    return did + "#" + msid, did, key


def did_key_document(did: str) -> dict[str, Any]:
    """A DID document for a ``did:key`` with one Multikey verification method in every relationship."""
    vm_id, controller, key = resolve_did_key(did)
    vm = {"id": vm_id, "type": "Multikey", "controller": controller, "publicKeyMultibase": key.multikey()}
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": controller,
        "verificationMethod": [vm],
        "authentication": [vm_id],
        "assertionMethod": [vm_id],
        "capabilityDelegation": [vm_id],
        "capabilityInvocation": [vm_id],
    }


__all__ = [
    "PublicKey", "generate_ed25519", "public_key_of", "ed25519_public_key", "did_key_for",
    "did_key_verification_method", "resolve_did_key", "public_key_from_multikey", "public_key_from_jwk",
    "public_key_from_verification_method", "did_key_document",
]
