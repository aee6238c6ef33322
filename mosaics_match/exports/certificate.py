"""Printable and downloadable forms of a credential issued here.

* :func:`certificate_pdf` — a one-page A4 certificate with a QR code of the credential's verification link.
  The certificate is a convenience for people: what proves the achievement is the signed credential, which the
  QR code opens on the verification page.
* :func:`credential_files` — the signed credential as JSON (Data Integrity) or JWT (VC-JWT), and baked into the
  badge image (Open Badges 3.0 baking, via the engine's bake module).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mosaics_match.exports.qr import make_qr_png
from mosaics_match.links import credential_url

ISSUER_NAME = "Seneca Polytechnic"
_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


@dataclass(frozen=True)
class CertificateData:
    """What the certificate shows."""

    earner_name: str
    achievement_name: str
    credential_id: str
    verify_url: str
    issued_at: datetime
    valid_until: datetime | None = None
    school: str | None = None
    partner: str | None = None
    hours: int | None = None
    competencies: Sequence[str] = ()
    issuer_name: str = ISSUER_NAME


def _unicode_font() -> tuple[Path, Path] | None:
    for folder in _FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


def _latin1(text: str) -> str:
    # Core PDF fonts only cover Latin-1; used when no Unicode font is installed.
    return text.encode("latin-1", "replace").decode("latin-1")


def certificate_pdf(data: CertificateData) -> bytes:
    """Render the one-page certificate.

    Parameters
    ----------
    data:
        The credential facts; ``verify_url`` is encoded in the QR code and printed under it.

    Returns
    -------
    bytes
        A PDF document.
    """
    from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_title(f"{data.achievement_name} - {data.earner_name}")
    pdf.set_author(data.issuer_name)
    pdf.set_creator("Seneca Mosaics portal")
    pdf.add_page()
    fonts = _unicode_font()
    if fonts:
        pdf.add_font("Body", "", str(fonts[0]))
        pdf.add_font("Body", "B", str(fonts[1]))
        family, clean = "Body", (lambda s: s)
        fallback = Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")
        texts = (data.earner_name, data.achievement_name, *data.competencies)
        # Only for names in scripts DejaVu lacks (CJK): the fallback font is large and slow to load.
        if fallback.is_file() and any(ord(ch) >= 0x2E80 for t in texts for ch in t):
            pdf.add_font("Fallback", "", str(fallback))
            pdf.set_fallback_fonts(["Fallback"], exact_match=False)
    else:
        family, clean = "Helvetica", _latin1

    width = pdf.w - 40
    pdf.set_draw_color(178, 34, 52)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)
    pdf.set_line_width(0.3)
    pdf.rect(13, 13, pdf.w - 26, pdf.h - 26)

    pdf.set_xy(20, 28)
    pdf.set_font(family, "B", 14)
    pdf.set_text_color(178, 34, 52)
    pdf.cell(width, 8, clean(data.issuer_name.upper()), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(60, 60, 60)
    pdf.set_font(family, "", 11)
    pdf.set_x(20)
    pdf.cell(width, 6, "Mosaics micro-credential", align="C", new_x="LMARGIN", new_y="NEXT")

    pdf.set_xy(20, 55)
    pdf.set_font(family, "B", 26)
    pdf.set_text_color(20, 20, 20)
    pdf.cell(width, 14, "Certificate of Achievement", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 12)
    pdf.set_x(20)
    pdf.cell(width, 10, "This certifies that", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "B", 22)
    pdf.set_x(20)
    pdf.multi_cell(width, 11, clean(data.earner_name), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 12)
    pdf.set_x(20)
    pdf.cell(width, 10, "has earned the micro-credential", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "B", 17)
    pdf.set_text_color(178, 34, 52)
    pdf.set_x(20)
    pdf.multi_cell(width, 9, clean(data.achievement_name), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(60, 60, 60)
    pdf.set_font(family, "", 11)
    facts = [f for f in (data.school, f"with {data.partner}" if data.partner else None,
                         f"{data.hours} hours" if data.hours else None) if f]
    if facts:
        pdf.set_x(20)
        pdf.multi_cell(width, 6, clean(" · " .join(facts) if fonts else " - ".join(facts)), align="C",
                       new_x="LMARGIN", new_y="NEXT")

    if data.competencies:
        pdf.ln(4)
        pdf.set_font(family, "B", 11)
        pdf.set_text_color(20, 20, 20)
        pdf.set_x(30)
        pdf.cell(width - 20, 7, "Competencies demonstrated", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 10)
        for comp in list(data.competencies)[:8]:
            pdf.set_x(32)
            pdf.multi_cell(width - 24, 5.5, clean(("• " if fonts else "- ") + comp), new_x="LMARGIN", new_y="NEXT")
        if len(data.competencies) > 8:
            pdf.set_x(32)
            pdf.cell(width - 24, 5.5, f"and {len(data.competencies) - 8} more", new_x="LMARGIN", new_y="NEXT")

    # Footer block: dates and identifiers on the left, QR code on the right.
    top = pdf.h - 95
    qr_size = 55
    pdf.image(io.BytesIO(make_qr_png(data.verify_url)), x=pdf.w - 20 - qr_size, y=top, w=qr_size, h=qr_size)
    pdf.set_text_color(20, 20, 20)
    pdf.set_xy(22, top + 4)
    pdf.set_font(family, "B", 11)
    pdf.cell(100, 7, f"Issued {data.issued_at:%d %B %Y}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 10)
    pdf.set_x(22)
    pdf.cell(100, 6, f"Valid until {data.valid_until:%d %B %Y}" if data.valid_until else "No expiry date",
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(22)
    pdf.cell(100, 6, clean(f"Issued by {data.issuer_name}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(family, "", 8)
    pdf.set_text_color(90, 90, 90)
    pdf.set_x(22)
    pdf.multi_cell(105, 4.5, clean(f"Credential ID: {data.credential_id}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(22)
    pdf.multi_cell(
        105, 4.5,
        "This certificate is a printout. The signed digital credential is the proof: scan the QR code to check "
        "that it is genuine and has not been revoked.",
        new_x="LMARGIN", new_y="NEXT",
    )
    pdf.set_font(family, "", 7)
    pdf.set_xy(pdf.w - 20 - qr_size - 15, top + qr_size + 1)
    pdf.multi_cell(qr_size + 15, 3.5, clean(data.verify_url), align="C")
    return bytes(pdf.output())


# --- downloads ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DownloadFile:
    """One downloadable representation of a credential."""

    label: str
    filename: str
    mime: str
    data: bytes


def _file_stem(achievement_slug: str, earner_name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "-", f"{achievement_slug}-{earner_name}").strip("-").lower()
    return stem[:80] or "credential"


def _fallback_badge_png(title: str) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (400, 400), (178, 34, 52))
    draw = ImageDraw.Draw(img)
    draw.ellipse((30, 30, 370, 370), outline=(255, 255, 255), width=8)
    draw.text((200, 200), title[:30], fill=(255, 255, 255), anchor="mm")
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def credential_files(
    *, document: str, proof_format: str, achievement_slug: str, earner_name: str, image_svg: str | None = None,
) -> list[DownloadFile]:
    """The signed credential as a file (JSON or JWT, by its proof format) and baked into the badge image.

    Parameters
    ----------
    document:
        The stored signed credential: JSON text (Data Integrity) or a compact JWS (``vc-jwt``).
    image_svg:
        The achievement's badge artwork; a plain PNG badge is drawn when there is none.
    """
    from mosaics_match.credentials.bake import bake as bake_image

    stem = _file_stem(achievement_slug, earner_name)
    files: list[DownloadFile] = []
    if proof_format == "vc-jwt" or not document.lstrip().startswith("{"):
        payload: dict | str = document.strip()
        files.append(DownloadFile("Download JWT", f"{stem}.jwt", "application/vc+jwt", document.strip().encode()))
    else:
        payload = json.loads(document)
        pretty = json.dumps(payload, indent=2, ensure_ascii=False).encode("utf-8")
        files.append(DownloadFile("Download JSON", f"{stem}.json", "application/vc+ld+json", pretty))
    if image_svg:
        baked = bake_image(image_svg.encode("utf-8"), payload)
        files.append(DownloadFile("Download badge image (SVG)", f"{stem}.svg", "image/svg+xml", baked))
    else:
        baked = bake_image(_fallback_badge_png(achievement_slug), payload)
        files.append(DownloadFile("Download badge image (PNG)", f"{stem}.png", "image/png", baked))
    return files


def certificate_for(credential, *, base_url: str) -> CertificateData:
    """Certificate facts from a stored credential row (its ``achievement`` and ``earner`` loaded).

    The QR code carries the earner's verification link when they have one (anyone scanning it sees the verdict);
    without one, the plain link opens only for staff, partners who may see the earner, or a published credential.
    """

    achievement, earner = credential.achievement, credential.earner
    return CertificateData(
        earner_name=earner.name, achievement_name=achievement.name, credential_id=credential.credential_id,
        verify_url=credential_url(base_url, credential.credential_id, getattr(credential, "share_token", None)),
        issued_at=credential.issued_at,
        valid_until=credential.valid_until, school=achievement.school, partner=achievement.partner,
        hours=achievement.hours, competencies=[c.name for c in achievement.competencies],
    )


__all__ = ["CertificateData", "DownloadFile", "certificate_for", "certificate_pdf", "credential_files"]
