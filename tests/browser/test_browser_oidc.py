"""End-to-end OpenID Connect sign-in in a real browser: a local mock provider (PyPI ``oidc-provider-mock``) on
127.0.0.1, a live portal whose temporary secrets.toml has an ``[auth]`` section pointing at it, and Debian
chromium. The provider's identity carries no role: the earner's email maps to the earner account, an unknown
email stays public, and signing out ends the portal session."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.ui import wait_idle
from tests.conftest import free_port, running_portal, screenshot

pytestmark = pytest.mark.browser

SIDEBAR = "[data-testid='stSidebar']"


@pytest.fixture(scope="module")
def oidc_provider() -> Iterator[str]:
    """The mock OpenID provider on 127.0.0.1 (any client id/secret accepted; the user types a subject, whose
    email claim is the subject itself)."""
    try:
        import oidc_provider_mock
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("oidc-provider-mock is not installed (requirements-dev.txt)")
        pytest.skip("oidc-provider-mock not installed")
    from werkzeug.serving import make_server

    app = oidc_provider_mock.app(require_client_registration=False, require_nonce=False)
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


@pytest.fixture(scope="module")
def oidc_portal(tmp_path_factory: pytest.TempPathFactory, seeded_sqlite: Path, oidc_provider: str) -> Iterator[dict]:
    """``streamlit run portal.py`` with a temporary secrets.toml whose [auth] section names the mock provider."""
    work = tmp_path_factory.mktemp("oidc")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    secrets = work / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "{url}/oauth2callback"\n'
        f'cookie_secret = "{os.urandom(16).hex()}"\n'
        'client_id = "mosaics-portal"\n'
        'client_secret = "mosaics-test-secret"\n'
        f'server_metadata_url = "{oidc_provider}/.well-known/openid-configuration"\n',
        encoding="utf-8")
    with running_portal(work, seeded_sqlite, port=port, extra_args=("--secrets.files", str(secrets))) as portal:
        yield portal


def warm_up(page, base: str) -> None:
    """Open the home page first: until a process has run ``st.navigation`` once, Streamlit treats the
    ``pages/`` folder as an old-style multipage app and a deep link shows a "Page not found" dialog."""
    page.goto(base)
    page.locator(SIDEBAR).get_by_text("Not signed in").first.wait_for(state="visible", timeout=30_000)


def _sso_sign_in(page, base: str, subject: str) -> None:
    warm_up(page, base)
    page.goto(f"{base}/sign-in")
    page.get_by_role("button", name="Sign in with single sign-on").click(timeout=30_000)
    page.locator("input[name='sub']").wait_for(state="visible", timeout=30_000)  # the provider's form
    page.locator("input[name='sub']").fill(subject)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{base}/**", timeout=30_000)


def _audit_sign_ins(db_url: str) -> list[tuple[str, str, str]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT actor, outcome, details FROM audit_event WHERE action = 'sign_in'")).all()
    engine.dispose()
    return [(r[0], r[1], str(r[2])) for r in rows]


@pytest.mark.slow
def test_oidc_sign_in_maps_to_the_account_role(oidc_portal, browser) -> None:
    base = oidc_portal["url"]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()  # closed, after a screenshot if the test failed, by tests/browser/conftest.py
    _sso_sign_in(page, base, "earner@mosaics.example")
    page.locator(SIDEBAR).get_by_text("· earner").first.wait_for(state="visible", timeout=30_000)
    assert any(c["name"].startswith("_streamlit_user") and c["httpOnly"] for c in context.cookies())
    page.goto(f"{base}/my-credentials")  # deep link after the redirect: still signed in
    page.get_by_text("My credentials (3)").wait_for(state="visible", timeout=30_000)
    screenshot(page, "oidc_signed_in_earner")
    assert any(a == "earner@mosaics.example" and o == "success" and "oidc" in d
               for a, o, d in _audit_sign_ins(oidc_portal["db_url"]))

    page.locator(SIDEBAR).get_by_role("button", name="Sign out").click()
    # Streamlit's st.logout goes through the provider's end-session page (the mock asks to confirm).
    page.get_by_role("button", name="End session").click(timeout=30_000)
    page.wait_for_url(f"{base}/**", timeout=30_000)
    page.locator(SIDEBAR).get_by_text("Not signed in").first.wait_for(state="visible", timeout=30_000)
    page.goto(f"{base}/my-credentials")
    page.locator(SIDEBAR).get_by_text("Not signed in").first.wait_for(state="visible", timeout=30_000)
    wait_idle(page)  # drawn to its end: what is absent now is not just still to come
    assert page.get_by_role("heading", name="My credentials", exact=True).count() == 0


def test_oidc_identity_without_an_account_is_public(oidc_portal, browser) -> None:
    base = oidc_portal["url"]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()  # closed, after a screenshot if the test failed, by tests/browser/conftest.py
    _sso_sign_in(page, base, "stranger@corp.example")
    page.locator(SIDEBAR).get_by_text("no portal access").first.wait_for(state="visible", timeout=30_000)
    page.goto(f"{base}/sign-in")
    page.get_by_text("has no Mosaics account").wait_for(state="visible", timeout=30_000)
    screenshot(page, "oidc_no_account")
    page.goto(f"{base}/staff-issue")
    page.locator(SIDEBAR).get_by_text("no portal access").first.wait_for(state="visible", timeout=30_000)
    wait_idle(page)  # drawn to its end: what is absent now is not just still to come
    assert page.get_by_role("heading", name="Issue credentials").count() == 0
    assert any(a == "stranger@corp.example" and o == "no-account"
               for a, o, _ in _audit_sign_ins(oidc_portal["db_url"]))


@pytest.mark.slow
def test_oidc_sign_in_from_a_staff_link_returns_to_that_page(oidc_portal, browser) -> None:
    """The provider always sends people back to the portal's root; the page they asked for comes back with them."""
    base = oidc_portal["url"]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()  # closed, after a screenshot if the test failed, by tests/browser/conftest.py
    warm_up(page, base)
    page.goto(f"{base}/staff-trust")
    page.get_by_role("heading", name="Sign in to continue").wait_for(state="visible", timeout=30_000)
    page.get_by_role("button", name="Sign in with single sign-on").click(timeout=30_000)
    page.locator("input[name='sub']").wait_for(state="visible", timeout=30_000)
    page.locator("input[name='sub']").fill("staff@mosaics.example")
    page.get_by_role("button", name="Authorize").click()
    page.get_by_role("heading", name="Trusted issuers").wait_for(state="visible", timeout=30_000)
    assert page.url.rstrip("/").endswith("/staff-trust")
    screenshot(page, "oidc_returned_to_staff_trust")
    page.goto(base)  # the remembered page was used once: the root is now the staff start page
    page.get_by_role("heading", name="Staff console").wait_for(state="visible", timeout=30_000)

