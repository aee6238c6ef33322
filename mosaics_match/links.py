"""The portal's own addresses, built and read back in one place.

A credential's verification link (``{base}/verify?credential=<id>[&share=<token>]``) is printed on certificates,
put in QR codes, shared by earners and pasted back by employers; a status list lives at
``{base}/status/<purpose>-<number>``, which issued credentials name and the HTTP routes serve. Whoever builds or
reads one of these uses the functions here, so the shapes cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

__all__ = ["VERIFY_PATH", "VerifyLink", "credential_url", "parse_verify_link", "status_list_url"]

VERIFY_PATH = "/verify"
_MAX_CREDENTIAL_ID = 200
_MAX_SHARE = 100


def status_list_url(base_url: str, purpose: str, number: int) -> str:
    """Where status list ``number`` of ``purpose`` (``revocation`` / ``suspension``) is published."""
    return f"{base_url}/status/{purpose}-{number}"


def credential_url(base_url: str, credential_id: str, share: str | None = None) -> str:
    """Verification link of a credential issued here; with the earner's ``share`` token it opens for anyone
    holding the link (otherwise only when the credential is public, or for staff and partners who may see it)."""
    link = f"{base_url}{VERIFY_PATH}?credential={quote(credential_id, safe='')}"
    return f"{link}&share={quote(share, safe='')}" if share else link


@dataclass(frozen=True)
class VerifyLink:
    """What a pasted or scanned text says, read as a verification link.

    Attributes
    ----------
    text : str
        The text as given (stripped).
    credential_id : str | None
        The ``credential`` parameter when the text is a verification link.
    host : str | None
        The link's host (to tell the viewer when it points at another site).
    share : str | None
        The earner's share token (``share`` parameter) when the link carries one.
    """

    text: str
    credential_id: str | None
    host: str | None
    share: str | None = None


def parse_verify_link(text: str) -> VerifyLink:
    """Read the credential id (and share token) from a link made by :func:`credential_url`.

    Text that is not such a link gives ``credential_id=None`` (it may be a credential itself). An empty id, or
    one longer than 200 characters, is not an id; nor is a share token longer than 100.
    """
    text = text.strip()
    if not text.lower().startswith(("http://", "https://")):
        return VerifyLink(text, None, None)
    parts = urlsplit(text)
    query = parse_qs(parts.query)
    ids = query.get("credential") or []
    cid = ids[0].strip() if ids else None
    if cid is not None and (not cid or len(cid) > _MAX_CREDENTIAL_ID):
        cid = None
    shares = query.get("share") or []
    share = shares[0].strip() if shares and 0 < len(shares[0].strip()) <= _MAX_SHARE else None
    return VerifyLink(text, cid, parts.hostname, share)
