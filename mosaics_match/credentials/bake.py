"""Baking credentials into badge images and reading them back (Open Badges 3.0 section "Baking").

PNG: an uncompressed ``iTXt`` chunk with keyword ``openbadgecredential`` holding the credential JSON or compact
JWS. SVG (section 5.3.2.1): an ``<openbadges:credential>`` element (namespace
``https://purl.imsglobal.org/ob/v3p0``) holding the JSON in CDATA, or, for a VC-JWT, empty with the compact JWS in
its ``verify`` attribute. Reading also accepts a JWS as the element's text, as older portal badges have it.
Reading is defensive: PNG chunks are walked with CRC checks and size bounds, SVG is parsed with defusedxml (no
entity expansion, no external resources).
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from typing import Any

from .inputs import MAX_CREDENTIAL_BYTES, is_compact_jws

__all__ = [
    "BakeError",
    "OB3_NAMESPACE",
    "PNG_KEYWORD",
    "bake_png",
    "unbake_png",
    "bake_svg",
    "unbake_svg",
    "bake",
    "unbake",
]

OB3_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
PNG_KEYWORD = b"openbadgecredential"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_MAX_CHUNKS = 10_000


class BakeError(Exception):
    """An image cannot be baked or holds no readable credential.

    Attributes
    ----------
    code : str
        ``not-png``, ``bad-chunk``, ``bad-crc``, ``no-credential``, ``not-svg``, ``bad-xml``, ``too-large``,
        ``ambiguous``, ``not-jws`` ...
    detail : str
        Plain-language explanation.
    """

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def _payload_text(credential: dict | str) -> str:
    if isinstance(credential, dict):
        return json.dumps(credential, ensure_ascii=False, separators=(",", ":"))
    if isinstance(credential, str):
        return credential.strip()
    raise TypeError("credential must be a dict (JSON) or str (compact JWS)")


def _iter_chunks(data: bytes, *, max_bytes: int):
    if len(data) > max_bytes:
        raise BakeError("too-large", f"The image is larger than {max_bytes:,} bytes.")
    if not data.startswith(PNG_SIGNATURE):
        raise BakeError("not-png", "The file is not a PNG image.")
    pos = len(PNG_SIGNATURE)
    count = 0
    while pos < len(data):
        if pos + 12 > len(data):
            raise BakeError("bad-chunk", "The PNG ends in the middle of a chunk.")
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        ctype = data[pos + 4:pos + 8]
        end = pos + 12 + length
        if length > 0x7FFFFFFF or end > len(data):
            raise BakeError("bad-chunk", "A PNG chunk claims more data than the file holds.")
        if not re.fullmatch(rb"[A-Za-z]{4}", ctype):
            raise BakeError("bad-chunk", "The PNG has a chunk with an invalid type.")
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[end - 4:end])
        if zlib.crc32(ctype + body) & 0xFFFFFFFF != crc:
            raise BakeError("bad-crc", f"The PNG chunk {ctype.decode()} is corrupted (CRC mismatch).")
        yield pos, end, ctype, body
        count += 1
        if count > _MAX_CHUNKS:
            raise BakeError("bad-chunk", "The PNG has too many chunks.")
        pos = end
        if ctype == b"IEND":
            return
    raise BakeError("bad-chunk", "The PNG has no IEND chunk.")


def _chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body) & 0xFFFFFFFF)


def _parse_itxt(body: bytes, *, max_text: int) -> tuple[bytes, str] | None:
    keyword, sep, rest = body.partition(b"\x00")
    if not sep or len(rest) < 2:
        return None
    flag, method = rest[0], rest[1]
    rest = rest[2:]
    _lang, sep1, rest = rest.partition(b"\x00")
    _translated, sep2, text = rest.partition(b"\x00")
    if not (sep1 and sep2):
        return None
    if flag == 1:
        if method != 0:
            raise BakeError("bad-chunk", "The credential chunk uses an unknown compression method.")
        try:
            d = zlib.decompressobj()
            text = d.decompress(text, max_text + 1)
        except zlib.error:
            raise BakeError("bad-chunk", "The credential chunk is not valid compressed data.") from None
        if len(text) > max_text:
            raise BakeError("too-large", "The baked credential is too large.")
    try:
        return keyword, text.decode("utf-8")
    except UnicodeDecodeError:
        raise BakeError("bad-chunk", "The baked credential is not UTF-8 text.") from None


def unbake_png(data: bytes, *, max_bytes: int = MAX_CREDENTIAL_BYTES) -> str:
    """Return the credential text (JSON or compact JWS) baked into a PNG.

    Raises
    ------
    BakeError
        When the PNG is malformed or holds no ``openbadgecredential`` chunk.
    """
    found: list[str] = []
    for _start, _end, ctype, body in _iter_chunks(data, max_bytes=max_bytes):
        if ctype == b"iTXt" and body.startswith(PNG_KEYWORD + b"\x00"):
            parsed = _parse_itxt(body, max_text=max_bytes)
            if parsed is not None and parsed[0] == PNG_KEYWORD:
                found.append(parsed[1])
    if not found:
        raise BakeError("no-credential", "The PNG holds no Open Badges 3.0 credential.")
    if len(found) > 1:
        raise BakeError("ambiguous", "The PNG holds more than one baked credential.")
    return found[0].strip()


def bake_png(png: bytes, credential: dict | str) -> bytes:
    """Bake ``credential`` into ``png`` (replacing any credential already baked).

    Parameters
    ----------
    png : bytes
        A valid PNG image.
    credential : dict | str
        Credential JSON (dict) or compact JWS.

    Returns
    -------
    bytes
        The new PNG.
    """
    text = _payload_text(credential).encode("utf-8")
    body = PNG_KEYWORD + b"\x00" + b"\x00\x00" + b"\x00" + b"\x00" + text
    out = [PNG_SIGNATURE]
    inserted = False
    for start, end, ctype, chunk_body in _iter_chunks(png, max_bytes=max(len(png), 1)):
        if ctype == b"iTXt" and chunk_body.startswith(PNG_KEYWORD + b"\x00"):
            continue
        out.append(png[start:end])
        if ctype == b"IHDR" and not inserted:
            out.append(_chunk(b"iTXt", body))
            inserted = True
    if not inserted:
        raise BakeError("not-png", "The PNG has no IHDR chunk.")
    return b"".join(out)


_ROOT_RE = re.compile(r"<(?P<prefix>[A-Za-z_][\w.-]*:)?svg(?=[\s>/])")
_EXISTING_RE = re.compile(
    r"<(?P<p>[A-Za-z_][\w.-]*):credential\b[^>]*?(?:/>|>.*?</(?P=p):credential\s*>)", re.S)


def _svg_root(text: str) -> Any:
    try:
        from defusedxml import ElementTree as DET
        from defusedxml.common import DefusedXmlException
    except ImportError as exc:  # pragma: no cover - dependency pinned
        raise BakeError("bad-xml", f"defusedxml is required to read SVG ({exc}).") from None
    try:
        return DET.fromstring(text.encode("utf-8"), forbid_dtd=False, forbid_entities=True,
                              forbid_external=True)
    except DefusedXmlException:
        raise BakeError("bad-xml", "The SVG uses XML entities or external references, which are refused.") \
            from None
    except Exception as exc:  # ParseError and friends
        raise BakeError("bad-xml", f"The SVG is not well-formed XML ({exc.__class__.__name__}).") from None


def bake_svg(svg: str | bytes, credential: dict | str) -> str:
    """Bake ``credential`` into an SVG (replacing any credential already baked).

    Parameters
    ----------
    svg : str | bytes
        The SVG document.
    credential : dict | str
        Credential JSON (dict, stored as the element's text in CDATA) or compact JWS (stored in the ``verify``
        attribute of an empty element, where Open Badges 3.0 readers look for a VC-JWT).

    Returns
    -------
    str
        The new SVG text.

    Raises
    ------
    BakeError
        When ``svg`` is not an SVG document, or ``credential`` is a string that is not a compact JWS.
    """
    if isinstance(credential, str) and not is_compact_jws(credential):
        raise BakeError("not-jws", "Only a credential JSON object or a compact JWS (header.payload.signature) "
                                   "can be baked; the text given is neither.")
    text = svg.decode("utf-8-sig") if isinstance(svg, bytes) else svg
    root = _svg_root(text)
    if not (isinstance(root.tag, str) and root.tag.rsplit("}", 1)[-1] == "svg"):
        raise BakeError("not-svg", "The document's root element is not <svg>.")
    # drop credentials baked before (any prefix bound to the OB 3.0 namespace is written as "openbadges")
    text = _EXISTING_RE.sub(lambda m: "" if m.group("p") == "openbadges" else m.group(0), text)
    m = _ROOT_RE.search(text)
    if m is None:
        raise BakeError("not-svg", "No <svg> start tag found.")
    tag_end = text.index(">", m.end())
    self_closing = text[tag_end - 1] == "/"
    start_tag = text[m.start():tag_end - (1 if self_closing else 0)]
    if "xmlns:openbadges" not in start_tag:
        start_tag += f' xmlns:openbadges="{OB3_NAMESPACE}"'
    payload = _payload_text(credential)
    if isinstance(credential, dict):
        content = "<![CDATA[" + payload.replace("]]>", "]]]]><![CDATA[>") + "]]>"
        element = f"<openbadges:credential>{content}</openbadges:credential>"
    else:
        # is_compact_jws allows only base64url characters and dots: nothing to escape in the attribute
        element = f'<openbadges:credential verify="{payload}"/>'
    prefix = m.group("prefix") or ""
    if self_closing:
        return text[:m.start()] + start_tag + ">" + element + f"</{prefix}svg>" + text[tag_end + 1:]
    return text[:m.start()] + start_tag + ">" + element + text[tag_end + 1:]


def unbake_svg(data: bytes | str, *, max_bytes: int = MAX_CREDENTIAL_BYTES, max_nodes: int = 20_000) -> str:
    """Return the credential text baked into an SVG.

    Accepts the element anywhere in the document (first or last child) under any prefix bound to the Open Badges
    3.0 namespace: a compact JWS in its ``verify`` attribute (section 5.3.2.1), JSON as its text (in CDATA or
    XML-escaped), or a compact JWS as its text.

    When the element has both a non-blank ``verify`` attribute and non-blank text, they must hold the same
    credential; if they differ the image is refused as ambiguous, because readers that look in only one place
    would each show a different credential. A blank attribute counts as absent.

    Parameters
    ----------
    data : bytes | str
        The SVG document.
    max_bytes : int
        Largest accepted document.
    max_nodes : int
        Most elements walked before the document is refused.

    Returns
    -------
    str
        The credential JSON text or compact JWS, without surrounding whitespace.

    Raises
    ------
    BakeError
        When the SVG is malformed, too large, holds no credential or more than one, or its ``verify`` attribute
        is not a compact JWS.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise BakeError("too-large", f"The image is larger than {max_bytes:,} bytes.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BakeError("bad-xml", "The SVG is not UTF-8 text.") from None
    root = _svg_root(text)
    if not (isinstance(root.tag, str) and root.tag.rsplit("}", 1)[-1] == "svg"):
        raise BakeError("not-svg", "The document's root element is not <svg>.")
    wanted = "{" + OB3_NAMESPACE + "}credential"
    found: list[Any] = []
    for n, el in enumerate(root.iter()):
        if n > max_nodes:
            raise BakeError("too-large", "The SVG has too many elements.")
        if el.tag == wanted:
            found.append(el)
    if not found:
        raise BakeError("no-credential", "The SVG holds no Open Badges 3.0 credential.")
    if len(found) > 1:
        raise BakeError("ambiguous", "The SVG holds more than one baked credential.")
    return _element_credential(found[0])


def _element_credential(el: Any) -> str:
    """The credential held by one ``<openbadges:credential>`` element (rules in :func:`unbake_svg`)."""
    attribute = (el.get("verify") or "").strip()
    text = (el.text or "").strip()
    if attribute and not is_compact_jws(attribute):
        raise BakeError("not-jws", "The SVG's credential element has a verify attribute that is not a compact JWS "
                                   "(header.payload.signature); Open Badges 3.0 puts only a VC-JWT there.")
    if attribute and text and attribute != text:
        raise BakeError("ambiguous", "The SVG's credential element holds one credential in its verify attribute "
                                     "and a different one as its text, so it is not clear which is meant.")
    if not (attribute or text):
        raise BakeError("no-credential", "The SVG's credential element is empty: it has no verify attribute "
                                         "and no credential text.")
    return attribute or text


def bake(image: bytes, credential: dict | str) -> bytes:
    """Bake into a PNG or SVG, chosen by the image's content."""
    if image.startswith(PNG_SIGNATURE):
        return bake_png(image, credential)
    return bake_svg(image, credential).encode("utf-8")


def unbake(image: bytes, *, max_bytes: int = MAX_CREDENTIAL_BYTES) -> str:
    """Read the credential text from a PNG or SVG, chosen by the image's content."""
    if image.startswith(PNG_SIGNATURE):
        return unbake_png(image, max_bytes=max_bytes)
    return unbake_svg(image, max_bytes=max_bytes)
