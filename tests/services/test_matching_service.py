"""Matching service: only valid evidence of consenting earners is ranked; changes reach partners at once."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from mosaics_match.links import credential_url
from mosaics_match.services import issuing
from mosaics_match.services import matching as ms
from mosaics_match.store import repo
from mosaics_match.store.models import Earner, ExternalCredential, IssuedCredential

BASE = "https://portal.example"


def _posting(session, slug: str | None = None) -> list[ms.Requirement]:
    """The requirements the reader proposes for the first saved posting (or the one with ``slug``)."""
    posting = next(p for p in repo.list_postings(session) if slug in (None, p.slug))
    return ms.read(posting.text, title=posting.title).requirements()


def _top(rt) -> tuple[ms.PartnerIndex, ms.Candidate, list[ms.Requirement]]:
    with rt.Session() as session:
        index = ms.build_partner_index(session)
        posting = _posting(session)
        result = ms.search(session, index, requirements=posting, filters=ms.SearchFilters(), base_url=BASE)
    assert result.candidates, "the seeded demo must match its first posting"
    # the best candidate whose evidence is all Seneca's: these tests change the status of what Seneca issued
    with rt.Session() as session:
        added = set(session.scalars(select(ExternalCredential.earner_id)))
    return index, next(c for c in result.candidates if c.earner_id not in added), posting


def _ids(rt, index: ms.PartnerIndex, posting: list[ms.Requirement]) -> set[int]:
    with rt.Session() as session:
        result = ms.search(session, index, requirements=posting, filters=ms.SearchFilters(min_score=0.0, limit=200),
                           base_url=BASE)
    return {c.earner_id for c in result.candidates}


def _search(rt, limit: int) -> ms.SearchResult:
    """The first saved posting searched with no minimum score, on a fresh index."""
    with rt.Session() as session:
        return ms.search(session, ms.build_partner_index(session), requirements=_posting(session),
                         filters=ms.SearchFilters(min_score=0.0, limit=limit), base_url=BASE)


def _fresh(rt) -> ms.PartnerIndex:
    with rt.Session() as session:
        return ms.build_partner_index(session)


@pytest.mark.storage
def test_index_holds_exactly_the_matching_rows(seeded_rt) -> None:
    with seeded_rt.Session() as session:
        rows = repo.matching_rows(session)
        added = repo.external_matching_rows(session)  # the demo's second issuer's, as their earners added them
        index = ms.build_partner_index(session)
        consenting = set(session.scalars(select(Earner.id).where(Earner.discoverable.is_(True))))
        bad = set(session.scalars(select(IssuedCredential.credential_id).where(
            IssuedCredential.revoked.is_(True) | IssuedCredential.suspended.is_(True))))
    assert added
    assert set(index.credential_achievement) == {r.credential_id for r in rows} | {f"ext:{r.external_id}"
                                                                                   for r in added}
    assert index.n_earners == len({r.earner_id for r in rows} | {r.earner_id for r in added})
    assert {r.earner_id for r in rows} | {r.earner_id for r in added} <= consenting
    assert bad and not bad & set(index.credential_achievement)


@pytest.mark.storage
def test_consent_withdrawal_removes_earner_at_once(seeded_rt) -> None:
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


@pytest.mark.storage
@pytest.mark.parametrize("action", ["revoke", "suspend"])
def test_revoked_or_suspended_credentials_do_not_count(seeded_rt, action: str) -> None:
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


@pytest.mark.storage
def test_expired_future_and_unverified_credentials_do_not_count(seeded_rt) -> None:
    index, top, posting = _top(seeded_rt)
    now = datetime.now(UTC)
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


@pytest.mark.storage
def test_index_knows_when_an_expiry_makes_it_stale(seeded_rt) -> None:
    index, top, _ = _top(seeded_rt)
    soon = datetime.now(UTC) + timedelta(hours=1)
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


@pytest.mark.storage
def test_data_version_changes_with_issuing(seeded_rt) -> None:
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


@pytest.mark.storage
def test_partner_sees_email_only_when_shared(seeded_rt) -> None:
    result = _search(seeded_rt, 200)
    with seeded_rt.Session() as session:
        people = repo.earners_by_ids(session, ids=[c.earner_id for c in result.candidates])
    assert result.candidates
    for c in result.candidates:
        assert c.email == (people[c.earner_id].email if people[c.earner_id].share_email else None)
        for e in (*c.covered, *c.partial):
            if e.credential_id.startswith("ext:"):  # added from another issuer: no verification page here
                assert e.verify_url == "" and e.issuer != issuing.ISSUER_NAME
            else:
                assert e.verify_url == credential_url(BASE, e.credential_id)


@pytest.mark.storage
def test_filters_min_score_count_and_must_haves(seeded_rt) -> None:
    with seeded_rt.Session() as session:
        index = ms.build_partner_index(session)
        posting = _posting(session)
        everyone = ms.search(session, index, requirements=posting, filters=ms.SearchFilters(min_score=0.0, limit=200),
                             base_url=BASE)
        cut = everyone.candidates[len(everyone.candidates) // 2].score
        some = ms.search(session, index, requirements=posting, filters=ms.SearchFilters(min_score=cut, limit=200),
                         base_url=BASE)
        slug = next(iter(index.achievements))
        must = ms.search(session, index, requirements=posting,
                         filters=ms.SearchFilters(must_achievements=(slug,), min_score=0.0, limit=200), base_url=BASE)
        holders = {r.earner_id for r in repo.matching_rows(session) if r.achievement_slug == slug}
    assert some.n_at_least == sum(1 for c in everyone.candidates if c.score >= cut) == len(some.candidates)
    assert everyone.n_at_least == len(everyone.candidates)
    assert everyone.n_cover_half == some.n_cover_half == sum(1 for c in everyone.candidates if c.score >= 0.5)
    assert {c.earner_id for c in must.candidates} <= holders


@pytest.mark.storage
def test_default_minimum_is_the_partial_band_and_counts_never_rank_everyone(seeded_rt, monkeypatch) -> None:
    from mosaics_match.matching import MatchConfig

    assert ms.SearchFilters().min_score == MatchConfig().band_thresholds[2] == ms.DEFAULT_MIN_SCORE
    limits: list[int] = []
    counts: list[float] = []
    real_rank, real_count = ms.rank, ms.count_covering

    def spy_rank(index, requirements, **kw):
        limits.append(kw["limit"])
        return real_rank(index, requirements, **kw)

    def spy_count(index, requirements, **kw):
        counts.append(kw["min_coverage"])
        return real_count(index, requirements, **kw)

    monkeypatch.setattr(ms, "rank", spy_rank)
    monkeypatch.setattr(ms, "count_covering", spy_count)
    with seeded_rt.Session() as session:
        index = ms.build_partner_index(session)
        result = ms.search(session, index, requirements=_posting(session), filters=ms.SearchFilters(limit=5),
                           base_url=BASE)
        everyone = real_rank(index.engine, _posting(session), limit=index.n_earners, min_score=0.0, explain=False)
    assert limits == [5] and sorted(counts) == [ms.DEFAULT_MIN_SCORE, ms.HEADLINE_COVERAGE]
    assert result.n_cover_half == sum(1 for m in everyone if m.score >= 0.5)
    assert result.n_at_least == sum(1 for m in everyone if m.score >= ms.DEFAULT_MIN_SCORE)
    assert all(c.score >= ms.DEFAULT_MIN_SCORE for c in result.candidates)


@pytest.mark.storage
def test_search_scores_exactly_the_given_requirements(seeded_rt) -> None:
    chosen = [ms.Requirement("Plan and lead play-based learning experiences for preschoolers"),
              ms.Requirement("Knowledge of inclusive practice is preferred", "nice_to_have")]
    with seeded_rt.Session() as session:
        index = ms.build_partner_index(session)
        result = ms.search(session, index, requirements=chosen, filters=ms.SearchFilters(min_score=0.0),
                           base_url=BASE)
    assert result.requirements == chosen and result.candidates
    texts = [r.text for r in chosen]
    for c in result.candidates:
        shown = [e.requirement for e in c.covered] + [e.requirement for e in c.partial] + list(c.missing)
        assert sorted(shown) == sorted(texts), c.name  # each line once: covered, partly covered or missing
        assert all(e.status == "partial" for e in c.partial) and all(e.status == "covered" for e in c.covered)


@pytest.mark.storage
def test_must_have_weighs_more_and_is_reported_when_missing(seeded_rt) -> None:
    with seeded_rt.Session() as session:
        index = ms.build_partner_index(session)
        plain = _posting(session, "rece-preschool-maple-grove")
        target = "Standard First Aid and CPR Level C"
        marked = [ms.Requirement(r.text, r.kind, r.text == target) for r in plain]
        assert sum(r.must_have for r in marked) == 1
        filters = ms.SearchFilters(min_score=0.0, limit=200)
        before = {c.earner_id: c for c in ms.search(session, index, requirements=plain, filters=filters,
                                                    base_url=BASE).candidates}
        after = {c.earner_id: c for c in ms.search(session, index, requirements=marked, filters=filters,
                                                   base_url=BASE).candidates}
    assert before.keys() == after.keys()
    for earner, c in after.items():
        assert c.missing_must == ((target,) if target in c.missing else ())
        assert before[earner].missing_must == ()
        if target in c.missing:
            assert c.score < before[earner].score  # missing a must-have costs more
    assert any(target in c.missing for c in after.values())


@pytest.mark.storage
def test_requirements_an_earner_holds_are_never_missing(seeded_rt) -> None:
    """Depends on the engine's vocabulary: a holder of the micro-credential must not see the line as missing."""
    cases = [("junior-data-analyst-northgate", "sql-for-business-analysis",
              "Working knowledge of SQL (joins, aggregations)"),
             ("rece-preschool-maple-grove", "inclusive-ece-diverse-needs",
              "Knowledge of inclusive practice is preferred")]
    with seeded_rt.Session.begin() as session:
        signer = issuing.open_signer(session, settings=seeded_rt.settings)
        earners = session.scalars(select(Earner).where(Earner.discoverable.is_(True)).order_by(Earner.id)).all()
        for (_, slug, _), earner in zip(cases, earners):
            achievement = next(a for a in repo.list_achievements(session) if a.slug == slug)
            issuing.issue_credential(session, signer=signer, earner=earner, achievement=achievement, actor="staff@x")
    with seeded_rt.Session() as session:
        index = ms.build_partner_index(session)
        rows = repo.matching_rows(session)
        for posting_slug, slug, line in cases:
            holders = {r.earner_id for r in rows if r.achievement_slug == slug}
            result = ms.search(session, index, requirements=_posting(session, posting_slug),
                               filters=ms.SearchFilters(min_score=0.0, limit=200), base_url=BASE)
            seen = [c for c in result.candidates if c.earner_id in holders]
            assert len(seen) == len(holders) > 0, slug
            for c in seen:
                assert line not in c.missing, (c.name, line)


@pytest.mark.storage
def test_no_requirement_is_a_clear_error(seeded_rt) -> None:
    with seeded_rt.Session() as session:
        index = ms.build_partner_index(session)
        for empty in ([], [ms.Requirement("   ")]):
            with pytest.raises(ms.EmptyPostingError):
                ms.search(session, index, requirements=empty, filters=ms.SearchFilters(), base_url=BASE)


@pytest.mark.storage
def test_coverage_gaps_never_count_boilerplate(seeded_rt) -> None:
    with seeded_rt.Session() as session:
        index = ms.build_partner_index(session)
        gaps = ms.coverage_gaps(session, index)
        readings = {str(p.id): ms.read(p.text, title=p.title) for p in repo.list_postings(session)}
    assert gaps.report.rows and gaps.skipped == sum(len(r.lines) - len(r.scored) for r in readings.values())
    assert gaps.report.n_requirements == sum(min(len({" ".join(x.text.lower().split()) for x in r.scored}), 40)
                                             for r in readings.values())
    for row in gaps.report.rows:
        scored = {line.text: line.kind for line in readings[row.posting_id].scored}
        assert row.requirement in scored, row.requirement
        assert gaps.kinds[(row.posting_id, row.requirement)] == scored[row.requirement]
    table = list(csv.reader(io.StringIO(ms.gaps_csv(gaps.report, gaps.titles, gaps.kinds))))
    assert table[0] == ["posting", "requirement", "best similarity", "kind"]
    assert {r[3] for r in table[1:]} <= {"Requirement", "Nice to have", "Duty"}


@pytest.mark.storage
def test_search_audit_has_no_earner_data(seeded_rt) -> None:
    from mosaics_match.store.models import AuditEvent

    with seeded_rt.Session.begin() as session:
        ms.record_search(session, actor="partner@x", actor_role="partner", title="Analyst", posting="Write SQL",
                         filters=ms.SearchFilters(min_score=0.25), result_count=7,
                         requirements=[ms.Requirement("Write SQL", must_have=True), ms.Requirement("Excel")])
    with seeded_rt.Session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "search")).all()[-1]
    assert event.details["result_count"] == 7 and event.details["posting_title"] == "Analyst"
    assert event.details["filters"]["min_score"] == 0.25
    assert event.details["requirements"] == 2 and event.details["must_have"] == 1
    assert "Write SQL" not in str(event.details)  # the posting's text is not logged
    assert event.subject == f"posting:{ms.posting_hash('Write SQL')}"


def test_csv_exports_neutralise_formulas_and_carry_links() -> None:
    evidence = ms.Evidence("Write SQL", "SQL", "Data basics", "urn:uuid:1", f"{BASE}/verify?credential=urn%3Auuid%3A1",
                           0.5)
    partly = ms.Evidence("-Excel", "Spreadsheets", "Data basics", "urn:uuid:2",
                         f"{BASE}/verify?credential=urn%3Auuid%3A2", 0.12, "partial")
    c = ms.Candidate(1, "=HYPERLINK(\"x\")", None, 0.5, "good", (evidence,), ("Power BI",), (), (partly,),
                     ("Power BI",))
    rows = list(csv.reader(io.StringIO(ms.candidates_csv([c]))))
    assert rows[0][5:9] == ["matched requirements", "missing requirements", "partly matched requirements",
                            "missing must-haves"]
    assert rows[1][1].startswith("'=") and rows[1][7] == "'-Excel" and rows[1][8] == "Power BI"
    assert rows[1][-1] == f"{evidence.verify_url} {partly.verify_url}"


@pytest.mark.storage
def test_the_engine_gets_each_competency_esco_alignment(seeded_rt, monkeypatch) -> None:
    from mosaics_match.store.models import Competency as CompetencyRow

    seen: dict = {}
    real = ms.build_index

    def spy(**kw):
        seen.update(kw["competencies"])
        return real(**kw)

    monkeypatch.setattr(ms, "build_index", spy)
    with seeded_rt.Session() as session:
        ms.build_partner_index(session)
        rows = {str(c.id): c for c in session.scalars(select(CompetencyRow))}
    aligned = [cid for cid, row in rows.items() if row.esco_uri]
    assert aligned and all(seen[cid].esco_uri == rows[cid].esco_uri for cid in aligned)
    assert all(seen[cid].esco_label == rows[cid].esco_label for cid in aligned)


@pytest.mark.storage
def test_partial_evidence_names_the_words_of_the_line_it_shares(seeded_rt) -> None:
    result = _search(seeded_rt, 50)
    partial = [e for c in result.candidates for e in c.partial]
    covered = [e for c in result.candidates for e in c.covered]
    assert partial and covered
    for e in partial + covered:
        assert e.shared_words, e
        assert all(w in e.requirement.lower() for w in e.shared_words), e
