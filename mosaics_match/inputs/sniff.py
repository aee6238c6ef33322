"""What an uploaded file really is, told in words, and whether the verify page should refuse it before checking.

The credential kinds (PNG, SVG, JSON, signed token) are recognised by the engine's one content sniffer,
:func:`mosaics_match.credentials.inputs.detect_kind`; this module only adds names for the things people upload
by mistake (a photo, a PDF, a ZIP, a program) so the message can say what the file is instead.
"""

from __future__ import annotations

from mosaics_match.credentials.inputs import Limits, detect_kind, is_compact_jws

__all__ = ["MAX_FILE_BYTES", "describe", "upload_problem", "looks_like_credential"]

#: Largest credential file the verify page accepts: the engine's own input bound.
MAX_FILE_BYTES: int = Limits().max_bytes

_CREDENTIAL_KINDS = {"png": "a PNG image", "svg": "an SVG image", "json": "JSON text"}
_MAGIC = (
    (b"\xff\xd8\xff", "a JPEG photo"), (b"GIF8", "a GIF image"), (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"), (b"MZ", "a Windows program"), (b"\x7fELF", "a program"),
    (b"\x1f\x8b", "a compressed (gzip) file"), (b"RIFF", "a media file"),
)


def describe(data: bytes) -> str | None:
    """What ``data`` is, as words for a message ("a PNG image", "a PDF document"), or ``None`` when unrecognised.

    Parameters
    ----------
    data : bytes
        The uploaded file.

    Returns
    -------
    str or None
        A noun phrase with its article; ``None`` for anything else (a signed token included: it has no name here).
    """
    label = _CREDENTIAL_KINDS.get(detect_kind(data))
    if label is not None:
        return label
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    if data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return "an XML or HTML document"
    return None


def upload_problem(name: str, data: bytes, *, max_bytes: int = MAX_FILE_BYTES) -> str | None:
    """A specific message when an upload is too large, empty, or not what its extension says; else ``None``.

    Parameters
    ----------
    name : str
        The file's name as uploaded (its extension says what it claims to be).
    data : bytes
        Its content.
    max_bytes : int
        The size limit stated to the visitor.

    Returns
    -------
    str or None
        The message to show instead of a verdict, or ``None`` when the file may be verified.
    """
    size = len(data)
    if size == 0:
        return f"“{name}” is empty."
    if size > max_bytes:
        return (f"“{name}” is {size / 1_000_000:.1f} MB; the largest credential file accepted is "
                f"{max_bytes // 1_000_000} MB. A badge image or credential is normally well under 1 MB.")
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    actual = describe(data)
    expected = _CREDENTIAL_KINDS.get(ext)
    if expected is not None and actual != expected:
        found = f"it is {actual}" if actual else "its content is not recognisable"
        return f"“{name}” is named .{ext} but is not {expected}: {found}. Upload the original badge file."
    if ext == "jwt" and detect_kind(data) != "jws":
        found = f"it is {actual}" if actual else "it does not have the three dot-separated parts of a token"
        return f"“{name}” is named .{ext} but is not a signed token: {found}."
    return None


def looks_like_credential(text: str) -> bool:
    """Whether text read from a QR code is a credential itself (a signed token or JSON), not a link or words."""
    return is_compact_jws(text) or text.startswith("{")
