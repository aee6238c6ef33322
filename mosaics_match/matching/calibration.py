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
from .vocabulary import split_esco_text

__all__ = ["Pair", "build_pairs", "choose_thresholds", "pair_similarities", "status_table"]


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


def pair_similarities(competencies: Mapping[str, Competency], pairs: Sequence[Pair],
                      config: MatchConfig) -> np.ndarray:
    """Cosine of each pair under ``config``: label lines against the catalogue indexed without its ESCO
    labels, definition lines against it as configured."""
    out = np.zeros(len(pairs), dtype=np.float64)
    unlabelled = {k: replace(c, esco_label=None, esco_uri=None) for k, c in competencies.items()}
    for form, comps in (("label", unlabelled), ("definition", competencies)):
        idx = [i for i, p in enumerate(pairs) if p.form == form]
        if not idx:
            continue
        index = _competency_catalogue(comps, config).index
        texts = sorted({pairs[i].text for i in idx})
        row_of_text = {t: k for k, t in enumerate(texts)}
        sims = index.similarities(texts)
        for i in idx:
            out[i] = sims[row_of_text[pairs[i].text], index.row_of[pairs[i].competency_id]]
    return out


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


def status_table(sims: np.ndarray, pairs: Sequence[Pair], partial: float, covered: float) -> dict[str, float]:
    """Share of positive and negative pairs that would be reported covered / partial / missing."""
    sims = np.asarray(sims)
    positive = np.array([p.positive for p in pairs])
    out: dict[str, float] = {}
    for name, mask in (("positive", positive), ("negative", ~positive),
                       ("hard negative", np.array([p.hard for p in pairs]) & ~positive)):
        s = sims[mask]
        n = max(s.size, 1)
        out[f"{name} covered"] = float((s >= covered).sum() / n)
        out[f"{name} partial"] = float(((s >= partial) & (s < covered)).sum() / n)
        out[f"{name} missing"] = float((s < partial).sum() / n)
        out[f"{name} n"] = float(s.size)
    return out
