"""Real browser on a live portal: staff signs in, issues a credential (claim code, downloads, certificate), then
revokes it through the confirmation dialog; the other staff pages render. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.test_browser_sign_in import demo_password, wait_signed_in
from tests.browser.ui import wait_idle
from tests.conftest import screenshot

pytestmark = pytest.mark.browser

SIDEBAR = "[data-testid='stSidebar']"


def sign_in(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/sign-in")
    page.get_by_label("Email").wait_for(state="visible", timeout=30_000)
    wait_idle(page)  # the first run has finished: a "Page not found" dialog would be showing by now
    if page.get_by_role("dialog").count():  # "Page not found" while the first run routes public pages only
        page.keyboard.press("Escape")
        page.get_by_role("dialog").wait_for(state="hidden", timeout=10_000)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def open_page(page, title: str) -> None:
    """Navigate inside the app (sidebar link) rather than reloading the browser; returns once the page's run has
    finished (its heading is drawn by that run, so the run has started before the idle state is awaited)."""
    nav = page.locator(SIDEBAR)
    link = nav.get_by_role("link", name=title)
    more = nav.get_by_text(re.compile(r"^View \d+ more$"))  # a long navigation shows its first links only
    expect(link.or_(more).first).to_be_visible(timeout=30_000)
    if not link.is_visible():
        more.click()
    link.click()
    page.get_by_role("heading", name=title, exact=True).wait_for(state="visible", timeout=30_000)
    wait_idle(page)


def _credential_state(db_url: str, email: str) -> list[tuple[str, bool, str | None]]:
    from sqlalchemy import select

    from mosaics_match.runtime import open_runtime
    from mosaics_match.store.models import Earner, IssuedCredential
    from tests.conftest import make_settings

    rt = open_runtime(make_settings(db_url), migrate=False)
    try:
        with rt.Session() as session:
            rows = session.execute(
                select(IssuedCredential.credential_id, IssuedCredential.revoked, IssuedCredential.status_reason)
                .join(Earner, Earner.id == IssuedCredential.earner_id).where(Earner.email == email)
            ).all()
            return [tuple(r) for r in rows]
    finally:
        rt.engine.dispose()


def test_staff_issues_then_revokes_a_credential(live_portal, browser) -> None:
    base, db_url = live_portal["url"], live_portal["db_url"]
    email, password = demo_password(db_url, "staff")
    earner_email = f"browser.{uuid.uuid4().hex[:8]}@example.org"
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()  # closed, after a screenshot if the test failed, by tests/browser/conftest.py
    sign_in(page, base, email, password)
    wait_signed_in(page, "staff")

    open_page(page, "Issue credentials")
    page.get_by_label("Earner's email").fill(earner_email)
    page.get_by_label("Earner's name").fill("Browser Tester")
    # By its radio role (the format names also appear, in bold, in the caption that explains them); the click
    # goes to the option's label, which covers the visually hidden input.
    jcs = page.get_by_role("radiogroup", name="Proof format").get_by_test_id("stRadioOption").filter(
        has=page.get_by_role("radio", name="eddsa-jcs-2022", exact=True))
    jcs.click()
    expect(jcs.get_by_role("radio")).to_be_checked()
    screenshot(page, "staff_issue_form")
    page.get_by_role("button", name="Issue credential", exact=True).click()
    # The receipt's line (the page's introduction mentions "a one-time claim code" too).
    page.get_by_text(re.compile(r"^One-time claim code")).wait_for(state="visible", timeout=30_000)
    expect(page.get_by_text("· eddsa-jcs-2022 · issued")).to_be_visible()  # the format chosen was used
    page.get_by_role("button", name="Printable certificate (PDF)").first.wait_for(state="visible", timeout=15_000)
    wait_idle(page)  # the receipt is drawn to its end
    screenshot(page, "staff_issue_receipt")
    issued = _credential_state(db_url, earner_email)
    assert len(issued) == 1 and issued[0][1] is False
    credential_id = issued[0][0]

    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("button", name="Printable certificate (PDF)").first.click()
    assert download.value.suggested_filename.endswith("-certificate.pdf")

    open_page(page, "Revoke and suspend")
    search = page.get_by_label("Search by earner email or name, micro-credential, or credential ID")
    search.fill(earner_email)
    search.press("Enter")
    page.get_by_text("1 credential(s)").wait_for(state="visible", timeout=30_000)
    page.get_by_role("button", name="Revoke…").click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for(state="visible", timeout=15_000)
    reason = dialog.get_by_label("Reason (kept in the audit log)")
    reason.fill("Issued in error (browser test)")
    reason.press("Control+Enter")
    expect(reason).to_have_value("Issued in error (browser test)")
    screenshot(page, "staff_revoke_dialog")
    dialog.get_by_role("button", name="Yes, revoke").click()
    page.get_by_text("Revoke done").wait_for(state="visible", timeout=30_000)
    dialog.wait_for(state="hidden", timeout=15_000)
    # The run after the flash shows the credential's new state.
    page.get_by_text("Status: revoked").wait_for(state="visible", timeout=30_000)
    expect(page.get_by_text("Status: revoked")).to_contain_text("reason: Issued in error (browser test)")
    wait_idle(page)
    screenshot(page, "staff_revoked")
    assert _credential_state(db_url, earner_email) == [(credential_id, True, "Issued in error (browser test)")]

    for path, heading in [("staff-keys", "Signing keys"), ("staff-trust", "Trusted issuers"),
                          ("staff-earners", "Earners"), ("staff-audit", "Audit log")]:
        open_page(page, heading)  # returns once the page's run has finished: an error would be showing by now
        screenshot(page, path.replace("-", "_"))
        assert page.locator("[data-testid='stException']").count() == 0
