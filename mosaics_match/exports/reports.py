"""Verification reports for an HR file: JSON (complete, machine-readable) and a one-page PDF (fpdf2).

The PDF always fits on one page: long texts are shortened and the list of competencies is capped, and a test
checks the page count with pypdf.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mosaics_match.exports import csv as csv_export
from mosaics_match.verdicts import Verdict

if TYPE_CHECKING:
    from mosaics_match.verdicts import BatchRow, HistoryEntry, PortalVerification

__all__ = ["report_json", "report_pdf", "batch_csv", "batch_json", "report_file_stem", "history_rows", "history_csv"]

_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)
_VERDICT_COLOURS = {"verified": (21, 115, 71), "not_valid": (180, 35, 24), "cannot_confirm": (176, 112, 0)}
_MARK = {True: "PASS", False: "FAIL", None: "NOTE"}


def report_json(pv: PortalVerification, *, base_url: str | None = None) -> bytes:
    """The report as UTF-8 JSON (pretty-printed)."""
    return json.dumps(pv.to_report(base_url=base_url), indent=2, ensure_ascii=False, default=str).encode("utf-8")


def report_file_stem(pv: PortalVerification) -> str:
    """A file name (without extension) for the downloads, e.g. ``verification-2026-11-28-1405-verified``."""
    return f"verification-{pv.checked_at.astimezone(UTC):%Y-%m-%d-%H%M%S}-{pv.verdict.replace('_', '-')}"


def _shorten(text: str | None, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _human_time(dt: datetime) -> str:
    dt = dt.astimezone(UTC)
    return f"{dt.day} {dt:%B %Y, %H:%M:%S} UTC"


def human_date(value: str | None) -> str:
    """An ISO-8601 date as people read it (\"14 August 2024\"); unparseable text is returned as it is."""
    if not value:
        return "—"
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return f"{dt.day} {dt:%B %Y}"


class _Pdf:
    """Thin wrapper choosing a Unicode font when the system has one (DejaVu), else the core font."""

    def __init__(self) -> None:
        from fpdf import FPDF

        self.pdf = FPDF(format="A4", unit="mm")
        self.pdf.set_auto_page_break(False)
        self.pdf.set_margins(16, 14, 16)
        self.pdf.add_page()
        self.family = "Helvetica"
        self.unicode = False
        for d in _FONT_DIRS:
            regular, bold = d / "DejaVuSans.ttf", d / "DejaVuSans-Bold.ttf"
            if regular.is_file() and bold.is_file():
                self.pdf.add_font("DejaVu", "", str(regular))
                self.pdf.add_font("DejaVu", "B", str(bold))
                self.family, self.unicode = "DejaVu", True
                break

    def text(self, value: str) -> str:
        if self.unicode:
            return value
        # The core fonts are Latin-1 only.
        return value.replace("—", "-").replace("…", "...").replace("’", "'").encode("latin-1", "replace").decode(
            "latin-1")

    def font(self, size: float, bold: bool = False, colour: tuple[int, int, int] = (30, 30, 30)) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)
        self.pdf.set_text_color(*colour)

    def line(self, value: str, h: float = 5.0, **kwargs: Any) -> None:
        kwargs.setdefault("align", "L")
        self.pdf.multi_cell(0, h, self.text(value), new_x="LMARGIN", new_y="NEXT", **kwargs)

    @property
    def y(self) -> float:
        return self.pdf.get_y()

    def room(self, needed: float) -> bool:
        return self.y + needed < self.pdf.h - 22


def report_pdf(pv: PortalVerification, *, base_url: str | None = None, verification_link: str | None = None) -> bytes:
    """A one-page A4 PDF of the verification for an HR file.

    Parameters
    ----------
    pv : PortalVerification
        The verification.
    base_url : str, optional
        This portal's address, printed as the verifier.
    verification_link : str, optional
        Where the credential can be checked again (printed with a QR code) — for credentials issued here.

    Returns
    -------
    bytes
        The PDF.
    """
    doc = _Pdf()
    pdf = doc.pdf
    doc.font(9, colour=(90, 90, 90))
    doc.line("Seneca Mosaics · Credential verification report")
    pdf.ln(1)
    colour = _VERDICT_COLOURS.get(pv.verdict, (30, 30, 30))
    pdf.set_fill_color(*colour)
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(doc.family, "B", 18)
    pdf.cell(0, 11, doc.text(f"  {pv.headline}"), fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)
    doc.font(10.5, colour=colour)
    doc.line(_shorten(pv.reason, 300), h=5.2)
    pdf.ln(1)
    doc.font(9, colour=(70, 70, 70))
    doc.line(f"Checked on {_human_time(pv.checked_at)}" + (f" by {base_url}" if base_url else "")
             + (f" · file: {_shorten(pv.file_name, 60)}" if pv.file_name else ""))
    pdf.ln(2)

    doc.font(11, bold=True)
    doc.line("Checks", h=6)
    for line in pv.lines[:12]:
        mark = _MARK[line.ok]
        mark_colour = {True: (21, 115, 71), False: (180, 35, 24), None: (176, 112, 0)}[line.ok]
        doc.font(8.5, bold=True, colour=mark_colour)
        pdf.cell(13, 5, mark)
        doc.font(9.5)
        pdf.multi_cell(0, 5, doc.text(_shorten(line.text, 180)), new_x="LMARGIN", new_y="NEXT", align="L")
    if pv.input_problem:
        doc.font(9.5, colour=(180, 35, 24))
        doc.line(_shorten(pv.input_problem, 300))
    pdf.ln(2)

    card = pv.card
    if card is not None:
        doc.font(11, bold=True)
        doc.line("The credential", h=6)
        if pv.authenticity != "authentic":
            doc.font(8.5, colour=(180, 35, 24))
            doc.line("What the file claims; not confirmed by the checks above.")
        doc.font(13, bold=True)
        doc.line(_shorten(card.achievement or "(no achievement name)", 120), h=6.5)
        rows = [
            ("Earner", card.earner_name or "—"),
            ("Issuer", card.issuer_name or "—"),
            ("Issuer id", _shorten(card.issuer_id, 100) if card.issuer_id else "—"),
            ("Valid from", human_date(card.valid_from)),
            ("Valid until", human_date(card.valid_until) if card.valid_until else "Does not expire"),
            ("Credential id", card.credential_id or "—"),
        ]
        for k in ("partner", "hours", "level"):
            if card.details.get(k):
                rows.append((k.capitalize(), card.details[k]))
        for label, value in rows:
            doc.font(9, bold=True, colour=(70, 70, 70))
            pdf.cell(30, 5, doc.text(label))
            doc.font(9.5)
            pdf.multi_cell(0, 5, doc.text(_shorten(value, 150)), new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.ln(1.5)
        if card.description:
            doc.font(9, bold=True, colour=(70, 70, 70))
            doc.line("Description")
            doc.font(9)
            doc.line(_shorten(card.description, 520), h=4.6)
            pdf.ln(1)
        if card.criteria:
            doc.font(9, bold=True, colour=(70, 70, 70))
            doc.line("Criteria")
            doc.font(9)
            doc.line(_shorten(card.criteria, 420), h=4.6)
            pdf.ln(1)
        if card.competencies:
            doc.font(9, bold=True, colour=(70, 70, 70))
            doc.line("Competencies")
            shown = 0
            for comp in card.competencies:
                if not doc.room(14) or shown >= 10:
                    break
                doc.font(9)
                suffix = " (ESCO)" if comp.is_esco else ""
                doc.line(f"• {_shorten(comp.name, 110)}{suffix}", h=4.6)
                if comp.url:
                    doc.font(7.5, colour=(60, 90, 160))
                    doc.line(f"   {_shorten(comp.url, 110)}", h=3.8)
                shown += 1
            if shown < len(card.competencies):
                doc.font(8.5, colour=(90, 90, 90))
                doc.line(f"… and {len(card.competencies) - shown} more (see the JSON report).")

    # Footer: how to check again.
    pdf.set_y(pdf.h - 40)
    if verification_link:
        from mosaics_match.exports.qr import make_qr_png

        pdf.image(io.BytesIO(make_qr_png(verification_link, box_size=4, border=2)), x=pdf.w - 16 - 24,
                  y=pdf.h - 42, w=24, h=24)
        doc.font(8.5, colour=(70, 70, 70))
        pdf.set_x(16)
        pdf.multi_cell(pdf.w - 32 - 28, 4.4, doc.text(
            "Check this credential again at any time (the result reflects its status at that moment):\n"
            + verification_link), new_x="LMARGIN", new_y="NEXT", align="L")
    doc.font(7.5, colour=(110, 110, 110))
    pdf.set_y(pdf.h - 14)
    pdf.multi_cell(0, 3.6, doc.text(
        "This report records the result of an automatic check of the credential's digital signature, issuer, dates "
        "and status at the time shown. The JSON report holds every check in full."), new_x="LMARGIN", new_y="NEXT",
        align="L")
    return bytes(pdf.output())


# --- batch exports --------------------------------------------------------------------------------------------

BATCH_COLUMNS = ("File", "Earner", "Achievement", "Issuer", "Verdict", "Failing check")


def batch_csv(rows: Sequence[BatchRow]) -> bytes:
    """The batch results table as CSV (UTF-8 with BOM so spreadsheet programs read accents).

    Written by :mod:`mosaics_match.exports.csv`, which neutralises formula cells.
    """
    header = list(BATCH_COLUMNS) + ["Credential id", "Checked at"]

    def lines() -> Iterator[list[str]]:
        for row in rows:
            out = row.table_row()
            pv = row.verification
            out["Credential id"] = (pv.card.credential_id or "") if pv and pv.card else ""
            out["Checked at"] = pv.checked_at.astimezone(UTC).isoformat() if pv else ""
            yield [out[k] for k in header]

    return csv_export.csv_bytes(header, lines())


HISTORY_COLUMNS = ("When (UTC)", "Verdict", "Achievement", "Earner", "Issuer", "How", "File", "Reason",
                   "Credential id")
HISTORY_HOW = {"upload": "Upload", "paste": "Pasted", "link": "Link", "qr": "QR code", "batch": "Batch", "api": "API"}


def history_rows(entries: Sequence[HistoryEntry]) -> list[dict[str, str]]:
    """An employer's verification history as table rows (the page's table and its CSV)."""
    return [{
        "When (UTC)": e.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "Verdict": e.headline, "Achievement": e.achievement or "", "Earner": e.earner_name or "",
        "Issuer": e.issuer or "", "How": HISTORY_HOW.get(e.source or "", e.source or ""), "File": e.file_name or "",
        "Reason": "" if e.verdict == Verdict.VERIFIED else (e.reason or ""), "Credential id": e.credential_id or "",
    } for e in entries]


def history_csv(rows: Sequence[dict[str, str]]) -> bytes:
    """The verification-history CSV of the rows shown (see :func:`history_rows`), formula cells neutralised."""
    return csv_export.csv_bytes(HISTORY_COLUMNS, ([r.get(c, "") for c in HISTORY_COLUMNS] for r in rows))


def batch_json(rows: Sequence[BatchRow], *, base_url: str | None = None) -> bytes:
    """Every row's full report (or its read problem) as one JSON document."""
    items = []
    for row in rows:
        if row.verification is None:
            items.append({"file": row.name, "verdict": None, "problem": row.problem})
        else:
            items.append({"file": row.name, **row.verification.to_report(base_url=base_url)})
    counts: dict[str, int] = {}
    for item in items:
        key = item.get("verdict") or "not_read"
        counts[key] = counts.get(key, 0) + 1
    doc = {"report": "Seneca Mosaics batch verification", "version": 1, "verifier": base_url,
           "files": len(items), "counts": counts, "results": items}
    return json.dumps(doc, indent=2, ensure_ascii=False, default=str).encode("utf-8")
