"""Posting text from pasted text and uploads: real PDF/DOCX read well, hostile files give clear errors."""

from __future__ import annotations

import io
import zipfile

import pytest

from mosaics_match.inputs import posting_text as pt
from mosaics_match.inputs.posting_text import PostingTextError

REQUIREMENTS = ["Build Power BI dashboards for sales reporting", "Write SQL queries against a data warehouse",
                "Clean messy extracts with Python pandas"]


def _pdf(lines: list[str], pages: int = 1) -> bytes:
    """A minimal valid PDF with ``lines`` of Helvetica text on each of ``pages`` pages."""
    objects: list[bytes] = []
    content = "BT /F1 11 Tf 50 750 Td 14 TL " + " ".join(
        "(" + s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '" for s in lines) + " ET"
    stream = content.encode("latin-1")
    n_fixed = 3
    page_ids = [n_fixed + 1 + i for i in range(pages)]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(b"<< /Type /Pages /Kids [" + b" ".join(f"{p} 0 R".encode() for p in page_ids)
                   + f"] /Count {pages} >>".encode())
    objects.append(b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream")
    font_id = n_fixed + pages + 1
    for _ in range(pages):
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
                       f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def _docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Junior Data Analyst", level=1)
    document.add_paragraph("What you'll need")
    for req in REQUIREMENTS:
        document.add_paragraph(req, style="List Bullet")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Location"
    table.rows[0].cells[1].text = "Toronto, hybrid"
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def test_pasted_text_is_normalised_and_capped() -> None:
    got = pt.from_pasted("  Data analyst\r\n\r\n\r\n\r\n- SQL\t\tqueries and dashboards  ")
    assert got.text == "Data analyst\n\n- SQL queries and dashboards"
    assert got.source == "pasted" and not got.truncated
    huge = pt.from_pasted("Write SQL queries. " * 1_000_000)  # ~19 MB pasted
    assert huge.truncated and len(huge.text) <= pt.MAX_TEXT_CHARS


def test_empty_or_tiny_posting_is_refused_with_a_message() -> None:
    for text in ("", "   \n ", "SQL"):
        with pytest.raises(PostingTextError, match="too short"):
            pt.from_pasted(text)


def test_text_file_utf8_and_windows_encodings() -> None:
    text = "Analyste de données — SQL, Power BI, café"
    assert pt.from_upload("p.txt", text.encode("utf-8")).text == text
    assert pt.from_upload("p.TXT", text.encode("utf-8-sig")).text == text
    assert pt.from_upload("p.txt", text.encode("cp1252")).text == text
    assert pt.from_upload("p.txt", text.encode("utf-16")).text == text


def test_binary_file_named_txt_is_refused() -> None:
    with pytest.raises(PostingTextError, match="not plain text"):
        pt.from_upload("p.txt", b"\x7fELF\x00\x00\x01" + bytes(range(256)))


def test_real_pdf_text_is_extracted() -> None:
    got = pt.from_upload("posting.pdf", _pdf(REQUIREMENTS))
    assert got.source == "pdf" and got.pages == 1
    for req in REQUIREMENTS:
        assert req in got.text


def test_fake_pdf_and_damaged_pdf_give_clear_errors() -> None:
    with pytest.raises(PostingTextError, match="not a PDF"):
        pt.from_upload("posting.pdf", b"<html>not a pdf</html>" * 10)
    with pytest.raises(PostingTextError, match="damaged|No text"):
        pt.from_upload("posting.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 500)


def test_pdf_with_too_many_pages_is_refused_before_reading_text() -> None:
    with pytest.raises(PostingTextError, match=f"at most {pt.MAX_PDF_PAGES}"):
        pt.from_upload("book.pdf", _pdf(["page"], pages=pt.MAX_PDF_PAGES + 5))


def test_pdf_without_text_says_it_may_be_scanned() -> None:
    with pytest.raises(PostingTextError, match="scanned"):
        pt.from_upload("scan.pdf", _pdf([]))


def test_docx_paragraphs_bullets_and_tables() -> None:
    got = pt.from_upload("posting.docx", _docx())
    assert got.source == "docx"
    for req in REQUIREMENTS:
        assert f"- {req}" in got.text  # bullets kept as list items for requirement splitting
    assert "Location: Toronto, hybrid" in got.text  # a job-details row reads as a field line
    assert got.text.startswith("Junior Data Analyst:")  # headings keep their role


def test_docx_structure_reaches_the_posting_reader() -> None:
    import docx

    from mosaics_match.matching.posting import read_posting

    document = docx.Document()
    document.add_heading("Junior Data Analyst", level=1)
    document.add_heading("Your toolkit", level=2)  # a heading the reader has no word for
    document.add_paragraph("Comfortable with SQL joins and aggregations")
    document.add_paragraph("Power BI", style="List Bullet")
    table = document.add_table(rows=2, cols=3)
    for row, (label, value) in zip(table.rows, [("Salary", "$55,000 to $62,000"), ("Location", "Toronto")]):
        row.cells[0].text, row.cells[1].text = label, value
    buf = io.BytesIO()
    document.save(buf)
    reading = read_posting(pt.from_upload("posting.docx", buf.getvalue()).text)
    kinds = {line.text: (line.kind, line.why) for line in reading.lines}
    assert kinds["Junior Data Analyst"] == ("boilerplate", "job title")
    assert kinds["Your toolkit"] == ("boilerplate", "heading")
    assert kinds["Comfortable with SQL joins and aggregations"][0] == "requirement"
    assert kinds["Power BI"][0] == "requirement"
    assert kinds["Salary: $55,000 to $62,000"][0] == kinds["Location: Toronto"][0] == "boilerplate"


def test_docx_zip_bomb_is_refused_without_inflating_it() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
        z.writestr("word/media/bomb.bin", b"\x00" * (60 * 1024 * 1024))
    data = buf.getvalue()
    assert len(data) < pt.MAX_UPLOAD_BYTES
    with pytest.raises(PostingTextError, match="zip bomb|too much data"):
        pt.from_upload("posting.docx", data)


def test_docx_with_lying_sizes_is_stopped_while_inflating() -> None:
    # A member whose directory entry claims a tiny size: the streamed inflate must still stop at the cap.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"<" + b" " * (pt.MAX_DOCX_UNCOMPRESSED + 10) + b">")
    with pytest.raises(PostingTextError, match="too much data|zip bomb|damaged"):
        pt.from_upload("posting.docx", buf.getvalue())


def test_fake_docx_gives_clear_errors() -> None:
    with pytest.raises(PostingTextError, match="not a Word"):
        pt.from_upload("posting.docx", b"just some text pretending")
    with pytest.raises(PostingTextError, match="not a Word"):
        pt.from_upload("posting.docx", b"PK\x03\x04" + b"\x00" * 100)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "no document part")
    with pytest.raises(PostingTextError, match="document part is missing"):
        pt.from_upload("posting.docx", buf.getvalue())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<not-closed")
    with pytest.raises(PostingTextError, match="damaged"):
        pt.from_upload("posting.docx", buf.getvalue())


def test_oversized_and_unsupported_uploads() -> None:
    with pytest.raises(PostingTextError, match="too large"):
        pt.from_upload("big.txt", b"a" * (pt.MAX_UPLOAD_BYTES + 1))
    with pytest.raises(PostingTextError, match=r"\.txt, \.pdf or \.docx"):
        pt.from_upload("posting.exe", b"MZ....")
    with pytest.raises(PostingTextError, match="Old Word"):
        pt.from_upload("posting.doc", b"\xd0\xcf\x11\xe0")
    with pytest.raises(PostingTextError, match="empty"):
        pt.from_upload("posting.txt", b"")


def test_pdf_whose_content_stream_is_a_decompression_bomb_is_refused() -> None:
    import zlib

    bomb = zlib.compress(b"\x00" * (80 * 1024 * 1024), 9)  # inflates past pypdf's per-stream cap
    pdf = _pdf(["placeholder"])
    start = pdf.index(b"<< /Length ")
    end = pdf.index(b"endstream", start) + len(b"endstream")
    stream_obj = (b"<< /Length " + str(len(bomb)).encode() + b" /Filter /FlateDecode >>\nstream\n" + bomb
                  + b"\nendstream")
    broken = pdf[:start] + stream_obj + pdf[end:]  # xref offsets now stale: pypdf rebuilds them (strict=False)
    assert len(broken) < pt.MAX_UPLOAD_BYTES
    with pytest.raises(PostingTextError, match="too much data"):
        pt.from_upload("bomb.pdf", broken)
