"""Real browser on a live portal (issue 14): the demo earner pastes a credential issued by another issuer
(openbadgeslib) on *My credentials*; a partner's search shows it as evidence naming its issuer; after the issuer
revokes it, the next search leaves it out; one issued to another e-mail is refused with the reason.

The peer issuer lives under a reserved ``.example`` host: the portal (in demo mode) reads its status list from
the ``peer_document`` table, which the test updates as the issuer would publish a new list. Screenshots go to
test-artifacts/ (also when a step fails)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytest.importorskip("openbadgeslib")

from tests.browser.test_browser_match import _lowest_minimum_score, _open_details
from tests.browser.test_browser_sign_in import demo_password, wait_signed_in
from tests.browser.test_browser_staff import open_page, sign_in
from tests.browser.ui import wait_idle
from tests.conftest import make_settings, screenshot
from tests.peer_issuer import PEER_NAME, PeerIssuer

pytestmark = pytest.mark.browser

EARNER = "earner@mosaics.example"
POSTING = "Warehouse safety lead\nRequirements:\n- Administer emergency first aid and CPR\n" \
          "- Operate a forklift safely in a busy warehouse\n"


class _Published:
    """The peer issuer's documents written where the live portal reads them (demo mode: peer_document)."""

    def __init__(self, db_url: str, peer: PeerIssuer) -> None:
        from mosaics_match.runtime import open_runtime

        self.rt = open_runtime(make_settings(db_url), migrate=False)
        self.peer = peer

    def publish(self) -> None:
        from mosaics_match.store import repo

        body = self.peer.fetcher.documents[self.peer.list_url]
        with self.rt.Session.begin() as session:
            repo.put_peer_document(session, url=self.peer.list_url,
                                   body=body if isinstance(body, str) else body.decode())

    def trust(self) -> None:
        from mosaics_match.services import earner_profile, trust
        from mosaics_match.store import repo

        trust.add_issuer(self.rt, identifier=self.peer.did, name=self.peer.name, counts_in_search=True,
                         actor="staff@mosaics.example")
        with self.rt.Session() as session:
            earner_id = repo.get_account(session, email=EARNER).earner_id
        earner_profile.change_consent(self.rt, earner_id=earner_id, discoverable=True, share_email=False,
                                      actor=EARNER, actor_role="earner")


def _page_for(portal: dict, browser, role: str):
    email, password = demo_password(portal["db_url"], role)
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    sign_in(page, portal["url"], email, password)
    wait_signed_in(page, role)
    return page


def _add(page, token: str) -> None:
    page.get_by_text("Paste the credential", exact=True).click()
    box = page.get_by_label("Credential JSON or signed token")
    box.wait_for(state="visible", timeout=30_000)
    box.fill(token)
    page.get_by_text("Partners may see this credential", exact=True).click()
    page.get_by_role("button", name="Check and add").click()


def _added_in_index(page) -> int:
    """How many added credentials the search counted ("Evidence includes N verified credentials …")."""
    line = page.get_by_text(re.compile(r"^Evidence includes [\d,]+ verified credential"))
    line.wait_for(state="visible", timeout=30_000)
    return int(re.search(r"includes ([\d,]+)", line.inner_text()).group(1).replace(",", ""))


def _search(page) -> None:
    open_page(page, "Match a job posting")
    page.get_by_text("Paste the text").click()
    box = page.get_by_label("Posting text")
    box.wait_for(state="visible", timeout=30_000)
    box.fill(POSTING)
    box.press("Control+Enter")
    page.get_by_text("What we read in the posting").wait_for(state="visible", timeout=30_000)
    _lowest_minimum_score(page)
    page.get_by_text("Reach the minimum score").wait_for(state="visible", timeout=30_000)
    wait_idle(page)


def test_an_added_credential_counts_with_its_issuer_until_revoked(start_portal, tmp_path, seeded_sqlite,
                                                                  browser) -> None:
    portal = start_portal(tmp_path / "portal", seeded_sqlite)
    peer = PeerIssuer()
    peer.publish()
    published = _Published(portal["db_url"], peer)
    published.publish()
    published.trust()
    token, index = peer.issue(EARNER)

    earner = _page_for(portal, browser, "earner")
    open_page(earner, "My credentials")
    _add(earner, token)
    earner.get_by_text(f"Added “Workplace Safety Certificate” from {PEER_NAME}").wait_for(state="visible",
                                                                                           timeout=60_000)
    expect(earner.get_by_text(f"Signed by {PEER_NAME}", exact=False).first).to_be_visible()
    earner.get_by_text("Counts in partner searches.").first.wait_for(state="visible", timeout=30_000)
    screenshot(earner, "external-earner-added")

    other, _ = peer.issue("someone.else@example.org")
    _add(earner, other)
    earner.get_by_text("issued to a different e-mail address").wait_for(state="visible", timeout=60_000)
    screenshot(earner, "external-earner-refused")

    partner = _page_for(portal, browser, "partner")
    _search(partner)
    before = _added_in_index(partner)
    dialog = _open_details(partner, "Amara Singh")
    dialog.get_by_text(f"issued by {PEER_NAME}", exact=False).first.wait_for(state="visible", timeout=30_000)
    screenshot(partner, "external-partner-evidence")
    partner.keyboard.press("Escape")
    dialog.wait_for(state="hidden", timeout=10_000)

    peer.revoke(index)
    published.publish()
    partner.reload()
    wait_signed_in(partner, "partner")
    _search(partner)
    assert _added_in_index(partner) == before - 1
    partner.get_by_role("combobox", name="See why someone matched").wait_for(state="visible", timeout=30_000)
    dialog = _open_details(partner, "Amara Singh") if _offers(partner, "Amara Singh") else None
    if dialog is not None:
        expect(dialog.get_by_text(f"issued by {PEER_NAME}", exact=False)).to_have_count(0)
    screenshot(partner, "external-partner-after-revocation")
    published.rt.engine.dispose()


def _offers(page, name: str) -> bool:
    """Whether the "See why someone matched" list offers ``name`` (she may have dropped below every match)."""
    box = page.get_by_role("combobox", name="See why someone matched")
    box.click()
    found = page.get_by_role("option", name=name, exact=True).count() > 0
    page.keyboard.press("Escape")
    return found
