"""Behaviour of the skills-matching engine on small hand-built catalogues."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from mosaics_match.matching import (
    Competency,
    CredentialRef,
    EmptyPostingError,
    MatchConfig,
    build_competency_index,
    build_index,
    gap_recommendations,
    rank,
    rank_competencies,
    split_requirements,
    uncovered_requirements,
)
from mosaics_match.matching.fixtures import build_synthetic_index, make_posting

COMPETENCIES = {
    "py": Competency("py", "Python programming", "Write, test and debug Python programs and scripts",
                     achievement_id="A-py"),
    "sql": Competency("sql", "SQL databases", "Design relational database schemas and write SQL queries",
                      achievement_id="A-sql"),
    "dock": Competency("dock", "Docker containers", "Package and deploy applications with Docker containers",
                       achievement_id="A-dock"),
    "weld": Competency("weld", "Arc welding", "Weld steel structures with arc welding equipment",
                       achievement_id="A-weld"),
    "cook": Competency("cook", "Commercial cooking", "Prepare meals safely in a commercial kitchen",
                       achievement_id="A-cook"),
    "knit": Competency("knit", "Knitting", "Knit garments from wool yarn by hand", achievement_id="A-knit"),
    "paint": Competency("paint", "House painting", "Paint interior walls and exterior facades",
                        achievement_id="A-paint"),
}
ACHIEVEMENTS = {c.achievement_id: [c.id] for c in COMPETENCIES.values()}
POSTING = """Backend developer
Requirements:
- Strong Python programming skills
- Experience writing SQL queries for relational databases
- Deploy applications with Docker containers
"""


def _cred(ach: str, issued: date = date(2024, 5, 1)) -> CredentialRef:
    return CredentialRef(ach, (), issued)


@pytest.fixture(scope="module")
def index():
    credentials = {
        "c-ann-py": _cred("A-py"), "c-ann-sql": _cred("A-sql"), "c-ann-dock": _cred("A-dock"),
        "c-bob-py": _cred("A-py"),
        "c-cat-py": _cred("A-py"), "c-cat-sql": _cred("A-sql", date(2019, 1, 1)), "c-cat-weld": _cred("A-weld"),
        "c-cat-cook": _cred("A-cook"), "c-cat-knit": _cred("A-knit"), "c-cat-paint": _cred("A-paint"),
        "c-dan-py": _cred("A-py"), "c-dan-sql": _cred("A-sql"),
        "c-eve-weld": _cred("A-weld"), "c-eve-cook": _cred("A-cook"),
    }
    holdings = {
        "ann": ["c-ann-py", "c-ann-sql", "c-ann-dock"],
        "bob": ["c-bob-py"],
        "cat": ["c-cat-py", "c-cat-sql", "c-cat-weld", "c-cat-cook", "c-cat-knit", "c-cat-paint"],
        "dan": ["c-dan-py", "c-dan-sql"],
        "eve": ["c-eve-weld", "c-eve-cook"],
        "fay": ["c-revoked"],  # credential not passed in (e.g. revoked): ignored
    }
    return build_index(competencies=COMPETENCIES, credentials=credentials, holdings=holdings)


def _ids(matches):
    return [m.earner_id for m in matches]


def test_more_relevant_credentials_rank_higher(index):
    ids = _ids(rank(index, POSTING))
    assert ids.index("ann") < ids.index("dan") < ids.index("bob")


def test_irrelevant_extra_credentials_do_not_sink_an_earner(index):
    by_id = {m.earner_id: m for m in rank(index, POSTING)}
    # cat holds the same relevant credentials as dan plus four unrelated ones: no penalty
    assert by_id["cat"].score >= by_id["dan"].score - 1e-12
    assert by_id["cat"].score == pytest.approx(by_id["dan"].score, abs=0.02)


def test_unrelated_earners_and_ignored_credentials_are_not_returned(index):
    ids = _ids(rank(index, POSTING))
    assert "eve" not in ids and "fay" not in ids


def test_missing_and_covered_requirements_are_reported(index):
    by_id = {m.earner_id: m for m in rank(index, POSTING)}
    bob = by_id["bob"]
    assert [c.competency_id for c in bob.covered] == ["py"]
    assert bob.covered[0].credential_id == "c-bob-py"
    assert any("SQL" in r for r in bob.missing) and any("Docker" in r for r in bob.missing)
    ann = by_id["ann"]
    assert ann.missing == ["Backend developer"]  # the title: unmatchable, listed but not in the denominator
    assert {c.competency_id for c in ann.covered} == {"py", "sql", "dock"}
    assert ann.band == "strong" and 0.0 < bob.score < ann.score <= 1.0


def test_why_terms_are_nonempty_and_come_from_the_posting(index):
    for m in rank(index, POSTING):
        assert m.terms
        for term, weight in m.terms:
            assert term in POSTING.lower() and weight > 0


def test_min_score_filter(index):
    all_matches = rank(index, POSTING)
    cut = sorted(m.score for m in all_matches)[len(all_matches) // 2]
    kept = rank(index, POSTING, min_score=cut)
    assert kept and all(m.score >= cut for m in kept)
    assert len(kept) < len(all_matches)


def test_must_have_filters(index):
    assert _ids(rank(index, POSTING, must_have_achievements=["A-dock"])) == ["ann"]
    assert set(_ids(rank(index, POSTING, must_have_competencies=["sql"]))) == {"ann", "cat", "dan"}
    assert rank(index, POSTING, must_have_achievements=["A-unknown"]) == []


def test_issued_after_only_counts_recent_credentials(index):
    by_id = {m.earner_id: m for m in rank(index, POSTING, issued_after=date(2020, 1, 1))}
    assert by_id["cat"].score < by_id["dan"].score  # cat's SQL credential is from 2019
    assert all(c.competency_id != "sql" for c in by_id["cat"].covered)
    assert rank(index, POSTING, issued_after=date(2030, 1, 1)) == []


def test_gap_recommendation_picks_the_achievement_for_the_missing_requirement(index):
    bob = {m.earner_id: m for m in rank(index, POSTING)}["bob"]
    recs = gap_recommendations(index, POSTING, achievements=ACHIEVEMENTS, requirements=bob.missing)
    assert {r.achievement_id for r in recs[:2]} == {"A-sql", "A-dock"}
    assert all(r.covers and r.score > 0 for r in recs)
    assert "A-py" not in {r.achievement_id for r in recs}


def test_empty_posting_raises_and_absurd_posting_returns_nothing(index):
    with pytest.raises(EmptyPostingError):
        rank(index, "   \n ")
    with pytest.raises(EmptyPostingError):
        rank_competencies(index.competencies, "")
    assert rank(index, "zzxq vvqp ---- 12345") == []
    assert rank(index, "!!!") == []


def test_uncovered_requirements_report(index):
    report = uncovered_requirements({"p1": POSTING + "- Fluent in Klingon\n", "p2": ""}, index)
    uncovered = [r.requirement for r in report.rows]
    assert "Fluent in Klingon" in uncovered
    assert not any(w in r for r in uncovered for w in ("Python", "SQL", "Docker"))
    assert report.n_postings == 1 and 0 < report.share_uncovered < 1


def test_rank_competencies_orders_by_relevance():
    ci = build_competency_index([(k, c.text()) for k, c in COMPETENCIES.items()])
    top = [cid for cid, _ in rank_competencies(ci, "welding of steel structures", k=3)]
    assert top[0] == "weld"


def test_split_requirements_handles_bullets_headers_and_lists():
    reqs = split_requirements("Requirements:\n- Python, SQL, Docker\n* Design, build and test services\n1. Use Git")
    assert reqs == ["Python", "SQL", "Docker", "Design, build and test services", "Use Git"]


def _scores_by_the_documented_formula(index, cat, earners, posting: str, cfg: MatchConfig) -> np.ndarray:
    """Every earner's score, written from bench/README_matching.md ("Scoring") rather than taken from the engine.

    Only step 1, the requirement x competency TF-IDF cosine, comes from the fitted encoder (checked against
    scikit-learn in ``test_fast_transform_and_product_match_sklearn_and_scipy``). Then: an achievement's cosine is
    its best competency's; credit ``min(1, cos / full) ** credit_power`` from ``min_similarity`` up, else 0; only the
    best ``per_requirement_top`` achievements of a requirement give credit; an earner's achievements (each counted
    once) combine by ``min(1, sum of credits)`` (``combine="capped_sum"``, the default) or noisy-or; the score is
    the weighted mean over the requirements some catalogue competency
    reaches at ``partial_similarity`` (plain lines weigh 1) for ``1 - whole_weight``, plus the whole posting as
    one more requirement for ``whole_weight``.
    """
    requirements = split_requirements(posting, max_requirements=cfg.max_requirements)
    use_whole = cfg.whole_weight > 0 and len(requirements) > 1
    texts = requirements + ([posting] if use_whole else [])
    cos = index.competencies.similarities(texts).astype(np.float64)
    rows = [[index.competencies.row_of[c] for c in comps] for comps in cat.achievements.values()]
    best = np.array([[max(cos[t, r] for r in ach) for ach in rows] for t in range(len(texts))])
    credit = np.where(best >= cfg.min_similarity, np.minimum(1.0, best / cfg.full_similarity) ** cfg.credit_power,
                      0.0)
    m = cfg.per_requirement_top
    for t in range(len(texts)):
        if 0 < m < len(rows):
            credit[t, best[t] < sorted(best[t], reverse=True)[m - 1]] = 0.0
    n = len(requirements)
    in_catalogue = [cos[t].max() >= cfg.partial_similarity for t in range(n)]
    share = (1.0 - cfg.whole_weight) if use_whole else 1.0
    weights = [share / sum(in_catalogue) if ok else 0.0 for ok in in_catalogue] + ([cfg.whole_weight] if use_whole
                                                                                    else [])
    held: list[set[int]] = [set() for _ in earners.earner_ids]
    for e, a in zip(earners.entry_earner.tolist(), earners.entry_achievement.tolist()):
        held[e].add(a)
    scores = np.zeros(len(held))
    for e, achievements in enumerate(held):
        for t, w in enumerate(weights):
            if cfg.combine == "capped_sum":
                scores[e] += w * min(1.0, sum(credit[t, a] for a in achievements))
                continue
            assert cfg.combine == "noisy_or"
            missed = 1.0
            for a in achievements:
                missed *= 1.0 - credit[t, a]
            scores[e] += w * (1.0 - missed)
    return scores


@pytest.mark.parametrize("analyzer", ["word", "char_wb", "word+char_wb"])
def test_rank_is_exact_and_deterministic_on_synthetic_data(analyzer):
    cfg = MatchConfig(analyzer=analyzer)
    index, cat, earners = build_synthetic_index(300, 3000, seed=7, config=cfg)
    posting = make_posting(cat, seed=3)
    got = rank(index, posting, limit=15, explain=False)
    assert got == rank(index, posting, limit=15, explain=False)
    again, _, _ = build_synthetic_index(300, 3000, seed=7, config=cfg)
    assert [(m.earner_id, m.score) for m in rank(again, posting, limit=15)] == [(m.earner_id, m.score) for m in got]
    # brute force: every earner scored independently; the engine's top 15 are the best 15, with their scores
    want = _scores_by_the_documented_formula(index, cat, earners, posting, cfg)
    row = {e: i for i, e in enumerate(earners.earner_ids)}
    assert len(got) == 15
    assert [m.score for m in got] == pytest.approx([want[row[m.earner_id]] for m in got], rel=1e-5, abs=1e-6)
    assert all(a.score >= b.score for a, b in zip(got, got[1:]))
    # nobody left out scores above the 15th (float32 rounding aside): the pruned search missed no one
    chosen = {row[m.earner_id] for m in got}
    assert max(s for i, s in enumerate(want) if i not in chosen) <= got[-1].score + 1e-6


@pytest.mark.parametrize("analyzer", ["word+char_wb", "word", "char_wb"])
def test_fast_transform_and_product_match_sklearn_and_scipy(analyzer):
    """The hand-rolled query transform and product give sklearn's / scipy's values (up to float32 rounding)."""
    import scipy.sparse as sp

    from mosaics_match.matching.fixtures import make_catalogue, make_posting

    cat = make_catalogue(120, seed=7)
    cindex = build_competency_index([(k, v.text()) for k, v in cat.competencies.items()],
                                    config=MatchConfig(analyzer=analyzer))
    enc = cindex.encoder
    texts = [make_posting(cat, seed=1), "", "zzqx wvvk", "Python, SQL and C++ developer", "data data data"]
    got = enc.transform(texts)
    want = sp.hstack([b.vectorizer.transform(texts) * b.scale for b in enc.blocks], format="csr")
    assert got.shape == want.shape
    np.testing.assert_allclose(got.toarray(), want.toarray(), rtol=0, atol=1e-6)
    assert got.nnz == want.nnz
    sims = cindex.similarities_of(got)
    np.testing.assert_array_equal(sims, np.asarray((got @ cindex._matrix_t).toarray(), dtype=np.float32))


def test_char_ngrams_memoised_per_word_give_the_same_rows_when_the_memo_fills(monkeypatch):
    """The per-word memo of char_wb features is dropped when full; rows before and after equal sklearn's, with
    mixed case, repeated words, non-ASCII and odd whitespace."""
    import scipy.sparse as sp

    from mosaics_match.matching import competencies as comp_mod
    from mosaics_match.matching.fixtures import make_catalogue, make_posting

    monkeypatch.setattr(comp_mod._WordwiseFeatures, "_MAX_WORDS", 5)
    cat = make_catalogue(80, seed=3)
    cindex = build_competency_index([(k, v.text()) for k, v in cat.competencies.items()],
                                    config=MatchConfig(analyzer="char_wb"))
    enc = cindex.encoder
    texts = [make_posting(cat, seed=2), "Data DATA data\tdata", "Ünïcödé  café\u00a0résumé", "", "node.js C++ C#"]
    for _ in range(2):  # the second pass reads words memoised in the first (those kept after a reset)
        got = enc.transform(texts, sum_row=True)
        want = sp.hstack([b.vectorizer.transform(texts) * b.scale for b in enc.blocks], format="csr")
        np.testing.assert_allclose(got[: len(texts)].toarray(), want.toarray(), rtol=0, atol=1e-6)
    memo = next(b.fitted[0].memo for b in enc.blocks if b.kind == "char_wb")
    assert 0 < len(memo) <= 5


def test_a_catalogue_of_three_competencies_can_be_indexed_and_ranked():
    from mosaics_match.matching import build_competency_index, rank_competencies

    index = build_competency_index([("c1", "Build interactive dashboards in Power BI"),
                                    ("c2", "Write SQL queries to join and aggregate data"),
                                    ("c3", "Plan play-based activities for preschool children")])
    ranked = rank_competencies(index, "Data analyst: SQL and Power BI reporting", k=2)
    assert {cid for cid, _ in ranked} == {"c1", "c2"}


def test_credit_curve_is_increasing_bounded_and_concave_by_default():
    from mosaics_match.matching.config import credit_of

    cfg = MatchConfig()
    sims = np.linspace(0.0, 1.0, 101)
    credit = credit_of(sims, cfg)
    assert credit[sims < cfg.min_similarity].max() == 0.0
    assert np.all(np.diff(credit[sims >= cfg.min_similarity]) > 0) and credit.max() <= 1.0
    # concave: two moderate matches are worth more than half a match twice as strong
    assert credit_of(0.2, cfg) > credit_of(0.4, cfg) / 2
    linear = MatchConfig(full_similarity=0.7, credit_power=1.0)
    assert credit_of(0.35, linear) == pytest.approx(0.5) and credit_of(0.9, linear) == 1.0
    assert credit_of(0.3, cfg, floor=0.0) == pytest.approx(0.3 ** cfg.credit_power)
    with pytest.raises(ValueError):
        MatchConfig(credit_power=0.0)
