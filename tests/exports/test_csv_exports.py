"""Every CSV the portal offers goes through one writer (mosaics_match.exports.csv) with the full formula rule:
a cell starting with = + - @, TAB or CR, or with = + - @ after leading whitespace, is written as text; empty
cells stay empty. One test per export: batch results, verification history (function and page), audit log
(page), shortlists, coverage gaps, partner matches, bulk-issue results and the example files."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from mosaics_match.exports import csv as csv_export
from tests.conftest import app_test, session_token_for

HOSTILE = ["=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUM(A1)", "\t=cmd", "\r=cmd", "  =1+1", "\n@x",
           "\u00a0-1"]
HARMLESS = ["", "Ada Lovelace", "a=b", "x-y", "'=already", "Café"]


def _cells(text: str | bytes) -> list[list[str]]:
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def _neutral(cell: str) -> bool:
    """How a spreadsheet would see the cell: text, unless it starts a formula."""
    return not (cell[:1] in ("\t", "\r") or cell.lstrip()[:1] in ("=", "+", "-", "@"))


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_cells_are_written_as_text(value: str) -> None:
    out = csv_export.safe_cell(value)
    assert out == "'" + value and _neutral(out)
    assert csv_export.safe_cell(out) == out  # idempotent: exports that already neutralised stay the same


@pytest.mark.parametrize("value", HARMLESS)
def test_other_cells_are_left_alone(value: str) -> None:
    assert csv_export.safe_cell(value) == value


def test_numbers_are_not_text_and_round_trip() -> None:
    rows = _cells(csv_export.csv_text(["n", "x"], [[-3, None], [2.5, True]]))
    assert rows == [["n", "x"], ["-3", ""], ["2.5", "True"]]


# --- batch verification ---------------------------------------------------------------------------------------

def _issue_expiring(rt):
    from mosaics_match.services import issuing
    from mosaics_match.store import repo
    from mosaics_match.store.models import Achievement

    with rt.Session.begin() as session:
        signer = issuing.open_signer(session, settings=rt.settings)
        ach = Achievement(slug="sql-basics", name="SQL Basics", description="Queries data.", criteria="Ten queries.",
                          school="School of ICT", partner="Acme", hours=20, level="Foundational", tags=[])
        session.add(ach)
        session.flush()
        earner = repo.create_earner(session, email="ana@example.com", name="Ana Lee")
        receipt = issuing.issue_credential(session, signer=signer, earner=earner, achievement=ach, actor="t",
                                           valid_until=datetime.now(UTC) + timedelta(days=30),
                                           fmt="eddsa-jcs-2022")
        return receipt.credential.document


@pytest.mark.storage
def test_batch_csv_has_no_lone_apostrophes_and_names_the_same_failure_as_single_verify(rt) -> None:
    """An expired credential from an issuer that is not trusted: the banner says it expired, so must the CSV."""
    from mosaics_match.exports import reports
    from mosaics_match.inputs.batch import BatchItem
    from mosaics_match.services import verification
    from mosaics_match.services.auth import Viewer
    from mosaics_match.store.models import Issuer

    doc = _issue_expiring(rt)
    with rt.Session.begin() as session:
        for issuer in session.query(Issuer).all():
            issuer.trusted = False
    employer = Viewer(email="hr@corp.example", role="employer", account_id=1, display_name="HR")
    later = datetime.now(UTC) + timedelta(days=400)
    single = verification.verify_submission(rt, doc, email=None, viewer=employer, source="upload", now=later,
                                            remote=False)
    assert single.reason.startswith("Expired on")
    rows = verification.verify_batch(rt, [BatchItem("\t=ana.json", data=doc.encode()),
                                          BatchItem("  @bad.json", data=b"not a credential")],
                                     viewer=employer, now=later, remote=False)
    table = _cells(reports.batch_csv(rows))
    header, first, second = table[0], dict(zip(table[0], table[1])), dict(zip(table[0], table[2]))
    assert header[:6] == list(reports.BATCH_COLUMNS)
    assert first["Failing check"] == single.failing_check == single.reason.rstrip(".")
    assert first["Failing check"] != "Issuer is not on your trusted list"
    assert first["File"] == "'\t=ana.json" and second["File"] == "'  @bad.json"
    assert all(cell == "" or _neutral(cell) for line in table for cell in line)
    assert "'" not in [cell for line in table for cell in line]  # empty cells are empty, not a lone '
    assert second["Earner"] == "" and second["Achievement"] == ""


# --- verification history -------------------------------------------------------------------------------------

@pytest.mark.storage
def test_history_csv_neutralises_what_the_employer_uploaded(rt) -> None:
    from mosaics_match.exports import reports
    from mosaics_match.services import verification
    from mosaics_match.services.auth import Viewer

    doc = _issue_expiring(rt)
    employer = Viewer(email="hr@corp.example", role="employer", account_id=1, display_name="HR")
    verification.verify_submission(rt, doc, email=None, viewer=employer, source="upload",
                                   file_name="=WEBSERVICE(\"http://x\").json", remote=False)
    verification.verify_submission(rt, b"-1+1", email=None, viewer=employer, source="paste", remote=False)
    with rt.Session() as session:
        entries = verification.history(session, viewer=employer)
    table = _cells(reports.history_csv(reports.history_rows(entries)))
    assert table[0] == list(reports.HISTORY_COLUMNS)
    files = [dict(zip(table[0], line))["File"] for line in table[1:]]
    assert "'=WEBSERVICE(\"http://x\").json" in files
    assert all(cell == "" or _neutral(cell) for line in table for cell in line)


@pytest.fixture
def downloads(monkeypatch):
    """The bytes behind every download button rendered in an AppTest run, by media URL."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    seen: dict[str, bytes] = {}
    original = MediaFileManager.add

    def add(self, path_or_data, mimetype, coordinates, file_name=None, is_for_static_download=False):
        url = original(self, path_or_data, mimetype, coordinates, file_name=file_name,
                       is_for_static_download=is_for_static_download)
        if isinstance(path_or_data, (bytes, bytearray)):
            seen[url] = bytes(path_or_data)
        return url

    monkeypatch.setattr(MediaFileManager, "add", add)
    return seen


def _download(at, downloads: dict[str, bytes], label: str) -> bytes:
    button = next(b for b in at.get("download_button") if b.proto.label == label)
    return downloads[button.proto.url]


def test_history_page_download_is_the_neutralised_csv(portal_env, downloads) -> None:
    from mosaics_match.runtime import open_runtime
    from mosaics_match.services import verification
    from mosaics_match.services.auth import viewer_for
    from mosaics_match.store import repo
    from tests.conftest import make_settings

    rt = open_runtime(make_settings(portal_env), migrate=False)
    with rt.Session() as session:
        employer = viewer_for(repo.get_account(session, email="employer@mosaics.example"))
    verification.verify_submission(rt, b"not a credential", email=None, viewer=employer, source="upload",
                                   file_name="@evil.json", remote=False)
    rt.engine.dispose()
    at = app_test("pages/verification_history.py", token=session_token_for(portal_env, "employer@mosaics.example"))
    assert not at.exception
    table = _cells(_download(at, downloads, "Download (CSV)"))
    files = [dict(zip(table[0], line))["File"] for line in table[1:]]
    assert files == ["'@evil.json"]


# --- audit log (staff) ----------------------------------------------------------------------------------------

def test_audit_page_csv_neutralises_actor_subject_and_details(portal_env, downloads) -> None:
    from mosaics_match.runtime import open_runtime
    from mosaics_match.store import repo
    from tests.conftest import make_settings

    rt = open_runtime(make_settings(portal_env), migrate=False)
    with rt.Session.begin() as session:
        repo.record_audit(session, actor=" =evil@x", actor_role="public", action="sign_in", subject="\t@cmd",
                          outcome="failure")
    rt.engine.dispose()
    at = app_test("pages/staff_audit.py", token=session_token_for(portal_env, "staff@mosaics.example"))
    assert not at.exception
    table = _cells(_download(at, downloads, "Export CSV"))
    row = next(dict(zip(table[0], line)) for line in table[1:] if "evil" in line[2])
    assert row["actor"] == "' =evil@x" and row["subject"] == "'\t@cmd"
    assert all(cell == "" or _neutral(cell) for line in table for cell in line)


# --- partner exports (shortlists, matches) and staff coverage gaps --------------------------------------------

def test_shortlist_csv_neutralises_names() -> None:
    from mosaics_match.services import matching as ms

    row = ms.ShortlistRow(entry_id=1, earner_id=2, name="  +Ada", email="-a@x", score=0.5, discoverable=True,
                          valid_credentials=(("@SQL", "http://p/verify?credential=1"),), no_longer_valid=0,
                          added_at=datetime.now(UTC))
    table = _cells(ms.shortlist_csv([row]))
    assert table[1][:2] == ["'  +Ada", "'-a@x"] and table[1][4] == "'@SQL"
    assert all(cell == "" or _neutral(cell) for line in table for cell in line)


def test_candidates_csv_neutralises_requirements() -> None:
    from mosaics_match.services import matching as ms

    ev = ms.Evidence("\r=req", "c", "a", "urn:uuid:1", "http://p/verify?credential=1", 0.9)
    cand = ms.Candidate(earner_id=1, name="Bo", email=None, score=0.7, band="strong", covered=(ev,),
                        missing=(" -missing",), terms=())
    table = _cells(ms.candidates_csv([cand]))
    assert table[1][5] == "'\r=req" and table[1][6] == "' -missing" and table[1][2] == ""


def test_coverage_gaps_csv_neutralises_posting_text() -> None:
    from mosaics_match.matching.gaps import UncoveredReport, UncoveredRequirement
    from mosaics_match.services import matching as ms

    report = UncoveredReport(rows=[UncoveredRequirement("7", "\t@import", 0.1, None)], n_postings=1,
                             n_requirements=1, threshold=0.3)
    table = _cells(ms.gaps_csv(report, {"7": " =Title"}))
    assert table[1][:2] == ["' =Title", "'\t@import"]


# --- staff bulk issue and the example files -------------------------------------------------------------------

def test_bulk_issue_results_and_templates_use_the_writer() -> None:
    from mosaics_match.services import bulk_issue, earner_import

    result = bulk_issue.RowResult(3, " =x@y", "@SQL", False, message="-failed")
    table = _cells(bulk_issue.results_csv([result]))
    assert table[1][1:3] == ["' =x@y", "'@SQL"] and table[1][6] == "'-failed" and table[1][4] == ""
    for text in (bulk_issue.template_csv([]), earner_import.template_csv()):
        assert text.endswith("\r\n") and all(_neutral(c) or c == "" for line in _cells(text) for c in line)
    assert earner_import.parse_earners_csv(earner_import.template_csv().encode()).problems == []
