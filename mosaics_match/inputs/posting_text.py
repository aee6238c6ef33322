"""Job posting text from pasted text or an uploaded .txt, .pdf or .docx file, treating every upload as hostile.

Sizes are bounded before anything is parsed: the upload's bytes, a PDF's page count, a DOCX archive's member
count, declared and actual uncompressed sizes and compression ratios (zip bombs), and the text kept. Every
failure is a :class:`PostingTextError` whose message can be shown to an HR person as it is.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from mosaics_match.limits import LIMITS

MAX_UPLOAD_BYTES = LIMITS.posting_upload_bytes
MAX_TEXT_CHARS = LIMITS.posting_chars
MAX_PDF_PAGES = LIMITS.posting_pdf_pages
MAX_DOCX_MEMBERS = LIMITS.posting_docx_members
MAX_DOCX_UNCOMPRESSED = LIMITS.posting_docx_bytes
MAX_DOCX_RATIO = LIMITS.posting_docx_ratio
MIN_TEXT_CHARS = 20

SUPPORTED = (".txt", ".pdf", ".docx")


class PostingTextError(ValueError):
    """The posting could not be read; the message says why in plain words."""


@dataclass(frozen=True)
class PostingText:
    """Text of a posting and where it came from.

    Attributes
    ----------
    text
        Normalised text (at most ``MAX_TEXT_CHARS`` characters).
    source
        ``"pasted"``, ``"txt"``, ``"pdf"`` or ``"docx"``.
    truncated
        The original was longer and was cut at ``MAX_TEXT_CHARS``.
    pages
        Pages read (PDF only).
    """

    text: str
    source: str
    truncated: bool = False
    pages: int | None = None


def _normalise(text: str) -> tuple[str, bool]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = re.sub(r"[ \t\f\v\u00a0]+", " ", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    truncated = len(text) > MAX_TEXT_CHARS
    return text[:MAX_TEXT_CHARS], truncated


def _finish(text: str, source: str, *, pages: int | None = None, truncated: bool = False) -> PostingText:
    clean, cut = _normalise(text)
    if len(clean) < MIN_TEXT_CHARS:
        if source == "pdf":
            raise PostingTextError("No text could be read from this PDF. It may be a scanned image; "
                                   "paste the posting's text instead.")
        raise PostingTextError("The posting is too short to match. Paste or upload the full job posting.")
    return PostingText(clean, source, truncated or cut, pages)


def from_pasted(text: str) -> PostingText:
    """Posting from pasted text (size-capped).

    Raises
    ------
    PostingTextError
        Empty or too short.
    """
    if not isinstance(text, str):
        raise PostingTextError("The posting must be text.")
    return _finish(text[: MAX_TEXT_CHARS * 4], "pasted", truncated=len(text) > MAX_TEXT_CHARS * 4)


def from_upload(name: str, data: bytes) -> PostingText:
    """Posting from an uploaded file, chosen by extension and checked against its content.

    Parameters
    ----------
    name
        File name as uploaded (only its extension is used).
    data
        File content.

    Raises
    ------
    PostingTextError
        Unsupported type, too large, damaged, encrypted, a zip bomb, or no text in it.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise PostingTextError(f"The file is too large ({len(data) / 1_048_576:.1f} MB). "
                               f"Postings up to {MAX_UPLOAD_BYTES // 1_048_576} MB can be read.")
    if not data:
        raise PostingTextError("The file is empty.")
    ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in (name or "") else ""
    if ext == ".txt":
        return _from_txt(data)
    if ext == ".pdf":
        return _from_pdf(data)
    if ext == ".docx":
        return _from_docx(data)
    if ext == ".doc":
        raise PostingTextError("Old Word .doc files cannot be read. Save the posting as .docx or PDF, or paste it.")
    raise PostingTextError("Upload a .txt, .pdf or .docx file, or paste the posting's text.")


def _from_txt(data: bytes) -> PostingText:
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise PostingTextError("This file is not plain text. Upload a .txt, .pdf or .docx file.")
    for encoding in ("utf-8-sig", "utf-16") if data.startswith((b"\xff\xfe", b"\xfe\xff")) else ("utf-8-sig",):
        try:
            return _finish(data.decode(encoding), "txt")
        except UnicodeDecodeError:
            pass
    # Windows editors still save postings as cp1252; every byte decodes, so this cannot fail.
    return _finish(data.decode("cp1252", errors="replace"), "txt")


def _from_pdf(data: bytes) -> PostingText:
    if not data.lstrip()[:5].startswith(b"%PDF-"):
        raise PostingTextError("This file is not a PDF (its content does not start like one).")
    try:
        from pypdf import PdfReader
        from pypdf.errors import LimitReachedError, PyPdfError

        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise PostingTextError("This PDF is password-protected. Save an unprotected copy or paste the text.")
        n_pages = len(reader.pages)
        if n_pages > MAX_PDF_PAGES:
            raise PostingTextError(f"This PDF has {n_pages} pages; a job posting should have at most "
                                   f"{MAX_PDF_PAGES}. Upload just the posting.")
        parts: list[str] = []
        total = 0
        for page in reader.pages:
            text = page.extract_text() or ""
            parts.append(text)
            total += len(text)
            if total > MAX_TEXT_CHARS:
                break
    except PostingTextError:
        raise
    except LimitReachedError as exc:  # pypdf's own caps on decompressed stream sizes
        raise PostingTextError("This PDF expands to too much data to read safely.") from exc
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError,
            RecursionError, AssertionError, ZeroDivisionError) as exc:
        raise PostingTextError("This PDF is damaged or uses features that cannot be read. "
                               "Paste the posting's text instead.") from exc
    except MemoryError as exc:
        raise PostingTextError("This PDF expands to too much data to read safely.") from exc
    return _finish("\n\n".join(parts), "pdf", pages=n_pages, truncated=total > MAX_TEXT_CHARS)


def _check_docx_archive(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise PostingTextError("This is not a Word .docx file (it could not be opened as one).") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_DOCX_MEMBERS:
            raise PostingTextError("This Word file contains too many parts to be read safely.")
        names = {i.filename for i in infos}
        if "word/document.xml" not in names or "[Content_Types].xml" not in names:
            raise PostingTextError("This is not a Word .docx file (the document part is missing).")
        declared = 0
        for info in infos:
            declared += info.file_size
            if (info.compress_size and info.file_size / info.compress_size > MAX_DOCX_RATIO
                    and info.file_size > 1_000_000):
                raise PostingTextError("This Word file expands to far more data than it holds (a \"zip bomb\"); "
                                       "it was not opened.")
        if declared > MAX_DOCX_UNCOMPRESSED:
            raise PostingTextError("This Word file expands to too much data to be read safely.")
        # Sizes in the archive directory can lie: inflate with a hard cap and compare.
        actual = 0
        for info in infos:
            with archive.open(info) as member:
                while chunk := member.read(1 << 16):
                    actual += len(chunk)
                    if actual > MAX_DOCX_UNCOMPRESSED:
                        raise PostingTextError("This Word file expands to too much data to be read safely.")


def _from_docx(data: bytes) -> PostingText:
    if not data.startswith(b"PK"):
        raise PostingTextError("This is not a Word .docx file (its content does not start like one).")
    try:
        _check_docx_archive(data)
    except PostingTextError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise PostingTextError("This Word file is damaged and could not be read.") from exc
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
        parts: list[str] = []
        total = 0
        for block in _docx_blocks(document):
            parts.append(block)
            total += len(block)
            if total > MAX_TEXT_CHARS:
                break
    except Exception as exc:  # python-docx raises many types on malformed parts; all mean "cannot read"
        raise PostingTextError("This Word file is damaged or not a normal document, so it could not be read.") from exc
    return _finish("\n".join(parts), "docx", truncated=total > MAX_TEXT_CHARS)


def _docx_blocks(document) -> list[str]:
    """Paragraphs and table rows as lines the posting reader understands.

    List items get a leading dash; headings (styles "Heading n" and "Title") end with a colon, so an unfamiliar
    heading still reads as one; a two-cell table row ("Location" | "Toronto, hybrid") becomes a "Label: value"
    line, as job-detail tables are; other rows join their cells with " | ".
    """
    out: list[str] = []
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            out.append("")
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        numbered = paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None
        if "List" in style or numbered:
            out.append(f"- {text}")
        elif (style.startswith("Heading") or style == "Title") and not text.endswith((".", "!", "?", ":", ";")):
            out.append(f"{text}:")
        else:
            out.append(text)
    for table in document.tables:
        for row in table.rows:
            cells = list(dict.fromkeys(c.text.strip() for c in row.cells if c.text.strip()))
            if len(cells) == 2 and len(cells[0].split()) <= 5 and "\n" not in cells[0]:
                out.append(f"{cells[0].rstrip(':').strip()}: {cells[1]}")
            elif cells:
                out.append(" | ".join(cells))
    return out


__all__ = ["MAX_PDF_PAGES", "MAX_TEXT_CHARS", "MAX_UPLOAD_BYTES", "PostingText", "PostingTextError", "SUPPORTED",
           "from_pasted", "from_upload"]
