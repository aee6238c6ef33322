"""Coverage scoring: Requirement input, covered / partial / missing, requirement weights, count-only API.

The brute-force checks score every earner with a plain-Python scorer written from the documented definition
(``Match.score``), independent of the engine's vectorised bounds and pruning; only the requirement x competency
cosines come from the fitted TF-IDF encoder (checked against scikit-learn in ``test_matching_engine.py``).
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from mosaics_match.matching import (
    Competency,
    CredentialRef,
    EmptyPostingError,
    MatchConfig,
    Requirement,
    build_index,
    build_index_from_arrays,
    count_covering,
    gap_recommendations,
    rank,
)
from mosaics_match.matching.fixtures import make_catalogue, make_earners, make_posting
from mosaics_match.matching.text import split_requirements
from tests.matching.test_matching_engine import COMPETENCIES as ENGINE_COMPETENCIES

# the engine tests' catalogue, four of its skills
COMPETENCIES = {key: ENGINE_COMPETENCIES[key] for key in ('py', 'sql', 'dock', 'cook')}
REQS = [
    Requirement("Strong Python programming skills", must_have=True),
    Requirement("Experience writing SQL queries for relational databases"),
    Requirement("Deploy applications with Docker containers", "nice_to_have"),
]
# No whole-posting term and no top-m pruning: the score is exactly the documented weighted coverage.
PLAIN = MatchConfig(whole_weight=0.0, per_requirement_top=0)


def _index(holdings: dict[str, list[str]], config: MatchConfig = PLAIN):
    creds = {f"{e}-{a}": CredentialRef(a, (), date(2024, 1, 1)) for e, achs in holdings.items() for a in achs}
    return build_index(competencies=COMPETENCIES, credentials=creds,
                       holdings={e: [f"{e}-{a}" for a in achs] for e, achs in holdings.items()}, config=config)


def test_breadth_beats_one_strong_overlap():
    # "bo" holds one exact match; "ann" holds competencies for two of the three requirements.
    idx = _index({"ann": ["A-sql", "A-dock"], "bo": ["A-py"]})
    reqs = [Requirement("Python programming"), Requirement("SQL databases"), Requirement("Docker containers")]
    by = {m.earner_id: m for m in rank(idx, reqs)}
    assert by["ann"].score > by["bo"].score
    assert len(by["ann"].covered) == 2 and len(by["bo"].covered) == 1


def test_must_haves_weigh_more_and_nice_to_haves_less():
    idx = _index({"py": ["A-py"], "sql": ["A-sql"], "dock": ["A-dock"]})
    by = {m.earner_id: m.score for m in rank(idx, REQS)}
    assert by["py"] > by["sql"] > by["dock"]
    # same requirements, no weights: sql and py are equal-ish, and dock is no longer last by weight alone
    flat = {m.earner_id: m.score for m in rank(idx, [Requirement(r.text) for r in REQS])}
    assert flat["dock"] > by["dock"] and flat["py"] < by["py"]


def test_status_per_requirement_covered_partial_missing():
    idx = _index({"ann": ["A-py", "A-sql"]})
    reqs = [REQS[0], Requirement("Design database schemas"), REQS[2]]
    sims = idx.competencies.similarities([r.text for r in reqs])
    py_sim = float(sims[0, idx.competencies.row_of["py"]])
    sql_sim = float(sims[1, idx.competencies.row_of["sql"]])
    assert py_sim > sql_sim > 0.05
    # thresholds between the two cosines: Python covered, SQL partial, Docker (not held) missing
    cfg = MatchConfig(whole_weight=0.0, per_requirement_top=0, covered_similarity=(py_sim + sql_sim) / 2,
                      partial_similarity=sql_sim / 2, min_similarity=0.01)
    (ann,) = rank(_index({"ann": ["A-py", "A-sql"]}, cfg), reqs)
    assert [r.status for r in ann.requirements] == ["covered", "partial", "missing"]
    assert [c.requirement for c in ann.covered] == [REQS[0].text]
    assert [c.requirement for c in ann.partial] == [reqs[1].text] and ann.partial[0].status == "partial"
    assert ann.partial[0].credential_id == "ann-A-sql" and ann.partial[0].competency_id == "sql"
    assert ann.missing == [REQS[2].text]
    assert ann.requirements[0].requirement.must_have and ann.requirements[2].evidence is None
    assert all(r.in_catalogue for r in ann.requirements)
    # raise the partial threshold above the SQL cosine: now nothing held comes close to it -> missing
    cfg2 = MatchConfig(whole_weight=0.0, per_requirement_top=0, covered_similarity=(py_sim + 1) / 2,
                       partial_similarity=(py_sim + sql_sim) / 2, min_similarity=0.01)
    (ann2,) = rank(_index({"ann": ["A-py", "A-sql"]}, cfg2), reqs)
    assert [r.status for r in ann2.requirements] == ["partial", "missing", "missing"]


def test_requirement_nobody_can_cover_is_missing_and_out_of_the_denominator():
    idx = _index({"ann": ["A-py"]})
    with_noise = [Requirement("Python programming"), Requirement("Fluent in Klingon opera")]
    (ann,) = rank(idx, with_noise)
    (alone,) = rank(idx, with_noise[:1])
    assert ann.score == pytest.approx(alone.score)
    assert ann.missing == ["Fluent in Klingon opera"] and not ann.requirements[1].in_catalogue


def test_plain_string_is_split_and_equals_the_requirement_list():
    idx = _index({"ann": ["A-py", "A-sql"], "bo": ["A-py"]})
    posting = "Requirements:\n- Python programming\n- SQL databases\n- Docker containers"
    as_list = [Requirement(t) for t in split_requirements(posting)]
    a = [(m.earner_id, m.score, m.missing) for m in rank(idx, posting)]
    b = [(m.earner_id, m.score, m.missing) for m in rank(idx, as_list)]
    assert a == b and len(a) == 2


def test_duplicate_lines_count_once_and_empty_input_raises():
    idx = _index({"ann": ["A-py"], "bo": ["A-sql"]})
    once = rank(idx, [Requirement("Python programming"), Requirement("SQL databases")])
    twice = rank(idx, [Requirement("Python programming"), Requirement("python  programming"),
                       Requirement("SQL databases")])
    assert [(m.earner_id, m.score) for m in once] == [(m.earner_id, m.score) for m in twice]
    for empty in ([], [Requirement("   ")], "  \n "):
        with pytest.raises(EmptyPostingError):
            rank(idx, empty)
        with pytest.raises(EmptyPostingError):
            count_covering(idx, empty)


def test_gap_recommendations_take_requirements():
    idx = _index({"ann": ["A-py"]})
    (ann,) = rank(idx, REQS)
    recs = gap_recommendations(idx, REQS, achievements={c.achievement_id: [k] for k, c in COMPETENCIES.items()},
                               requirements=ann.missing)
    assert [r.achievement_id for r in recs[:2]] == ["A-sql", "A-dock"]  # the SQL requirement weighs more


# ----------------------------------------------------------------------------------------- brute force
def _independent_scores(index, catalogue, earners, requirements: list[Requirement], config: MatchConfig,
                        cutoff_day: int | None = None) -> list[float]:
    """Every earner's score from the definition, in plain Python (latest credential per achievement)."""
    texts = [r.text for r in requirements]
    sims = index.competencies.similarities(texts).astype(np.float64)
    row_of = index.competencies.row_of
    ach_ids = list(catalogue.achievements)
    best_in_ach = [[max(float(sims[r, row_of[c]]) for c in catalogue.achievements[a]) for a in ach_ids]
                   for r in range(len(texts))]
    weights = []
    for req in requirements:
        w = {"duty": config.duty_weight, "nice_to_have": config.nice_to_have_weight}.get(req.kind, 1.0)
        weights.append(w * (config.must_have_weight if req.must_have else 1.0))
    in_catalogue = [float(sims[r].max()) >= config.partial_similarity for r in range(len(texts))]
    denominator = sum(w for w, ok in zip(weights, in_catalogue) if ok)
    held: list[dict[int, int]] = [dict() for _ in range(len(earners.earner_ids))]
    for e, a, d in zip(earners.entry_earner.tolist(), earners.entry_achievement.tolist(),
                       earners.entry_issued.tolist()):
        held[e][a] = max(held[e].get(a, d), d)
    out = []
    for e in range(len(held)):
        achs = [a for a, d in held[e].items() if cutoff_day is None or d > cutoff_day]
        total = 0.0
        for r in range(len(texts)):
            if not in_catalogue[r]:
                continue
            miss, summed = 1.0, 0.0
            for a in achs:
                s = best_in_ach[r][a]
                credit = (min(1.0, s / config.full_similarity) ** config.credit_power
                          if s >= config.min_similarity else 0.0)
                miss *= 1.0 - min(credit, 1.0 - 1e-6)
                summed += credit
            # credentials combine by min(1, sum) (``combine="capped_sum"``, the default) or noisy-or
            covered = min(1.0, summed) if config.combine == "capped_sum" else 1.0 - miss
            assert config.combine in ("capped_sum", "noisy_or")
            total += weights[r] / denominator * covered
        out.append(total)
    return out


@pytest.fixture(scope="module")
def synthetic():
    cat = make_catalogue(250, seed=31)
    earners = make_earners(cat, 2500, seed=31)
    index = build_index_from_arrays(
        competencies=cat.competencies, achievements=cat.achievements, earner_ids=earners.earner_ids,
        entry_earner=earners.entry_earner, entry_achievement=earners.entry_achievement,
        entry_issued=earners.entry_issued, config=PLAIN,
    )
    return cat, earners, index


def _requirements(cat, seed: int) -> list[Requirement]:
    lines = split_requirements(make_posting(cat, seed=seed))
    kinds = ["requirement", "nice_to_have", "duty"]
    return [Requirement(t, kinds[i % 3], must_have=(i % 4 == 0)) for i, t in enumerate(lines)]


@pytest.mark.parametrize("seed, combine", [(0, "capped_sum"), (1, "capped_sum"), (2, "capped_sum"), (0, "noisy_or"),
                                           (1, "noisy_or")])
def test_rank_and_count_equal_an_independent_brute_force(synthetic, seed, combine):
    cat, earners, index = synthetic
    config = replace(PLAIN, combine=combine)
    index = replace(index, config=config, _query_memo={})
    reqs = _requirements(cat, seed)
    want = _independent_scores(index, cat, earners, reqs, config)
    got = rank(index, reqs, limit=20, explain=False)
    order = sorted((i for i, s in enumerate(want) if s > 0), key=lambda i: (-want[i], i))[:20]
    assert [m.earner_id for m in got] == [earners.earner_ids[i] for i in order]
    assert [m.score for m in got] == pytest.approx([want[i] for i in order], abs=1e-5)
    positive = sorted({round(s, 9) for s in want if s > 0})
    # thresholds half-way between neighbouring scores, so float32 rounding cannot move an earner across
    for q in (0.05, 0.3, 0.6, 0.9):
        k = int(q * (len(positive) - 1))
        t = (positive[k] + positive[k + 1]) / 2
        assert count_covering(index, reqs, min_coverage=t) == sum(s >= t for s in want)
    assert count_covering(index, reqs, min_coverage=0.0) == sum(s > 0 for s in want)


def test_count_with_filters_equals_an_independent_brute_force(synthetic):
    cat, earners, index = synthetic
    reqs = _requirements(cat, 5)
    after = date(2022, 1, 1)
    cutoff = (after - date(1970, 1, 1)).days
    want = _independent_scores(index, cat, earners, reqs, PLAIN, cutoff_day=cutoff)
    positive = sorted({round(s, 9) for s in want if s > 0})
    t = (positive[len(positive) // 2] + positive[len(positive) // 2 + 1]) / 2
    assert count_covering(index, reqs, min_coverage=t, issued_after=after) == sum(s >= t for s in want)
    popular = int(np.bincount(earners.entry_achievement).argmax())
    holders = {e for e, a, d in zip(earners.entry_earner.tolist(), earners.entry_achievement.tolist(),
                                    earners.entry_issued.tolist()) if a == popular and d > cutoff}
    got = count_covering(index, reqs, min_coverage=t, issued_after=after,
                         must_have_achievements=[list(cat.achievements)[popular]])
    assert got == sum(1 for e in holders if want[e] >= t)


def test_default_count_threshold_is_the_partial_band(synthetic):
    cat, _, index = synthetic
    reqs = _requirements(cat, 3)
    floor = index.config.band_thresholds[2]
    everyone = rank(index, reqs, limit=10**6, explain=False)
    assert count_covering(index, reqs) == sum(m.score >= floor for m in everyone)
    assert count_covering(index, reqs, min_coverage=0.0) == len(everyone)
    assert not math.isclose(floor, 0.0)


def test_identical_texts_share_one_row_but_keep_their_own_ids():
    comps = {
        "a1": Competency("a1", "Python programming", "Write Python programs", achievement_id="A"),
        "b1": Competency("b1", "Python programming", "Write Python programs", achievement_id="B"),
        "c1": Competency("c1", "Arc welding", "Weld steel", achievement_id="C"),
    }
    creds = {"x-A": CredentialRef("A"), "y-B": CredentialRef("B"), "z-C": CredentialRef("C")}
    idx = build_index(competencies=comps, credentials=creds, holdings={"x": ["x-A"], "y": ["y-B"], "z": ["z-C"]},
                      config=PLAIN)
    assert len(idx.competencies) == 2 and idx.competencies.row_of["a1"] == idx.competencies.row_of["b1"]
    by = {m.earner_id: m for m in rank(idx, [Requirement("Python programming")])}
    assert set(by) == {"x", "y"} and by["x"].score == by["y"].score
    assert by["x"].covered[0].competency_id == "a1" and by["y"].covered[0].competency_id == "b1"
    assert [m.earner_id for m in rank(idx, "Python programming", must_have_competencies=["b1"])] == ["y"]


@pytest.mark.parametrize("analyzer, ngrams", [("char_wb", (1, 2)), ("word", (1, 1))])
def test_sum_row_is_the_lines_counted_together(analyzer, ngrams):
    # Character n-grams never cross a word, and unigrams never cross a line: there the row of the lines
    # counted together equals the row of the joined text (word bigrams across line ends are left out).
    from mosaics_match.matching import build_competency_index

    cat = make_catalogue(80, seed=5)
    ci = build_competency_index([(k, v.text()) for k, v in cat.competencies.items()],
                                config=MatchConfig(analyzer=analyzer, word_ngram_range=ngrams))
    lines = [r.text for r in _requirements(cat, 2)]
    got = ci.encoder.transform(lines, sum_row=True)
    want = ci.encoder.transform(["\n".join(lines)])
    assert got.shape[0] == len(lines) + 1
    np.testing.assert_allclose(got[len(lines)].toarray(), want.toarray(), atol=1e-6)
    np.testing.assert_allclose(got[: len(lines)].toarray(), ci.encoder.transform(lines).toarray(), atol=0)
