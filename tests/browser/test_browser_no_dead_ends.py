"""Real browser (Debian chromium via Playwright) on a live portal: the session cookie exists as soon as the portal
shows someone signed in; a staff page opened by URL while signed out asks to sign in and returns there; two
downloads clicked straight after each other both arrive; an earner's share link shows an employer the verdict;
an over-size upload and pasted prose get visible, specific messages; a forged credential's claims are boxed as
unconfirmed. Screenshots go to test-artifacts/ (on failure too: tests/browser/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from tests.browser.test_browser_sign_in import demo_password, share_link_button
from tests.browser.test_browser_verify import open_verify
from tests.browser.ui import wait_idle
from tests.conftest import screenshot

pytestmark = pytest.mark.browser

SIDEBAR = "[data-testid='stSidebar']"
ALERTS = "[data-testid='stAlertContentSuccess'], [data-testid='stAlertContentError'], " \
         "[data-testid='stAlertContentWarning'], [data-testid='stAlertContentInfo']"


def _new_page(browser, **options) -> tuple:
    """A fresh browser context and its page (tests/browser/conftest.py closes them after the test, screenshotting
    every page first if the test failed)."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, **options)
    return context, context.new_page()


def _session_cookie(context) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == "mosaics_session"), None)


def _warm_up(page, base: str) -> None:
    page.goto(base)
    page.locator(SIDEBAR).get_by_text("Not signed in").first.wait_for(state="visible", timeout=30_000)


def _signing_in_earner(live_portal: dict, browser) -> tuple:
    """A fresh page that has just submitted the demo earner's sign-in (the caller waits for what follows)."""
    base = live_portal["url"]
    email, password = demo_password(live_portal["db_url"], "earner")
    context, page = _new_page(browser)
    _warm_up(page, base)
    page.goto(f"{base}/sign-in")
    _fill_sign_in(page, email, password)
    return context, page


def _fill_sign_in(page, email: str, password: str) -> None:
    page.get_by_label("Email").wait_for(state="visible", timeout=30_000)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def _demo_credential(db_url: str, fmt: str = "eddsa-rdfc-2022") -> tuple[str, str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT c.credential_id, c.document FROM issued_credential c JOIN earner e ON e.id = c.earner_id "
            "WHERE e.email = 'earner@mosaics.example' AND c.proof_format = :fmt"), {"fmt": fmt}).one()
    engine.dispose()
    return row[0], row[1]


@pytest.mark.slow
def test_cookie_is_written_before_the_portal_shows_the_sign_in(live_portal, browser) -> None:
    base = live_portal["url"]
    context, page = _signing_in_earner(live_portal, browser)
    page.locator(SIDEBAR).get_by_text("· earner").first.wait_for(state="visible", timeout=30_000)
    # No waiting here: the moment the portal shows the earner signed in, the cookie is already stored.
    assert _session_cookie(context), "signed in on screen before the session cookie was written"
    second = context.new_page()
    second.goto(f"{base}/my-credentials")
    second.locator(SIDEBAR).get_by_text("· earner").first.wait_for(state="visible", timeout=30_000)
    # The earner landed on their own page, not the marketing home page.
    page.get_by_role("heading", name="My credentials", exact=True).wait_for(state="visible", timeout=30_000)
    assert page.url.rstrip("/").endswith("/my-credentials")
    screenshot(page, "sign-in-lands-on-my-credentials")


@pytest.mark.slow
def test_signed_out_staff_link_asks_to_sign_in_and_returns_there(live_portal, browser) -> None:
    base = live_portal["url"]
    email, password = demo_password(live_portal["db_url"], "staff")
    context, page = _new_page(browser)
    _warm_up(page, base)
    page.goto(f"{base}/staff-keys")
    page.get_by_role("heading", name="Sign in to continue").wait_for(state="visible", timeout=30_000)
    wait_idle(page)  # drawn to its end: what is absent now is not just still to come
    assert "Page not found" not in page.inner_text("body")
    assert "“Signing keys” is for Seneca staff" in page.inner_text("body")
    page.get_by_label("Email").wait_for(state="visible", timeout=30_000)
    screenshot(page, "sign-in-to-continue")
    _fill_sign_in(page, email, password)
    page.get_by_role("heading", name="Signing keys").wait_for(state="visible", timeout=30_000)
    assert page.url.rstrip("/").endswith("/staff-keys") and _session_cookie(context)
    screenshot(page, "returned-to-staff-keys")


@pytest.mark.slow
def test_two_downloads_clicked_at_once_both_arrive(live_portal, browser, tmp_path) -> None:
    _, doc = _demo_credential(live_portal["db_url"])
    path = tmp_path / "badge.json"
    path.write_text(doc)
    context, page = _new_page(browser, accept_downloads=True)
    open_verify(page, live_portal["url"]).set_input_files(str(path))
    page.locator(ALERTS).filter(has_text="Verified").first.wait_for(state="visible", timeout=30_000)
    json_button = page.get_by_role("button", name="Report (JSON)")
    pdf_button = page.get_by_role("button", name="Report (PDF)")
    pdf_button.wait_for(state="visible", timeout=20_000)
    arrived = []
    page.on("download", lambda download: arrived.append(download))
    json_button.click()
    pdf_button.click()  # straight after the first: nothing has rerun in between
    while len(arrived) < 2:
        # Waits for the next download event (the handler above counts it). Events are only delivered inside
        # Playwright calls, so none can slip by between the check and this wait.
        try:
            page.wait_for_event("download", timeout=20_000)
        except PlaywrightTimeoutError:
            pytest.fail(f"{len(arrived)} of 2 downloads arrived")
    assert len(arrived) == 2, f"{len(arrived)} downloads arrived"
    files = {d.suggested_filename.rsplit(".", 1)[-1]: Path(d.path()).read_bytes() for d in arrived}
    assert json.loads(files["json"])["verdict"] == "verified" and files["pdf"].startswith(b"%PDF")
    log = Path(live_portal["log"]).read_text(errors="replace")
    assert "MediaFileStorageError" not in log


@pytest.mark.slow
def test_earner_share_link_shows_an_employer_the_verdict(live_portal, browser) -> None:
    context, page = _signing_in_earner(live_portal, browser)
    page.get_by_role("heading", name="My credentials", exact=True).wait_for(state="visible", timeout=30_000)
    page.get_by_text("Which file to send?").first.wait_for(state="visible", timeout=30_000)
    wait_idle(page)  # drawn to its end: what is absent now is not just still to come
    assert "eddsa" not in page.inner_text("body")
    card = page.locator(".st-key-credential_0")
    kind, button = share_link_button(card)
    if kind == "renew":  # an earlier test of this live portal already made one: replace it
        button.click()
        page.get_by_text("The old link no longer works").wait_for(state="visible", timeout=30_000)
    else:
        card.get_by_text("Share with an employer: verification link and QR code").click()
        card.get_by_role("button", name="Create a verification link").click()
        page.get_by_text("Your verification link is ready").wait_for(state="visible", timeout=30_000)
    link = card.locator("[data-testid='stCode'] code").filter(has_text="&share=").first.inner_text().strip()
    card.get_by_text("Scan to verify").wait_for(state="visible", timeout=15_000)
    screenshot(page, "earner-share-link")

    _, other = _new_page(browser)  # the employer's own browser
    other.goto(link)
    other.locator(ALERTS).filter(has_text="Verified").first.wait_for(state="visible", timeout=30_000)
    screenshot(other, "employer-opens-share-link")
    plain = link.split("&share=", 1)[0]
    other.goto(plain)  # the same credential without the earner's token
    other.locator(ALERTS).filter(has_text="has not shared it through this link").first.wait_for(
        state="visible", timeout=30_000)
    wait_idle(other)
    assert "Verified" not in other.inner_text("body")


def test_over_size_upload_prose_and_forgery_are_told_plainly(live_portal, browser, tmp_path) -> None:
    _, doc = _demo_credential(live_portal["db_url"])
    big = tmp_path / "cv-scan.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20_000_000)
    forged = json.loads(doc)
    forged["credentialSubject"]["achievement"]["name"] = "Chief Data Scientist"
    bad = tmp_path / "edited.json"
    bad.write_text(json.dumps(forged))
    context, page = _new_page(browser)
    uploader = open_verify(page, live_portal["url"])
    label = page.get_by_text("Badge image or credential file").first.inner_text()
    assert "up to 4 MB" in label
    # The widget's own limit line ("25MB per file") is hidden by a style the page adds; that style can take effect
    # a moment after the run has finished (seen once under load), so wait for the line to be hidden.
    limit_line = page.locator(".st-key-verify_upload").get_by_test_id("stFileUploaderDropzoneInstructions")
    expect(limit_line).to_have_count(1)
    expect(limit_line).to_be_hidden()
    assert "200MB" not in page.inner_text("body") and "5MB" not in page.inner_text("body")
    uploader.set_input_files(str(big))
    page.locator(ALERTS).filter(has_text="is 20.0 MB; the largest credential file accepted is 4 MB").first \
        .wait_for(state="visible", timeout=60_000)
    screenshot(page, "upload-too-large")

    uploader.set_input_files(str(bad))
    page.get_by_text("What the file claims (not confirmed)").first.wait_for(state="visible", timeout=30_000)
    wait_idle(page)
    assert page.get_by_role("heading", name="Chief Data Scientist").count() == 0
    page.locator(".st-key-verify_card_claims").screenshot(path=str(screenshot(page, "forged-claims-box").with_name(
        "forged-claims-card.png")))

    page.get_by_role("tab", name="Paste").click()
    page.get_by_label("Credential JSON or signed token (JWT)").fill("Dear hiring manager, please see my badge.")
    page.get_by_role("button", name="Verify pasted text").click()
    page.locator(ALERTS).filter(has_text="This text is not a credential").first.wait_for(
        state="visible", timeout=30_000)
    shown = page.locator(ALERTS).filter(has_text="This text is not a credential").first.inner_text()
    assert "Not valid" not in shown
    screenshot(page, "pasted-prose")
