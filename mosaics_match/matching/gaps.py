"""Gap analysis: which achievements would close a posting's missing requirements, and which requirements the
catalogue cannot cover at all (a report for staff planning new micro-credentials)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .competencies import CompetencyIndex
from .config import credit_of, requirement_weight
from .earners import EarnerIndex, _as_requirements
from .requirements import Requirement


@dataclass(frozen=True)
class Recommendation:
    """An achievement to earn: the requirements it would cover and its marginal gain (share of requirements)."""

    achievement_id: str
    covers: list[str]
    score: float


@dataclass(frozen=True)
class UncoveredRequirement:
    posting_id: str
    requirement: str
    best_similarity: float
    best_competency_id: str | None


@dataclass(frozen=True)
class UncoveredReport:
    """Requirements no competency in the catalogue reaches, for staff.

    Attributes
    ----------
    rows
        One row per uncovered requirement, weakest first.
    n_postings, n_requirements
        Totals looked at.
    threshold
        Similarity under which a requirement counts as uncovered.
    """

    rows: list[UncoveredRequirement]
    n_postings: int
    n_requirements: int
    threshold: float

    @property
    def share_uncovered(self) -> float:
        return len(self.rows) / self.n_requirements if self.n_requirements else 0.0


def _competency_index(index_or_catalogue: EarnerIndex | CompetencyIndex) -> CompetencyIndex:
    return index_or_catalogue.competencies if isinstance(index_or_catalogue, EarnerIndex) else index_or_catalogue


def gap_recommendations(
    index_or_catalogue: EarnerIndex | CompetencyIndex,
    posting: Sequence[Requirement] | str,
    *,
    achievements: Mapping[str, Sequence[str]],
    requirements: Sequence[str | Requirement] | None = None,
    limit: int = 5,
) -> list[Recommendation]:
    """Greedy set cover of requirements by achievements.

    Parameters
    ----------
    index_or_catalogue
        An :class:`EarnerIndex` or :class:`CompetencyIndex` (its vectoriser and thresholds are used).
    posting
        The posting's requirements, or its text (split with ``split_requirements``).
    achievements
        Achievement id -> competency ids (ids must be in the index); achievements with none are skipped.
    requirements
        Requirements to close, e.g. ``Match.missing`` of an earner (texts of the posting's requirements keep
        their kind and must-have weight); default: all of the posting's.
    limit
        Maximum number of recommendations.

    Returns
    -------
    list of Recommendation
        In pick order; each pick maximises the weighted credit it adds over the picks before it (ties: mapping
        order). ``score`` is that added credit divided by the summed weight of the requirements to close. Only
        evidence that would lift a requirement out of *missing* (``>= partial_similarity``) counts.
    """
    ci = _competency_index(index_or_catalogue)
    cfg = ci.config
    all_reqs = _as_requirements(posting, cfg.max_requirements)
    if requirements is not None:
        by_text = {r.text: r for r in all_reqs}
        all_reqs = [r if isinstance(r, Requirement) else by_text.get(str(r), Requirement(str(r)))
                    for r in requirements]
    if not all_reqs or not achievements:
        return []
    reqs = [r.text for r in all_reqs]
    w = np.array([requirement_weight(r.kind, r.must_have, cfg) for r in all_reqs])
    sims = ci.similarities(reqs)
    ach_ids: list[str] = []
    cols: list[np.ndarray] = []
    for a, comp_ids in achievements.items():
        rows = [ci.row_of[c] for c in comp_ids if c in ci.row_of]
        if rows:
            ach_ids.append(str(a))
            cols.append(sims[:, rows].max(axis=1))
    if not ach_ids:
        return []
    best = np.stack(cols, axis=1)  # R x A
    credit = credit_of(best, cfg, floor=cfg.partial_similarity)
    have = np.zeros(len(reqs))
    out: list[Recommendation] = []
    total_w = float(w.sum()) or 1.0
    for _ in range(limit):
        gain = (np.maximum(credit - have[:, None], 0.0) * w[:, None]).sum(axis=0)
        j = int(np.argmax(gain))
        if gain[j] <= 1e-9:
            break
        newly = [reqs[r] for r in range(len(reqs)) if credit[r, j] > have[r]]
        have = np.maximum(have, credit[:, j])
        out.append(Recommendation(ach_ids[j], newly, float(gain[j] / total_w)))
    return out


def uncovered_requirements(
    postings: Mapping[str, str | Sequence[Requirement]],
    index_or_catalogue: EarnerIndex | CompetencyIndex,
    threshold: float | None = None,
) -> UncoveredReport:
    """List posting requirements that no competency in the catalogue covers.

    Parameters
    ----------
    postings
        Posting id -> requirements or text (empty postings are skipped).
    index_or_catalogue
        An :class:`EarnerIndex` or :class:`CompetencyIndex`.
    threshold
        Best cosine below which a requirement is uncovered; default ``config.partial_similarity`` (no
        competency comes close, the same test that marks a requirement "not in the catalogue" in a match).
        With an :class:`EarnerIndex` and the default threshold, a competency only counts as close when it also
        carries ``config.partial_share`` of the requirement's specific words, as a match's *partial* status
        needs: "TypeScript" is a gap although character n-grams ("script") give it a cosine above the threshold
        with a competency that never names it.

    Returns
    -------
    UncoveredReport
    """
    ci = _competency_index(index_or_catalogue)
    thr = ci.config.partial_similarity if threshold is None else float(threshold)
    by_words = index_or_catalogue.evidence if isinstance(index_or_catalogue, EarnerIndex) and threshold is None \
        else None
    rows_matrix = None
    if by_words is not None:  # one group per catalogue row: each competency on its own
        n_rows = len(ci)
        rows_matrix = by_words.group_matrix(np.arange(n_rows + 1), np.arange(n_rows))
    rows: list[UncoveredRequirement] = []
    n_req = 0
    n_post = 0
    for pid, text in postings.items():
        if not text or (isinstance(text, str) and not text.strip()):
            continue
        try:
            reqs = [r.text for r in _as_requirements(text, ci.config.max_requirements)]
        except ValueError:  # only blank or boilerplate lines
            continue
        n_post += 1
        if not reqs:
            continue
        n_req += len(reqs)
        sims = ci.similarities(reqs)
        arg = sims.argmax(axis=1)
        for r, req in enumerate(reqs):
            s = float(sims[r, arg[r]])
            close = s >= thr
            if close and by_words is not None:
                near = np.flatnonzero(sims[r] >= thr)
                close = bool((by_words.group_shares(req, rows_matrix)[near] >= ci.config.partial_share).any())
            if not close:
                rows.append(UncoveredRequirement(str(pid), req, s, ci.ids[arg[r]] if s > 0 else None))
    rows.sort(key=lambda x: (x.best_similarity, x.posting_id, x.requirement))
    return UncoveredReport(rows, n_post, n_req, thr)
