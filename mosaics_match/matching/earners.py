"""Earner ranking: coverage of a posting's requirements by the competencies of an earner's credentials.

Work per query is independent of the number of earners except for one sparse gather: requirements are scored
against every competency once, folded into per-achievement credits, summed into a cheap upper bound per earner
through the achievement -> earners inverted index, and only the best upper bounds are scored exactly.

Data contract
-------------
The index ranks exactly what it is given. Callers pass only *currently valid* credentials (verified, not
revoked, not expired) and only earners who *consent* to being matched. ``build_index`` ignores holdings that
reference a credential not in ``credentials`` and credential competencies not in ``competencies``, so
filtering the ``credentials`` mapping is enough to drop revoked or expired credentials.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np
import scipy.sparse as sp

from .competencies import (
    CompetencyIndex,
    EmptyPostingError,
    _check_posting,
    build_competency_index,
)
from .config import MatchConfig, band_for, credit_of, requirement_weight
from .evidence import EvidenceTerms, RequirementTerms
from .requirements import Requirement
from .text import split_requirements
from .vocabulary import esco_aliases

_NO_DATE = np.iinfo(np.int32).min
_EPOCH = date(1970, 1, 1)
# Holder counts above this share one stratum of the unit -> earners postings (keeps ``u_cstart`` small).
_COUNT_CAP = 64
# Held achievements looked at for a requirement's status, closest first (an earner holds ~20 competencies).
_STATUS_CANDIDATES = 8
# Columns of the per-posting table of the holder's units (``EarnerIndex.u_held``); earners holding more units
# than this are bounded from ``e_indptr`` instead. Wider costs 2 bytes per posting per column.
_HELD_WIDTH = 8
# Recent queries per index: a page asks for the ranking and the counts of the same requirements.
_QUERY_MEMO_SIZE = 16
_MEMO_LOCK = threading.Lock()


@dataclass(frozen=True)
class Competency:
    """A competency (skill) an achievement certifies.

    Attributes
    ----------
    id, name, description
        Identity and texts; name + ESCO label + description are what gets indexed.
    esco_label, esco_uri
        Preferred label and URI of the aligned ESCO skill, if any. With ``MatchConfig.esco_enrichment`` the
        skill's alternative labels are indexed too (found by URI, else by label, in the shipped ESCO table).
    achievement_id
        Achievement (micro-credential type) the competency belongs to, if known.
    """

    id: str
    name: str
    description: str = ""
    esco_label: str | None = None
    achievement_id: str | None = None
    esco_uri: str | None = None

    def text(self, aliases: str = "") -> str:
        """Indexed text: name, ESCO label, ``aliases`` (e.g. ESCO alternative labels), description."""
        return " ".join(p for p in (self.name, self.esco_label or "", aliases, self.description) if p)


@dataclass(frozen=True)
class CredentialRef:
    """A verified credential held by an earner.

    Attributes
    ----------
    achievement_id
        The achievement it awards.
    competency_ids
        Competencies it evidences; empty means "all competencies whose ``achievement_id`` is this one".
    issued_at
        Issue date (``date`` or aware ``datetime``), used by ``issued_after``; ``None`` fails that filter.
    """

    achievement_id: str
    competency_ids: tuple[str, ...] = ()
    issued_at: date | datetime | None = None


@dataclass(frozen=True)
class Covered:
    """A posting requirement and the held credential/competency that covers it best.

    Attributes
    ----------
    requirement
        The requirement's text.
    competency_id, competency_name, credential_id
        The best held evidence: the competency and the credential that certifies it.
    similarity
        Cosine between the requirement and that competency.
    status
        ``"covered"`` or ``"partial"`` (see ``MatchConfig.covered_similarity``).
    shared_words
        Words of the requirement that the credential's competencies also use, weightiest first (at most 4).
    """

    requirement: str
    competency_id: str
    competency_name: str
    credential_id: str
    similarity: float
    status: str = "covered"
    shared_words: tuple[str, ...] = ()


@dataclass(frozen=True)
class RequirementMatch:
    """How one earner fares on one requirement of the posting.

    Attributes
    ----------
    requirement
        The requirement (text, kind, must-have).
    status
        ``"covered"`` (best held evidence >= ``covered_similarity``), ``"partial"`` (>= ``partial_similarity``)
        or ``"missing"`` (nothing held comes close).
    similarity
        Cosine of the best held evidence (0 when the earner holds nothing related).
    evidence
        The best held evidence when covered or partial, else ``None``.
    in_catalogue
        ``False`` when no competency of the whole catalogue reaches ``partial_similarity``: nobody can cover
        it, and (with ``exclude_unmatchable``) it does not count in the score.
    weight
        The requirement's weight in the score (see ``MatchConfig.must_have_weight``).
    """

    requirement: Requirement
    status: str
    similarity: float
    evidence: Covered | None
    in_catalogue: bool
    weight: float


@dataclass(frozen=True)
class Match:
    """One ranked earner.

    Attributes
    ----------
    score
        In [0, 1]: the weighted mean over the posting's requirements (those in the catalogue) of the earner's
        credit for each; a requirement's credit is ``min(1, sim / full_similarity) ** credit_power`` per held
        competency (0 below ``min_similarity``), combined over the earner's credentials by ``min(1, sum)`` (or
        noisy-or, or max; ``MatchConfig.combine``). With
        ``whole_weight > 0`` the whole posting counts as one more requirement of that share.
    band
        ``strong`` / ``good`` / ``partial`` / ``weak``, see :func:`mosaics_match.matching.config.band_for`.
    covered, partial
        Requirements whose best held evidence is covered / partial, with that evidence (posting order).
    missing
        Texts of the requirements nothing held comes close to (posting order).
    terms
        Posting words that carried the covered and partial matches, with their weight, strongest first.
    requirements
        Every requirement in posting order with its status (empty when ``explain=False``).
    """

    earner_id: str
    score: float
    band: str
    covered: list[Covered]
    missing: list[str]
    terms: list[tuple[str, float]]
    partial: list[Covered] = field(default_factory=list)
    requirements: list[RequirementMatch] = field(default_factory=list)


def _as_requirements(requirements: Sequence[Requirement] | str, max_requirements: int) -> list[Requirement]:
    """Requirements to score: a plain posting string is split with :func:`split_requirements`.

    Lines with the same text (case and spacing aside) are scored once, as must-have if any of them is and with
    the heavier kind.
    """
    if isinstance(requirements, str):
        _check_posting(requirements)
        return [Requirement(t) for t in split_requirements(requirements, max_requirements=max_requirements)]
    rank_of = {"nice_to_have": 0, "duty": 1, "requirement": 2}
    merged: dict[str, Requirement] = {}
    for r in requirements:
        if not isinstance(r, Requirement):
            r = Requirement(str(r))
        if r.kind not in rank_of or not r.text or not r.text.strip():
            continue  # boilerplate or empty lines are never scored
        key = " ".join(r.text.lower().split())
        old = merged.get(key)
        if old is None:
            merged[key] = r
        else:
            kind = old.kind if rank_of[old.kind] >= rank_of[r.kind] else r.kind
            merged[key] = Requirement(old.text, kind, old.must_have or r.must_have)
    if not merged:
        raise EmptyPostingError("the posting has no requirement to match")
    return list(merged.values())[:max_requirements]


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique`` for the small integer arrays of a query (sort and compare; no hashing set-up)."""
    out = np.sort(values)
    return out[np.r_[True, out[1:] != out[:-1]]] if out.size else out


def _day(value: date | datetime | None) -> int:
    if value is None:
        return int(_NO_DATE)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        value = value.date()
    return (value - _EPOCH).days


def _ranges(indptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated ``arange(indptr[r], indptr[r+1])`` for ``rows``, and each range's length."""
    starts = indptr[rows]
    lengths = (indptr[rows + 1] - starts).astype(np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64), lengths
    shifts = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return np.arange(total, dtype=np.int64) + shifts, lengths


def _spans(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated ``arange(starts[i], ends[i])``, and each span's length."""
    lengths = (ends - starts).astype(np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64), lengths
    shifts = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return np.arange(total, dtype=np.int64) + shifts, lengths


@dataclass
class _Query:
    requirements: list[Requirement]
    texts: list[str]  # requirement texts (the whole posting is the extra last query row when used)
    query_matrix: object  # rows x F sparse TF-IDF of the requirements (and the whole posting)
    sims: np.ndarray  # rows x C requirement-competency cosine
    unit_sim: np.ndarray  # rows x U best cosine per achievement unit
    credit: np.ndarray  # rows x U credit after floor, saturation and top-m pruning
    denominator: float  # summed weight of the requirements in the catalogue
    matchable: np.ndarray  # R bool: some catalogue competency reaches partial_similarity
    req_weights: np.ndarray  # R: each requirement's own weight (kind, must-have)
    weights: np.ndarray  # per credit row: share of the score (requirements, then the whole posting if used)
    log_miss: np.ndarray | None = None  # log(1 - credit) per credit row and unit, made on first use (noisy-or)


@dataclass
class EarnerIndex:
    """Everything :func:`rank` needs; build it with :func:`build_index` or :func:`build_index_from_arrays`."""

    competencies: CompetencyIndex
    competency_names: list[str]
    unit_achievement: list[str]
    unit_indptr: np.ndarray
    unit_comp: np.ndarray
    earner_ids: Sequence[str]
    e_indptr: np.ndarray
    e_unit: np.ndarray
    e_issued: np.ndarray
    e_cred: np.ndarray
    credential_ids: Sequence[str] | None
    u_indptr: np.ndarray
    u_earner: np.ndarray
    u_issued: np.ndarray
    config: MatchConfig
    u_cstart: np.ndarray | None = None
    # Per posting (``u_earner`` order): the holder's units, padded with ``n_units`` (no unit); every column is
    # ``n_units + 1`` for holders of more than ``u_held.shape[1]`` units.
    u_held: np.ndarray | None = None
    _units_of_achievement: dict[str, np.ndarray] = field(default_factory=dict)
    _units_of_competency: dict[int, np.ndarray] | None = None
    _earner_row: dict[str, int] | None = None
    _max_per_earner: int | None = None
    _e_count: np.ndarray | None = None
    _local: threading.local | None = field(default=None, repr=False, compare=False)
    _query_memo: dict = field(default_factory=dict, repr=False, compare=False)
    # Competencies are numbered in input order; identical texts share one row of ``competencies``.
    competency_ids: list[str] = field(default_factory=list)
    competency_number: dict[str, int] = field(default_factory=dict)
    competency_row: np.ndarray | None = None
    _unit_rows: np.ndarray | None = None  # competency_row[unit_comp]
    _rows_are_units: bool | None = None  # every row is exactly one unit, in order: the fold needs no gather
    _fold_table: np.ndarray | None = None  # see ``_fold_table``; empty when units are too uneven to pad
    evidence: EvidenceTerms | None = None  # stem weights behind a requirement's status (see ``_explain``)
    _unit_terms: sp.csc_matrix | None = None  # units x stems of ``evidence``, built on the first explanation

    @property
    def n_earners(self) -> int:
        return len(self.e_indptr) - 1

    @property
    def e_count(self) -> np.ndarray:
        """Achievement units held per earner (uint16)."""
        if self._e_count is None:
            self._e_count = np.diff(self.e_indptr).astype(np.uint16)
        return self._e_count

    @property
    def max_per_earner(self) -> int:
        """Most achievement units any earner holds (bounds the pruning in :meth:`_pruned_candidates`)."""
        if self._max_per_earner is None:
            self._max_per_earner = int(np.diff(self.e_indptr).max()) if self.n_earners else 0
        return self._max_per_earner

    @property
    def n_units(self) -> int:
        return len(self.unit_indptr) - 1

    def nbytes(self) -> int:
        """Bytes held by the index's numpy arrays (excludes the TF-IDF vocabulary and id lists)."""
        arrays = (self.unit_indptr, self.unit_comp, self.e_indptr, self.e_unit, self.e_issued, self.e_cred,
                  self.u_indptr, self.u_earner, self.u_issued, self.u_cstart, self.u_held)
        return int(sum(a.nbytes for a in arrays if a is not None))

    # -- per-query scoring -------------------------------------------------------------------------------
    def _query(self, posting: Sequence[Requirement] | str) -> _Query | None:
        cfg = self.config
        reqs = _as_requirements(posting, cfg.max_requirements)
        if not reqs or self.n_units == 0:
            return None
        whole = posting if isinstance(posting, str) else None
        key = (tuple(reqs), whole, cfg)
        memo = self._query_memo
        hit = memo.get(key)
        if hit is not None:
            return hit
        q = self._build_query(reqs, whole)
        with _MEMO_LOCK:
            while len(memo) >= _QUERY_MEMO_SIZE:
                memo.pop(next(iter(memo)))
            memo[key] = q
        return q

    def _build_query(self, reqs: list[Requirement], whole: str | None) -> _Query:
        cfg = self.config
        texts = [r.text for r in reqs]
        use_whole = cfg.whole_weight > 0 and len(reqs) > 1
        if use_whole and cfg.whole_as_sum:
            qm = self.competencies.query_vectors(texts)
            sims = self.competencies.similarities_of(qm)
            # The posting as the sum of its requirement vectors: its cosines are the summed requirement cosines
            # over the sum's norm, with no second pass over the catalogue.
            total = np.asarray(qm.sum(axis=0), dtype=np.float64).ravel()
            norm = float(np.sqrt(total @ total)) or 1.0
            sims = np.vstack([sims, (sims.sum(axis=0, dtype=np.float64) / norm).astype(np.float32)])
        elif use_whole and whole is None:
            # A list of requirements: the whole posting is the lines counted together.
            qm = self.competencies.query_vectors(texts, sum_row=True)
            sims = self.competencies.similarities_of(qm)
        else:
            qm = self.competencies.query_vectors(texts + [whole] if use_whole and whole is not None else texts)
            sims = self.competencies.similarities_of(qm)
        unit_sim = self._fold(sims)
        credit = credit_of(unit_sim, cfg).astype(np.float32)
        m = cfg.per_requirement_top
        if 0 < m < credit.shape[1]:
            kth = -np.partition(-unit_sim, m - 1, axis=1)[:, m - 1 : m]
            credit[unit_sim < kth] = 0.0
        # Judged against the whole competency catalogue, held or not: a requirement only nobody holds yet is
        # still a real gap, whereas one no competency reaches ("we are a fun team") says nothing about earners.
        n = len(reqs)
        matchable = sims[:n].max(axis=1) >= cfg.partial_similarity if sims.shape[1] else np.zeros(n, bool)
        req_w = np.array([requirement_weight(r.kind, r.must_have, cfg) for r in reqs], dtype=np.float64)
        if cfg.exclude_unmatchable:
            credit[:n][~matchable] = 0.0
            denominator = float(req_w[matchable].sum())
        else:
            denominator = float(req_w.sum())
        share = 1.0 - cfg.whole_weight if use_whole else 1.0
        weights = share * req_w / denominator if denominator > 0 else np.zeros(n)
        if cfg.exclude_unmatchable:
            weights = np.where(matchable, weights, 0.0)
        if use_whole:
            weights = np.r_[weights, cfg.whole_weight]
        return _Query(reqs, texts, qm, sims, unit_sim, credit, denominator, matchable, req_w, weights)

    def _fold(self, sims: np.ndarray) -> np.ndarray:
        """Best cosine per achievement unit (max over its competencies' rows)."""
        table = self._fold_table
        if table is None:
            rows = self.competency_row[self.unit_comp] if self.competency_row is not None else self.unit_comp
            self._rows_are_units = bool(rows.size == sims.shape[1] and np.array_equal(rows, np.arange(rows.size)))
            self._unit_rows = rows
            table = self._fold_table = _fold_table(rows, self.unit_indptr)
        if self._rows_are_units and self.n_units == sims.shape[1]:
            return sims
        if table.size:
            # A running max over whole columns: a few wide ``take`` + ``maximum`` passes cost less than
            # ``maximum.reduceat`` over the gathered rows (units have a handful of competencies).
            out = np.take(sims, table[0], axis=1)
            for k in range(1, table.shape[0]):
                np.maximum(out, np.take(sims, table[k], axis=1), out=out)
            return out
        rows = self._unit_rows
        assert rows is not None, "set with the fold table"
        return np.maximum.reduceat(np.take(sims, rows, axis=1), self.unit_indptr[:-1], axis=1)

    def _entries_of_units(self, units: np.ndarray, cutoff: int | None) -> np.ndarray:
        pos, _ = _ranges(self.u_indptr, units)
        if cutoff is not None:
            pos = pos[self.u_issued[pos] > cutoff]
        return self.u_earner[pos]

    def _exact(self, q: _Query, earners: np.ndarray, cutoff: int | None) -> np.ndarray:
        out = np.zeros(len(earners), dtype=np.float64)
        nonempty = self.e_indptr[earners + 1] > self.e_indptr[earners]
        earners = earners[nonempty]
        if earners.size == 0:
            return out
        pos, lengths = _ranges(self.e_indptr, earners)
        units = np.take(self.e_unit, pos)
        offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        if self.config.combine == "noisy_or":
            # 1 - prod(1 - c): extra evidence for a requirement helps, unrelated credentials (c = 0) change nothing
            log_miss = q.log_miss
            if log_miss is None:  # once per query, not once per held unit of every scored earner
                log_miss = q.log_miss = np.log1p(-np.minimum(q.credit, np.float32(1.0 - 1e-6)))
            held = np.take(log_miss, units, axis=1)
            if cutoff is not None:
                held = held * (self.e_issued[pos] > cutoff)
            best = 1.0 - np.exp(np.add.reduceat(held, offsets, axis=1))
        elif self.config.combine == "capped_sum":
            # min(1, sum of credits): evidence adds up until the requirement is fully covered
            held = np.take(q.credit, units, axis=1)
            if cutoff is not None:
                held = held * (self.e_issued[pos] > cutoff)
            best = np.minimum(np.add.reduceat(held, offsets, axis=1, dtype=np.float64), 1.0)
        else:
            held = np.take(q.credit, units, axis=1)
            if cutoff is not None:
                held = held * (self.e_issued[pos] > cutoff)
            best = np.maximum.reduceat(held, offsets, axis=1)
        # Row-by-row sum (not BLAS): an earner's score must not depend on which batch it was scored in.
        out[nonempty] = (best.astype(np.float64) * q.weights[:, None]).sum(axis=0)
        return out

    def _allowed(self, must_ach: Sequence[str], must_comp: Sequence[str], cutoff: int | None) -> np.ndarray | None:
        if not must_ach and not must_comp:
            return None
        if self._units_of_competency is None:
            owner = np.repeat(np.arange(self.n_units), np.diff(self.unit_indptr))
            order = np.argsort(self.unit_comp, kind="stable")
            comps, starts = np.unique(self.unit_comp[order], return_index=True)
            groups = np.split(owner[order], starts[1:])
            self._units_of_competency = {int(c): g for c, g in zip(comps, groups)}
        sets: list[np.ndarray] = []
        for a in must_ach:
            sets.append(self._units_of_achievement.get(str(a), np.zeros(0, dtype=np.int64)))
        for c in must_comp:
            row = self.competency_number.get(str(c))
            sets.append(self._units_of_competency.get(row, np.zeros(0, dtype=np.int64)) if row is not None
                        else np.zeros(0, dtype=np.int64))
        allowed: np.ndarray | None = None
        for units in sets:
            holders = np.unique(self._entries_of_units(np.asarray(units, dtype=np.int64), cutoff))
            allowed = holders if allowed is None else np.intersect1d(allowed, holders, assume_unique=True)
            if allowed.size == 0:
                break
        return allowed

    def _scratch(self) -> np.ndarray:
        """Zeroed bool buffer of one slot per earner, private to the calling thread (callers re-zero it)."""
        local = self._local
        if local is None:
            local = self._local = threading.local()
        seen = getattr(local, "seen", None)
        if seen is None or seen.size != self.n_earners:
            seen = local.seen = np.zeros(self.n_earners, dtype=bool)
        return seen

    def _pruned_candidates(
        self, q: _Query, unit_total: np.ndarray, limit: int, floor: float, cutoff: int | None,
        allowed: np.ndarray | None, seed_entries: int = 1024, max_candidates: int = 200_000,
    ) -> np.ndarray | None:
        """Earners that can reach the top ``limit``, touching only holders of high-credit achievements.

        A seed (holders of the best achievements) is scored exactly; its ``limit``-th best score ``theta``
        lower-bounds the final ``limit``-th best, and :meth:`_reaching` keeps the earners whose score bound
        reaches it. Returns ``None`` when the seed is too small or the candidates too many (the caller then
        uses the full bound pass).
        """
        if self.n_earners == 0:
            return None
        rel = np.flatnonzero(unit_total > 0)
        if rel.size == 0:
            return np.zeros(0, dtype=np.int64)
        rel = rel[np.argsort(-unit_total[rel], kind="stable")]
        mask = None
        if allowed is not None:
            mask = np.zeros(self.n_earners, dtype=bool)
            mask[allowed] = True
        sizes = self.u_indptr[rel + 1] - self.u_indptr[rel]
        t = int(np.searchsorted(np.cumsum(sizes), seed_entries)) + 1
        seed = self._entries_of_units(rel[:t], cutoff)
        if mask is not None:
            seed = seed[mask[seed]]
        seed = _sorted_unique(seed)
        if seed.size < limit:
            return None
        s_scores = self._exact(q, seed, cutoff)
        theta = max(-float(np.partition(-s_scores, limit - 1)[limit - 1]), floor) - 1e-6
        return self._reaching(unit_total, theta, cutoff, mask, max_candidates)

    def _reaching(
        self, unit_total: np.ndarray, theta: float, cutoff: int | None, mask: np.ndarray | None,
        max_candidates: int | None = None,
    ) -> np.ndarray | None:
        """Sorted earners whose score bound reaches ``theta`` (a superset of those scoring >= ``theta``).

        An earner's score is at most the sum of its achievements' weighted credits, so an earner holding ``c``
        achievements reaches ``theta`` only through one with weighted credit >= ``theta / c``: only those holders
        are gathered (a suffix of each achievement's count-ordered postings), and each gathered posting is
        bounded by the summed credit of its holder's units, read from the posting's row of ``u_held`` (no
        per-earner accumulation). ``None`` when more than ``max_candidates`` would survive.
        """
        rel = np.flatnonzero(unit_total > 0)
        if self.n_earners == 0 or rel.size == 0:
            return np.zeros(0, dtype=np.int64)
        theta = max(theta, 1e-12)
        need = rel[unit_total[rel] * max(self.max_per_earner, 1) >= theta]
        if need.size == 0:
            return np.zeros(0, dtype=np.int64)
        if self.u_cstart is None or self.u_held is None:
            return None
        # Postings are ordered by holder count, so unit u contributes only its holders with c >= theta /
        # total[u]: a suffix starting at u_cstart[u, c_min].
        cap = self.u_cstart.shape[1] - 2
        c_min = np.ceil(theta / unit_total[need] - 1e-9).astype(np.int64)
        np.clip(c_min, 1, max(cap, 1), out=c_min)
        pos, _ = _spans(self.u_cstart[need, c_min], self.u_indptr[need + 1])
        if cutoff is not None:
            pos = pos[self.u_issued[pos] > cutoff]
        if max_candidates is not None and pos.size > 4 * max_candidates:
            return None
        held = self.u_held
        width = held.shape[1]
        # One row per posting, copied whole (a row of ``width`` small ints), then summed column by column.
        packed = np.take(held.view(np.dtype((np.void, held.itemsize * width))).ravel(), pos)
        rows: np.ndarray = packed.view(held.dtype).reshape(-1, width)
        table = np.zeros(self.n_units + 2, dtype=np.float64)
        table[: self.n_units] = unit_total
        table[self.n_units + 1] = np.inf  # holders of more units than the table's width: bounded below
        bound = np.take(table, rows[:, 0])
        for j in range(1, width):
            bound += np.take(table, rows[:, j])
        hit = bound >= theta
        del packed, rows, bound
        holders = np.take(self.u_earner, pos[hit])
        if mask is not None:
            holders = holders[mask[holders]]
        cand = _sorted_unique(holders).astype(np.int64)
        if cutoff is None and not self._held_overflow:
            # The row sum above is the earner-side bound itself (same units, same order, zeros for padding).
            return cand if max_candidates is None or cand.size <= max_candidates else None
        if max_candidates is not None and cand.size > max_candidates:
            return None
        if cand.size == 0:
            return cand
        # Units issued before the cutoff, and units past the table's width, count only from the earner side.
        pos, lengths = _ranges(self.e_indptr, cand)
        w = unit_total[self.e_unit[pos]]
        if cutoff is not None:
            w = w * (self.e_issued[pos] > cutoff)
        upper = np.add.reduceat(w, np.concatenate(([0], np.cumsum(lengths)[:-1])))
        return cand[upper >= theta]

    @property
    def _held_overflow(self) -> bool:
        """Some earner holds more units than ``u_held`` has columns."""
        return self.u_held is not None and self.max_per_earner > self.u_held.shape[1]

    def _unit_rows_of(self, comps: np.ndarray) -> np.ndarray:
        return self.competency_row[comps] if self.competency_row is not None else comps

    def _count_reaching(self, q: _Query, unit_total: np.ndarray, floor: float, cutoff: int | None,
                        mask: np.ndarray | None) -> int:
        """Exact number of earners scoring >= ``floor``: bounds settle most, the rest are scored."""
        if floor <= 1e-9 and mask is None and cutoff is None:
            # A score is positive exactly when the earner holds a unit with positive credit: no scoring needed.
            pos, _ = _ranges(self.u_indptr, np.flatnonzero(unit_total > 0))
            seen = self._scratch()
            holders = self.u_earner[pos]
            seen[holders] = True
            n = int(np.count_nonzero(seen))
            seen[holders] = False
            return n
        cand = self._reaching(unit_total, floor - 1e-6, cutoff, mask)
        if cand is None or cand.size == 0:
            return 0
        # The best single held unit is a lower bound (noisy-or never lowers a requirement's best credit):
        # earners it already lifts clear of the floor need no exact score.
        pos, lengths = _ranges(self.e_indptr, cand)
        w = unit_total[self.e_unit[pos]]
        if cutoff is not None:
            w = w * (self.e_issued[pos] > cutoff)
        lower = np.maximum.reduceat(w, np.concatenate(([0], np.cumsum(lengths)[:-1])))
        sure = lower >= floor + 1e-5
        rest = cand[~sure]
        total = int(np.count_nonzero(sure))
        # Bounded batches keep the credit matrix of a low floor's many candidates small.
        for lo in range(0, rest.size, 65_536):
            total += int(np.count_nonzero(self._exact(q, rest[lo : lo + 65_536], cutoff) >= floor))
        return total

    def _best_competency(self, q: _Query, r: int, unit: int, cache: dict) -> int:
        """The competency of an achievement unit closest to requirement ``r`` (its number)."""
        c = cache.get(("comp", r, unit))
        if c is None:
            comps = self.unit_comp[self.unit_indptr[unit] : self.unit_indptr[unit + 1]]
            c = cache[("comp", r, unit)] = int(comps[np.argmax(q.sims[r, self._unit_rows_of(comps)])])
        return c

    def _requirement_terms(self, q: _Query, r: int, cache: dict) -> RequirementTerms | None:
        """Requirement ``r`` against every achievement unit: shares of its specific words, and which words."""
        if self.evidence is None:
            return None
        terms = cache.get(("terms", r))
        if terms is None:
            if self._unit_terms is None:
                self._unit_terms = self.evidence.group_matrix(self.unit_indptr, self._unit_rows_of(self.unit_comp))
            terms = cache[("terms", r)] = self.evidence.requirement(q.texts[r], self._unit_terms)
        return terms

    def _status(self, q: _Query, r: int, units: np.ndarray, sims: np.ndarray,
                cache: dict) -> tuple[str, int, float]:
        """Status of requirement ``r`` for an earner holding ``units`` (cosines ``sims``), the position of the
        evidence among ``units`` and its cosine.

        A status needs its cosine *and* a share of the requirement's specific words (``covered_share`` /
        ``partial_share``, :mod:`~mosaics_match.matching.evidence`); the best status any held unit reaches wins,
        then the higher cosine. Only the closest held units are looked at.
        """
        cfg = self.config
        order = np.argsort(-sims, kind="stable")[:_STATUS_CANDIDATES]
        order = order[sims[order] >= cfg.partial_similarity]
        held = [int(units[j]) for j in order]
        terms = self._requirement_terms(q, r, cache)
        shares = terms.shares if terms is not None else None
        best: tuple[int, float, int] = (0, 0.0, int(order[0]) if order.size else 0)
        for j, u in zip(order.tolist(), held):
            sim = float(sims[j])
            share = float(shares[u]) if shares is not None else 1.0
            rank_ = (2 if sim >= cfg.covered_similarity and share >= cfg.covered_share else
                     1 if share >= cfg.partial_share else 0)
            if (rank_, sim) > best[:2]:
                best = (rank_, sim, j)
        status = ("missing", "partial", "covered")[best[0]]
        return status, best[2], best[1] if best[0] else float(sims.max())

    def _explain(
        self, q: _Query, earner: int, cutoff: int | None, cache: dict
    ) -> tuple[list[RequirementMatch], list[tuple[str, float]]]:
        """Status and best held evidence of every requirement for one earner, and the posting's "why" words."""
        lo, hi = int(self.e_indptr[earner]), int(self.e_indptr[earner + 1])
        pos = np.arange(lo, hi)
        if cutoff is not None:
            pos = pos[self.e_issued[pos] > cutoff]
        n_req = len(q.requirements)
        cfg = self.config
        units = self.e_unit[pos]
        if units.size:
            held_sim = q.unit_sim[:n_req, units]
            best_j = held_sim.argmax(axis=1)
            best = held_sim[np.arange(n_req), best_j]
        else:
            best_j = np.zeros(n_req, dtype=np.int64)
            best = np.zeros(n_req, dtype=np.float32)
        out: list[RequirementMatch] = []
        pairs: list[tuple[int, int, float]] = []
        for r, req in enumerate(q.requirements):
            sim = float(best[r])
            status, j = "missing", int(best_j[r])
            if units.size and sim >= cfg.partial_similarity:
                status, j, sim = self._status(q, r, units, held_sim[r], cache)
            evidence = None
            if status != "missing":
                u = int(units[j])
                c = self._best_competency(q, r, u, cache)
                cred_pos = int(self.e_cred[pos[j]])
                cred_id = (str(self.credential_ids[cred_pos]) if self.credential_ids is not None
                           else f"entry:{cred_pos}")
                req_terms = self._requirement_terms(q, r, cache)
                shared = req_terms.shared_words(u) if req_terms is not None else ()
                evidence = Covered(req.text, self.competency_ids[c], self.competency_names[c], cred_id, sim,
                                   status, shared)
                pairs.append((r, int(self._unit_rows_of(np.array([c]))[0]),
                              credit_of(sim, cfg, floor=0.0) * float(q.req_weights[r])))
            out.append(RequirementMatch(req, status, sim if units.size else 0.0, evidence,
                                        bool(q.matchable[r]), float(q.req_weights[r])))
        terms = self.competencies.why_terms(q.texts, pairs, cfg.n_terms, query_matrix=q.query_matrix,
                                            _cache=cache)
        return out, terms


def _assemble(
    cat: _Catalogue,
    unit_achievement: list[str],
    unit_comps: list[np.ndarray],
    earner_ids: Sequence[str],
    entry_earner: np.ndarray,
    entry_unit: np.ndarray,
    entry_issued: np.ndarray,
    credential_ids: Sequence[str] | None,
    config: MatchConfig,
) -> EarnerIndex:
    n_e = len(earner_ids)
    n_u = len(unit_achievement)
    entry_earner = np.asarray(entry_earner, dtype=np.int32)
    entry_unit = np.asarray(entry_unit, dtype=np.int32)
    entry_issued = np.asarray(entry_issued, dtype=np.int32)
    if entry_earner.size and (entry_earner.min() < 0 or entry_earner.max() >= n_e):
        raise ValueError("entry_earner out of range")
    if entry_unit.size and (entry_unit.min() < 0 or entry_unit.max() >= n_u):
        raise ValueError("entry_achievement out of range")
    # One entry per (earner, achievement unit): the latest credential stands for re-issued ones, so evidence is
    # not counted twice and ``issued_after`` sees the most recent issue.
    # One sort on a combined (earner, unit) key; within a key, input order (stable), then the latest issue.
    pair = entry_earner.astype(np.int64) * max(n_u, 1) + entry_unit
    order = np.argsort(pair, kind="stable")
    del pair
    if order.size:
        e_sorted, u_sorted = entry_earner[order], entry_unit[order]
        first = np.empty(order.size, dtype=bool)
        first[0] = True
        np.not_equal(e_sorted[1:], e_sorted[:-1], out=first[1:])
        first[1:] |= u_sorted[1:] != u_sorted[:-1]
        del e_sorted, u_sorted
        if not first.all():
            group = np.cumsum(first, dtype=np.int32) - 1
            issued = entry_issued[order]
            latest = np.maximum.reduceat(issued, np.flatnonzero(first))
            best = np.flatnonzero(issued == latest[group])
            del issued, latest
            g = group[best]
            del group
            order = order[best[np.r_[True, g[1:] != g[:-1]]]]
            del best, g
        del first
    # int32 as soon as it is final: it is kept (``e_cred``) and the int64 copy would add to the build's peak.
    order = order.astype(np.int32)
    e_unit = entry_unit[order]
    e_issued = entry_issued[order]
    counts = np.bincount(entry_earner[order], minlength=n_e).astype(np.int32)
    e_indptr = np.zeros(n_e + 1, dtype=np.int64)
    np.cumsum(counts, out=e_indptr[1:])
    e_earner = entry_earner[order]
    del entry_earner, entry_issued
    # Within a unit, holders are ordered by how many units they hold, so a query can take only the holders
    # that hold few enough units to reach a threshold (see ``EarnerIndex._pruned_candidates``).
    cap = int(min(counts.max(), _COUNT_CAP)) if n_e and counts.size else 0
    key_type = np.int32 if n_u * (cap + 2) < 2**31 else np.int64
    key: np.ndarray = e_unit.astype(key_type) * (cap + 1)
    key += np.minimum(counts, cap).astype(key_type)[e_earner]
    order2 = np.argsort(key, kind="stable")
    key = key[order2]
    u_earner = e_earner[order2]
    del e_earner
    u_issued = e_issued[order2]
    del order2
    u_indptr = np.zeros(n_u + 1, dtype=np.int64)
    np.cumsum(np.bincount(e_unit, minlength=n_u), out=u_indptr[1:])
    # u_cstart[u, c]: first posting of unit u whose holder holds >= c units (c capped at ``cap``).
    grid = np.arange(n_u, dtype=np.int64)[:, None] * (cap + 1) + np.arange(cap + 2, dtype=np.int64)[None, :]
    u_cstart = np.searchsorted(key, grid.astype(key_type)).astype(np.int64)
    del key
    u_held = _held_table(e_unit, e_indptr, counts, u_earner, n_u)
    lengths = np.array([len(c) for c in unit_comps], dtype=np.int64)
    unit_indptr = np.zeros(n_u + 1, dtype=np.int64)
    np.cumsum(lengths, out=unit_indptr[1:])
    unit_comp = (np.concatenate(unit_comps) if unit_comps else np.zeros(0)).astype(np.int64)
    by_ach: dict[str, list[int]] = {}
    for u, a in enumerate(unit_achievement):
        by_ach.setdefault(a, []).append(u)
    return EarnerIndex(
        competencies=cat.index, competency_names=cat.names, unit_achievement=unit_achievement,
        unit_indptr=unit_indptr, unit_comp=unit_comp, earner_ids=earner_ids, e_indptr=e_indptr,
        e_unit=e_unit, e_issued=e_issued, e_cred=order, credential_ids=credential_ids,
        u_indptr=u_indptr, u_earner=u_earner, u_issued=u_issued, config=config, u_cstart=u_cstart,
        u_held=u_held,
        _units_of_achievement={a: np.array(u, dtype=np.int64) for a, u in by_ach.items()},
        competency_ids=cat.ids, competency_number=cat.number, competency_row=cat.row,
        evidence=EvidenceTerms(cat.texts, config),
    )


def _fold_table(rows: np.ndarray, unit_indptr: np.ndarray) -> np.ndarray:
    """Index rows of each unit's competencies, one column per unit, padded by repeating the unit's first row.

    Parameters
    ----------
    rows
        Index row of every unit competency (unit-major).
    unit_indptr
        Each unit's slice of ``rows``.

    Returns
    -------
    np.ndarray
        ``(most competencies in a unit) x n_units`` (the max over a column is the unit's max, whatever the sign of
        the values); empty when padding would more than double the work (a few very large units).
    """
    sizes = np.diff(unit_indptr)
    width = int(sizes.max()) if sizes.size else 0
    if width == 0 or width * sizes.size > 2 * rows.size + 1024:
        return np.zeros((0, 0), dtype=np.int64)
    table = np.repeat(rows[unit_indptr[:-1]][None, :], width, axis=0)
    for k in range(1, width):
        has = np.flatnonzero(sizes > k)
        table[k, has] = rows[unit_indptr[has] + k]
    return table


def _held_table(e_unit: np.ndarray, e_indptr: np.ndarray, counts: np.ndarray, u_earner: np.ndarray,
                n_units: int) -> np.ndarray:
    """Per posting, the units its holder holds (see ``EarnerIndex.u_held``).

    Parameters
    ----------
    e_unit, e_indptr, counts
        Each earner's units (earner-major) and how many.
    u_earner
        The holder of each posting, in posting order.
    n_units
        Number of units: ``n_units`` pads a row, ``n_units + 1`` fills the rows of earners holding more units than
        the table is wide.

    Returns
    -------
    np.ndarray
        ``len(u_earner) x min(max(counts), _HELD_WIDTH)`` (at least one column), uint16 when the units fit.
    """
    width = int(min(counts.max(), _HELD_WIDTH)) if counts.size else 1
    width = max(width, 1)
    dtype = np.uint16 if n_units + 2 <= 2**16 else np.uint32
    out = np.empty((u_earner.size, width), dtype=dtype)
    starts = e_indptr[:-1]
    wide = counts > width
    # Column by column through a one-column-per-earner buffer, in slices: whole-length index temporaries (int64
    # copies of int32 arrays) would raise the build's peak by more than the table itself.
    column = np.empty(counts.size, dtype=dtype)
    step = 1 << 18
    for j in range(width):
        column.fill(n_units)
        for lo in range(0, counts.size, step):
            has = np.flatnonzero(counts[lo : lo + step] > j) + lo
            column[has] = e_unit[starts[has] + j]
        column[wide] = n_units + 1
        for lo in range(0, u_earner.size, step):
            out[lo : lo + step, j] = column[u_earner[lo : lo + step]]
    return out


@dataclass
class _Catalogue:
    index: CompetencyIndex  # one row per distinct text
    names: list[str]  # per competency number
    ids: list[str]  # per competency number
    number: dict[str, int]  # competency id -> number
    row: np.ndarray  # competency number -> index row
    by_achievement: dict[str, list[int]]  # achievement id -> competency numbers
    texts: list[str] = field(default_factory=list)  # indexed text per index row


def _competency_catalogue(competencies: Mapping[str, Competency | str], config: MatchConfig) -> _Catalogue:
    """Index the competencies with one row per distinct (text, title): identical texts from different
    achievements or issuers are vectorised and scored once."""
    items: list[tuple[str, str, str]] = []
    names: list[str] = []
    ids: list[str] = []
    rows: list[int] = []
    row_of_text: dict[tuple[str, str], int] = {}
    by_ach: dict[str, list[int]] = {}
    for i, (cid, comp) in enumerate(competencies.items()):
        if isinstance(comp, Competency):
            aliases = esco_aliases(comp.esco_uri, comp.esco_label) if config.esco_enrichment else ""
            title = " ".join(p for p in (comp.name, comp.esco_label or "", aliases) if p)
            text = comp.text(aliases)
            names.append(comp.name)
            if comp.achievement_id is not None:
                by_ach.setdefault(str(comp.achievement_id), []).append(i)
        else:
            text = title = str(comp)
            names.append(str(comp)[:80])
        ids.append(str(cid))
        key = (text, title)
        row = row_of_text.get(key)
        if row is None:
            row = row_of_text[key] = len(items)
            items.append((str(cid), text, title))
        rows.append(row)
    if len(set(ids)) != len(ids):
        raise ValueError("competency ids must be unique")
    index = build_competency_index(items, config=config)
    index.row_of.update(zip(ids, rows))
    return _Catalogue(index, names, ids, {c: n for n, c in enumerate(ids)}, np.asarray(rows, dtype=np.int64),
                      by_ach, [text for _, text, _ in items])


def build_index(
    *,
    competencies: Mapping[str, Competency | str],
    credentials: Mapping[str, CredentialRef],
    holdings: Mapping[str, Sequence[str]],
    config: MatchConfig | None = None,
) -> EarnerIndex:
    """Build the earner index from mappings (convenient up to ~100k credentials).

    Parameters
    ----------
    competencies
        Competency id -> :class:`Competency` (or plain text).
    credentials
        Credential id -> :class:`CredentialRef`. Pass only currently valid, verified credentials.
    holdings
        Earner id -> credential ids. Pass only consenting earners. Unknown credential ids are ignored.
    config
        ``MatchConfig()`` when omitted.

    Returns
    -------
    EarnerIndex
    """
    config = config or MatchConfig()
    cat = _competency_catalogue(competencies, config)
    comps_by_ach = cat.by_achievement
    unit_of: dict[tuple[str, tuple[int, ...]], int] = {}
    unit_achievement: list[str] = []
    unit_comps: list[np.ndarray] = []
    cred_unit: dict[str, int] = {}
    cred_day: dict[str, int] = {}
    for cred_id, ref in credentials.items():
        if ref.competency_ids:
            rows = [cat.number[c] for c in ref.competency_ids if c in cat.number]
        else:
            rows = comps_by_ach.get(str(ref.achievement_id), [])
        if not rows:
            continue  # nothing to match against
        key = (str(ref.achievement_id), tuple(sorted(set(rows))))
        if key not in unit_of:
            unit_of[key] = len(unit_achievement)
            unit_achievement.append(key[0])
            unit_comps.append(np.array(key[1], dtype=np.int64))
        cred_unit[str(cred_id)] = unit_of[key]
        cred_day[str(cred_id)] = _day(ref.issued_at)
    earner_ids = [str(e) for e in holdings]
    ee: list[int] = []
    eu: list[int] = []
    ei: list[int] = []
    cids: list[str] = []
    for e, (_, creds) in enumerate(holdings.items()):
        for c in dict.fromkeys(str(x) for x in creds):
            if c in cred_unit:
                ee.append(e)
                eu.append(cred_unit[c])
                ei.append(cred_day[c])
                cids.append(c)
    return _assemble(cat, unit_achievement, unit_comps, earner_ids, np.array(ee, dtype=np.int32),
                     np.array(eu, dtype=np.int32), np.array(ei, dtype=np.int32), cids, config)


def build_index_from_arrays(
    *,
    competencies: Mapping[str, Competency | str],
    achievements: Mapping[str, Sequence[str]],
    earner_ids: Sequence[str],
    entry_earner: np.ndarray,
    entry_achievement: np.ndarray,
    entry_issued: np.ndarray | None = None,
    credential_ids: Sequence[str] | None = None,
    config: MatchConfig | None = None,
) -> EarnerIndex:
    """Build the earner index from flat arrays (for 10^5-10^6 earners without per-credential Python objects).

    Parameters
    ----------
    competencies
        Competency id -> :class:`Competency` or text.
    achievements
        Achievement id -> competency ids; its order defines achievement numbers used by ``entry_achievement``.
    earner_ids
        Earner ids; position = earner number. Same data contract as :func:`build_index`.
    entry_earner, entry_achievement
        One entry per valid credential: earner number and achievement number.
    entry_issued
        Issue day per entry as days since 1970-01-01 (int), or ``None`` (then ``issued_after`` drops all).
    credential_ids
        Credential id per entry (entry order) for explanations; ``None`` reports ``"entry:<n>"``.
    """
    config = config or MatchConfig()
    cat = _competency_catalogue(competencies, config)
    ach_ids = [str(a) for a in achievements]
    unit_comps = [np.array(sorted({cat.number[c] for c in achievements[a] if c in cat.number}), dtype=np.int64)
                  for a in achievements]
    if any(len(u) == 0 for u in unit_comps):
        raise ValueError("every achievement needs at least one known competency")
    n = len(entry_earner)
    issued = np.full(n, _NO_DATE, dtype=np.int32) if entry_issued is None else np.asarray(entry_issued)
    return _assemble(cat, ach_ids, unit_comps, earner_ids, entry_earner, entry_achievement,
                     issued, credential_ids, config)


RequirementsInput = Sequence[Requirement] | str


def rank(
    index: EarnerIndex,
    requirements: RequirementsInput,
    *,
    limit: int = 50,
    min_score: float = 0.0,
    must_have_achievements: Sequence[str] = (),
    must_have_competencies: Sequence[str] = (),
    issued_after: date | datetime | None = None,
    explain: bool = True,
) -> list[Match]:
    """Rank earners by how well their credentials cover a posting's requirements.

    Parameters
    ----------
    index
        From :func:`build_index` / :func:`build_index_from_arrays`.
    requirements
        The posting's requirements (:class:`~mosaics_match.matching.requirements.Requirement`; lines with the
        same text count once), or a plain posting text, split with :func:`split_requirements`.
    limit
        Maximum number of matches.
    min_score
        Drop matches scoring below this (scores are in [0, 1]); earners with score 0 are never returned.
    must_have_achievements, must_have_competencies
        Keep only earners holding every listed achievement / competency (through a credential passing
        ``issued_after``). Unknown ids match nobody.
    issued_after
        Only credentials issued strictly after this date count, for scoring and for must-haves.
    explain
        Fill ``covered``, ``partial``, ``missing``, ``requirements`` and ``terms`` (``False``: scores only).

    Returns
    -------
    list of Match
        Best first (ties: index order). Empty when no requirement reaches any competency of the catalogue
        (e.g. gibberish) or nobody passes the filters.

    Raises
    ------
    EmptyPostingError
        Posting empty or whitespace only, or no requirement with text.
    """
    q = index._query(requirements)
    if q is None or q.denominator == 0 or limit <= 0:
        return []
    cutoff = None if issued_after is None else _day(issued_after)
    allowed = index._allowed(tuple(must_have_achievements), tuple(must_have_competencies), cutoff)
    if allowed is not None and allowed.size == 0:
        return []

    unit_total = q.weights @ q.credit.astype(np.float64)  # weighted credit of each achievement unit
    floor = max(min_score, 1e-12)
    slack = 1e-6  # float32 exact sums vs float64 bounds
    cand = index._pruned_candidates(q, unit_total, limit, floor, cutoff, allowed)
    if cand is not None:
        return _finish(index, q, cand, limit, floor, cutoff, explain)

    relevant = np.flatnonzero(unit_total > 0)
    # Best achievements first, so the first gathered entries are a good seed for the score threshold.
    relevant = relevant[np.argsort(-unit_total[relevant], kind="stable")]
    pos, lengths = _ranges(index.u_indptr, relevant)
    weights = np.repeat(unit_total[relevant], lengths)
    if cutoff is not None:
        keep = index.u_issued[pos] > cutoff
        pos, weights = pos[keep], weights[keep]
    gathered = index.u_earner[pos]
    if gathered.size == 0:
        return []
    # Sum over held achievements of their summed credit bounds the max-per-requirement score from above.
    upper = np.bincount(gathered, weights=weights, minlength=index.n_earners)
    if allowed is not None:
        masked = np.zeros_like(upper)
        masked[allowed] = upper[allowed]
        upper = masked

    # Threshold pass: score a seed exactly; its k-th best score lower-bounds the final k-th best, so only
    # earners whose bound reaches it can make the list.
    seed = np.unique(gathered[: 64 * limit + 1024])
    seed = seed[upper[seed] >= floor]
    cand = None
    if seed.size >= limit:
        s_scores = index._exact(q, seed, cutoff)
        theta = max(float(np.partition(-s_scores, limit - 1)[limit - 1]) * -1.0, floor)
        cand = np.flatnonzero(upper >= max(theta - slack, 1e-12))
        if cand.size > 50_000:
            cand = None
    if cand is None:  # loose bounds or few candidates: exact scores in growing batches of the best bounds
        pool = np.flatnonzero(upper >= max(floor - slack, 1e-12))
        if pool.size == 0:
            return []
        pool_upper = upper[pool]
        batch = max(4 * limit, 256)
        while True:
            if batch >= pool.size:
                cand, rest_max = pool, -1.0
            else:
                part = np.argpartition(-pool_upper, batch - 1)
                cand = pool[part[:batch]]
                rest_max = float(pool_upper[part[batch:]].max())
            scores = index._exact(q, cand, cutoff)
            ok = scores >= floor
            top = np.lexsort((cand[ok], -scores[ok]))[:limit]
            kth = float(scores[ok][top[-1]]) if top.size == limit else -1.0
            if rest_max < 0 or kth > rest_max + slack:
                break
            batch *= 4
    return _finish(index, q, cand, limit, floor, cutoff, explain)


def count_covering(
    index: EarnerIndex,
    requirements: RequirementsInput,
    *,
    min_coverage: float | None = None,
    must_have_achievements: Sequence[str] = (),
    must_have_competencies: Sequence[str] = (),
    issued_after: date | datetime | None = None,
) -> int:
    """How many earners score at least ``min_coverage`` for a posting, without ranking them.

    The count is exact: it equals the number of matches :func:`rank` returns with ``min_score=min_coverage``
    and an unlimited ``limit``, but only earners whose score bound reaches the threshold are scored.

    Parameters
    ----------
    index
        From :func:`build_index` / :func:`build_index_from_arrays`.
    requirements
        As for :func:`rank`.
    min_coverage
        Minimum score, i.e. the weighted share of the requirements covered (partial evidence counting in
        part). Default: the lower edge of the ``partial`` band (``config.band_thresholds[2]``). ``0`` counts
        every earner with a positive score.
    must_have_achievements, must_have_competencies, issued_after
        Filters, as for :func:`rank`.

    Returns
    -------
    int

    Raises
    ------
    EmptyPostingError
        As for :func:`rank`.
    """
    q = index._query(requirements)
    if q is None or q.denominator == 0:
        return 0
    cutoff = None if issued_after is None else _day(issued_after)
    allowed = index._allowed(tuple(must_have_achievements), tuple(must_have_competencies), cutoff)
    if allowed is not None and allowed.size == 0:
        return 0
    floor = max(index.config.band_thresholds[2] if min_coverage is None else float(min_coverage), 1e-12)
    mask = None
    if allowed is not None:
        mask = np.zeros(index.n_earners, dtype=bool)
        mask[allowed] = True
    return index._count_reaching(q, q.weights @ q.credit.astype(np.float64), floor, cutoff, mask)


def _finish(index: EarnerIndex, q: _Query, cand: np.ndarray, limit: int, floor: float, cutoff: int | None,
            explain: bool) -> list[Match]:
    if cand.size == 0:
        return []
    scores = index._exact(q, cand, cutoff)
    ok = scores >= floor
    cand, scores = cand[ok], scores[ok]
    order = np.lexsort((cand, -scores))[:limit]

    out: list[Match] = []
    cache: dict = {}
    for i in order:
        e = int(cand[i])
        s = float(min(scores[i], 1.0))
        band = band_for(s, index.config)
        if not explain:
            out.append(Match(str(index.earner_ids[e]), s, band, [], [], []))
            continue
        per_req, terms = index._explain(q, e, cutoff, cache)
        covered = [r.evidence for r in per_req if r.status == "covered" and r.evidence is not None]
        partial = [r.evidence for r in per_req if r.status == "partial" and r.evidence is not None]
        missing = [r.requirement.text for r in per_req if r.status == "missing"]
        out.append(Match(str(index.earner_ids[e]), s, band, covered, missing, terms, partial, per_req))
    return out


__all__ = [
    "Competency", "CredentialRef", "Covered", "Match", "EarnerIndex", "EmptyPostingError", "RequirementMatch",
    "build_index", "build_index_from_arrays", "count_covering", "rank",
]


