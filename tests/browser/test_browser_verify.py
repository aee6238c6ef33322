"""Real browser (Debian chromium via Playwright) on a live portal: a newcomer verifies a demo credential and a
tampered copy, downloads the reports, and an employer verifies a ZIP of 50. Screenshots go to test-artifacts/;
the time from upload to the first verdict is measured and written to test-artifacts/verify_timing.json."""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import ARTIFACTS, screenshot, session_token_for

pytestmark = pytest.mark.browser

VERDICT = "[data-testid='stAlertContentSuccess'], [data-testid='stAlertContentError'], " \
          "[data-testid='stAlertContentWarning']"


def _documents(db_url: str, n: int) -> list[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.connect() as conn:
        docs = [r[0] for r in conn.execute(text("SELECT document FROM issued_credential ORDER BY id LIMIT :n"),
                                           {"n": n})]
    engine.dispose()
    return docs


def _demo_document(db_url: str) -> tuple[str, str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.connect() as conn:
        cid, doc = conn.execute(text(
            "SELECT c.credential_id, c.document FROM issued_credential c JOIN earner e ON e.id = c.earner_id "
            "WHERE e.email = 'earner@mosaics.example' AND c.proof_format = 'eddsa-rdfc-2022'")).one()
    engine.dispose()
    return cid, doc


def _share_token(db_url: str, credential_id: str) -> str:
    """The earner creates a verification link (credentials are private until they do); returns its token."""
    from mosaics_match import repo, sharing
    from mosaics_match.runtime import open_runtime
    from tests.conftest import make_settings

    rt = open_runtime(make_settings(db_url), migrate=False)
    try:
        with rt.Session.begin() as session:
            row = repo.get_credential(session, credential_id=credential_id)
            return sharing.create_share_link(session, row=row, actor="earner@mosaics.example")
    finally:
        rt.engine.dispose()


def _wait_ready(page) -> None:  # noqa: ANN001
    page.wait_for_selector("[data-testid='stFileUploaderDropzoneInput']", state="attached", timeout=30_000)
    page.wait_for_timeout(300)


def _upload_and_time(page, path: Path, expected: str) -> float:  # noqa: ANN001
    """Upload ``path`` in the first file uploader; seconds until a banner containing ``expected`` is visible."""
    inputs = page.locator("[data-testid='stFileUploaderDropzoneInput']")
    start = time.perf_counter()
    inputs.first.set_input_files(str(path))
    try:
        page.locator(VERDICT).filter(has_text=expected).first.wait_for(state="visible", timeout=20_000)
    except Exception:
        screenshot(page, f"failed-upload-{path.stem}")
        raise
    return time.perf_counter() - start


def test_newcomer_verifies_demo_and_tampered_credentials_and_downloads_reports(live_portal, browser, tmp_path):
    cid, doc = _demo_document(live_portal["db_url"])
    good = tmp_path / "amara-badge.json"
    good.write_text(doc)
    tampered = json.loads(doc)
    tampered["credentialSubject"]["achievement"]["name"] = "Chief Data Scientist"
    bad = tmp_path / "amara-badge-edited.json"
    bad.write_text(json.dumps(tampered))

    context = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    # The link printed on a certificate (possibly the first request after the portal started).
    token = _share_token(live_portal["db_url"], cid)
    page.goto(f"{live_portal['url']}/verify?credential={quote(cid, safe='')}&share={token}")
    page.locator(VERDICT).filter(has_text="Verified").first.wait_for(state="visible", timeout=30_000)
    page.get_by_text("Credential id:").first.wait_for(state="visible", timeout=20_000)
    assert cid in page.inner_text("body")
    sidebar = page.locator("[data-testid='stSidebar']").inner_text()
    assert "Verify a credential" in sidebar and "staff keys" not in sidebar
    screenshot(page, "verify-deep-link")

    page.goto(f"{live_portal['url']}/verify")
    _wait_ready(page)
    first = _upload_and_time(page, good, "Verified")
    page.get_by_text("Credential id:").first.wait_for(state="visible", timeout=20_000)  # the card, drawn last
    body = page.inner_text("body")
    assert "Signed by Seneca Polytechnic" in body and "Has not been revoked" in body
    for name in ("Re-verify", "Report (JSON)", "Report (PDF)"):
        page.get_by_role("button", name=name).wait_for(state="visible", timeout=20_000)
    screenshot(page, "verify-valid")

    with page.expect_download(timeout=20_000) as dl:
        page.get_by_role("button", name="Report (PDF)").click()
    pdf = Path(dl.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    with page.expect_download(timeout=20_000) as dl:
        page.get_by_role("button", name="Report (JSON)").click()
    report = json.loads(Path(dl.value.path()).read_text())
    assert report["verdict"] == "verified"

    caption = page.get_by_text("Last checked").first
    before = caption.inner_text()
    page.wait_for_timeout(1100)  # the time shown has one-second resolution
    page.get_by_role("button", name="Re-verify").click()
    deadline = time.monotonic() + 20
    while caption.inner_text() == before and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert caption.inner_text() != before, "Re-verify did not update the time of the last check"
    page.locator(VERDICT).filter(has_text="Verified").first.wait_for(state="visible", timeout=20_000)
    page.get_by_text("Credential id:").first.wait_for(state="visible", timeout=20_000)

    page.goto(f"{live_portal['url']}/verify")  # a newcomer with the edited copy: a fresh page again
    _wait_ready(page)
    second = _upload_and_time(page, bad, "Not valid")
    page.get_by_text("Chief Data Scientist").first.wait_for(state="visible", timeout=20_000)
    body = page.inner_text("body")
    assert "signature does not match" in body and "Not authentic" in body
    screenshot(page, "verify-tampered")
    context.close()

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "verify_timing.json").write_text(json.dumps(
        {"first_verdict_seconds_valid": round(first, 3), "first_verdict_seconds_tampered": round(second, 3)},
        indent=2))
    print(f"\nupload -> first verdict: valid {first:.3f} s, tampered {second:.3f} s")
    # Not a timing assertion (machines differ); a hang would already have failed the wait above.


def test_employer_batch_of_fifty_from_a_zip(live_portal, browser, tmp_path):
    docs = _documents(live_portal["db_url"], 50)
    assert len(docs) == 50
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, d in enumerate(docs):
            zf.writestr(f"candidates/credential-{i:02d}.json", d)
    archive = tmp_path / "candidates.zip"
    archive.write_bytes(buf.getvalue())

    token = session_token_for(live_portal["db_url"], "employer@mosaics.example")
    context = browser.new_context(viewport={"width": 1280, "height": 1100}, accept_downloads=True)
    context.add_cookies([{"name": "mosaics_session", "value": token, "url": live_portal["url"]}])
    page = context.new_page()
    page.goto(live_portal["url"])
    page.get_by_role("link", name="Batch verification").click()
    _wait_ready(page)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").first.set_input_files(str(archive))
    page.get_by_role("button", name="Verify 1 file").click()
    page.get_by_role("button", name="Results (CSV)").wait_for(state="visible", timeout=60_000)
    metrics = page.locator("[data-testid='stMetric']")
    metrics.filter(has_text="Not read").wait_for(state="visible", timeout=20_000)
    values = {}
    for i in range(metrics.count()):
        parts = [x.strip() for x in metrics.nth(i).inner_text().splitlines() if x.strip()]
        values[parts[0]] = int(parts[-1])
    assert sum(values.values()) == 50 and values["Verified"] > 0 and values["Not valid"] > 0, values
    screenshot(page, "batch-fifty")
    with page.expect_download(timeout=20_000) as dl:
        page.get_by_role("button", name="Results (CSV)").click()
    lines = Path(dl.value.path()).read_text(encoding="utf-8-sig").strip().splitlines()
    assert len(lines) == 51  # header + 50 rows

    # A row opens the same detail view as a single verification.
    page.locator("[data-testid='stSelectbox']").filter(has_text="Details of").click()
    page.keyboard.type("credential-07")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Re-verify").wait_for(state="visible", timeout=20_000)
    screenshot(page, "batch-detail")

    page.get_by_role("link", name="Verification history").click()
    page.get_by_text("verification(s) shown").wait_for(state="visible", timeout=20_000)
    assert "50 of" in page.inner_text("body") or "of 5" in page.inner_text("body")
    screenshot(page, "verification-history")
    context.close()
