"""Real browser (Debian chromium via Playwright) on the real server, as a visitor or operator meets it: the shipped
Streamlit config hides the Deploy button and developer menu; the first visitor of a first start watches the demo
data being created; served on another port without MOSAICS_BASE_URL, staff links, the keys page (with the
rotation warning) and the audit chain check all work there. Screenshots go to test-artifacts/ (on failure too, taken
before the portals the test started stop: tests/browser/conftest.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.test_browser_sign_in import demo_password, wait_signed_in
from tests.browser.test_browser_staff import sign_in
from tests.conftest import REPO, screenshot

pytestmark = pytest.mark.browser

MENU_BUTTON = "[data-testid='stMainMenuButton']"
DEMO_BADGE = ".stMarkdownBadge:has-text('Demo data')"
DEPLOY = "[data-testid='stAppDeployButton']"


def test_streamlit_reads_the_shipped_config_for_portal_py_from_any_directory(tmp_path: Path) -> None:
    probe = (
        "import json, streamlit.config as c\n"
        f"c._main_script_path = {str(REPO / 'portal.py')!r}\n"
        "c.get_config_options(force_reparse=True)\n"
        "names = ['browser.gatherUsageStats', 'client.toolbarMode', 'client.showErrorDetails',\n"
        "         'client.showErrorLinks', 'server.headless', 'server.runOnSave', 'server.fileWatcherType',\n"
        "         'global.developmentMode', 'server.maxUploadSize']\n"
        "print(json.dumps({n: c.get_option(n) for n in names}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=60, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {
        "browser.gatherUsageStats": False, "client.toolbarMode": "viewer", "client.showErrorDetails": "none",
        "client.showErrorLinks": False, "server.headless": True, "server.runOnSave": False,
        "server.fileWatcherType": "none", "global.developmentMode": False, "server.maxUploadSize": 25,
    }


def _menu_items(page, shot: str | None = None) -> list[str]:
    page.locator(MENU_BUTTON).click()
    menu = page.get_by_role("menu").or_(page.locator("[data-testid='stMainMenuPopover']")).first
    menu.wait_for(state="visible", timeout=15_000)
    items = [t.strip() for t in menu.inner_text().splitlines() if t.strip()]
    if shot:
        screenshot(page, shot)
    page.keyboard.press("Escape")
    return items


def test_visitors_get_no_deploy_button_or_developer_menu(tmp_path, seeded_sqlite, browser, start_portal) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()  # closed, after a screenshot if the test failed, by tests/browser/conftest.py
    portal = start_portal(tmp_path / "shipped", seeded_sqlite)
    page.goto(portal["url"])
    page.get_by_role("heading", name="Seneca Mosaics").wait_for(state="visible", timeout=60_000)
    page.locator(MENU_BUTTON).wait_for(state="visible", timeout=15_000)
    assert page.locator(DEPLOY).count() == 0
    items = _menu_items(page, shot="deployment_viewer_menu")
    log = portal["log"].read_text()
    assert items and not {"Rerun", "Clear cache", "Developer options"} & set(items), items
    assert "gatherUsageStats" not in log and "Collecting usage statistics" not in log

    # The same check sees the button when the developer toolbar is asked for: it is the config that hides it.
    portal = start_portal(tmp_path / "developer", seeded_sqlite, extra_args=("--client.toolbarMode", "developer"))
    page.goto(portal["url"])
    page.locator(DEPLOY).wait_for(state="visible", timeout=60_000)
    developer_items = _menu_items(page)
    assert "Clear cache" in developer_items, developer_items


@pytest.mark.slow
def test_the_first_visitor_of_a_first_start_watches_the_demo_data_being_created(tmp_path, browser,
                                                                                 start_portal) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()  # closed, after a screenshot if the test failed, by tests/browser/conftest.py
    portal = start_portal(tmp_path, None, env={"MOSAICS_DEMO_EARNERS": "400", "MOSAICS_BASE_URL": None})
    page.goto(portal["url"])
    page.get_by_text("First start: creating the Mosaics demo data").wait_for(state="visible", timeout=30_000)
    page.get_by_text("credentials").first.wait_for(state="visible", timeout=60_000)  # "Signed n of m …"
    with urllib.request.urlopen(f"{portal['url']}/_stcore/health", timeout=5) as resp:
        assert resp.status == 200  # the browser needs Streamlit's liveness to show this page
    screenshot(page, "deployment_first_start_progress")
    page.get_by_role("heading", name="Seneca Mosaics").wait_for(state="visible", timeout=240_000)
    page.locator(DEMO_BADGE).first.wait_for(state="visible", timeout=15_000)
    screenshot(page, "deployment_first_start_ready")
    with urllib.request.urlopen(f"{portal['url']}/api/v1/health", timeout=5) as resp:
        assert resp.status == 200 and json.loads(resp.read())["status"] == "ready"


def _achievement_of(db_url: str, credential_id: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(
                "SELECT a.name FROM issued_credential c JOIN achievement a ON a.id = c.achievement_id "
                "WHERE c.credential_id = :id"), {"id": credential_id}).scalar_one()
    finally:
        engine.dispose()


@pytest.mark.slow
def test_served_on_another_port_without_base_url_every_staff_link_works(tmp_path, seeded_sqlite, browser,
                                                                         start_portal) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()  # closed, after a screenshot if the test failed, by tests/browser/conftest.py
    portal = start_portal(tmp_path, seeded_sqlite, env={"MOSAICS_BASE_URL": None})
    base, port = portal["url"], portal["port"]
    email, password = demo_password(portal["db_url"], "staff")
    page.goto(base)
    page.locator(DEMO_BADGE).first.wait_for(state="visible", timeout=60_000)
    sign_in(page, base, email, password)
    wait_signed_in(page, "staff")

    page.goto(f"{base}/staff-status")
    link = page.get_by_role("link", name=f"{base}/verify?credential=")
    link.first.wait_for(state="visible", timeout=60_000)
    href = link.first.get_attribute("href")
    assert href.startswith(f"http://127.0.0.1:{port}/verify?credential=urn%3Auuid%3A"), href
    screenshot(page, "deployment_staff_link_on_served_port")
    credential_id = parse_qs(urlsplit(href).query)["credential"][0]
    page.goto(href)
    page.get_by_text(_achievement_of(portal["db_url"], credential_id)).first.wait_for(
        state="visible", timeout=60_000)
    screenshot(page, "deployment_link_opens_verification")

    page.goto(f"{base}/staff-keys")
    page.get_by_text("MOSAICS_BASE_URL is not set").wait_for(state="visible", timeout=60_000)
    page.get_by_role("button", name="Rotate the key…").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("For verifiers outside this portal, Seneca's identity changes.").wait_for(
        state="visible", timeout=30_000)
    assert "Retired Seneca key" in dialog.inner_text()
    screenshot(page, "deployment_rotation_warning")
    dialog.get_by_role("button", name="Cancel").click()
    dialog.wait_for(state="hidden", timeout=15_000)

    page.goto(f"{base}/staff-audit")
    page.get_by_role("button", name="Verify the audit chain").click()
    page.get_by_text("The audit log is intact").wait_for(state="visible", timeout=60_000)
    screenshot(page, "deployment_audit_chain_intact")
