"""Bounded handling of untrusted input before any real parsing.

The verifier accepts bytes from anyone (uploads, e-mails, QR codes). Everything here is cheap and bounded: a
size limit, a JSON nesting limit checked by scanning brackets *before* ``json.loads`` (which would otherwise
recurse), and content-based detection of the input kind (never the file extension).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass

__all__ = [
    "InputError",
    "Limits",
    "detect_kind",
    "json_depth_exceeds",
    "parse_json_bounded",
    "is_compact_jws",
    "PNG_SIGNATURE",
]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

_STRING_RE = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_BRACKETS_RE = re.compile(rb"[\[\]{}]")
_JWS_RE = re.compile(r"^[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$")


class InputError(Exception):
    """Input rejected before parsing.

    Attributes
    ----------
    code : str
        Stable machine code (``too-large``, ``too-deep``, ``invalid-json``, ``not-an-object``, ...).
    detail : str
        Plain-language explanation.
    """

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Limits:
    """Resource limits applied while verifying one credential.

    Attributes
    ----------
    max_bytes : int
        Largest accepted input (credential JSON, JWS, PNG or SVG).
    max_json_depth : int
        Deepest accepted JSON nesting.
    max_document_bytes : int
        Largest fetched document (DID document, JWKS, status list credential).
    max_status_list_bits : int
        Largest decompressed status list, in bits (decompression bomb bound).
    min_status_list_bits : int
        Smallest acceptable status list (herd privacy, Bitstring Status List v1.0).
    max_proofs : int
        Most proofs examined in a proof set.
    max_status_entries : int
        Most ``credentialStatus`` entries examined.
    max_svg_nodes : int
        Most XML elements walked in an SVG.
    """

    max_bytes: int = 4_000_000
    max_json_depth: int = 64
    max_document_bytes: int = 2_000_000
    max_status_list_bits: int = 16 * 8 * 1024 * 1024
    min_status_list_bits: int = 131_072
    max_proofs: int = 8
    max_status_entries: int = 16
    max_svg_nodes: int = 20_000


def json_depth_exceeds(data: bytes, max_depth: int) -> bool:
    """True when the JSON text nests deeper than ``max_depth`` (strings are ignored).

    Parameters
    ----------
    data : bytes
        UTF-8 JSON text (need not be valid).
    max_depth : int
        Largest allowed depth of ``[`` / ``{``.
    """
    stripped = _STRING_RE.sub(b"", data)
    depth = 0
    for m in _BRACKETS_RE.finditer(stripped):
        c = m.group()
        if c in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                return True
        else:
            depth -= 1
    return False


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not allowed in JSON")


def parse_json_bounded(data: bytes | str, *, max_bytes: int, max_depth: int) -> object:
    """Parse JSON after checking its size and nesting.

    Parameters
    ----------
    data : bytes | str
        The JSON text.
    max_bytes : int
        Size limit in bytes.
    max_depth : int
        Nesting limit.

    Returns
    -------
    object
        The parsed value.

    Raises
    ------
    InputError
        ``too-large``, ``too-deep`` or ``invalid-json``.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > max_bytes:
        raise InputError("too-large", f"The input is larger than {max_bytes:,} bytes.")
    if json_depth_exceeds(raw, max_depth):
        raise InputError("too-deep", f"The JSON is nested deeper than {max_depth} levels.")
    try:
        text = raw.decode("utf-8-sig")
        return json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise InputError("invalid-json", "The input is not UTF-8 text.") from None
    except (ValueError, RecursionError) as exc:
        raise InputError("invalid-json", f"The input is not valid JSON ({exc}).") from None


def is_compact_jws(text: str) -> bool:
    """True when ``text`` looks like a compact JWS whose header decodes to a JSON object with ``alg``."""
    text = text.strip()
    if len(text) > 8_000_000 or not _JWS_RE.match(text):
        return False
    head = text.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, TypeError):
        return False
    return isinstance(header, dict) and isinstance(header.get("alg"), str)


def detect_kind(data: bytes) -> str:
    """Detect what ``data`` is by content.

    Returns
    -------
    str
        ``"png"``, ``"svg"``, ``"json"``, ``"jws"`` or ``"unknown"``.
    """
    if data.startswith(PNG_SIGNATURE):
        return "png"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")):
        return "json"
    if head.startswith(b"<"):
        return "svg" if re.search(rb"<(?:[A-Za-z_][\w.-]*:)?svg[\s>/]", data[:65536]) else "unknown"
    if head.startswith(b'"'):
        # a JSON string holding a JWS, as some wallets export it
        try:
            inner = json.loads(data.decode("utf-8-sig"))
        except (ValueError, UnicodeDecodeError):
            return "unknown"
        return "jws" if isinstance(inner, str) and is_compact_jws(inner) else "unknown"
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        return "unknown"
    return "jws" if is_compact_jws(text) else "unknown"


def jws_text(data: bytes) -> str:
    """Return the compact JWS held by ``data`` (raw or as a JSON string)."""
    text = data.decode("utf-8-sig").strip()
    if text.startswith('"'):
        text = json.loads(text)
    return text.strip()
