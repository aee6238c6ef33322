"""Whether a held competency really evidences a requirement, beyond a cosine that shared generic words can reach.

The cosine ranks well but, on one short requirement line, two everyday words are enough to pass a threshold:
"Hands-on experience building reports in Power BI, including data modelling" meets "Model buildings in Revit"
through *build* and *model*; "Familiarity with A/B testing" meets "Plan testing for a software release" through
*test*. A recruiter reads *Covered* as "this person has it", so a status needs more than a cosine: the words the
requirement and the evidence share must carry a good part of what the requirement *says*.

:class:`EvidenceTerms` weighs each stem of a requirement by how specific it is — its inverse document frequency
over the catalogue (a stem no competency uses weighs the most: nothing held can claim it) times its
posting-side specificity (:func:`~mosaics_match.matching.vocabulary.generic_factors`: "experience", "ability",
"strong" weigh little; :data:`FILLER_SHARE`) — and :meth:`EvidenceTerms.shares` returns, per held
credential, the share of that weight its competencies' own stems account for.
:class:`~mosaics_match.matching.config.MatchConfig` ``covered_share`` and ``partial_share`` are the shares a
status needs on top of its cosine (their figures are in that docstring).

The score is unchanged: only the status a partner reads (covered / partial / missing) and the evidence named for
it use the share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from .config import MatchConfig
from .vocabulary import WordAnalyzer, generic_factors

__all__ = ["EvidenceTerms", "FILLER_SHARE", "RequirementTerms"]

#: Posting-sentence share above which a word starts to count as filler in a requirement ("ability", "hands-on",
#: "familiarity", "including"): such words are rare in competency texts, so the catalogue's idf alone would make
#: them the weightiest words of a line that nothing can evidence. Stricter than the cosine's own weighting
#: (``MatchConfig.generic_reference_share``), which must leave "team" or "data" their weight for ranking.
FILLER_SHARE = 0.01


@dataclass(frozen=True)
class RequirementTerms:
    """One requirement line against every group (achievement) of the catalogue.

    Attributes
    ----------
    shares : numpy.ndarray of shape (n_groups,)
        Share of the line's stem weight each group's competencies contain.
    present : scipy.sparse.csr_matrix of shape (n_groups, n_known)
        Which of the line's known stems each group contains.
    words, weights : list
        The line's word (as written) and weight for each known stem, in ``present``'s column order.
    """

    shares: np.ndarray
    present: sp.csr_matrix
    words: list[str]
    weights: list[float]

    def shared_words(self, group: int, limit: int = 4) -> tuple[str, ...]:
        """The line's words that ``group`` also uses, weightiest first: what a match rests on."""
        cols = self.present.indices[self.present.indptr[group] : self.present.indptr[group + 1]]
        picked = sorted({int(c) for c in cols}, key=lambda c: -self.weights[c])
        return tuple(dict.fromkeys(self.words[c] for c in picked if self.words[c]))[:limit]


class EvidenceTerms:
    """Stems of every catalogue row and the weight of each stem, fitted on the rows' texts.

    Parameters
    ----------
    texts
        The indexed text of every catalogue row (name, ESCO labels, aliases, description), in row order.
    config
        The engine's configuration (stemming, stop words and the generic-word weighting follow it).

    Attributes
    ----------
    vocabulary : dict of str to int
        Stem -> column of :attr:`by_row`.
    by_row : scipy.sparse.csr_matrix of shape (n_rows, n_stems)
        1 where a row's text contains the stem.
    idf : numpy.ndarray of shape (n_stems,)
        Smoothed inverse document frequency of each stem over the rows.
    unseen_idf : float
        The weight of a stem no row contains (the largest possible idf).
    """

    def __init__(self, texts: Sequence[str], config: MatchConfig) -> None:
        self.config = config
        self._analyzer = WordAnalyzer((1, 1), ENGLISH_STOP_WORDS if config.stop_words == "english" else None,
                                      stemming=config.stemming)
        vocab: dict[str, int] = {}
        cols: list[int] = []
        indptr = [0]
        for text in texts:
            for s in set(self._analyzer.tokens(text)):
                cols.append(vocab.setdefault(s, len(vocab)))
            indptr.append(len(cols))
        n_rows = len(texts)
        self.vocabulary = vocab
        self.by_row = sp.csr_matrix((np.ones(len(cols), dtype=np.float32), np.asarray(cols, dtype=np.int32),
                                     np.asarray(indptr, dtype=np.int64)), shape=(n_rows, len(vocab)))
        df = np.bincount(np.asarray(cols, dtype=np.int64), minlength=len(vocab)).astype(np.float64)
        self.idf = np.log((1.0 + n_rows) / (1.0 + df)) + 1.0
        self.unseen_idf = float(np.log(1.0 + n_rows) + 1.0)
        self._generic: dict[str, float] = {}

    def _specificity(self, stems: Sequence[str]) -> np.ndarray:
        missing = [s for s in stems if s not in self._generic]
        if missing:
            factors = generic_factors(missing, 1.0, FILLER_SHARE)
            self._generic.update(zip(missing, factors.tolist()))
        return np.array([self._generic[s] for s in stems], dtype=np.float64)

    def weigh(self, text: str) -> tuple[np.ndarray, np.ndarray, float]:
        """The stems of ``text`` that the catalogue knows (their columns), their weights, and the total weight
        of all its stems (unknown ones included, at :attr:`unseen_idf`)."""
        stems = list(dict.fromkeys(self._analyzer.tokens(text)))
        if not stems:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64), 0.0
        weight = np.full(len(stems), self.unseen_idf, dtype=np.float64)
        cols, at = [], []
        for i, s in enumerate(stems):
            col = self.vocabulary.get(s)
            if col is not None:
                weight[i] = self.idf[col]
                cols.append(col)
                at.append(i)
        weight *= self._specificity(stems)
        return np.asarray(cols, dtype=np.int64), weight[at], float(weight.sum())

    def group_matrix(self, indptr: np.ndarray, rows: np.ndarray) -> sp.csc_matrix:
        """Groups x stems, 1 where any row of the group contains the stem (column-sliceable).

        Parameters
        ----------
        indptr, rows
            Group ``g`` is ``rows[indptr[g]:indptr[g + 1]]`` (e.g. an achievement and its competencies' rows).
        """
        n_groups = len(indptr) - 1
        member = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), np.asarray(rows, dtype=np.int64),
                                np.asarray(indptr, dtype=np.int64)), shape=(n_groups, self.by_row.shape[0]))
        grouped = sp.csr_matrix(member @ self.by_row)
        grouped.data[:] = 1.0
        return sp.csc_matrix(grouped)

    def group_shares(self, text: str, matrix: sp.csc_matrix) -> np.ndarray:
        """Share of ``text``'s stem weight found in each group of :meth:`group_matrix` (values in [0, 1];
        0 when ``text`` has no stem the catalogue knows)."""
        return self.requirement(text, matrix).shares

    def requirement(self, text: str, matrix: sp.csc_matrix) -> RequirementTerms:
        """Everything the statuses of one requirement line need, against every group of :meth:`group_matrix`."""
        cols, weight, total = self.weigh(text)
        n_groups = matrix.shape[0]
        if cols.size == 0 or total <= 0.0:
            return RequirementTerms(np.zeros(n_groups), sp.csr_matrix((n_groups, 0), dtype=np.float32), [], [])
        present = sp.csr_matrix(matrix[:, cols])
        shares = np.asarray(present @ weight, dtype=np.float64).ravel() / total
        # the line's words as written, per known stem column (first spelling wins), for showing what is shared
        spelled: dict[int, str] = {}
        for word, stem_ in self._analyzer.spelled_tokens(text):
            col = self.vocabulary.get(stem_)
            if col is not None:
                spelled.setdefault(col, word)
        return RequirementTerms(shares, present, [spelled.get(int(c), "") for c in cols], weight.tolist())

    def shares(self, text: str, groups: Sequence[np.ndarray]) -> np.ndarray:
        """Share of ``text``'s stem weight found in each group of catalogue rows (0 when ``text`` has no stem).

        Parameters
        ----------
        text
            One requirement line.
        groups
            Row numbers per group: a stem counts for a group when any of its rows contains it (the group of an
            achievement is all its competencies: together they say what the credential shows).

        Returns
        -------
        numpy.ndarray of shape (len(groups),)
            Values in [0, 1].
        """
        lengths = [len(g) for g in groups]
        indptr = np.concatenate(([0], np.cumsum(lengths, dtype=np.int64)))
        rows = np.concatenate([np.asarray(g, dtype=np.int64) for g in groups]) if groups else np.zeros(0, np.int64)
        return self.group_shares(text, self.group_matrix(indptr, rows))
