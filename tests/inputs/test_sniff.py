"""File sniffing for the verify page (mosaics_match.inputs.sniff): the engine's detect_kind names the credential
kinds, the rest are named so the message says what was uploaded instead."""

from __future__ import annotations

from mosaics_match.inputs import sniff

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def test_credential_kinds_are_named_by_the_engines_sniffer() -> None:
    assert sniff.describe(PNG) == "a PNG image"
    assert sniff.describe(b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>') == "an SVG image"
    assert sniff.describe(b'\xef\xbb\xbf  {"a": 1}') == "JSON text"
    assert sniff.describe(b"<html><body>hi</body></html>") == "an XML or HTML document"
    assert sniff.describe(b"%PDF-1.7 ...") == "a PDF document"
    assert sniff.describe(b"\xff\xd8\xff\xe0 jpeg") == "a JPEG photo"
    assert sniff.describe(b"hello") is None


def test_upload_problems_say_what_is_wrong() -> None:
    assert sniff.upload_problem("a.json", b"") == "“a.json” is empty."
    big = sniff.upload_problem("a.png", b"x" * (sniff.MAX_FILE_BYTES + 1))
    assert big is not None and "the largest credential file accepted is 4 MB" in big
    assert sniff.upload_problem("a.png", b"%PDF-1.4") == (
        "“a.png” is named .png but is not a PNG image: it is a PDF document. Upload the original badge file.")
    assert sniff.upload_problem("t.jwt", b"not a token") == (
        "“t.jwt” is named .jwt but is not a signed token: it does not have the three dot-separated parts of a token.")
    assert sniff.upload_problem("a.png", PNG) is None
    assert sniff.upload_problem("a.json", b'{"@context": []}') is None


def test_text_from_a_qr_code_is_a_credential_only_when_it_is_json_or_a_token() -> None:
    assert sniff.looks_like_credential('{"@context": []}')
    assert not sniff.looks_like_credential("https://example.org/")
