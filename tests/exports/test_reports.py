"""Verification reports: the JSON report, the one-page PDF (even for long credentials), batch CSV/JSON."""

from __future__ import annotations

import csv
import io
import json

from mosaics_match.exports import reports
from mosaics_match.services import verification
from mosaics_match.services.auth import PUBLIC
from mosaics_match.services.verification import BatchRow
from mosaics_match.store import repo


def _demo_verification(rt, mutate=None):
    with rt.Session() as session:
        earner = repo.get_earner_by_email(session, email="earner@mosaics.example")
        doc = next(c.document for c in repo.credentials_of(session, earner=earner)
                   if c.proof_format == "eddsa-rdfc-2022")
    if mutate is not None:
        cred = json.loads(doc)
        mutate(cred)
        doc = json.dumps(cred)
    return verification.verify_submission(rt, doc, email=None, viewer=PUBLIC, source="upload", remote=False,
                                          file_name="badge.json")


def _pdf_text(data: bytes) -> tuple[int, str]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_json_report_holds_verdict_checks_and_card(seeded_rt):
    pv = _demo_verification(seeded_rt)
    doc = json.loads(reports.report_json(pv, base_url="http://localhost:8501"))
    assert doc["verdict"] == "verified" and doc["headline"] == "Verified"
    assert {c["id"] for c in doc["checks"]} >= {"proof.signature", "status.revocation", "time.expiry"}
    assert doc["credential"]["achievement"] == pv.card.achievement
    assert doc["credential"]["competencies"] and doc["engine"]["checks"]
    assert reports.report_file_stem(pv).endswith("-verified")


def test_pdf_is_one_page_with_verdict_and_link(seeded_rt):
    from mosaics_match.links import credential_url

    pv = _demo_verification(seeded_rt)
    link = credential_url("http://localhost:8501", pv.card.credential_id)
    pages, text = _pdf_text(reports.report_pdf(pv, base_url="http://localhost:8501", verification_link=link))
    assert pages == 1
    assert "Verified" in text and pv.card.achievement in text and "Has not been revoked" in text


def test_pdf_stays_one_page_for_a_huge_forged_credential(seeded_rt):
    def bloat(cred: dict) -> None:
        ach = cred["credentialSubject"]["achievement"]
        ach["description"] = "Very long description. " * 400
        ach["criteria"] = {"narrative": "Criteria text that goes on and on. " * 300}
        ach["alignment"] = [dict(ach["alignment"][0], targetName=f"Competency number {i} " * 3) for i in range(60)]

    pv = _demo_verification(seeded_rt, bloat)
    assert pv.verdict == "not_valid"
    pages, text = _pdf_text(reports.report_pdf(pv))
    assert pages == 1
    assert "Not valid" in text and "not confirmed" in text and "more (see the JSON report)" in text


def test_batch_csv_and_json_exports(seeded_rt):
    pv = _demo_verification(seeded_rt)
    rows = [BatchRow("a.json", pv), BatchRow("=cmd.json", None, "Skipped: it is encrypted.")]
    table = list(csv.DictReader(io.StringIO(reports.batch_csv(rows).decode("utf-8-sig"))))
    assert [r["Verdict"] for r in table] == ["Verified", "Not read"]
    assert table[1]["File"] == "'=cmd.json"  # no formula injection into spreadsheets
    assert table[0]["Credential id"].startswith("urn:uuid:")
    doc = json.loads(reports.batch_json(rows))
    assert doc["files"] == 2 and doc["counts"] == {"verified": 1, "not_read": 1}
    assert doc["results"][1]["problem"].startswith("Skipped")
