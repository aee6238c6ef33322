"""Real browser on a live portal: the demo partner signs in, pastes a job posting and sees ranked earners with
verification links, opens the details dialog, shortlists someone and finds them on the Shortlists page; and
reviews what was read in a saved posting (switches a line off, marks a must-have) before the search.
Screenshots go to test-artifacts/ (also when a step fails: tests/browser/conftest.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_browser_sign_in import demo_password, wait_signed_in
from tests.browser.test_browser_staff import open_page, sign_in
from tests.browser.ui import choose
from tests.conftest import ARTIFACTS, screenshot

pytestmark = pytest.mark.browser

POSTING = """Junior Data Analyst
What you'll do
- Build and maintain Power BI dashboards for sales and operations reporting
- Write SQL queries against the data warehouse to pull and reconcile data
- Clean and reshape messy extracts using Python and pandas
- Present findings clearly to non-technical clients
"""
SQL_LINE = "Working knowledge of SQL (joins, aggregations)"
BOILERPLATE = ("About the role", "Apply by 15 January 2027.", "Salary: $55,000–$62,000 per year",
               "200 Queens Quay West")


def element_screenshot(locator, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    locator.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _signed_in_partner(live_portal: dict, browser, height: int = 1000):
    email, password = demo_password(live_portal["db_url"], "partner")
    context = browser.new_context(viewport={"width": 1400, "height": height})
    page = context.new_page()
    sign_in(page, live_portal["url"], email, password)
    wait_signed_in(page, "partner")
    open_page(page, "Match a job posting")
    return context, page


def _lowest_minimum_score(page) -> None:
    page.get_by_text("Filters", exact=True).click()
    slider = page.get_by_role("slider", name="Minimum score")
    slider.wait_for(state="visible", timeout=30_000)
    slider.focus()
    page.keyboard.press("Home")
    page.get_by_text("with a score of at least 0.00").wait_for(state="visible", timeout=30_000)


def _open_details(page, name: str | None = None):
    if name is not None:
        choose(page, "See why someone matched", name)
        expect(page.get_by_role("combobox", name="See why someone matched")).to_have_value(name, timeout=30_000)
    dialog = page.get_by_role("dialog")
    for _ in range(3):  # a click that lands during a rerun is dropped by Streamlit: try again
        page.get_by_role("button", name="Show details").click()
        try:
            dialog.wait_for(state="visible", timeout=10_000)
            break
        except Exception:
            continue
    dialog.get_by_text("A person should review the evidence").wait_for(state="visible", timeout=30_000)
    return dialog


def _close(page, dialog) -> None:
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden", timeout=10_000)


def _issue_sql_credential(db_url: str) -> str:
    """A discoverable earner without SQL for Business Analysis gets a valid one; their name."""
    return _issue_credentials(db_url, ("sql-for-business-analysis",))


def _issue_credentials(db_url: str, slugs: tuple[str, ...]) -> str:
    """A discoverable earner holding none of ``slugs`` gets a valid credential of each; their name.

    Never an earner with a portal account: the demo earner's three credentials are what other tests of the same
    live portal count, verify and share."""
    from sqlalchemy import select

    from mosaics_match.runtime import open_runtime
    from mosaics_match.services import issuing
    from mosaics_match.store import repo
    from mosaics_match.store.models import Account, Achievement, Earner
    from tests.conftest import make_settings

    rt = open_runtime(make_settings(db_url), migrate=False)
    try:
        with rt.Session.begin() as session:
            achievements = session.scalars(select(Achievement).where(Achievement.slug.in_(slugs))).all()
            assert len(achievements) == len(slugs)
            holders = {r.earner_id for r in repo.matching_rows(session) if r.achievement_slug in slugs}
            with_accounts = select(Account.earner_id).where(Account.earner_id.is_not(None))
            earner = session.scalars(select(Earner).where(Earner.discoverable.is_(True), Earner.id.not_in(holders),
                                                          Earner.id.not_in(with_accounts))
                                     .order_by(Earner.id.desc())).first()
            signer = issuing.open_signer(session, settings=rt.settings)
            for achievement in achievements:
                issuing.issue_credential(session, signer=signer, earner=earner, achievement=achievement,
                                         actor="staff@x")
            return earner.name
    finally:
        rt.engine.dispose()


def test_partner_pastes_a_posting_and_sees_ranked_earners(live_portal: dict, browser) -> None:
    context, page = _signed_in_partner(live_portal, browser)
    page.get_by_text("Paste the text").click()
    box = page.get_by_label("Posting text")
    box.wait_for(state="visible", timeout=30_000)
    box.fill(POSTING)
    box.press("Control+Enter")  # commit the text area so the page reruns with it
    page.get_by_text("What we read in the posting").wait_for(state="visible", timeout=30_000)
    expect(page.get_by_role("checkbox", name="Write SQL queries against the data warehouse to pull and "
                                              "reconcile data")).to_be_checked()
    _lowest_minimum_score(page)
    page.get_by_text("Reach the minimum score").wait_for(state="visible", timeout=30_000)
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.wait_for(state="visible", timeout=30_000)
    page.get_by_text("Micro-credentials that would close the gaps").wait_for(state="visible", timeout=30_000)
    screenshot(page, "match-partner-results")
    assert page.get_by_text("Searched in").count() == 1
    dialog = _open_details(page)
    expect(dialog.locator("a[href*='/verify?credential=urn%3Auuid%3A']").first).to_be_visible(timeout=30_000)
    screenshot(page, "match-partner-details")
    first_name = [h.strip() for h in dialog.get_by_role("heading").all_inner_texts()
                  if h.strip() and h.strip() != "Why this match"][0]
    _close(page, dialog)

    # Shortlist the first candidate, then see them on the Shortlists page with their current status.
    # The first option may be Streamlit's "select all"; pick the person whose details were shown.
    choose(page, "People to add", first_name)
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("stMultiSelect").filter(has_text="People to add")).to_contain_text(first_name)
    page.get_by_label("Name of the new shortlist").fill("Browser shortlist")
    page.get_by_label("Name of the new shortlist").press("Enter")
    page.get_by_role("button", name="Add to shortlist").click()
    page.get_by_text("Added 1 of 1 to").wait_for(state="visible", timeout=30_000)
    open_page(page, "Shortlists")
    page.get_by_role("heading", name="Browser shortlist").wait_for(state="visible", timeout=30_000)
    page.locator("[data-testid='stDataFrame']").first.wait_for(state="visible", timeout=30_000)
    screenshot(page, "match-partner-shortlists")


def test_partner_reviews_what_was_read_then_searches_with_it(live_portal: dict, browser) -> None:
    holder = _issue_sql_credential(live_portal["db_url"])
    context, page = _signed_in_partner(live_portal, browser, height=2400)  # the whole review step in view
    review = page.locator(".st-key-match_review")
    lines_scored = page.locator("[data-testid='stMetric']").filter(has_text="Lines scored") \
        .locator("[data-testid='stMetricValue']")
    # The default saved posting is the junior data analyst one: what was read, grouped by kind.
    review.get_by_text("Requirements (2)").wait_for(state="visible", timeout=60_000)
    for group in ("Nice to have (2)", "Duties (5)"):
        expect(review.get_by_text(group)).to_be_visible()
    expect(page.get_by_role("checkbox", name=SQL_LINE)).to_be_checked()
    review.get_by_text("Not scored (15): title, ", exact=False).click()
    for line in ("About the role", "Apply by 15 January 2027."):
        expect(page.get_by_role("checkbox", name=line, exact=True)).not_to_be_checked()
    # A degree and a language are left to the résumé: no micro-credential shows them.
    review.get_by_text("Check on the résumé (2): education, language", exact=True).click()
    for line in ("Clear written and spoken English",
                 "A diploma or degree in statistics, economics, business or a related field"):
        expect(page.get_by_role("checkbox", name=line, exact=True)).not_to_be_checked()
    expect(lines_scored).to_have_text("9", timeout=30_000)
    element_screenshot(review, "match-review-step")

    # Switch a line off: it is no longer scored.
    review.get_by_text("Exposure to Tableau or Looker Studio", exact=True).click()
    expect(page.get_by_role("checkbox", name="Exposure to Tableau or Looker Studio")).not_to_be_checked()
    expect(lines_scored).to_have_text("8", timeout=30_000)

    # The holder of SQL for Business Analysis: SQL is covered or partly covered, never "not found", and
    # no boilerplate line is shown at all.
    _lowest_minimum_score(page)
    dialog = _open_details(page, holder)
    text = dialog.inner_text()
    found, _, not_found = text.partition("Not found in their verified credentials")
    assert SQL_LINE in found and SQL_LINE not in not_found.split("Words of the posting")[0], text
    for line in ("Clear written and spoken English", "Exposure to Tableau or Looker Studio", *BOILERPLATE):
        assert line not in text, line
    screenshot(page, "match-review-details")
    _close(page, dialog)

    # Mark it must-have: the search says so and the details tag it.
    row = page.locator("[data-testid='stHorizontalBlock']").filter(
        has=page.get_by_role("checkbox", name=SQL_LINE))
    row.get_by_text("Must-have", exact=True).click()
    expect(row.get_by_role("checkbox", name="Must-have")).to_be_checked()
    page.get_by_text("1 must-have line counts double.", exact=False).wait_for(state="visible", timeout=30_000)
    dialog = _open_details(page, holder)
    expect(dialog.get_by_text(f"{SQL_LINE} (must-have)", exact=False)).to_be_visible()
    screenshot(page, "match-review-must-have")
    _close(page, dialog)


ECE_POSTING = "Registered Early Childhood Educator – Preschool Room — Maple Grove Children's Centre"
INCLUSIVE_LINE = "Knowledge of inclusive practice is preferred"


def test_early_childhood_posting_held_requirements_are_never_missing(live_portal: dict, browser) -> None:
    """The holder of Inclusive Practice for Children with Diverse Needs: the inclusive-practice line is covered or
    partly covered with what it shares, never "not found"; the centre's address, the intro and the asks left to
    the résumé (registration, the vulnerable sector check) are never shown as matched or missing."""
    holder = _issue_credentials(live_portal["db_url"], ("inclusive-ece-diverse-needs", "play-based-learning-ece",
                                                        "ece-documentation-family-partnerships"))
    context, page = _signed_in_partner(live_portal, browser, height=2400)
    choose(page, "Saved posting", ECE_POSTING)
    review = page.locator(".st-key-match_review")
    review.get_by_text("Check on the résumé (3): licence or registration, background check, language",
                       exact=True).wait_for(state="visible", timeout=60_000)
    expect(page.get_by_role("checkbox", name=INCLUSIVE_LINE)).to_be_checked()
    _lowest_minimum_score(page)
    dialog = _open_details(page, holder)
    text = dialog.inner_text()
    found, _, not_found = text.partition("Not found in their verified credentials")
    assert INCLUSIVE_LINE in found and INCLUSIVE_LINE not in not_found.split("Words of the posting")[0], text
    for line in ("1180 Danforth Avenue, Toronto, ON M4J 1M6", "About us",
                 "A clear vulnerable sector check dated within the last six months",
                 "ECE diploma and registration in good standing with the College of Early Childhood Educators"):
        assert line not in text, line
    if "Partly covered" in text:  # every partial match says what it rests on
        partly = text.partition("Partly covered")[2].partition("Not found")[0].partition("Words of the posting")[0]
        assert all("· shares " in row for row in partly.splitlines()[1:] if row.strip()), partly
    screenshot(page, "match-ece-details")
    _close(page, dialog)
    context.close()
