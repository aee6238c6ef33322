"""Matching service: only valid evidence of consenting earners is ranked; changes reach partners at once."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from mosaics_match import issuing, repo
from mosaics_match import matching_service as ms
from mosaics_match.models import Earner, IssuedCredential

pytestmark = pytest.mark.storage

BASE = "https://portal.example"


def _posting(session) -> str:  # noqa: ANN001
    return repo.list_postings(session)[0].text


def _top(rt) -> tuple[ms.PartnerIndex, ms.Candidate, str]:  # noqa: ANN001
    with rt.Session() as session:
        index = ms.build_partner_index(session)
        posting = _posting(session)
        result = ms.search(session, index, posting=posting, filters=ms.SearchFilters(), base_url=BASE)
    assert result.candidates, "the seeded demo must match its first posting"
    return index, result.candidates[0], posting


def _ids(rt, index: ms.PartnerIndex, posting: str) -> set[int]:  # noqa: ANN001
    with rt.Session() as session:
        result = ms.search(session, index, posting=posting, filters=ms.SearchFilters(limit=200), base_url=BASE)
    return {c.earner_id for c in result.candidates}


def _fresh(rt) -> ms.PartnerIndex:  # noqa: ANN001
    with rt.Session() as session:
        return ms.build_partner_index(session)


def test_index_holds_exactly_the_matching_rows(seeded_rt) -> None:  # noqa: ANN001
    with seeded_rt.Session() as session:
        rows = repo.matching_rows(session)
        index = ms.build_partner_index(session)
        consenting = set(session.scalars(select(Earner.id).where(Earner.discoverable.is_(True))))
        bad = set(session.scalars(select(IssuedCredential.credential_id).where(
            IssuedCredential.revoked.is_(True) | IssuedCredential.suspended.is_(True))))
    assert set(index.credential_achievement) == {r.credential_id for r in rows}
    assert index.n_earners == len({r.earner_id for r in rows})
    assert {r.earner_id for r in rows} <= consenting
    assert bad and not bad & set(index.credential_achievement)


def test_consent_withdrawal_removes_earner_at_once(seeded_rt) -> None:  # noqa: ANN001
    index, top, posting = _top(seeded_rt)
    with seeded_rt.Session.begin() as session:
        before = repo.data_version(session)
        earner = session.get(Earner, top.earner_id)
        repo.set_consent(session, earner=earner, discoverable=False, actor="earner@x", actor_role="earner")
        assert repo.data_version(session) > before
    # Even a search on the index built before the change never shows them...
    assert top.earner_id not in _ids(seeded_rt, index, posting)
    # ...and the index of the new data version no longer holds their credentials.
    fresh = _fresh(seeded_rt)
    assert fresh.version > index.version
    assert top.earner_id not in _ids(seeded_rt, fresh, posting)
    assert fresh.n_earners == index.n_earners - 1


@pytest.mark.parametrize("action", ["revoke", "suspend"])
def test_revoked_or_suspended_credentials_do_not_count(seeded_rt, action: str) -> None:  # noqa: ANN001
    index, top, posting = _top(seeded_rt)
    with seeded_rt.Session.begin() as session:
        signer = issuing.open_signer(session, settings=seeded_rt.settings)
        creds = session.scalars(select(IssuedCredential).where(IssuedCredential.earner_id == top.earner_id)).all()
        for cred in creds:
            if not cred.revoked and not cred.suspended:
                issuing.change_status(session, signer=signer, credential=cred, action=action, reason="test",
                                      actor="staff@x")
        gone = {c.credential_id for c in creds}
    fresh = _fresh(seeded_rt)
    assert fresh.version > index.version
    assert not gone & set(fresh.credential_achievement)
    assert top.earner_id not in _ids(seeded_rt, fresh, posting)


def test_expired_future_and_unverified_credentials_do_not_count(seeded_rt) -> None:  # noqa: ANN001
    index, top, posting = _top(seeded_rt)
    now = datetime.now(timezone.utc)
    with seeded_rt.Session.begin() as session:
        creds = [c.credential_id for c in session.scalars(
            select(IssuedCredential).where(IssuedCredential.earner_id == top.earner_id))]
        assert len(creds) >= 1
        first, rest = creds[0], creds[1:]
        session.execute(update(IssuedCredential).where(IssuedCredential.credential_id == first)
                        .values(valid_until=now - timedelta(seconds=1)))
        if rest:
            session.execute(update(IssuedCredential).where(IssuedCredential.credential_id == rest[0])
                            .values(valid_from=now + timedelta(days=30)))
        if len(rest) > 1:
            session.execute(update(IssuedCredential).where(IssuedCredential.credential_id.in_(rest[1:]))
                            .values(verified_at=None))
    fresh = _fresh(seeded_rt)
    assert not set(creds) & set(fresh.credential_achievement)
    assert top.earner_id not in _ids(seeded_rt, fresh, posting)


def test_index_knows_when_an_expiry_makes_it_stale(seeded_rt) -> None:  # noqa: ANN001
    index, top, _ = _top(seeded_rt)
    soon = datetime.now(timezone.utc) + timedelta(hours=1)
    cred_id = top.covered[0].credential_id
    with seeded_rt.Session.begin() as session:
        session.execute(update(IssuedCredential).where(IssuedCredential.credential_id == cred_id)
                        .values(valid_until=soon))
    fresh = _fresh(seeded_rt)
    assert fresh.stale_after is not None and fresh.stale_after <= soon
    assert fresh.is_stale(soon + timedelta(seconds=1))
    with seeded_rt.Session() as session:
        later = ms.build_partner_index(session, at=soon + timedelta(seconds=1))
    assert cred_id not in later.credential_achievement


def test_data_version_changes_with_issuing(seeded_rt) -> None:  # noqa: ANN001
    index = _fresh(seeded_rt)
    with seeded_rt.Session.begin() as session:
        signer = issuing.open_signer(session, settings=seeded_rt.settings)
        earner = session.scalars(select(Earner).where(Earner.discoverable.is_(True))).first()
        achievement = repo.list_achievements(session)[0]
        receipt = issuing.issue_credential(session, signer=signer, earner=earner, achievement=achievement,
                                           actor="staff@x")
        new_id = receipt.credential.credential_id
    fresh = _fresh(seeded_rt)
    assert fresh.version > index.version
    assert fresh.credential_achievement[new_id] == achievement.slug


def test_partner_sees_email_only_when_shared(seeded_rt) -> None:  # noqa: ANN001
    with seeded_rt.Session() as session:
        index = ms.build_partner_index(session)
        result = ms.search(session, index, posting=_posting(session), filters=ms.SearchFilters(limit=200),
                           base_url=BASE)
        people = repo.earners_by_ids(session, ids=[c.earner_id for c in result.candidates])
    assert result.candidates
    for c in result.candidates:
        assert c.email == (people[c.earner_id].email if people[c.earner_id].share_email else None)
        for e in c.covered:
            assert e.verify_url == issuing.credential_url(BASE, e.credential_id)


def test_filters_min_score_count_and_must_haves(seeded_rt) -> None:  # noqa: ANN001
    with seeded_rt.Session() as session:
        index = ms.build_partner_index(session)
        posting = _posting(session)
        everyone = ms.search(session, index, posting=posting, filters=ms.SearchFilters(limit=200), base_url=BASE)
        cut = everyone.candidates[len(everyone.candidates) // 2].score
        some = ms.search(session, index, posting=posting, filters=ms.SearchFilters(min_score=cut, limit=200),
                         base_url=BASE)
        slug = next(iter(index.achievements))
        must = ms.search(session, index, posting=posting,
                         filters=ms.SearchFilters(must_achievements=(slug,), limit=200), base_url=BASE)
        holders = {r.earner_id for r in repo.matching_rows(session) if r.achievement_slug == slug}
    assert some.n_at_least == sum(1 for c in everyone.candidates if c.score >= cut) == len(some.candidates)
    assert {c.earner_id for c in must.candidates} <= holders


def test_search_audit_has_no_earner_data(seeded_rt) -> None:  # noqa: ANN001
    from mosaics_match.models import AuditEvent

    with seeded_rt.Session.begin() as session:
        ms.record_search(session, actor="partner@x", actor_role="partner", title="Analyst", posting="Write SQL",
                         filters=ms.SearchFilters(min_score=0.25), result_count=7)
    with seeded_rt.Session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "search")).all()[-1]
    assert event.details["result_count"] == 7 and event.details["posting_title"] == "Analyst"
    assert event.details["filters"]["min_score"] == 0.25
    assert event.subject == f"posting:{ms.posting_hash('Write SQL')}"


def test_csv_exports_neutralise_formulas_and_carry_links() -> None:
    evidence = ms.Evidence("Write SQL", "SQL", "Data basics", "urn:uuid:1", f"{BASE}/verify?credential=urn%3Auuid%3A1",
                           0.5)
    c = ms.Candidate(1, "=HYPERLINK(\"x\")", None, 0.5, "good", (evidence,), ("Power BI",), ())
    rows = list(csv.reader(io.StringIO(ms.candidates_csv([c]))))
    assert rows[1][1].startswith("'=")
    assert rows[1][-1] == evidence.verify_url


def test_list_headings_are_not_requirements() -> None:
    from mosaics_match.matching import split_requirements

    posting = "Line Cook\nWhat you'll do\n- Prepare mise en place\n\nNice to have\n\n* Food handler certificate\nAbout us\nWe cook."
    reqs = split_requirements(ms.mark_headings(posting))
    assert "What you'll do" not in reqs and "Nice to have" not in reqs
    assert {"Prepare mise en place", "Food handler certificate", "About us", "We cook."} <= set(reqs)
