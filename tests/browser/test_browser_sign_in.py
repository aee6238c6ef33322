"""Real browser (Debian chromium via Playwright) on a live portal: an earner signs in with a password, stays
signed in across a refresh and a deep link, sees their credentials; signing out ends the session in every tab;
a wrong password gives the generic message. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from tests.browser.ui import wait_idle, wait_image_loaded
from tests.conftest import screenshot

pytestmark = pytest.mark.browser

SIDEBAR = "[data-testid='stSidebar']"


def demo_password(db_url: str, role: str) -> tuple[str, str]:
    from mosaics_match.runtime import open_runtime
    from mosaics_match.services import demo
    from tests.conftest import make_settings

    rt = open_runtime(make_settings(db_url), migrate=False)
    try:
        with rt.Session() as session:
            return demo.demo_passwords(session, settings=rt.settings)[role]
    finally:
        rt.engine.dispose()


def wait_signed_in(page, role: str, timeout: int = 30_000) -> None:
    page.locator(SIDEBAR).get_by_text(f"· {role}").first.wait_for(state="visible", timeout=timeout)


def wait_public(page, timeout: int = 30_000) -> None:
    page.locator(SIDEBAR).get_by_text("Not signed in").first.wait_for(state="visible", timeout=timeout)


def password_sign_in(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/sign-in")
    page.get_by_label("Email").wait_for(state="visible", timeout=30_000)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def share_link_button(card):
    """A My credentials card's sharing control, once drawn: ``("renew", "Make a new link")`` when the credential
    already has a link (its sharing expander opens on it), else ``("create", "Create a verification link")`` inside
    the closed expander. Decided by which button exists, not by what is visible yet: an expander that is still
    opening must not be mistaken for a closed one (clicking it would close it)."""
    renew = card.get_by_role("button", name="Make a new link", include_hidden=True)
    create = card.get_by_role("button", name="Create a verification link", include_hidden=True)
    renew.or_(create).first.wait_for(state="attached", timeout=30_000)
    kind, name = ("renew", "Make a new link") if renew.count() else ("create", "Create a verification link")
    return kind, card.get_by_role("button", name=name)  # to act on: the visible one


def session_cookie(context) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == "mosaics_session"), None)


@pytest.mark.slow
def test_password_sign_in_survives_refresh_and_deep_link_and_signs_out_everywhere(live_portal, browser) -> None:
    base = live_portal["url"]
    email, password = demo_password(live_portal["db_url"], "earner")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()  # closed, after a screenshot if the test failed, by tests/browser/conftest.py
    page.goto(base)  # see test_browser_oidc.warm_up: the first session of a process must start at /
    wait_public(page)
    page.goto(f"{base}/sign-in")
    page.get_by_text("Demo accounts (demo mode only)").wait_for(state="visible", timeout=30_000)
    page.get_by_text("earner@mosaics.example").first.wait_for(state="visible", timeout=30_000)
    wait_idle(page)  # the sign-in page is drawn to its end
    screenshot(page, "sign_in_page")
    password_sign_in(page, base, email, password)
    wait_signed_in(page, "earner")
    page.wait_for_function("document.cookie.includes('mosaics_session=')", timeout=15_000)
    cookie = next(c for c in context.cookies() if c["name"] == "mosaics_session")
    assert cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert "mosaics_session" not in page.url and cookie["value"] not in page.url  # never in the URL

    page.reload()  # a refresh is a new Streamlit session: the cookie carries the sign-in
    wait_signed_in(page, "earner")

    page.goto(f"{base}/my-credentials")  # a deep link into a privileged page
    page.get_by_role("heading", name="My credentials", exact=True).wait_for(state="visible", timeout=30_000)
    page.get_by_text("My credentials (3)").wait_for(state="visible", timeout=30_000)
    card = page.locator(".st-key-credential_0")
    if share_link_button(card)[0] == "create":  # private until shared (an earlier test may have made a link)
        card.get_by_text("Share with an employer: verification link and QR code").click()
        card.get_by_role("button", name="Create a verification link").click()
    card.get_by_text("Scan to verify").wait_for(state="visible", timeout=15_000)
    wait_image_loaded(card.get_by_role("img", name="QR code of the verification link"))
    screenshot(page, "my_credentials")

    second = context.new_page()  # another tab of the same browser
    second.goto(f"{base}/my-credentials")
    wait_signed_in(second, "earner")

    page.locator(SIDEBAR).get_by_role("button", name="Sign out").click()
    wait_public(page)
    page.wait_for_function("!document.cookie.includes('mosaics_session=')", timeout=15_000)
    screenshot(page, "signed_out")

    second.reload()  # the other tab's session is over too
    wait_public(second)
    second.close()

    # The old token is dead even if a copy was kept: put it back and reload.
    context.add_cookies([{**cookie, "sameSite": "Strict"}])
    page.goto(f"{base}/my-credentials")
    wait_public(page)
    wait_idle(page)  # drawn to its end: what is absent now is not just still to come
    assert page.get_by_role("heading", name="My credentials", exact=True).count() == 0


def test_wrong_password_gives_the_generic_message(live_portal, browser) -> None:
    from mosaics_match.services import auth

    base = live_portal["url"]
    context = browser.new_context()
    page = context.new_page()  # closed, after a screenshot if the test failed, by tests/browser/conftest.py
    password_sign_in(page, base, "nobody@mosaics.example", "not-the-password")
    page.get_by_text(auth.GENERIC_FAILURE).wait_for(state="visible", timeout=30_000)
    wait_public(page)
    assert session_cookie(context) is None
