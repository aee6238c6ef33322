"""Calibration of the covered / partial thresholds on labelled requirement x competency pairs.

The pairs come from the catalogue's own ESCO alignments: a competency aligned to an ESCO skill should cover a
requirement line that states that skill (positive), and should not cover lines stating other skills
(negative). ``bench/bench_matching_quality.py --calibrate`` builds them from ``data/catalogue.json`` and the
ESCO v1.2.0 skill texts, splits them by achievement into a calibration half and a check half, picks the
thresholds on the first with :func:`choose_thresholds` and reports both halves.

Requirement lines of a positive pair are the aligned skill's preferred label and the first sentence of its
definition. The label is compared with the competency indexed *without* its ESCO label and aliases (they would
contain that very label), the definition with the competency as in production.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from .config import MatchConfig
from .earners import Competency, _competency_catalogue
from .evidence import EvidenceTerms
from .vocabulary import split_esco_text

__all__ = ["Pair", "build_pairs", "choose_covered", "choose_partial_share", "choose_thresholds", "line_pair_scores",
           "pair_shares", "pair_similarities", "status_table"]


@dataclass(frozen=True)
class Pair:
    """One labelled pair: does ``competency_id`` cover the requirement line ``text``?

    Attributes
    ----------
    competency_id, text
        The pair.
    positive
        The line states the competency's aligned ESCO skill.
    form
        ``"label"`` or ``"definition"`` (which part of the ESCO skill the line is).
    group
        The competency's achievement (pairs are split by it).
    hard
        For negatives: the line's skill is aligned to another competency of the catalogue (a plausible
        confusion), rather than a random ESCO skill.
    """

    competency_id: str
    text: str
    positive: bool
    form: str
    group: str
    hard: bool = False


def build_pairs(competencies: Mapping[str, Competency], skill_texts: Mapping[str, str],
                skill_labels: Mapping[str, str], *, negatives_per_positive: int = 4, seed: int = 0) -> list[Pair]:
    """Positive and negative pairs for every competency with an ``esco_uri`` found in ``skill_texts``.

    Parameters
    ----------
    competencies
        Competency id -> :class:`Competency` with ``esco_uri`` / ``esco_label`` / ``achievement_id``.
    skill_texts
        ESCO skill URI -> skills.csv text (preferred label, alternative labels, definition).
    skill_labels
        ESCO skill URI -> preferred label (skills without one are not drawn as negatives).
    negatives_per_positive
        Negatives per positive line, half hard (skills aligned to competencies of *other* achievements, never
        one aligned to this competency's achievement), half random ESCO skills.
    seed
        Sampling seed.
    """
    rng = np.random.default_rng(seed)
    aligned = [c for c in competencies.values() if c.esco_uri and c.esco_uri in skill_texts]
    uri_of = {c.id: str(c.esco_uri) for c in aligned}  # aligned ones only: never None
    all_uris = sorted(u for u in skill_texts if u in skill_labels)
    lines: dict[str, tuple[str, str]] = {}

    def forms(uri: str) -> tuple[str, str]:
        if uri not in lines:
            label = skill_labels.get(uri) or split_esco_text(skill_texts[uri], "")[0]
            definition = split_esco_text(skill_texts[uri], label)[1]
            lines[uri] = (label, definition.split(". ")[0].rstrip(".") if definition else label)
        return lines[uri]

    uris_of_group: dict[str, set[str]] = {}
    for c in aligned:
        uris_of_group.setdefault(str(c.achievement_id), set()).add(uri_of[c.id])
    pairs: list[Pair] = []
    for c in aligned:
        group = str(c.achievement_id)
        label, definition = forms(uri_of[c.id])
        own = uris_of_group[group]
        hard_pool = sorted(set(uri_of.values()) - own)
        for form, text in (("label", label), ("definition", definition)):
            pairs.append(Pair(c.id, text, True, form, group))
            n_hard = negatives_per_positive // 2
            for uri in rng.choice(hard_pool, size=min(n_hard, len(hard_pool)), replace=False):
                pairs.append(Pair(c.id, forms(uri)[form == "definition"], False, form, group, True))
            picked = 0
            while picked < negatives_per_positive - n_hard:
                uri = all_uris[int(rng.integers(len(all_uris)))]
                if uri in own:
                    continue
                pairs.append(Pair(c.id, forms(uri)[form == "definition"], False, form, group))
                picked += 1
    return pairs


def _by_form(competencies: Mapping[str, Competency], pairs: Sequence[Pair], config: MatchConfig):
    """``(pair positions, catalogue)`` per line form: label lines against the catalogue indexed without its ESCO
    labels (they would contain the very label), definition lines against it as configured."""
    unlabelled = {k: replace(c, esco_label=None, esco_uri=None) for k, c in competencies.items()}
    for form, comps in (("label", unlabelled), ("definition", competencies)):
        idx = [i for i, p in enumerate(pairs) if p.form == form]
        if idx:
            yield idx, _competency_catalogue(comps, config)


def pair_similarities(competencies: Mapping[str, Competency], pairs: Sequence[Pair],
                      config: MatchConfig) -> np.ndarray:
    """Cosine of each pair under ``config`` (catalogues as in :func:`_by_form`)."""
    out = np.zeros(len(pairs), dtype=np.float64)
    for idx, cat in _by_form(competencies, pairs, config):
        texts = sorted({pairs[i].text for i in idx})
        row_of_text = {t: k for k, t in enumerate(texts)}
        sims = cat.index.similarities(texts)
        for i in idx:
            out[i] = sims[row_of_text[pairs[i].text], cat.index.row_of[pairs[i].competency_id]]
    return out


def pair_shares(competencies: Mapping[str, Competency], pairs: Sequence[Pair], config: MatchConfig) -> np.ndarray:
    """Share of each pair's line that its competency's words carry
    (:meth:`~mosaics_match.matching.evidence.EvidenceTerms.shares`; catalogues as in :func:`_by_form`)."""
    out = np.zeros(len(pairs), dtype=np.float64)
    for idx, cat in _by_form(competencies, pairs, config):
        terms = EvidenceTerms(cat.texts, config)
        for i in idx:
            out[i] = terms.shares(pairs[i].text, [np.array([cat.index.row_of[pairs[i].competency_id]])])[0]
    return out


def line_pair_scores(competencies: Mapping[str, Competency], pairs: Sequence[tuple[str, str]],
                     config: MatchConfig) -> tuple[np.ndarray, np.ndarray]:
    """Cosine and share of ``(line, competency id)`` pairs as the engine computes them for an earner holding the
    competency's achievement: the competency indexed as in production, the share over all the competencies of its
    achievement (:meth:`~mosaics_match.matching.evidence.EvidenceTerms.shares`)."""
    cat = _competency_catalogue(competencies, config)
    terms = EvidenceTerms(cat.texts, config)
    lines = sorted({line for line, _ in pairs})
    at = {line: i for i, line in enumerate(lines)}
    cos = cat.index.similarities(lines) if lines else np.zeros((0, len(cat.index)), dtype=np.float32)
    group_rows = {a: np.unique(cat.row[n]) for a, n in cat.by_achievement.items()}
    sims = np.zeros(len(pairs), dtype=np.float64)
    shares = np.zeros(len(pairs), dtype=np.float64)
    for k, (line, cid) in enumerate(pairs):
        row = int(cat.row[cat.number[cid]])
        sims[k] = cos[at[line], row]
        achievement = competencies[cid].achievement_id
        rows = group_rows.get(str(achievement), np.array([row])) if achievement is not None else np.array([row])
        shares[k] = terms.shares(line, [rows])[0]
    return sims, shares


def _precision(hit: np.ndarray, positive: np.ndarray, prior: float) -> float:
    tpr = float(hit[positive].mean()) if positive.any() else 0.0
    fpr = float(hit[~positive].mean()) if (~positive).any() else 0.0
    denom = prior * tpr + (1.0 - prior) * fpr
    return prior * tpr / denom if denom > 0 else 1.0


def choose_covered(sims: np.ndarray, shares: np.ndarray, is_match: np.ndarray, *, precision: float = 0.8,
                   sim_grid: Sequence[float] = tuple(np.round(np.arange(0.10, 0.301, 0.01), 2)),
                   share_grid: Sequence[float] = tuple(np.round(np.arange(0.0, 0.501, 0.05), 2)),
                   ) -> tuple[float, float, float, float]:
    """``(covered_similarity, covered_share, precision, recall)`` from labelled posting-line pairs.

    Each pair is a real posting line and one of the catalogue competencies closest to it, judged by a person: the
    competency shows what the line asks for (``is_match``), or it does not. Of the threshold pairs on the grids
    whose *covered* status is right at least ``precision`` of the time, the one that reports the most real matches
    as covered (then the lowest thresholds). Unlike :func:`choose_thresholds`, no prior is applied: these pairs are
    already the hard case, the closest competencies to a line, as an earner's best-held evidence is.
    """
    sims, shares = np.asarray(sims, dtype=np.float64), np.asarray(shares, dtype=np.float64)
    is_match = np.asarray(is_match, dtype=bool)
    n_match = max(int(is_match.sum()), 1)
    best: tuple[float, float, float, float] | None = None
    for t_sim in sim_grid:
        for t_share in share_grid:
            covered = (sims >= t_sim) & (shares >= t_share)
            if not covered.any():
                continue
            prec = float(is_match[covered].mean())
            rec = float((covered & is_match).sum() / n_match)
            if prec >= precision and (best is None or rec > best[3] + 1e-12):
                best = (float(t_sim), float(t_share), prec, rec)
    if best is None:
        return float(sim_grid[-1]), float(share_grid[-1]), 0.0, 0.0
    return best


def choose_partial_share(sims: np.ndarray, shares: np.ndarray, is_match: np.ndarray, partial: float,
                         share_grid: Sequence[float] = tuple(np.round(np.arange(0.0, 0.501, 0.05), 2))) -> float:
    """The largest share on the grid at which no labelled match (``is_match``) at ``partial`` cosine or above
    is reported missing: "missing" must mean that nothing held comes close."""
    sims, shares = np.asarray(sims, dtype=np.float64), np.asarray(shares, dtype=np.float64)
    matches = np.asarray(is_match, dtype=bool) & (sims >= partial)
    ok = [float(t) for t in share_grid if not (matches & (shares < t)).any()]
    return max(ok) if ok else 0.0


def choose_thresholds(sims: np.ndarray, positive: np.ndarray, *, prior: float = 0.05,
                      covered_precision: float = 0.8, partial_precision: float = 0.5) -> tuple[float, float]:
    """``(partial, covered)`` cosines from labelled pairs.

    A requirement's status comes from the best of the ~20 competencies an earner holds, at most one of which
    is usually the right one, so a pair is weighed with a positive ``prior`` of 1/20: the precision at a
    cosine ``t`` is ``prior * TPR(t) / (prior * TPR(t) + (1 - prior) * FPR(t))``, whatever the mix of the
    sample. *covered* is the lowest cosine from which on every higher cosine is a real match with at least
    ``covered_precision``; *partial* the same for ``partial_precision`` (at least as likely a match as not:
    "comes close"), never above *covered*.
    """
    sims = np.asarray(sims, dtype=np.float64)
    positive = np.asarray(positive, dtype=bool)
    pos, neg = np.sort(sims[positive]), np.sort(sims[~positive])
    cands = np.unique(sims)[::-1]
    tpr = 1.0 - np.searchsorted(pos, cands, side="left") / pos.size
    fpr = 1.0 - np.searchsorted(neg, cands, side="left") / neg.size
    denom = prior * tpr + (1.0 - prior) * fpr
    precision = np.where(denom > 0, prior * tpr / np.where(denom > 0, denom, 1.0), 1.0)

    def lowest(target: float) -> float:
        ok = precision >= target
        # cands run from high to low: the first failure ends the run of thresholds that all meet the target
        stop = int(np.argmin(ok)) if not ok.all() else len(cands)
        return float(cands[stop - 1]) if stop > 0 else 1.0

    covered = lowest(covered_precision)
    return min(lowest(partial_precision), covered), covered


def status_table(sims: np.ndarray, pairs: Sequence[Pair], partial: float, covered: float,
                 shares: np.ndarray | None = None, partial_share: float = 0.0,
                 covered_share: float = 0.0) -> dict[str, float]:
    """Share of positive and negative pairs that would be reported covered / partial / missing (with ``shares``,
    a status also needs its share, as in the engine), and the precision of each status at a prior of 1/20."""
    sims = np.asarray(sims)
    share = np.ones_like(sims, dtype=np.float64) if shares is None else np.asarray(shares, dtype=np.float64)
    is_covered = (sims >= covered) & (share >= covered_share)
    at_least_partial = is_covered | ((sims >= partial) & (share >= partial_share))
    positive = np.array([p.positive for p in pairs])
    out: dict[str, float] = {}
    for name, mask in (("positive", positive), ("negative", ~positive),
                       ("hard negative", np.array([p.hard for p in pairs]) & ~positive)):
        n = max(int(mask.sum()), 1)
        out[f"{name} covered"] = float(is_covered[mask].sum() / n)
        out[f"{name} partial"] = float((at_least_partial & ~is_covered)[mask].sum() / n)
        out[f"{name} missing"] = float((~at_least_partial)[mask].sum() / n)
        out[f"{name} n"] = float(mask.sum())
    out["covered precision"] = _precision(is_covered, positive, 0.05)
    out["partial or covered precision"] = _precision(at_least_partial, positive, 0.05)
    return out
