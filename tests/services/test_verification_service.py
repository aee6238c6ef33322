"""The portal's verification service: trust list and status lists from the database, plain-words verdicts,
revocation seen at once, audit events, history, QR links."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from mosaics_match.links import parse_verify_link
from mosaics_match.services import verification
from mosaics_match.services.auth import PUBLIC, Viewer
from mosaics_match.services.verification import CANNOT_CONFIRM, NOT_VALID, VERIFIED
from mosaics_match.store import repo

EMPLOYER = Viewer(email="employer@mosaics.example", role="employer", account_id=1, display_name="HR")


def _issue(rt, *, valid_until=None):
    """A tiny world: one achievement, one earner, one credential signed by the portal's issuer."""
    from mosaics_match.services import issuing
    from mosaics_match.store.models import Achievement, Competency

    with rt.Session.begin() as session:
        signer = issuing.open_signer(session, settings=rt.settings)
        ach = repo.get_achievement(session, slug="sql-basics")
        if ach is None:
            ach = Achievement(slug="sql-basics", name="SQL Basics", description="Queries data.",
                              criteria="Writes ten queries.", school="School of ICT", partner="Acme", hours=20,
                              level="Foundational", tags=["sql"], image_svg="<svg xmlns='http://www.w3.org/2000/svg'/>")
            ach.competencies.append(Competency(slug="select", name="Write SELECT queries", description="Selects.",
                                               esco_uri="http://data.europa.eu/esco/skill/abc", esco_label="SQL",
                                               position=0))
            session.add(ach)
            session.flush()
        earner = repo.get_earner_by_email(session, email="ana@example.com") or repo.create_earner(
            session, email="ana@example.com", name="Ana Lee")
        receipt = issuing.issue_credential(session, signer=signer, earner=earner, achievement=ach, actor="t",
                                           valid_until=valid_until, fmt="eddsa-jcs-2022")
        return receipt.credential.credential_id, receipt.credential.document


@pytest.mark.storage
def test_valid_then_revoked_is_seen_at_once_and_audited(rt):
    from mosaics_match.services import issuing

    cid, doc = _issue(rt)
    pv = verification.verify_submission(rt, doc, email="ana@example.com", viewer=PUBLIC, source="paste",
                                        remote=False)
    assert pv.verdict == VERIFIED and pv.authenticity == "authentic"
    texts = [line.text for line in pv.lines]
    assert "Signed by Seneca Polytechnic" in texts and "Has not been revoked" in texts
    assert "Was issued to the e-mail address you entered" in texts
    assert pv.card is not None and pv.card.achievement == "SQL Basics" and pv.card.issued_here
    assert pv.card.competencies[0].is_esco and pv.card.image_svg

    with rt.Session.begin() as session:
        signer = issuing.open_signer(session, settings=rt.settings)
        row = verification.load_issued(session, cid)
        issuing.change_status(session, signer=signer, credential=row, action="revoke", reason="test", actor="t")
    again = verification.verify_submission(rt, doc, email=None, viewer=EMPLOYER, source="upload",
                                           file_name="ana.json", remote=False)
    assert again.verdict == NOT_VALID and again.reason.startswith("Has been revoked")
    assert again.card is not None and again.card.achievement == "SQL Basics"  # what it was is still shown

    with rt.Session() as session:
        events = repo.list_audit(session, action="verify")
        mine = verification.history(session, viewer=EMPLOYER)
        assert verification.history(session, viewer=PUBLIC) == []
    assert [e.outcome for e in events] == [NOT_VALID, VERIFIED]
    assert events[1].actor == "anonymous" and "earner_name" not in events[1].details
    assert events[0].details["earner_name"] == "Ana Lee" and events[0].details["file_name"] == "ana.json"
    assert len(mine) == 1 and mine[0].verdict == NOT_VALID and mine[0].credential_id == cid


@pytest.mark.storage
def test_expired_and_untrusted_and_email_case(rt):
    from mosaics_match.store.models import Issuer

    cid, doc = _issue(rt, valid_until=datetime.now(UTC) + timedelta(days=30))
    later = datetime.now(UTC) + timedelta(days=400)
    pv = verification.verify_submission(rt, doc, email=None, viewer=PUBLIC, source="paste", now=later,
                                        remote=False)
    assert pv.verdict == NOT_VALID and pv.reason.startswith("Expired on")
    assert pv.failing_check_id == "time.expiry"

    # Upper-case e-mail still matches (issuers hash the address in lower case).
    ok = verification.verify_submission(rt, doc, email="ANA@Example.com", viewer=PUBLIC, source="paste",
                                        remote=False)
    assert ok.verdict == VERIFIED and ok.result.recipient_match is True

    with rt.Session.begin() as session:
        for issuer in session.query(Issuer).all():
            issuer.trusted = False
    pv = verification.verify_submission(rt, doc, email=None, viewer=PUBLIC, source="paste", remote=False)
    assert pv.verdict == CANNOT_CONFIRM and pv.authenticity == "authentic"
    assert "not on your list of trusted issuers" in pv.reason
    assert any(line.id == "issuer.trusted" and line.ok is False for line in pv.lines)


@pytest.mark.storage
def test_two_databases_in_one_process_never_share_checked_status_lists(rt, tmp_path):
    """Two fresh databases hold status lists with the same ids and versions but their own keys: a verification
    against the second must not reuse what was checked against the first."""
    from mosaics_match.runtime import open_runtime
    from tests.conftest import fresh_database_url, make_settings

    _, first_doc = _issue(rt)
    assert verification.verify_submission(rt, first_doc, email=None, viewer=PUBLIC, source="paste",
                                          remote=False).verdict == VERIFIED
    with fresh_database_url(tmp_path / "second.db") as url:
        second = open_runtime(make_settings(url))
        try:
            _, second_doc = _issue(second)
            with rt.Session() as one, second.Session() as two:
                assert verification._status_fingerprint(one) == verification._status_fingerprint(two)
            pv = verification.verify_submission(second, second_doc, email=None, viewer=PUBLIC, source="paste",
                                                remote=False)
            assert pv.verdict == VERIFIED, pv.reason
        finally:
            second.engine.dispose()


@pytest.mark.storage
def test_demo_credentials_in_every_format_verify_and_tampering_is_forgery(seeded_rt):
    with seeded_rt.Session() as session:
        earner = repo.get_earner_by_email(session, email="earner@mosaics.example")
        docs = {c.proof_format: c.document for c in repo.credentials_of(session, earner=earner)}
    for fmt, doc in docs.items():
        pv = verification.verify_submission(seeded_rt, doc, email="earner@mosaics.example", viewer=PUBLIC,
                                            source="api", remote=False)
        assert pv.verdict == VERIFIED, (fmt, pv.reason)
    tampered = json.loads(docs["eddsa-rdfc-2022"])
    tampered["credentialSubject"]["name"] = "Someone Else"
    pv = verification.verify_submission(seeded_rt, json.dumps(tampered), email=None, viewer=PUBLIC, source="api",
                                        remote=False)
    assert pv.verdict == NOT_VALID and pv.authenticity == "forged"
    assert pv.failing_check_id == "proof.signature"
    report = pv.to_report(base_url="http://x")
    assert report["verdict"] == NOT_VALID and report["engine"]["checks"]


def test_unreadable_inputs_give_specific_reasons(seeded_rt):
    cases = {
        b'{"a": ': "syntax error",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 20: "PNG",
        b"[" * 200 + b"]" * 200: "nested",
        b"hello": "not a credential",
    }
    for data, expected in cases.items():
        pv = verification.verify_submission(seeded_rt, data, email=None, viewer=PUBLIC, source="api", remote=False)
        assert pv.verdict == NOT_VALID and pv.input_problem and expected in pv.input_problem, (data[:10], pv.reason)
        assert pv.card is None


@pytest.mark.storage
def test_portal_fetcher_serves_only_its_own_documents_under_their_own_ids(seeded_rt):
    from mosaics_match.credentials.fetcher import FetchError
    from mosaics_match.store.models import StatusList

    with seeded_rt.Session() as session:
        lst = session.query(StatusList).first()
        url = json.loads(lst.signed_document)["id"]
    fetcher = verification.PortalFetcher(seeded_rt.Session, remote=None)
    assert json.loads(fetcher.fetch(url))["id"] == url
    # Same path on another host is not ours; and nothing is fetched remotely when offline.
    other = url.replace("localhost:8501", "evil.example")
    with pytest.raises(FetchError):
        fetcher.fetch(other)
    with pytest.raises(FetchError):
        fetcher.fetch("https://example.org/status/revocation-999")


@pytest.mark.storage
def test_batch_rows_and_progress(seeded_rt):
    from mosaics_match.inputs.batch import BatchItem
    from mosaics_match.store.models import IssuedCredential

    with seeded_rt.Session() as session:
        docs = [c.document for c in session.query(IssuedCredential).limit(4)]
    items = [BatchItem(f"{i}.json", data=d.encode()) for i, d in enumerate(docs)]
    items.append(BatchItem("bad.zip", problem="Skipped: archives inside the ZIP are not opened."))
    seen: list[tuple[int, int]] = []
    rows = verification.verify_batch(seeded_rt, items, viewer=EMPLOYER, remote=False,
                                     progress=lambda done, total, name: seen.append((done, total)))
    assert seen[-1] == (5, 5) and len(rows) == 5
    assert rows[-1].table_row()["Verdict"] == "Not read"
    assert all(r.table_row()["Achievement"] for r in rows[:4])
    with seeded_rt.Session() as session:
        assert len(verification.history(session, viewer=EMPLOYER)) == 4


def test_qr_round_trip_from_link():
    from mosaics_match.exports import qr
    from mosaics_match.links import credential_url

    cid = "urn:uuid:1f3d43a6-d7a6-4c42-bca6-d56081f9a41c"
    link = qr.read_verify_link(qr.make_qr_png(credential_url("https://portal.example", cid)))
    assert link.credential_id == cid and link.host == "portal.example"
    assert parse_verify_link("eyJhbGciOiJFZERTQSJ9.e30.sig").credential_id is None
    with pytest.raises(qr.QrError, match="not an image"):
        qr.read_qr_text(b"%PDF-1.7 not an image")


@pytest.mark.storage
def test_did_web_documents_of_local_issuers_are_served_from_the_database(rt):
    from mosaics_match.credentials import keys
    from mosaics_match.store.models import SigningKey

    public = keys.public_key_of(keys.generate_ed25519())
    did = "did:web:portal.example%3A8443:mosaics"
    with rt.Session.begin() as session:
        issuer = repo.upsert_issuer(session, identifier=did, name="Seneca Polytechnic", trusted=True, is_local=True)
        session.add(SigningKey(issuer_id=issuer.id, verification_method=f"{did}#key-1",
                               public_multikey=public.multikey(), fingerprint=public.fingerprint(),
                               private_key_encrypted=b"not used here"))
    fetcher = verification.PortalFetcher(rt.Session, remote=None)
    doc = json.loads(fetcher.fetch("https://portal.example:8443/mosaics/did.json"))
    assert doc["id"] == did and doc["assertionMethod"] == [f"{did}#key-1"]
    assert keys.public_key_from_verification_method(doc["verificationMethod"][0]) == public
    assert "private" not in json.dumps(doc)


@pytest.mark.storage
def test_status_lists_re_signed_under_a_new_base_url_still_serve_older_credentials(seeded_url):
    from mosaics_match.runtime import open_runtime
    from mosaics_match.services import issuing
    from mosaics_match.store.models import IssuedCredential
    from tests.conftest import make_settings

    moved = open_runtime(make_settings(seeded_url, base_url="http://127.0.0.1:9999"))
    try:
        with moved.Session.begin() as session:
            rows = session.query(IssuedCredential).filter_by(revoked=False, suspended=False).limit(2).all()
            target, other = rows[0], rows[1]
            docs = {"target": target.document, "other": other.document}
            signer = issuing.open_signer(session, settings=moved.settings)
            issuing.change_status(session, signer=signer, credential=target, action="revoke", reason="t", actor="t")
        revoked = verification.verify_submission(moved, docs["target"], email=None, viewer=PUBLIC, source="api",
                                                 remote=False)
        fine = verification.verify_submission(moved, docs["other"], email=None, viewer=PUBLIC, source="api",
                                              remote=False)
        assert revoked.verdict == NOT_VALID and revoked.failing_check_id == "status.revocation"
        assert fine.verdict == VERIFIED, fine.reason
    finally:
        moved.engine.dispose()
