"""The printable certificate (PDF with a QR code of the verification link) and the credential downloads."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pypdf
import pytest
import zxingcpp

from mosaics_match.credentials.bake import unbake
from mosaics_match.exports import certificate
from mosaics_match.links import credential_url
from mosaics_match.services import issuing
from mosaics_match.store import repo
from tests.pages.test_staff_bulk_issue import add_catalogue


def _qr_texts(pdf: bytes) -> list[str]:
    page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
    found = []
    for img in page.images:
        found += [r.text for r in zxingcpp.read_barcodes(img.image)]
    return found


def test_certificate_is_one_page_with_a_scannable_verification_link() -> None:
    url = credential_url("https://mosaics.example", "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e")
    data = certificate.CertificateData(
        earner_name="Zoë O'Brien-Łukasiewicz", achievement_name="Data Analytics with Python",
        credential_id="urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e", verify_url=url,
        issued_at=datetime(2026, 5, 4, tzinfo=UTC), valid_until=datetime(2029, 5, 4, tzinfo=UTC),
        school="School of Software Design", partner="Acme Analytics", hours=36,
        competencies=[f"Competency {i}" for i in range(11)],
    )
    pdf = certificate.certificate_pdf(data)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for expected in ("Zoë O'Brien-Łukasiewicz", "Data Analytics with Python", "04 May 2026", "Valid until 04 May 2029",
                     "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e", "and 3 more"):
        assert expected in text
    assert _qr_texts(pdf) == [url]


@pytest.mark.parametrize("fmt", issuing.PROOF_FORMATS)
def test_downloads_of_an_issued_credential(rt, fmt: str) -> None:
    add_catalogue(rt, 1)
    with rt.Session.begin() as session:
        signer = issuing.open_signer(session, settings=rt.settings)
        receipt = issuing.issue_credential(
            session, signer=signer, earner=repo.create_earner(session, email="d@example.org", name="Dee Download"),
            achievement=repo.list_achievements(session)[0], actor="staff", fmt=fmt,
        )
        cid = receipt.credential.credential_id
    with rt.Session() as session:
        cred = repo.get_credential(session, credential_id=cid)
        files = certificate.credential_files(document=cred.document, proof_format=cred.proof_format,
                                             achievement_slug=cred.achievement.slug, earner_name=cred.earner.name,
                                             image_svg=None)
        cert = certificate.certificate_pdf(certificate.certificate_for(cred, base_url=rt.settings.base_url))
    main, image = files
    if fmt == "vc-jwt":
        assert main.filename.endswith(".jwt") and main.data.decode() == cred.document
        assert unbake(image.data) == cred.document
    else:
        assert main.filename.endswith(".json") and json.loads(main.data) == json.loads(cred.document)
        assert json.loads(unbake(image.data)) == json.loads(cred.document)
    assert image.mime == "image/png" and main.filename == "skill-0-dee-download." + main.filename.rsplit(".", 1)[1]
    assert _qr_texts(cert) == [credential_url(rt.settings.base_url, cid)]


def test_svg_artwork_is_baked_as_svg() -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle r="4" cx="5" cy="5"/></svg>'
    files = certificate.credential_files(document='{"id": "urn:uuid:1"}', proof_format="eddsa-jcs-2022",
                                         achievement_slug="a", earner_name="B", image_svg=svg)
    assert files[1].filename == "a-b.svg" and json.loads(unbake(files[1].data)) == {"id": "urn:uuid:1"}
