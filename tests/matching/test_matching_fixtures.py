"""Synthetic fixtures and the pruned top-k search: exact against brute force, with and without filters."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from mosaics_match.matching import MatchConfig, build_index, build_index_from_arrays, rank
from mosaics_match.matching.earners import _day
from mosaics_match.matching.fixtures import make_catalogue, make_earners, make_posting


@pytest.fixture(scope="module")
def synthetic():
    cat = make_catalogue(400, seed=11)
    earners = make_earners(cat, 4000, seed=11)
    index = build_index_from_arrays(
        competencies=cat.competencies, achievements=cat.achievements, earner_ids=earners.earner_ids,
        entry_earner=earners.entry_earner, entry_achievement=earners.entry_achievement,
        entry_issued=earners.entry_issued, config=MatchConfig(),
    )
    return cat, earners, index


def _brute(index, posting, limit, cutoff=None, allowed=None):
    q = index._query(posting)
    everyone = np.arange(index.n_earners)
    scores = index._exact(q, everyone, cutoff)
    if allowed is not None:
        scores[~np.isin(everyone, allowed)] = 0.0
    order = np.lexsort((everyone, -scores))
    return [(index.earner_ids[i], float(scores[i])) for i in order[:limit] if scores[i] > 0]


def test_fixtures_are_deterministic():
    a, b = make_catalogue(50, seed=3), make_catalogue(50, seed=3)
    assert a.competencies == b.competencies and a.achievements == b.achievements
    ea, eb = make_earners(a, 100, seed=3), make_earners(b, 100, seed=3)
    assert np.array_equal(ea.entry_achievement, eb.entry_achievement)
    counts = np.bincount(ea.entry_earner, minlength=100)
    assert counts.min() >= 1 and counts.max() <= 6
    assert make_posting(a, seed=1) == make_posting(b, seed=1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_top_k_equals_brute_force(synthetic, seed):
    cat, _, index = synthetic
    posting = make_posting(cat, seed=seed)
    got = [(m.earner_id, m.score) for m in rank(index, posting, limit=25, explain=False)]
    want = _brute(index, posting, 25)
    assert [g[0] for g in got] == [w[0] for w in want]
    assert [g[1] for g in got] == pytest.approx([w[1] for w in want])


def test_filtered_top_k_equals_brute_force(synthetic):
    cat, earners, index = synthetic
    posting = make_posting(cat, seed=5)
    after = date(2022, 6, 1)
    cutoff = _day(after)
    popular = list(cat.achievements)[int(np.bincount(earners.entry_achievement).argmax())]
    got = rank(index, posting, limit=10, issued_after=after, must_have_achievements=[popular], explain=False)
    allowed = index._allowed((popular,), (), cutoff)
    want = _brute(index, posting, 10, cutoff=cutoff, allowed=allowed)
    assert [m.earner_id for m in got] == [w[0] for w in want]
    assert got, "the filter should leave someone"


def test_mapping_and_array_builders_agree():
    cat = make_catalogue(60, seed=2)
    earners = make_earners(cat, 300, seed=2)
    creds, holdings = earners.to_mappings(cat)
    a = build_index(competencies=cat.competencies, credentials=creds, holdings=holdings)
    b = build_index_from_arrays(
        competencies=cat.competencies, achievements=cat.achievements, earner_ids=earners.earner_ids,
        entry_earner=earners.entry_earner, entry_achievement=earners.entry_achievement,
        entry_issued=earners.entry_issued,
    )
    posting = make_posting(cat, seed=4)
    ra, rb = rank(a, posting, limit=30), rank(b, posting, limit=30)
    assert [(m.earner_id, round(m.score, 6)) for m in ra] == [(m.earner_id, round(m.score, 6)) for m in rb]
    assert all(c.credential_id in creds for m in ra for c in m.covered)


def test_reissued_credential_counts_once():
    cat = make_catalogue(20, seed=1)
    aid = next(iter(cat.achievements))
    comp = cat.competencies[cat.achievements[aid][0]]
    ids = list(cat.achievements)
    one = build_index_from_arrays(competencies=cat.competencies, achievements=cat.achievements,
                                  earner_ids=["x", "y"], entry_earner=np.array([0, 1, 1]),
                                  entry_achievement=np.array([0, 0, 0]), entry_issued=np.array([10, 10, 20000]))
    assert ids[0] == aid
    by = {m.earner_id: m for m in rank(one, comp.description)}
    assert by["x"].score == pytest.approx(by["y"].score)
    # y's latest issue (day 20000, 2024-10-04) survives an issued_after that drops x's only credential
    assert [m.earner_id for m in rank(one, comp.description, issued_after=date(2020, 1, 1))] == ["y"]


@pytest.mark.parametrize("config", [MatchConfig(whole_weight=0.3), MatchConfig(combine="max"),
                                    MatchConfig(combine="noisy_or")])
def test_top_k_equals_brute_force_for_other_scorings(config):
    cat = make_catalogue(150, seed=4)
    earners = make_earners(cat, 1500, seed=4)
    index = build_index_from_arrays(
        competencies=cat.competencies, achievements=cat.achievements, earner_ids=earners.earner_ids,
        entry_earner=earners.entry_earner, entry_achievement=earners.entry_achievement, config=config,
    )
    posting = make_posting(cat, seed=9)
    got = rank(index, posting, limit=12, explain=False)
    want = _brute(index, posting, 12)
    assert [m.earner_id for m in got] == [w[0] for w in want]
    assert all(0.0 < m.score <= 1.0 for m in got)


def test_pruned_search_is_exact_with_heavy_holders_and_cutoff(monkeypatch):
    """Earners holding many units (above the holder-count stratum cap) and issue-date cutoffs: the pruned
    candidate search must return exactly the brute-force top k, and must actually be the path taken."""
    import mosaics_match.matching.earners as earners_mod

    monkeypatch.setattr(earners_mod, "_COUNT_CAP", 4)
    cat = make_catalogue(300, seed=21)
    base = make_earners(cat, 3000, seed=21)
    rng = np.random.default_rng(21)
    n_units = len(cat.achievements)
    heavy = np.repeat(np.arange(40), 12)  # 40 earners with 12 credentials each, well above the cap
    entry_earner = np.r_[base.entry_earner, heavy]
    entry_ach = np.r_[base.entry_achievement, rng.integers(0, n_units, heavy.size)]
    entry_issued = np.r_[base.entry_issued, rng.integers(int(base.entry_issued.min()),
                                                         int(base.entry_issued.max()) + 1, heavy.size)]
    index = build_index_from_arrays(
        competencies=cat.competencies, achievements=cat.achievements, earner_ids=base.earner_ids,
        entry_earner=entry_earner, entry_achievement=entry_ach, entry_issued=entry_issued,
    )
    assert index.max_per_earner > 4 and index.u_cstart.shape[1] == 4 + 2
    calls = []
    original = earners_mod.EarnerIndex._pruned_candidates

    def spy(self, *args, **kwargs):
        out = original(self, *args, **kwargs)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(earners_mod.EarnerIndex, "_pruned_candidates", spy)
    cutoff_day = int(np.median(entry_issued))
    after = date(1970, 1, 1) + (date(1970, 1, 2) - date(1970, 1, 1)) * cutoff_day
    for seed in range(4):
        posting = make_posting(cat, seed=100 + seed)
        got = [(m.earner_id, m.score) for m in rank(index, posting, limit=15, explain=False)]
        want = _brute(index, posting, 15)
        assert [g[0] for g in got] == [w[0] for w in want]
        assert [g[1] for g in got] == pytest.approx([w[1] for w in want])
        got = [m.earner_id for m in rank(index, posting, limit=15, issued_after=after, explain=False)]
        want = _brute(index, posting, 15, cutoff=_day(after))
        assert got == [w[0] for w in want]
    assert all(calls) and len(calls) == 8


@pytest.mark.parametrize("width", [1, 3])
def test_holders_wider_than_the_held_table_are_bounded_exactly(monkeypatch, width):
    """Earners holding more units than ``u_held`` has columns (rows of the overflow sentinel) and cutoffs take the
    earner-side bound: top k and counts equal brute force, with and without filters."""
    import mosaics_match.matching.earners as earners_mod
    from mosaics_match.matching import count_covering

    monkeypatch.setattr(earners_mod, "_HELD_WIDTH", width)
    cat = make_catalogue(200, seed=31)
    earners = make_earners(cat, 2500, seed=31)
    index = build_index_from_arrays(
        competencies=cat.competencies, achievements=cat.achievements, earner_ids=earners.earner_ids,
        entry_earner=earners.entry_earner, entry_achievement=earners.entry_achievement,
        entry_issued=earners.entry_issued,
    )
    assert index.u_held.shape[1] == width and index._held_overflow
    after = date(2022, 6, 1)
    cutoff = _day(after)
    popular = list(cat.achievements)[int(np.bincount(earners.entry_achievement).argmax())]
    allowed = index._allowed((popular,), (), None)
    everyone = np.arange(index.n_earners)
    for seed in range(3):
        posting = make_posting(cat, seed=40 + seed)
        got = [(m.earner_id, m.score) for m in rank(index, posting, limit=15, explain=False)]
        want = _brute(index, posting, 15)
        assert [g[0] for g in got] == [w[0] for w in want]
        assert [g[1] for g in got] == pytest.approx([w[1] for w in want])
        got_ids = [m.earner_id for m in rank(index, posting, limit=15, issued_after=after, explain=False)]
        assert got_ids == [w[0] for w in _brute(index, posting, 15, cutoff=cutoff)]
        got_ids = [m.earner_id for m in rank(index, posting, limit=8, must_have_achievements=[popular],
                                             explain=False)]
        assert got_ids == [w[0] for w in _brute(index, posting, 8, allowed=allowed)]
        q = index._query(posting)
        scores = index._exact(q, everyone, None)
        late = index._exact(q, everyone, cutoff)
        for t in (0.1, 0.25, 0.5):
            assert count_covering(index, posting, min_coverage=t) == int(np.count_nonzero(scores >= t))
            assert count_covering(index, posting, min_coverage=t, issued_after=after) == int(
                np.count_nonzero(late >= t))
            assert count_covering(index, posting, min_coverage=t, must_have_achievements=[popular]) == int(
                np.count_nonzero(scores[allowed] >= t))


def test_fold_is_the_max_per_unit_with_and_without_the_padded_table():
    """The per-unit max of the cosines: the padded column table (units of similar size) and the reduceat
    fallback (one unit far larger than the rest) both equal a direct max over each unit's competencies."""
    cat = make_catalogue(60, seed=5)
    comps = dict(cat.competencies)
    achievements = {a: list(c) for a, c in cat.achievements.items()}
    for uneven in (False, True):
        if uneven:  # one achievement certifies every competency: padding the others to its size would not pay
            achievements = {**achievements, "everything": list(comps)}
        index = build_index_from_arrays(
            competencies=comps, achievements=achievements, earner_ids=["a", "b"],
            entry_earner=np.array([0, 1]), entry_achievement=np.array([0, len(achievements) - 1]),
        )
        sims = index.competencies.similarities([make_posting(cat, seed=2), "data dashboards and sql"])
        got = index._fold(sims)
        assert (index._fold_table.size == 0) == uneven
        rows = index.competency_row[index.unit_comp]
        want = np.stack([sims[:, rows[lo:hi]].max(axis=1)
                         for lo, hi in zip(index.unit_indptr[:-1], index.unit_indptr[1:])], axis=1)
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("n_units", [10, 70_000])
def test_held_table_rows_are_the_holders_units(monkeypatch, n_units):
    """Each posting's row lists its holder's units in the earner's order, padded with ``n_units``; holders wider
    than the table get ``n_units + 1`` everywhere; unit numbers past uint16 widen the table to uint32."""
    import mosaics_match.matching.earners as earners_mod

    monkeypatch.setattr(earners_mod, "_HELD_WIDTH", 3)
    units = [[1, 4], [n_units - 1], [0, 2, 3, 5], [7, 8, 9]]
    e_unit = np.array([u for us in units for u in us], dtype=np.int32)
    counts = np.array([len(us) for us in units], dtype=np.int32)
    e_indptr = np.r_[0, np.cumsum(counts)]
    u_earner = np.array([3, 0, 2, 1, 0, 3], dtype=np.int32)
    table = earners_mod._held_table(e_unit, e_indptr, counts, u_earner, n_units)
    assert table.dtype == (np.uint16 if n_units < 2**16 - 2 else np.uint32) and table.shape == (6, 3)
    want = {0: [1, 4, n_units], 1: [n_units - 1, n_units, n_units], 2: [n_units + 1] * 3, 3: [7, 8, 9]}
    assert table.tolist() == [want[int(e)] for e in u_earner]
