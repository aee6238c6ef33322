"""Credentials earners add from other issuers: kept only when genuine, current, theirs and not revoked; counted in
partner searches only for issuers staff count; status kept live through re-checks keyed by each status list's
content (its ETag). Peer credentials are issued by openbadgeslib (tests/peer_issuer.py)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("openbadgeslib")

from datetime import UTC

from mosaics_match.credentials.fetcher import ChainFetcher, FetchError
from mosaics_match.services import earner_profile, trust
from mosaics_match.services import external_credentials as ext
from mosaics_match.services import matching as ms
from mosaics_match.services.auth import Viewer
from mosaics_match.store import repo
from mosaics_match.store.models import AuditEvent, Earner, ExternalCredential
from tests.peer_issuer import PEER_NAME, PeerIssuer

pytestmark = pytest.mark.storage

EARNER_EMAIL = "earner@mosaics.example"
DEMO_ISSUER = "Bayline Skills Certification Board"
POSTING = "- Administer emergency first aid and CPR\n- Operate a forklift safely in a warehouse"


@pytest.fixture
def peer(seeded_rt):
    issuer = PeerIssuer()
    issuer.publish()
    ext.use_fetcher(ChainFetcher(issuer.fetcher, ext.PeerDocumentFetcher(seeded_rt.Session, None)))
    yield issuer
    ext.use_fetcher(None)


@pytest.fixture
def earner(seeded_rt) -> Viewer:
    with seeded_rt.Session() as session:
        account = repo.get_account(session, email=EARNER_EMAIL)
        viewer = Viewer(email=account.email, role="earner", account_id=account.id, earner_id=account.earner_id)
    earner_profile.change_consent(seeded_rt, earner_id=viewer.earner_id, discoverable=True, share_email=False,
                                  actor=viewer.email, actor_role="earner")
    return viewer


def _add(rt, viewer: Viewer, data, **kw) -> ext.AddOutcome:
    kw.setdefault("source", "paste")
    kw.setdefault("partners_may_see", True)
    return ext.add_credential(rt, earner_id=viewer.earner_id, viewer=viewer, data=data, **kw)


def _count(rt, peer: PeerIssuer) -> None:
    trust.add_issuer(rt, identifier=peer.did, name=peer.name, counts_in_search=True, actor="staff@mosaics.example")


def _search(rt) -> ms.SearchResult:
    ms.prepare_search(rt)
    index = ms.index_for(rt)
    return ms.run_search(rt, index, requirements=ms.read(POSTING).requirements(),
                         filters=ms.SearchFilters(min_score=0.0), base_url="https://portal.example")


def _peer_evidence(result: ms.SearchResult, earner_id: int) -> list[ms.Evidence]:
    for c in result.candidates:
        if c.earner_id == earner_id:
            return [e for e in (*c.covered, *c.partial) if e.issuer == PEER_NAME]
    return []


def _rows(rt) -> list[ExternalCredential]:
    """Added credentials other than the demo's second issuer's."""
    with rt.Session() as session:
        return [r for r in session.query(ExternalCredential) if r.issuer_name != DEMO_ISSUER]


def _mine(rt, earner: Viewer) -> ext.ExternalItem:
    """The one credential the test added for the demo earner (who also holds one of the demo issuer's)."""
    items = [i for i in ext.list_credentials(rt, earner_id=earner.earner_id) if i.issuer_name != DEMO_ISSUER]
    assert len(items) == 1
    return items[0]


def test_a_peer_credential_is_kept_and_counts_with_its_issuer_named(seeded_rt, earner, peer) -> None:
    token, _ = peer.issue(EARNER_EMAIL)
    _count(seeded_rt, peer)
    outcome = _add(seeded_rt, earner, token)
    assert outcome.kept and outcome.reason == "kept", outcome.message
    assert [line.id for line in outcome.verification.lines][:1] == ["proof.signature"]
    evidence = _peer_evidence(_search(seeded_rt), earner.earner_id)
    assert evidence and {e.issuer for e in evidence} == {peer.name} and {e.verify_url for e in evidence} == {""}
    assert {e.achievement for e in evidence} == {"Workplace Safety Certificate"}
    assert any(e.requirement.startswith("Administer emergency first aid") and e.status == "covered"
               for e in evidence)
    item = _mine(seeded_rt, earner)
    assert item.counts and item.state == "valid" and "Administer emergency first aid" in item.competencies
    with seeded_rt.Session() as session:
        actions = [e.action for e in session.query(AuditEvent).filter(
            AuditEvent.subject == f"external:{outcome.external_id}")]
    assert actions == ["external_add"]


def test_revoking_at_the_issuer_removes_it_from_the_next_search(seeded_rt, earner, peer) -> None:
    token, index = peer.issue(EARNER_EMAIL)
    _count(seeded_rt, peer)
    outcome = _add(seeded_rt, earner, token)
    assert outcome.kept
    assert _peer_evidence(_search(seeded_rt), earner.earner_id)
    peer.revoke(index)
    assert _peer_evidence(_search(seeded_rt), earner.earner_id) == []
    item = _mine(seeded_rt, earner)
    assert item.state == "revoked" and not item.counts
    with seeded_rt.Session() as session:
        events = session.query(AuditEvent).filter(AuditEvent.action == "external_recheck",
                                                  AuditEvent.subject == f"external:{outcome.external_id}").all()
    assert [(e.outcome, e.details["was"]) for e in events] == [("revoked", "valid")]


def test_one_issued_to_another_email_is_refused_with_the_reason(seeded_rt, earner, peer) -> None:
    token, _ = peer.issue("someone.else@example.org")
    outcome = _add(seeded_rt, earner, token)
    assert not outcome.kept and outcome.reason == "other-recipient"
    assert "issued to a different e-mail address" in outcome.message and EARNER_EMAIL in outcome.message
    assert _rows(seeded_rt) == []
    with seeded_rt.Session() as session:
        event = session.query(AuditEvent).filter(AuditEvent.action == "external_add").one()
    assert event.outcome == "refused" and event.details["reason"] == "other-recipient"


def test_an_address_of_the_earners_own_account_is_theirs_too(seeded_rt, earner, peer) -> None:
    with seeded_rt.Session.begin() as session:
        account = repo.get_account(session, email=EARNER_EMAIL)
        account.email = "amara.work@example.org"
    token, _ = peer.issue("amara.work@example.org")
    viewer = Viewer(email="amara.work@example.org", role="earner", account_id=earner.account_id,
                    earner_id=earner.earner_id)
    assert _add(seeded_rt, viewer, token).kept


def test_an_untrusted_issuers_credential_is_kept_but_never_counts(seeded_rt, earner, peer) -> None:
    token, _ = peer.issue(EARNER_EMAIL)
    outcome = _add(seeded_rt, earner, token)
    assert outcome.kept and outcome.reason == "kept-untrusted"
    assert "does not count in partner searches" in outcome.message
    assert _peer_evidence(_search(seeded_rt), earner.earner_id) == []
    item = _mine(seeded_rt, earner)
    assert not item.counts and "not on Seneca's list" in item.why_not_counted
    # trusted but not counted: still never counts; counted: it does, from the next search on
    trust.add_issuer(seeded_rt, identifier=peer.did, name=peer.name, counts_in_search=False, actor="staff@x")
    assert _peer_evidence(_search(seeded_rt), earner.earner_id) == []
    trust.set_counts_in_search(seeded_rt, identifier=peer.did, counts=True, actor="staff@x")
    assert _peer_evidence(_search(seeded_rt), earner.earner_id)
    trust.remove_issuer(seeded_rt, identifier=peer.did, actor="staff@x")
    assert _peer_evidence(_search(seeded_rt), earner.earner_id) == []


def test_private_credentials_and_hidden_earners_never_count(seeded_rt, earner, peer) -> None:
    token, _ = peer.issue(EARNER_EMAIL)
    _count(seeded_rt, peer)
    outcome = _add(seeded_rt, earner, token, partners_may_see=False)
    assert outcome.kept
    assert _peer_evidence(_search(seeded_rt), earner.earner_id) == []
    assert ext.set_partner_visibility(seeded_rt, earner_id=earner.earner_id, external_id=outcome.external_id,
                                      visible=True, viewer=earner)
    assert _peer_evidence(_search(seeded_rt), earner.earner_id)
    earner_profile.change_consent(seeded_rt, earner_id=earner.earner_id, discoverable=False, share_email=False,
                                  actor=earner.email, actor_role="earner")
    assert all(c.earner_id != earner.earner_id for c in _search(seeded_rt).candidates)


def test_another_earner_cannot_change_or_remove_it(seeded_rt, earner, peer) -> None:
    token, _ = peer.issue(EARNER_EMAIL)
    outcome = _add(seeded_rt, earner, token)
    other = Viewer(email="x@example.org", role="earner", account_id=None, earner_id=earner.earner_id + 1)
    assert not ext.set_partner_visibility(seeded_rt, earner_id=other.earner_id, external_id=outcome.external_id,
                                          visible=False, viewer=other)
    assert not ext.remove_credential(seeded_rt, earner_id=other.earner_id, external_id=outcome.external_id,
                                     viewer=other)
    assert ext.remove_credential(seeded_rt, earner_id=earner.earner_id, external_id=outcome.external_id,
                                 viewer=earner)
    assert _rows(seeded_rt) == []
    with seeded_rt.Session() as session:
        assert session.query(AuditEvent).filter(AuditEvent.action == "external_remove").count() == 1


def test_a_forged_credential_is_refused_and_nothing_is_written(seeded_rt, earner, peer) -> None:
    token, _ = peer.issue(EARNER_EMAIL)
    header, payload, signature = token.split(".")
    import base64

    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["credentialSubject"]["achievement"]["name"] = "Chief Surgeon"
    forged = ".".join([header, base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode(),
                       signature])
    outcome = _add(seeded_rt, earner, forged)
    assert not outcome.kept and outcome.reason == "forged" and "not genuine" in outcome.message
    assert _rows(seeded_rt) == []


def test_a_credential_signed_by_another_key_in_the_issuers_name_is_refused(seeded_rt, earner, peer) -> None:
    impostor = PeerIssuer()
    token, _ = impostor.issue(EARNER_EMAIL)
    header, payload, _sig = token.split(".")
    # same claims, but naming the real peer as issuer: the impostor's key is not the issuer's
    import base64

    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["issuer"]["id"] = claims["iss"] = peer.did
    from mosaics_match.credentials.jwt import sign_compact_jws

    forged = sign_compact_jws({"alg": "EdDSA", "typ": "JWT"}, claims, impostor.private_key)
    outcome = _add(seeded_rt, earner, forged)
    assert not outcome.kept and outcome.reason == "forged"


def test_oversized_and_unreadable_inputs_are_refused_before_parsing(seeded_rt, earner, peer) -> None:
    big = b"{" + b" " * ext.MAX_INPUT_BYTES + b"}"
    outcome = _add(seeded_rt, earner, big, source="upload")
    assert not outcome.kept and outcome.reason == "unreadable" and f"{ext.MAX_INPUT_BYTES:,}" in outcome.message
    deep = "[" * 10_000 + "]" * 10_000
    outcome = _add(seeded_rt, earner, deep)
    assert not outcome.kept and outcome.reason == "unreadable" and "nested" in outcome.message
    outcome = _add(seeded_rt, earner, "hello, this is my badge")
    assert not outcome.kept and outcome.reason == "unreadable" and "not a credential" in outcome.message
    assert _rows(seeded_rt) == []


def test_a_link_that_is_not_https_is_refused(seeded_rt, earner, peer) -> None:
    outcome = _add(seeded_rt, earner, "http://127.0.0.1:8501/credential.json", source="link")
    assert not outcome.kept and outcome.reason == "link-failed" and "https://" in outcome.message


def test_a_link_is_fetched_and_verified(seeded_rt, earner, peer) -> None:
    token, _ = peer.issue(EARNER_EMAIL)
    peer.fetcher.add("https://wallet.northbridge.example/c/1", token)
    outcome = _add(seeded_rt, earner, "https://wallet.northbridge.example/c/1", source="link")
    assert outcome.kept, outcome.message


def test_adding_the_same_credential_twice_keeps_one(seeded_rt, earner, peer) -> None:
    token, _ = peer.issue(EARNER_EMAIL)
    assert _add(seeded_rt, earner, token).kept
    outcome = _add(seeded_rt, earner, token)
    assert not outcome.kept and outcome.reason == "duplicate"
    from mosaics_match.credentials.bake import bake_png
    from mosaics_match.services import sharing

    baked = bake_png(sharing.badge_png(None, size=64), token)  # the same credential, another form
    assert _add(seeded_rt, earner, baked, source="upload").reason == "duplicate"
    assert len(_rows(seeded_rt)) == 1


def test_a_seneca_credential_is_claimed_not_added(seeded_rt, earner, peer) -> None:
    with seeded_rt.Session() as session:
        document = repo.credentials_of(session, earner=session.get(Earner, earner.earner_id))[0].document
    outcome = _add(seeded_rt, earner, document)
    assert not outcome.kept and outcome.reason in ("issued-here", "not-current")
    assert _rows(seeded_rt) == []


def test_an_unreachable_status_list_is_not_confirmed_never_valid(seeded_rt, earner, peer) -> None:
    token, _ = peer.issue(EARNER_EMAIL)
    _count(seeded_rt, peer)
    assert _add(seeded_rt, earner, token).kept
    saved = peer.fetcher.documents.pop(peer.list_url)
    assert _peer_evidence(_search(seeded_rt), earner.earner_id) == []
    item = _mine(seeded_rt, earner)
    assert item.state == "unconfirmed" and item.state_label == "Not confirmed right now"
    assert "could not be reached" in item.state_detail
    peer.fetcher.add(peer.list_url, saved)
    ext.refresh_statuses(seeded_rt)  # the search path waits a minute before asking an unreachable list again
    assert _peer_evidence(_search(seeded_rt), earner.earner_id)


def test_adding_while_the_status_list_is_unreachable_is_refused(seeded_rt, earner, peer) -> None:
    token, _ = peer.issue(EARNER_EMAIL)
    peer.fetcher.documents.pop(peer.list_url)
    outcome = _add(seeded_rt, earner, token)
    assert not outcome.kept and outcome.reason == "unconfirmed" and "Try again later" in outcome.message


def test_recheck_verifies_again_only_when_a_list_serves_other_bytes(seeded_rt, earner, peer) -> None:
    token, _ = peer.issue(EARNER_EMAIL)
    assert _add(seeded_rt, earner, token).kept
    # two lists: the peer's and the demo issuer's (whose seeded credentials were checked against it already)
    first = ext.refresh_statuses(seeded_rt)
    assert first.lists_fetched == 2 and first.verified == 1 and first.changed == {}
    again = ext.refresh_statuses(seeded_rt)
    assert again.lists_fetched == 2 and again.verified == 0
    peer.revoke(99_999)  # someone else's entry: the list's bytes change, this credential's bit does not
    changed = ext.refresh_statuses(seeded_rt)
    assert changed.verified == 1 and changed.changed == {}
    queries = _count_queries(seeded_rt)
    quiet = ext.refresh_statuses(seeded_rt)
    assert quiet.lists_fetched == 2 and quiet.verified == 0
    assert queries() == 1  # the data version only: no credential rows read while nothing changed


def test_a_status_list_replaced_by_another_issuers_list_confirms_nothing(seeded_rt, earner, peer) -> None:
    """Cache poisoning: after a check filled the cache, the list URL serves a list signed by someone else (saying
    nothing is revoked). The new bytes are verified, not the remembered verdict reused, and they are not the
    issuer's own: the credential becomes unconfirmed, never valid on the impostor's word."""
    token, index = peer.issue(EARNER_EMAIL)
    _count(seeded_rt, peer)
    assert _add(seeded_rt, earner, token).kept
    ext.refresh_statuses(seeded_rt)
    peer.revoke(index)
    impostor = PeerIssuer(list_url=peer.list_url)
    impostor.publish()
    peer.fetcher.add(peer.list_url, impostor.fetcher.documents[peer.list_url])
    ext.refresh_statuses(seeded_rt)
    item = _mine(seeded_rt, earner)
    assert item.state == "unconfirmed"
    assert _peer_evidence(_search(seeded_rt), earner.earner_id) == []


def test_what_is_kept_is_read_from_the_signed_credential_only(seeded_rt, earner, peer) -> None:
    token, _ = peer.issue(EARNER_EMAIL)
    assert _add(seeded_rt, earner, token).kept
    row = _rows(seeded_rt)[0]
    assert row.document == token and row.issuer_identifier == peer.did and row.issuer_name == peer.name
    assert row.content["name"] == "Workplace Safety Certificate"
    assert [a["targetName"] for a in row.content["alignments"]] == ["Administer emergency first aid",
                                                                   "Operate a forklift safely"]
    assert row.status_lists == [peer.list_url]


def test_expiry_drops_it_without_a_new_event(seeded_rt, earner, peer) -> None:
    from datetime import timedelta

    token, _ = peer.issue(EARNER_EMAIL, days=2)
    _count(seeded_rt, peer)
    assert _add(seeded_rt, earner, token).kept
    index = ms.index_for(seeded_rt)
    mine = [c for c, issuer in index.credential_issuer.items() if issuer == peer.name]
    assert len(mine) == 1 and index.stale_after is not None
    later = index.stale_after + timedelta(seconds=1)
    with seeded_rt.Session() as session:
        assert mine[0] not in ms.build_partner_index(session, at=later).credential_issuer


def test_the_demo_issuers_documents_are_served_only_for_reserved_hosts(seeded_rt) -> None:
    with seeded_rt.Session.begin() as session:
        repo.put_peer_document(session, url="https://status.lakeshore.example/list", body="{}")
        repo.put_peer_document(session, url="https://issuer.real-college.ca/list", body="{}")

    class Remote:
        def fetch(self, url: str) -> bytes:
            raise FetchError(url, "remote")

    fetcher = ext.PeerDocumentFetcher(seeded_rt.Session, Remote())
    assert fetcher.fetch("https://status.lakeshore.example/list") == b"{}"
    with pytest.raises(FetchError, match="remote"):
        fetcher.fetch("https://issuer.real-college.ca/list")
    with pytest.raises(FetchError, match="no such document"):
        fetcher.fetch("https://status.lakeshore.example/other")


def test_an_impostor_using_a_trusted_issuers_name_never_counts(seeded_rt, earner, peer) -> None:
    """Names are the credential's own claim: only the identifier on the trust list counts, and partners read the
    name staff gave that identifier."""
    _count(seeded_rt, peer)
    impostor = PeerIssuer(list_url=peer.list_url.replace("northbridge", "n0rthbridge"))
    impostor.publish()
    ext.use_fetcher(ChainFetcher(impostor.fetcher, peer.fetcher, ext.PeerDocumentFetcher(seeded_rt.Session, None)))
    token, _ = impostor.issue(EARNER_EMAIL)  # same name as the trusted peer, another key and identifier
    outcome = _add(seeded_rt, earner, token)
    assert outcome.kept and outcome.reason == "kept-untrusted"
    assert _peer_evidence(_search(seeded_rt), earner.earner_id) == []


def test_one_earner_cannot_add_without_bound(seeded_rt, earner, peer, monkeypatch) -> None:
    monkeypatch.setattr(ext, "MAX_PER_EARNER", 2)  # the demo earner holds one of the demo issuer's already
    first, _ = peer.issue(EARNER_EMAIL)
    assert _add(seeded_rt, earner, first).kept
    second, _ = peer.issue(EARNER_EMAIL)
    outcome = _add(seeded_rt, earner, second)
    assert not outcome.kept and outcome.reason == "too-many" and "Remove one" in outcome.message


def test_a_baked_badge_image_is_added_and_its_credential_kept(seeded_rt, earner, peer) -> None:
    from mosaics_match.credentials.bake import bake_png, bake_svg
    from mosaics_match.services import sharing

    token, _ = peer.issue(EARNER_EMAIL)
    png = bake_png(sharing.badge_png(None, size=64), token)
    outcome = _add(seeded_rt, earner, png, source="upload", file_name="badge.png")
    assert outcome.kept, outcome.message
    assert [r.document for r in _rows(seeded_rt)] == [token]  # the credential inside, not the image
    other, _ = peer.issue(EARNER_EMAIL, name="Forklift Operator")
    svg = bake_svg(sharing.badge_svg(None), other).encode("utf-8")
    assert _add(seeded_rt, earner, svg, source="upload", file_name="badge.svg").kept


def test_the_schedule_rechecks_in_the_background_once_per_database(seeded_rt, earner, peer) -> None:
    import threading

    token, index = peer.issue(EARNER_EMAIL)
    assert _add(seeded_rt, earner, token).kept
    peer.revoke(index)
    ticks = threading.Semaphore(0)
    passes: list[int] = []

    def sleep(_seconds: float) -> bool:  # one pass, then stop
        passes.append(1)
        if len(passes) > 1:
            ticks.release()
            return True
        return False

    assert ext.start_schedule(seeded_rt, every=0.01, sleep=sleep)
    assert not ext.start_schedule(seeded_rt, every=0.01, sleep=sleep)
    assert ticks.acquire(timeout=30)
    assert _mine(seeded_rt, earner).state == "revoked"
    with seeded_rt.Session() as session:
        event = session.query(AuditEvent).filter(AuditEvent.action == "external_recheck",
                                                 AuditEvent.actor == "schedule").one()
    assert event.outcome == "revoked"


def _count_queries(rt):
    """Counts SELECTs on ``rt``'s engine that read the data version or credential rows from now on."""
    from sqlalchemy import event

    seen: list[str] = []

    def listen(conn, cursor, statement, *args) -> None:
        if statement.lstrip().upper().startswith("SELECT") and ("app_state" in statement
                                                                 or "external_credential" in statement):
            seen.append(statement)

    event.listen(rt.engine, "before_cursor_execute", listen)
    return lambda: len(seen)


def test_a_private_credential_is_rechecked_too(seeded_rt, earner, peer) -> None:
    token, index = peer.issue(EARNER_EMAIL)
    ext.refresh_statuses(seeded_rt)  # a quiet pass over the demo's credentials first
    assert _add(seeded_rt, earner, token, partners_may_see=False).kept
    peer.revoke(index)
    ext.refresh_statuses(seeded_rt)
    assert _mine(seeded_rt, earner).state == "revoked"


def test_an_issuer_whose_keys_cannot_be_fetched_is_not_confirmed_not_forged(seeded_rt, earner, peer) -> None:
    """A did:web issuer whose DID document cannot be fetched right now: the signature cannot be checked, which
    says nothing about forgery; the earner is told to try again later."""
    from datetime import datetime, timedelta

    from mosaics_match.credentials import keys
    from mosaics_match.credentials.build import build_credential, sign_credential

    key = keys.generate_ed25519()
    did = "did:web:college.northbridge.example"
    now = datetime.now(UTC)
    cred = build_credential(credential_id="urn:uuid:7a0c0d54-1111-4aaa-8bbb-000000000001",
                            issuer={"id": did, "name": "Northbridge Web"},
                            achievement={"id": "https://college.northbridge.example/a/1", "name": "Welding",
                                         "description": "Welds.", "criteria": "Passed."},
                            recipient_email=EARNER_EMAIL, salt="saltsaltsalt", earner_name="Amara Singh",
                            valid_from=now - timedelta(days=1))
    token = sign_credential(cred, key, verification_method=f"{did}#key-1", fmt="vc-jwt")
    outcome = _add(seeded_rt, earner, token)
    assert not outcome.kept and outcome.reason == "unconfirmed" and "Try again later" in outcome.message
