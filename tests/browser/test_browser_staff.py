"""Real browser on a live portal: staff signs in, issues a credential (claim code, downloads, certificate), then
revokes it through the confirmation dialog; the other staff pages render. Screenshots go to test-artifacts/."""

from __future__ import annotations

import uuid

import pytest

from tests.browser.test_browser_sign_in import demo_password, wait_signed_in
from tests.conftest import screenshot

pytestmark = pytest.mark.browser

SIDEBAR = "[data-testid='stSidebar']"


def sign_in(page, base: str, email: str, password: str) -> None:  # noqa: ANN001
    page.goto(f"{base}/sign-in")
    page.get_by_label("Email").wait_for(state="visible", timeout=30_000)
    page.wait_for_timeout(500)
    if page.get_by_role("dialog").count():  # "Page not found" while the first run routes public pages only
        page.keyboard.press("Escape")
        page.get_by_role("dialog").wait_for(state="hidden", timeout=10_000)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def open_page(page, title: str) -> None:  # noqa: ANN001
    """Navigate inside the app (sidebar link) rather than reloading the browser."""
    page.locator(SIDEBAR).get_by_role("link", name=title).click()
    page.get_by_role("heading", name=title, exact=True).wait_for(state="visible", timeout=30_000)


def _credential_state(db_url: str, email: str) -> list[tuple[str, bool, str | None]]:
    from sqlalchemy import select

    from mosaics_match.models import Earner, IssuedCredential
    from mosaics_match.runtime import open_runtime
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


def test_staff_issues_then_revokes_a_credential(live_portal, browser) -> None:  # noqa: ANN001
    base, db_url = live_portal["url"], live_portal["db_url"]
    email, password = demo_password(db_url, "staff")
    earner_email = f"browser.{uuid.uuid4().hex[:8]}@example.org"
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        sign_in(page, base, email, password)
        wait_signed_in(page, "staff")

        open_page(page, "Issue credentials")
        page.get_by_label("Earner's email").fill(earner_email)
        page.get_by_label("Earner's name").fill("Browser Tester")
        page.get_by_text("eddsa-jcs-2022", exact=True).click()
        page.wait_for_timeout(300)
        screenshot(page, "staff_issue_form")
        page.get_by_role("button", name="Issue credential", exact=True).click()
        page.get_by_text("One-time claim code").wait_for(state="visible", timeout=30_000)
        page.get_by_role("button", name="Printable certificate (PDF)").first.wait_for(state="visible", timeout=15_000)
        page.wait_for_timeout(500)
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
        dialog.get_by_label("Reason (kept in the audit log)").fill("Issued in error (browser test)")
        dialog.get_by_label("Reason (kept in the audit log)").press("Control+Enter")
        page.wait_for_timeout(300)
        screenshot(page, "staff_revoke_dialog")
        dialog.get_by_role("button", name="Yes, revoke").click()
        page.get_by_text("Revoke done").wait_for(state="visible", timeout=30_000)
        page.wait_for_timeout(500)
        screenshot(page, "staff_revoked")
        assert _credential_state(db_url, earner_email) == [(credential_id, True, "Issued in error (browser test)")]

        for path, heading in [("staff-keys", "Signing keys"), ("staff-trust", "Trusted issuers"),
                              ("staff-earners", "Earners"), ("staff-audit", "Audit log")]:
            open_page(page, heading)
            page.wait_for_timeout(800)
            screenshot(page, path.replace("-", "_"))
            assert page.locator("[data-testid='stException']").count() == 0
    except Exception:
        screenshot(page, "staff_failure")  # what the browser showed when it failed
        raise
    finally:
        context.close()
