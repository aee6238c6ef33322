"""Every size the portal accepts, in one place.

Each upload is hostile, so each kind of input is bounded before it is parsed. The bounds live here, as one typed
object, and nowhere else: the modules that enforce them, the pages that state them ("at most 4 MB") and the API
read :data:`LIMITS`. The credential engine keeps its own per-verification work limits
(:class:`mosaics_match.credentials.inputs.Limits`: depth, values per property, nodes, status-list bits); the
largest credential is the engine's :data:`~mosaics_match.credentials.inputs.MAX_CREDENTIAL_BYTES`, and this
object repeats it rather than restating the number.
"""

from __future__ import annotations

from dataclasses import dataclass

from mosaics_match.credentials.inputs import MAX_CREDENTIAL_BYTES

__all__ = ["LIMITS", "Limits"]

_MB = 1_000_000
_MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Sizes the portal accepts. Decimal megabytes (``1_000_000``) where people read the figure, binary where a
    format counts in KiB.

    Attributes
    ----------
    credential_bytes : int
        One credential in any form: a file, a baked badge image, pasted text, an API request body, a ZIP entry.
    paste_chars : int
        Pasted credential text on the verify page (a JWT or JSON; a pasted image is never text).
    qr_photo_bytes, qr_photo_pixels : int
        A photo of a printed QR code (a 40-megapixel phone photo is the largest decoded).
    batch_files : int
        Credentials in one batch verification (files, or entries of a ZIP).
    batch_upload_bytes : int
        One uploaded file of a batch, a ZIP included (Streamlit's own per-widget limit on that page).
    batch_total_bytes : int
        All credentials of a batch after decompression.
    batch_zip_ratio : int
        Largest compression ratio of one ZIP entry (a credential is text or a small image; more is a bomb).
    batch_zip_entries : int
        Most entries read from a ZIP's directory, skipped ones included.
    posting_upload_bytes : int
        An uploaded job posting (.txt, .pdf, .docx).
    posting_chars : int
        Posting text kept for matching; longer postings are cut and the partner is told.
    posting_pdf_pages, posting_docx_members, posting_docx_bytes, posting_docx_ratio : int
        Work bounds of reading a PDF or DOCX posting (pages; archive members, uncompressed size and ratio).
    issue_csv_bytes, issue_csv_rows, issue_csv_cell_chars : int
        A staff CSV of credentials to issue.
    earner_csv_bytes, earner_csv_rows : int
        A staff CSV of earners to import.
    trust_file_bytes, trust_file_issuers : int
        A trusted-issuer registry file imported by staff.
    badge_svg_chars : int
        A badge image shown inline in the catalogue.
    """

    credential_bytes: int = MAX_CREDENTIAL_BYTES
    paste_chars: int = 400_000
    qr_photo_bytes: int = 12 * _MB
    qr_photo_pixels: int = 40_000_000
    batch_files: int = 200
    batch_upload_bytes: int = 25 * _MB
    batch_total_bytes: int = 60 * _MB
    batch_zip_ratio: int = 200
    batch_zip_entries: int = 1000
    posting_upload_bytes: int = 5 * _MIB
    posting_chars: int = 40_000
    posting_pdf_pages: int = 30
    posting_docx_members: int = 500
    posting_docx_bytes: int = 30 * _MIB
    posting_docx_ratio: int = 200
    issue_csv_bytes: int = 512 * 1024
    issue_csv_rows: int = 500
    issue_csv_cell_chars: int = 320
    earner_csv_bytes: int = 1024 * 1024
    earner_csv_rows: int = 5000
    trust_file_bytes: int = 256 * 1024
    trust_file_issuers: int = 1000
    badge_svg_chars: int = 200_000

    @staticmethod
    def megabytes(size: int) -> str:
        """A byte limit as people read it on a page: ``4_000_000`` → ``"4 MB"``, ``5 * 1024 * 1024`` → ``"5 MB"``."""
        for unit in (_MB, _MIB):
            if size >= unit and size % unit == 0:
                return f"{size // unit} MB"
        if size >= 1024 and size % 1024 == 0:
            return f"{size // 1024} KB"
        return f"{size:,} bytes"


#: The portal's limits. Tests that need other bounds pass their own object where a function takes ``limits``.
LIMITS = Limits()
