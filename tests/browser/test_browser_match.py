"""Real browser on a live portal: the demo partner signs in, pastes a job posting and sees ranked earners with
verification links, opens the details dialog, shortlists someone and finds them on the Shortlists page. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from tests.browser.test_browser_sign_in import demo_password, wait_signed_in
from tests.browser.test_browser_staff import open_page, sign_in
from tests.conftest import screenshot

pytestmark = pytest.mark.browser

POSTING = """Junior Data Analyst
What you'll do
- Build and maintain Power BI dashboards for sales and operations reporting
- Write SQL queries against the data warehouse to pull and reconcile data
- Clean and reshape messy extracts using Python and pandas
- Present findings clearly to non-technical clients
"""


def test_partner_pastes_a_posting_and_sees_ranked_earners(live_portal: dict, browser) -> None:  # noqa: ANN001
    base = live_portal["url"]
    email, password = demo_password(live_portal["db_url"], "partner")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        sign_in(page, base, email, password)
        wait_signed_in(page, "partner")
        open_page(page, "Match a job posting")
        page.get_by_text("Paste the text").click()
        box = page.get_by_label("Posting text")
        box.wait_for(state="visible", timeout=30_000)
        box.fill(POSTING)
        box.press("Control+Enter")  # commit the text area so the page reruns with it
        page.get_by_text("Reach the minimum score").wait_for(state="visible", timeout=30_000)
        grid = page.locator("[data-testid='stDataFrame']").first
        grid.wait_for(state="visible", timeout=30_000)
        page.get_by_text("Micro-credentials that would close the gaps").wait_for(state="visible", timeout=30_000)
        screenshot(page, "match-partner-results")
        assert page.get_by_text("Searched in").count() == 1
        dialog = page.get_by_role("dialog")
        for _ in range(3):  # a click that lands during a rerun is dropped by Streamlit: try again
            page.get_by_role("button", name="Show details").click()
            try:
                dialog.wait_for(state="visible", timeout=10_000)
                break
            except Exception:  # noqa: BLE001
                continue
        dialog.wait_for(state="visible", timeout=10_000)
        dialog.get_by_text("A person should review the evidence").wait_for(state="visible", timeout=30_000)
        links = dialog.locator("a[href*='/verify?credential=urn%3Auuid%3A']")
        assert links.count() >= 1
        screenshot(page, "match-partner-details")
        first_name = [h.strip() for h in dialog.get_by_role("heading").all_inner_texts()
                      if h.strip() and h.strip() != "Why this match"][0]
        page.keyboard.press("Escape")
        dialog.wait_for(state="hidden", timeout=10_000)

        # Shortlist the first candidate, then see them on the Shortlists page with their current status.
        page.locator("[data-testid='stMultiSelect']").filter(has_text="People to add").click()
        # The first option may be Streamlit's "select all"; pick the person whose details were shown.
        page.get_by_role("option", name=first_name, exact=True).click()
        page.keyboard.press("Escape")
        page.get_by_label("Name of the new shortlist").fill("Browser shortlist")
        page.get_by_label("Name of the new shortlist").press("Enter")
        page.get_by_role("button", name="Add to shortlist").click()
        page.get_by_text("Added 1 of 1 to").wait_for(state="visible", timeout=30_000)
        open_page(page, "Shortlists")
        page.get_by_role("heading", name="Browser shortlist").wait_for(state="visible", timeout=30_000)
        page.locator("[data-testid='stDataFrame']").first.wait_for(state="visible", timeout=30_000)
        screenshot(page, "match-partner-shortlists")
    finally:
        context.close()
