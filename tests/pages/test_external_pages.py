"""AppTest runs of issue 14 end to end: an earner adds a peer-issued credential (made by openbadgeslib) on *My
credentials*, a partner's search shows it as evidence with its issuer named, revoking it at its issuer drops it
from the next search, one issued to another e-mail is refused with the reason, an untrusted issuer's is kept but
never counts, and staff switch "counts in partner search"."""

from __future__ import annotations

import pytest

pytest.importorskip("openbadgeslib")

from mosaics_match.credentials.fetcher import ChainFetcher
from mosaics_match.services import external_credentials as ext
from tests.conftest import app_test, make_settings, session_token_for
from tests.peer_issuer import PEER_NAME, PeerIssuer

pytestmark = pytest.mark.storage

EARNER = "earner@mosaics.example"
PARTNER = "partner@mosaics.example"
STAFF = "staff@mosaics.example"
POSTING = "Safety lead\nRequirements:\n- Administer emergency first aid and CPR\n- Operate a forklift safely"


@pytest.fixture
def world(portal_env: str):
    from mosaics_match.runtime import open_runtime

    rt = open_runtime(make_settings(portal_env), migrate=False)
    peer = PeerIssuer()
    peer.publish()
    ext.use_fetcher(ChainFetcher(peer.fetcher, ext.PeerDocumentFetcher(rt.Session, None)))
    yield rt, peer
    ext.use_fetcher(None)
    rt.engine.dispose()


def _texts(at) -> str:
    parts = [e.value for e in at.error] + [e.value for e in at.success] + [e.value for e in at.warning]
    parts += [m.value for m in at.markdown] + [c.value for c in at.caption]
    return "\n".join(str(p) for p in parts)


def _add_on_my_page(db_url: str, token_text: str, *, share: bool = True):
    at = app_test("pages/my_credentials.py", token=session_token_for(db_url, EARNER))
    at.radio(key="ext_how").set_value("Paste the credential").run()
    at.text_area(key="ext_text").input(token_text)
    at.checkbox(key="ext_visible_new").set_value(share)
    next(b for b in at.button if b.label == "Check and add").click().run()
    return at


def _partner_search(db_url: str):
    at = app_test("pages/match.py", token=session_token_for(db_url, PARTNER))
    at.radio(key="match_source").set_value("Paste the text").run()
    at.text_area(key="match_text").input(POSTING).run()
    at.slider(key="match_min_score").set_value(0.0).run()
    return at


def _amara_issuers(at) -> str:
    table = next(f.value for f in at.dataframe if "Score" in f.value.columns)
    rows = table[table["Name"] == "Amara Singh"]
    return "" if rows.empty else str(rows.iloc[0]["Issued by"])


def _trust(rt, peer: PeerIssuer, counts: bool = True) -> None:
    from mosaics_match.services import earner_profile, trust
    from mosaics_match.store import repo

    trust.add_issuer(rt, identifier=peer.did, name=peer.name, counts_in_search=counts, actor=STAFF)
    with rt.Session() as session:
        earner_id = repo.get_account(session, email=EARNER).earner_id
    earner_profile.change_consent(rt, earner_id=earner_id, discoverable=True, share_email=False, actor=EARNER,
                                  actor_role="earner")


def test_added_credential_is_evidence_with_its_issuer_until_revoked(world, portal_env: str) -> None:
    rt, peer = world
    _trust(rt, peer)
    token, index = peer.issue(EARNER)
    at = _add_on_my_page(portal_env, token)
    assert not at.exception
    assert any("Added “Workplace Safety Certificate” from " + PEER_NAME in s.value for s in at.success), _texts(at)
    assert "Signed by " + PEER_NAME in _texts(at)  # the verify page's lines
    assert "Counts in partner searches." in _texts(at)

    at = _partner_search(portal_env)
    assert not at.exception
    assert PEER_NAME in _amara_issuers(at)
    assert "Evidence includes" in _texts(at)

    peer.revoke(index)
    at = _partner_search(portal_env)
    assert PEER_NAME not in _amara_issuers(at)
    mine = app_test("pages/my_credentials.py", token=session_token_for(portal_env, EARNER))
    assert ":red-badge[Revoked]" in _texts(mine)


def test_a_credential_for_another_email_is_refused_with_the_reason(world, portal_env: str) -> None:
    _rt, peer = world
    token, _ = peer.issue("someone.else@example.org")
    at = _add_on_my_page(portal_env, token)
    assert any("issued to a different e-mail address" in e.value and EARNER in e.value for e in at.error), \
        _texts(at)
    assert "Workplace Safety Certificate" not in " ".join(m.value for m in at.markdown if m.value.startswith("**"))


def test_an_untrusted_issuers_credential_is_kept_but_never_counts(world, portal_env: str) -> None:
    rt, peer = world
    _trust(rt, PeerIssuer(name="Some Other Body"))  # consent on; the peer itself stays untrusted
    token, _ = peer.issue(EARNER)
    at = _add_on_my_page(portal_env, token)
    assert any("does not count in partner searches" in w.value for w in at.warning), _texts(at)
    assert "Workplace Safety Certificate" in _texts(at)
    assert f"{PEER_NAME} is not on Seneca's list of trusted issuers" in _texts(at)
    assert PEER_NAME not in _amara_issuers(_partner_search(portal_env))


def test_staff_switch_counts_in_partner_search(world, portal_env: str) -> None:
    rt, peer = world
    _trust(rt, peer, counts=False)
    token, _ = peer.issue(EARNER)
    assert _add_on_my_page(portal_env, token).warning  # kept, but its issuer does not count yet
    assert PEER_NAME not in _amara_issuers(_partner_search(portal_env))

    at = app_test("pages/staff_trust.py", token=session_token_for(portal_env, STAFF))
    assert not at.exception
    at.selectbox(key="trust_pick").set_value(peer.did).run()
    at.toggle(key=f"trust_counts_{peer.did}").set_value(True).run()
    assert not at.exception
    assert any("now count in partner searches" in s.value for s in at.success)
    table = next(f.value for f in at.dataframe if "Counts in partner search" in f.value.columns)
    assert bool(table[table["Identifier"] == peer.did].iloc[0]["Counts in partner search"]) is True
    assert PEER_NAME in _amara_issuers(_partner_search(portal_env))


def test_the_earner_hides_and_removes_an_added_credential(world, portal_env: str) -> None:
    rt, peer = world
    _trust(rt, peer)
    token, _ = peer.issue(EARNER)
    at = _add_on_my_page(portal_env, token)
    item = next(i for i in ext.list_credentials(rt, earner_id=_earner_id(rt)) if i.issuer_name == PEER_NAME)
    at.toggle(key=f"ext_visible_{item.id}").set_value(False).run()
    assert any("Partners no longer see this credential." in s.value for s in at.success)
    assert PEER_NAME not in _amara_issuers(_partner_search(portal_env))
    at.button(key=f"ext_remove_{item.id}").click().run()
    assert any("Removed from your list." in s.value for s in at.success)
    assert all(i.issuer_name != PEER_NAME for i in ext.list_credentials(rt, earner_id=_earner_id(rt)))


def _earner_id(rt) -> int:
    from mosaics_match.store import repo

    with rt.Session() as session:
        return repo.get_account(session, email=EARNER).earner_id
