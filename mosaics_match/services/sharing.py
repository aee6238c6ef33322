"""What an earner takes away: their credentials as files, a verification link and its QR code.

Every lookup here is scoped to one earner id, which the caller takes from the signed-in viewer on the server;
a credential id coming from the browser is only ever used together with that earner id (no IDOR).

Downloads:

* JSON: the signed credential for Data Integrity proofs; for a VC-JWT credential, its decoded payload (for
  reading; the JWT is the signed form).
* JWT: the compact JWS, for credentials issued as VC-JWT.
* Baked PNG and SVG: the badge image with the credential inside (Open Badges 3.0 baking, via
  :mod:`mosaics_match.credentials.bake`), importable into a badge wallet and verifiable on the verify page.

Sharing is private by default. The earner may

* create a **verification link** carrying a share token (``/verify?credential=<id>&share=<token>``): whoever
  holds it sees the verdict and the credential card on the verify page, never the file; the earner can withdraw
  it (the old link stops working at once) or replace it with a new one;
* **publish** the credential: then ``GET /credentials/{id}`` serves the signed file to anyone, and the plain
  link without a token opens it too. A published file shows the earner's name and a salted hash of their
  e-mail address (with the salt), so anyone who guesses the address can confirm it.

Every change is written to the audit log.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import re
import secrets
import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mosaics_match.credentials.bake import bake_png, bake_svg
from mosaics_match.exports.qr import make_qr_png
from mosaics_match.links import credential_url
from mosaics_match.store import repo
from mosaics_match.store.models import Achievement, IssuedCredential, utcnow

#: Proof formats in the words an earner reads (the format id stays in the technical details).
PROOF_WORDS = {
    "eddsa-rdfc-2022": "Digitally signed by Seneca (Open Badges 3.0 credential)",
    "eddsa-jcs-2022": "Digitally signed by Seneca (Open Badges 3.0 credential)",
    "Ed25519Signature2020": "Digitally signed by Seneca (Open Badges 3.0 credential)",
    "vc-jwt": "Digitally signed by Seneca as a signed token (JWT)",
}

STATUS_LABELS = {
    "valid": "Valid",
    "revoked": "Revoked",
    "suspended": "Suspended",
    "expired": "Expired",
    "pending": "Not valid yet",
}


def credential_status(row: IssuedCredential, *, now: datetime | None = None) -> str:
    """``valid``, ``revoked``, ``suspended``, ``expired`` or ``pending`` (before its valid-from date)."""
    now = now or datetime.now(UTC)
    if row.revoked:
        return "revoked"
    if row.suspended:
        return "suspended"
    if row.valid_until is not None and row.valid_until <= now:
        return "expired"
    if row.valid_from is not None and row.valid_from > now:
        return "pending"
    return "valid"


def owned_credentials(session: Session, *, earner_id: int) -> list[IssuedCredential]:
    """The claimed credentials of one earner, newest first (with their achievements loaded)."""
    return list(session.scalars(
        select(IssuedCredential)
        .options(selectinload(IssuedCredential.achievement).selectinload(Achievement.competencies))
        .where(IssuedCredential.earner_id == earner_id, IssuedCredential.claimed_at.is_not(None))
        .order_by(IssuedCredential.issued_at.desc(), IssuedCredential.id.desc())
    ))


def owned_credential(session: Session, *, earner_id: int, credential_id: str) -> IssuedCredential | None:
    """One credential by id, only if it is a claimed credential of ``earner_id``; otherwise ``None``."""
    return session.scalars(
        select(IssuedCredential)
        .options(selectinload(IssuedCredential.achievement))
        .where(IssuedCredential.credential_id == credential_id, IssuedCredential.earner_id == earner_id,
               IssuedCredential.claimed_at.is_not(None))
    ).first()


def is_jwt(row: IssuedCredential) -> bool:
    return not row.document.lstrip().startswith("{")


def document_of(row: IssuedCredential) -> dict | str:
    """The signed credential: a JSON object (Data Integrity) or a compact JWS string (VC-JWT)."""
    text = row.document.strip()
    return json.loads(text) if text.startswith("{") else text


def _jwt_payload(token: str) -> dict:
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a compact JWS")
    body = parts[1] + "=" * (-len(parts[1]) % 4)
    payload = json.loads(base64.urlsafe_b64decode(body))
    if isinstance(payload, dict) and isinstance(payload.get("vc"), dict):
        return payload["vc"]  # VC-JWT 1.1 style: the credential sits in the "vc" claim
    if not isinstance(payload, dict):
        raise ValueError("JWS payload is not a JSON object")
    return payload


def json_download(row: IssuedCredential) -> bytes:
    """The JSON download (pretty-printed)."""
    doc = document_of(row)
    if isinstance(doc, str):
        doc = _jwt_payload(doc)
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def jwt_download(row: IssuedCredential) -> bytes | None:
    """The compact JWS of a VC-JWT credential; ``None`` for Data Integrity credentials."""
    return row.document.strip().encode("ascii") if is_jwt(row) else None


def file_stem(row: IssuedCredential) -> str:
    """A safe, readable file name stem: achievement slug plus a short id."""
    slug = row.achievement.slug if row.achievement is not None else "credential"
    slug = re.sub(r"[^a-z0-9-]+", "-", slug.lower()).strip("-")[:60] or "credential"
    return f"{slug}-{row.credential_id.rsplit(':', 1)[-1][:8]}"


def _colour(text: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(text.encode()).digest()
    palette = ((0, 82, 147), (166, 25, 46), (0, 112, 74), (110, 56, 160), (196, 90, 0), (0, 110, 130))
    return palette[digest[0] % len(palette)]


def badge_svg(achievement: Achievement | None) -> str:
    """The achievement's badge image (from the catalogue), or a plain generated one."""
    if achievement is not None and achievement.image_svg and "<svg" in achievement.image_svg:
        return achievement.image_svg
    name = achievement.name if achievement is not None else "Mosaics credential"
    school = achievement.school if achievement is not None else "Seneca Polytechnic"
    r, g, b = _colour(school)
    lines = textwrap.wrap(name, 18)[:4]
    tspans = "".join(
        f'<tspan x="200" dy="{0 if i == 0 else 30}">{escape(line)}</tspan>' for i, line in enumerate(lines))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400" viewBox="0 0 400 400">'
        f'<circle cx="200" cy="200" r="190" fill="rgb({r},{g},{b})"/>'
        '<circle cx="200" cy="200" r="170" fill="none" stroke="#ffffff" stroke-width="4"/>'
        f'<text x="200" y="{190 - 15 * (len(lines) - 1)}" font-family="sans-serif" font-size="26" '
        f'fill="#ffffff" text-anchor="middle">{tspans}</text>'
        '<text x="200" y="320" font-family="sans-serif" font-size="18" fill="#ffffff" text-anchor="middle">'
        'Seneca Mosaics</text></svg>'
    )


def badge_png(achievement: Achievement | None, *, size: int = 400) -> bytes:
    """A PNG badge drawn with Pillow (the catalogue art is SVG; browsers and wallets also want PNG)."""
    from PIL import Image, ImageDraw, ImageFont

    name = achievement.name if achievement is not None else "Mosaics credential"
    school = achievement.school if achievement is not None else "Seneca Polytechnic"
    image = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    pad = size // 40
    draw.ellipse((pad, pad, size - pad, size - pad), fill=_colour(school) + (255,))
    inner = size // 12
    draw.ellipse((inner, inner, size - inner, size - inner), outline=(255, 255, 255, 255), width=max(size // 100, 2))
    font = ImageFont.load_default(size=size // 15)
    small = ImageFont.load_default(size=size // 22)
    lines = textwrap.wrap(name, 18)[:4]
    line_h = size // 13
    y = size // 2 - line_h * len(lines) // 2 - size // 20
    for line in lines:
        draw.text((size // 2, y), line, fill=(255, 255, 255, 255), font=font, anchor="mt")
        y += line_h
    draw.text((size // 2, int(size * 0.78)), "Seneca Mosaics", fill=(255, 255, 255, 255), font=small, anchor="mt")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def baked_png(row: IssuedCredential) -> bytes:
    """The badge PNG with the signed credential baked in (an ``openbadgecredential`` iTXt chunk)."""
    return bake_png(badge_png(row.achievement), document_of(row))


def baked_svg(row: IssuedCredential) -> bytes:
    """The badge SVG with the signed credential baked in (an ``openbadges:credential`` element)."""
    return bake_svg(badge_svg(row.achievement), document_of(row)).encode("utf-8")


def verification_link(base_url: str, credential_id: str, share_token: str | None = None) -> str:
    """The link that opens the verify page on this credential (with the earner's share token, when given)."""
    return credential_url(base_url, credential_id, share_token)


def share_link(base_url: str, row: IssuedCredential) -> str | None:
    """The earner's current verification link, or ``None`` while they have none."""
    return verification_link(base_url, row.credential_id, row.share_token) if row.share_token else None


def share_allows(row: IssuedCredential, token: str | None) -> bool:
    """Whether ``token`` (from a link) is this credential's current share token (constant-time comparison)."""
    if not token or not row.share_token or len(token) > 100:
        return False
    return hmac.compare_digest(token.encode("utf-8", "replace"), row.share_token.encode("ascii"))


def create_share_link(session: Session, *, row: IssuedCredential, actor: str, actor_role: str = "earner") -> str:
    """Give ``row`` a new share token (any earlier link stops working); audited. Returns the token.

    The token is 256 random bits (``secrets.token_urlsafe``), so a link cannot be guessed from the credential id.
    """
    replaced = row.share_token is not None
    row.share_token = secrets.token_urlsafe(32)
    row.share_token_created_at = utcnow()
    repo.record_audit(session, actor=actor, actor_role=actor_role, action="share_link", subject=row.credential_id,
                      outcome="replaced" if replaced else "created")
    return row.share_token


def withdraw_share_link(session: Session, *, row: IssuedCredential, actor: str, actor_role: str = "earner") -> bool:
    """Withdraw ``row``'s verification link (it stops working at once); audited. ``False`` if there was none."""
    if row.share_token is None:
        return False
    row.share_token = None
    row.share_token_created_at = None
    repo.record_audit(session, actor=actor, actor_role=actor_role, action="share_link", subject=row.credential_id,
                      outcome="withdrawn")
    return True


def set_published(session: Session, *, row: IssuedCredential, public: bool, actor: str,
                  actor_role: str = "earner") -> bool:
    """Publish or unpublish ``row`` at ``/credentials/{id}``; audited. Returns whether anything changed."""
    if bool(row.public) == public:
        return False
    row.public = public
    repo.record_audit(session, actor=actor, actor_role=actor_role, action="publish", subject=row.credential_id,
                      outcome="public" if public else "private")
    return True


def proof_words(proof_format: str) -> str:
    """How a credential is signed, in plain words."""
    return PROOF_WORDS.get(proof_format, "Digitally signed by Seneca")


def qr_png(text: str, *, box_size: int = 6) -> bytes:
    """A QR code (PNG) of ``text``, e.g. the verification link, for printing on a résumé or certificate."""
    return make_qr_png(text, box_size=box_size)


@dataclass(frozen=True)
class Download:
    """One file the earner can download.

    Attributes
    ----------
    label : str
        Button text.
    data : bytes
        The file.
    file_name, mime : str
        Download name and media type.
    hint : str
        Who the file is for, in plain words (shown as the button's help and in the guide above the buttons).
    """

    label: str
    data: bytes
    file_name: str
    mime: str
    hint: str = ""


def downloads(row: IssuedCredential) -> list[Download]:
    """Every download offered for one credential, in the order the page shows them."""
    stem = file_stem(row)
    items = [Download("Badge image (PNG)", baked_png(row), f"{stem}.png", "image/png",
                      "For your résumé, LinkedIn or a badge wallet, and to send an employer: the signed credential "
                      "is inside the picture, and the Mosaics verify page checks it.")]
    token = jwt_download(row)
    if token is not None:
        items.append(Download("Credential file (.jwt)", token, f"{stem}.jwt", "application/jwt",
                              "The signed credential itself: send this file to an employer or a verifier that "
                              "asks for the credential file."))
        items.append(Download("Readable copy (.json)", json_download(row), f"{stem}.json", "application/json",
                              "What your credential says, for reading only. It carries no signature, so a "
                              "verifier cannot check it: send the .jwt file or the badge image instead."))
    else:
        items.append(Download("Credential file (.json)", json_download(row), f"{stem}.json", "application/json",
                              "The signed credential itself: send this file to an employer or a verifier that "
                              "asks for the credential file."))
    items.append(Download("Badge image (SVG)", baked_svg(row), f"{stem}.svg", "image/svg+xml",
                          "The same badge as a scalable picture, for websites and print."))
    return items
