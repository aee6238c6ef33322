"""Base58btc and multibase helpers (only the two bases Verifiable Credentials use: ``z`` and ``u``)."""

from __future__ import annotations

import base64

from .errors import KeyFormatError

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}
# Decoding cost is quadratic in length; proofs and keys are < 200 chars, so cap well above that.
_MAX_B58_LEN = 4096


def b58encode(b: bytes) -> str:
    """Encode bytes as Bitcoin base58 (leading zero bytes become ``1``).

    Parameters
    ----------
    b
        Bytes to encode.

    Returns
    -------
    str
        The base58btc text.
    """
    n = int.from_bytes(b, "big")
    out = []
    while n:
        n, r = divmod(n, 58)
        out.append(_B58_ALPHABET[r])
    pad = len(b) - len(b.lstrip(b"\0"))
    return "1" * pad + "".join(reversed(out))


def b58decode(s: str) -> bytes:
    """Decode Bitcoin base58 text.

    Parameters
    ----------
    s
        base58btc text.

    Returns
    -------
    bytes
        The decoded bytes.

    Raises
    ------
    KeyFormatError
        If ``s`` contains a character outside the alphabet or is unreasonably long.
    """
    if not isinstance(s, str):
        raise KeyFormatError("base58 value must be a string", code="multibase.type")
    if len(s) > _MAX_B58_LEN:
        raise KeyFormatError("base58 value is too long", code="multibase.length")
    n = 0
    for c in s:
        try:
            n = n * 58 + _B58_INDEX[c]
        except KeyError:
            raise KeyFormatError(f"invalid base58 character {c!r}", code="multibase.alphabet") from None
    pad = len(s) - len(s.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * pad + body


def multibase_encode(b: bytes, base: str = "z") -> str:
    """Encode bytes as a multibase string.

    Parameters
    ----------
    b
        Bytes to encode.
    base
        ``"z"`` (base58btc) or ``"u"`` (base64url without padding).

    Returns
    -------
    str
        The prefixed multibase text.
    """
    if base == "z":
        return "z" + b58encode(b)
    if base == "u":
        return "u" + base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")
    raise ValueError(f"unsupported multibase prefix {base!r}")


def multibase_decode(s: str) -> bytes:
    """Decode a ``z`` (base58btc) or ``u`` (base64url, unpadded) multibase string.

    Raises
    ------
    KeyFormatError
        On an unknown prefix or invalid characters.
    """
    if not isinstance(s, str) or not s:
        raise KeyFormatError("multibase value must be a non-empty string", code="multibase.type")
    prefix, body = s[0], s[1:]
    if prefix == "z":
        return b58decode(body)
    if prefix == "u":
        if len(body) > _MAX_B58_LEN * 2 or "=" in body or len(body) % 4 == 1:
            raise KeyFormatError("invalid base64url multibase value", code="multibase.alphabet")
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (ValueError, TypeError):
            raise KeyFormatError("invalid base64url multibase value", code="multibase.alphabet") from None
        # Reject non-canonical encodings (stray low bits) so one value has one spelling.
        if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != body:
            raise KeyFormatError("non-canonical base64url multibase value", code="multibase.alphabet")
        return raw
    raise KeyFormatError(f"unsupported multibase prefix {prefix!r} (only 'z' and 'u')", code="multibase.prefix")
