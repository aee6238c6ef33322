"""TF-IDF competency index: vectorise competency texts once, score postings and requirements against them."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

try:  # the multiply pass of scipy's sparse product (private; ``similarities_of`` falls back to ``@``)
    from scipy.sparse._sparsetools import csr_matmat as _csr_matmat
except ImportError:  # pragma: no cover
    _csr_matmat = None

from .config import MatchConfig
from .stem import stemmer
from .text import split_requirements, words
from .vocabulary import WordAnalyzer, generic_factors


class EmptyPostingError(ValueError):
    """Raised when a posting is empty or whitespace only (nothing to match)."""


class EmptyCatalogueError(ValueError):
    """Raised when an index is built from no competency text at all."""


@dataclass
class _Block:
    kind: str  # "word" or "char_wb"
    vectorizer: TfidfVectorizer
    scale: float  # sqrt of the block's share of the cosine
    offset: int  # first column of the block in the stacked matrix
    fitted: tuple | None = None  # (analyzer, vocabulary, idf, sublinear_tf) of the fitted vectoriser
    query_factor: np.ndarray | None = None  # per-feature weight applied to queries only


class TextEncoder:
    """One or two TF-IDF blocks (word / char_wb) stacked so that a dot product is the weighted mean cosine."""

    def __init__(self, config: MatchConfig) -> None:
        self.config = config
        rest = 1.0 - config.title_weight
        kinds = {"word": [("word", rest)], "char_wb": [("char_wb", rest)]}.get(
            config.analyzer, [("word", rest * (1.0 - config.char_weight)), ("char_wb", rest * config.char_weight)]
        ) + [("title", config.title_weight)]
        self.blocks: list[_Block] = []
        for kind, share in kinds:
            if share <= 0.0:
                continue
            if kind in ("word", "title"):
                analyzer = WordAnalyzer(config.word_ngram_range,
                                        ENGLISH_STOP_WORDS if config.stop_words == "english" else None,
                                        stemming=config.stemming)
                vec = TfidfVectorizer(analyzer=analyzer, sublinear_tf=config.sublinear_tf, min_df=config.min_df,
                                      max_df=config.max_df, dtype=np.float32)
            else:
                vec = TfidfVectorizer(
                    analyzer="char_wb", ngram_range=config.char_ngram_range, sublinear_tf=config.sublinear_tf,
                    min_df=config.min_df, max_df=min(config.max_df, config.char_max_df), dtype=np.float32,
                )
            self.blocks.append(_Block(kind, vec, float(np.sqrt(share)), 0))
        self.n_features = 0
        self.word_end = 0  # columns below this belong to the word block
        self.title_start = 0  # columns from here on belong to the title block (words too)

    def fit_transform(self, texts: Sequence[str], titles: Sequence[str] | None = None) -> sp.csr_matrix:
        """Fit every block and return the catalogue's stacked rows; the title block is fitted on ``titles``
        (short names / labels; default ``texts``), the others on ``texts``."""
        mats = []
        offset = 0
        if titles is None or not any(t.strip() for t in titles):
            titles = texts
        for b in self.blocks:
            vec = b.vectorizer
            if b.kind == "title":
                m = vec.fit_transform(titles)
                b.fitted, b.query_factor, b.offset = None, None, offset
                offset += m.shape[1]
                mats.append(m * b.scale)
                continue
            if isinstance(vec.max_df, float) and isinstance(vec.min_df, int) and vec.max_df * len(texts) < vec.min_df:
                # A catalogue of a handful of texts cannot have "n-grams in more than 20 % of them" pruned:
                # sklearn would refuse to fit. Keep every n-gram instead.
                vec.set_params(max_df=1.0)
            m = vec.fit_transform(texts)
            b.query_factor = None
            if b.kind == "word" and self.config.generic_strength > 0:
                # Words generic in postings ("experience", "team") weigh less in the cosine.
                factors = generic_factors(vec.get_feature_names_out(), self.config.generic_strength,
                                          self.config.generic_reference_share, stemming=self.config.stemming)
                if self.config.generic_side == "both":
                    vec.idf_ = (np.asarray(vec.idf_, dtype=np.float64) * factors).astype(np.float32)
                    m = vec.transform(texts)
                else:
                    b.query_factor = factors.astype(np.float32)
            b.fitted = None
            b.offset = offset
            offset += m.shape[1]
            mats.append(m * b.scale)
        self.n_features = offset
        self.word_end = next((b.offset for b in self.blocks if b.kind == "char_wb"), offset)
        if self.blocks and self.blocks[0].kind == "char_wb":
            self.word_end = 0
        self.title_start = next((b.offset for b in self.blocks if b.kind == "title"), offset)
        return sp.csr_matrix(sp.hstack(mats, format="csr", dtype=np.float32))

    def transform(self, texts: Sequence[str], *, sum_row: bool = False) -> sp.csr_matrix:
        """Stacked, block-scaled TF-IDF rows of ``texts`` (same values as the fitted vectorisers' ``transform``).

        With ``sum_row`` one more row follows: the TF-IDF of all ``texts`` counted together (the lines as one
        document, without n-grams across line ends), from the lines' counts without reading them again.

        Counting runs on the fitted analyzers and vocabularies directly (values match sklearn's to within one
        float32 rounding): sklearn's ``transform`` re-validates
        its parameters and input on every call, which costs more than the counting for a posting's few rows.
        """
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        n_rows = len(texts) + (1 if sum_row else 0)
        for b in self.blocks:
            r, c, v = self._block_rows(b, texts, sum_row)
            rows.append(r)
            cols.append(c + b.offset)
            vals.append(v)
        row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        order = np.argsort(row, kind="stable")
        indptr = np.zeros(n_rows + 1, dtype=np.int32)
        np.cumsum(np.bincount(row, minlength=n_rows), out=indptr[1:])
        col = (np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64))[order].astype(np.int32)
        val = (np.concatenate(vals) if vals else np.zeros(0, dtype=np.float32))[order]
        return sp.csr_matrix((val, col, indptr), shape=(n_rows, self.n_features))

    def _block_rows(self, b: _Block, texts: Sequence[str],
                    sum_row: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        fitted = b.fitted
        if fitted is None:
            vec = b.vectorizer
            idf = np.asarray(vec.idf_)
            if b.query_factor is not None:
                idf = (idf * b.query_factor).astype(np.float32)
            analyze = vec.build_analyzer()
            if b.kind == "char_wb":
                analyze = _WordwiseFeatures(analyze, vec.vocabulary_)
            fitted = b.fitted = (analyze, vec.vocabulary_, idf, bool(vec.sublinear_tf))
        analyze, vocab, idf, sublinear = fitted
        # Per text, its distinct features in first-seen order (the order scipy's product then sums them in).
        col: list[int] = []
        cnt: list[int] = []
        sizes: list[int] = []
        if isinstance(analyze, _WordwiseFeatures):
            for text in texts:
                counted = Counter(analyze(text))  # already feature numbers, all in the vocabulary
                col.extend(counted)
                cnt.extend(counted.values())
                sizes.append(len(counted))
        else:
            lookup = vocab.get
            for text in texts:
                counted = Counter(analyze(text))
                col.extend(map(lookup, counted, repeat(-1)))
                cnt.extend(counted.values())
                sizes.append(len(counted))
        n_rows = len(texts) + (1 if sum_row else 0)
        c = np.asarray(col, dtype=np.int64)
        v = np.asarray(cnt, dtype=np.float32)
        r = np.repeat(np.arange(len(texts), dtype=np.int64), sizes)
        known = c >= 0
        if not known.all():
            c, v, r = c[known], v[known], r[known]
        if sum_row:
            # The lines counted together: each feature once, in the order it first appears over the lines.
            uniq, first, inverse = np.unique(c, return_index=True, return_inverse=True)
            order = np.argsort(first, kind="stable")
            summed = np.bincount(inverse, weights=v, minlength=uniq.size)
            c = np.concatenate((c, uniq[order]))
            v = np.concatenate((v, summed[order].astype(np.float32)))
            r = np.concatenate((r, np.full(uniq.size, len(texts), dtype=np.int64)))
        if sublinear:
            np.log(v, out=v)
            v += np.float32(1.0)
        v *= idf[c]
        # Norms in float64: values agree with sklearn's ``transform`` to within one float32 rounding.
        norm = np.sqrt(np.bincount(r, weights=v.astype(np.float64) ** 2, minlength=n_rows))
        norm[norm == 0.0] = 1.0
        scaled = v.astype(np.float64) / norm[r] * b.scale
        return r, c, scaled.astype(np.float32)

    def feature_words(self, text: str) -> _FeatureWords:
        """Lazy map from a feature column present in ``text`` to the words of ``text`` it came from."""
        return _FeatureWords(self, text)

    def feature_name(self, col: int) -> tuple[str, str]:
        """``(block kind, feature string)`` of a stacked column."""
        for b in reversed(self.blocks):
            if col >= b.offset:
                if not hasattr(b, "names"):
                    b.names = b.vectorizer.get_feature_names_out()  # type: ignore[attr-defined]
                return b.kind, str(b.names[col - b.offset])  # type: ignore[attr-defined]
        raise IndexError(col)


class _WordwiseFeatures:
    """A ``char_wb`` analyzer as feature numbers, memoised per word.

    ``char_wb`` n-grams never cross a word boundary, so a text's n-grams are its words' n-grams in order; the
    n-grams of a word and their vocabulary lookups are done once per distinct word, not once per occurrence in
    every query. Returns the feature numbers of the in-vocabulary n-grams, in n-gram order.
    """

    _MAX_WORDS = 200_000  # memory bound: the memo is dropped and rebuilt past this many distinct words

    def __init__(self, analyze: Callable[[str], list[str]], vocabulary: Mapping[str, int]) -> None:
        self.analyze = analyze
        self.vocabulary = vocabulary
        self.memo: dict[str, list[int]] = {}

    def __call__(self, text: str) -> list[int]:
        memo = self.memo
        out: list[int] = []
        # sklearn's char_wb analyzer lower-cases, then takes the n-grams of each whitespace-separated word.
        for w in text.lower().split():
            feats = memo.get(w)
            if feats is None:
                if len(memo) >= self._MAX_WORDS:
                    memo.clear()
                lookup = self.vocabulary.get
                feats = memo[w] = [j for j in map(lookup, self.analyze(w)) if j is not None]
            out += feats
        return out


class _FeatureWords:
    """Resolves feature columns to posting words on demand (only the few features that matched)."""

    def __init__(self, encoder: TextEncoder, text: str) -> None:
        self.encoder = encoder
        self.words = list(dict.fromkeys(words(text)))
        self.padded = [f" {w} " for w in self.words]
        # Word features come from the word block's own tokens ("play-based" is "play" and "based" there), so
        # they are matched against those, not against the display words above.
        analyzer = next((b.vectorizer.analyzer for b in encoder.blocks
                         if isinstance(b.vectorizer.analyzer, WordAnalyzer)), None)
        if analyzer is not None:
            pairs = list(dict.fromkeys(analyzer.spelled_tokens(text)))
            self.stem_words = [w for w, _ in pairs]
            self.keys = [k for _, k in pairs]
        else:
            f = stemmer(encoder.config.stemming)
            self.stem_words = self.words
            self.keys = [f(w) for w in self.words] if f is not None else self.words
        self.memo: dict[int, list[str]] = {}

    def get(self, col: int) -> list[str]:
        hit = self.memo.get(col)
        if hit is None:
            kind, name = self.encoder.feature_name(col)
            if kind in ("word", "title"):
                # Word features are stems: report the posting's own words that produced them.
                parts = name.split()
                hit = [w for w, k in zip(self.stem_words, self.keys) if k in parts] or parts
            else:  # char_wb n-grams are taken from " word " (space padded)
                hit = [w for w, p in zip(self.words, self.padded) if name in p]
            self.memo[col] = hit
        return hit


@dataclass
class CompetencyIndex:
    """Fitted TF-IDF vectors of a competency catalogue.

    Attributes
    ----------
    ids
        Competency ids in row order.
    matrix
        ``len(ids) x n_features`` CSR matrix; a row dot a transformed query is the (block-weighted) cosine.
    """

    ids: list[str]
    encoder: TextEncoder
    matrix: sp.csr_matrix
    config: MatchConfig
    row_of: dict[str, int] = field(default_factory=dict)
    _matrix_t: sp.csr_matrix | None = None

    def __post_init__(self) -> None:
        self.row_of = {cid: i for i, cid in enumerate(self.ids)}
        self._matrix_t = sp.csr_matrix(self.matrix.T)

    def __len__(self) -> int:
        return len(self.ids)

    def similarities(self, texts: Sequence[str]) -> np.ndarray:
        """Dense ``len(texts) x len(self)`` cosine matrix (float32)."""
        return self.similarities_of(self.encoder.transform(list(texts)))

    def similarities_of(self, query_matrix: sp.csr_matrix) -> np.ndarray:
        """Dense cosine matrix for already transformed queries (rows of :meth:`query_vectors`)."""
        q = sp.csr_matrix(query_matrix)
        xt = self._matrix_t
        assert xt is not None, "fitted: the transposed matrix is built with the index"
        n_rows, n_cols = q.shape[0], xt.shape[1]
        if _csr_matmat is not None and n_rows * n_cols < 2**31:
            # scipy's ``@`` first counts the product's non-zeros in a separate pass; a posting's product has at
            # most rows x competencies entries, so allocate that and run the multiply pass alone.
            try:
                cap = n_rows * n_cols
                indptr = np.empty(n_rows + 1, dtype=np.int32)
                indices = np.empty(cap, dtype=np.int32)
                data = np.empty(cap, dtype=np.float32)
                _csr_matmat(n_rows, n_cols, q.indptr.astype(np.int32, copy=False),
                            q.indices.astype(np.int32, copy=False), q.data.astype(np.float32, copy=False),
                            xt.indptr.astype(np.int32, copy=False), xt.indices.astype(np.int32, copy=False),
                            xt.data.astype(np.float32, copy=False), indptr, indices, data)
                nnz = int(indptr[-1])
                out = sp.csr_matrix((data[:nnz], indices[:nnz], indptr), shape=(n_rows, n_cols))
                return np.asarray(out.toarray(), dtype=np.float32)
            except (TypeError, ValueError):  # private scipy API changed: fall back to the public operator
                pass
        return np.asarray((q @ xt).toarray(), dtype=np.float32)

    def query_vectors(self, texts: Sequence[str], *, sum_row: bool = False) -> sp.csr_matrix:
        return self.encoder.transform(list(texts), sum_row=sum_row)

    def why_terms(
        self, requirement_texts: Sequence[str], pairs: Iterable[tuple[int, int, float]], n: int,
        *, query_matrix: sp.csr_matrix | None = None, _cache: dict | None = None,
    ) -> list[tuple[str, float]]:
        """Posting words that carried the matches ``(requirement index, competency row, weight)``.

        A pair's contribution per feature is ``q_f * x_f`` (its share of the cosine); it is split evenly over
        the requirement words that produced the feature and summed over pairs, weighted by ``weight``.
        ``query_matrix`` (the transformed requirements) saves re-vectorising them.
        """
        cache = _cache if _cache is not None else {}
        totals: dict[str, float] = defaultdict(float)
        X = self.matrix
        for r, c, weight in pairs:
            contrib = cache.get((r, c))
            if contrib is None:
                qkey = ("q", r)
                if qkey not in cache:
                    qm, row = ((query_matrix, r) if query_matrix is not None
                               else (self.encoder.transform([requirement_texts[r]]), 0))
                    cols = qm.indices[qm.indptr[row] : qm.indptr[row + 1]]
                    vals = qm.data[qm.indptr[row] : qm.indptr[row + 1]]
                    order = np.argsort(cols)
                    cache[qkey] = (cols[order], vals[order], self.encoder.feature_words(requirement_texts[r]))
                q_cols, q_vals, fmap = cache[qkey]
                lo, hi = X.indptr[c], X.indptr[c + 1]
                common, qi, xi = np.intersect1d(q_cols, X.indices[lo:hi], assume_unique=True, return_indices=True)
                vals = q_vals[qi] * X.data[lo:hi][xi]
                # Whole shared words read better (and are far fewer) than character n-grams; fall back to the
                # n-grams only when no word is shared (e.g. "programming" vs "programmer").
                in_words = (common < self.encoder.word_end) | (common >= self.encoder.title_start)
                if in_words.any():
                    common, vals = common[in_words], vals[in_words]
                contrib = defaultdict(float)
                for col, val in zip(common.tolist(), vals.tolist()):
                    ws = fmap.get(col)
                    if not ws:
                        continue
                    share = val / len(ws)
                    for w in ws:
                        contrib[w] += share
                cache[(r, c)] = contrib
            for w, v in contrib.items():
                totals[w] += v * weight
        ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
        return [(w, float(v)) for w, v in ranked[:n] if v > 0]


def build_competency_index(
    items: Iterable[tuple[str, str] | tuple[str, str, str]], *, config: MatchConfig | None = None
) -> CompetencyIndex:
    """Fit a TF-IDF competency index.

    Parameters
    ----------
    items
        ``(competency_id, text)`` or ``(competency_id, text, title)``; ids must be unique. The text is
        typically name + ESCO labels + description, the title the short part (name and ESCO labels), which
        the title block (``MatchConfig.title_weight``) matches on its own.
    config
        Vectoriser settings; ``MatchConfig()`` when omitted.

    Returns
    -------
    CompetencyIndex

    Raises
    ------
    EmptyCatalogueError
        No items, or no item with any indexable term.
    ValueError
        Duplicate ids.
    """
    config = config or MatchConfig()
    pairs = [tuple(p) for p in items]
    ids = [str(p[0]) for p in pairs]
    if len(set(ids)) != len(ids):
        raise ValueError("competency ids must be unique")
    if not pairs:
        raise EmptyCatalogueError("no competencies to index")
    encoder = TextEncoder(config)
    try:
        matrix = encoder.fit_transform([p[1] or "" for p in pairs],
                                       [(p[2] if len(p) > 2 else p[1]) or "" for p in pairs])
    except ValueError as exc:  # sklearn: "empty vocabulary"
        raise EmptyCatalogueError(f"no indexable competency text: {exc}") from exc
    return CompetencyIndex(ids=ids, encoder=encoder, matrix=matrix, config=config)


def _check_posting(posting: str) -> None:
    if posting is None or not str(posting).strip():
        raise EmptyPostingError("the posting is empty")


def competency_scores(index: CompetencyIndex, posting: str) -> np.ndarray:
    """Score of every competency for a posting, following ``index.config.posting_mode``."""
    _check_posting(posting)
    return competency_score_matrix(index, [posting])[0]


def competency_score_matrix(index: CompetencyIndex, postings: Sequence[str], *, chunk: int = 256) -> np.ndarray:
    """``len(postings) x len(index)`` scores (batched version of :func:`competency_scores`; empty postings
    score 0 everywhere)."""
    cfg = index.config
    out = np.zeros((len(postings), len(index)), dtype=np.float32)
    use_whole = cfg.posting_mode in ("whole", "mix")
    use_max = cfg.posting_mode in ("max", "mix")
    w_whole = cfg.mix_alpha if cfg.posting_mode == "mix" else 1.0
    w_max = (1.0 - cfg.mix_alpha) if cfg.posting_mode == "mix" else 1.0
    for lo in range(0, len(postings), chunk):
        part = [p or "" for p in postings[lo : lo + chunk]]
        if use_whole:
            out[lo : lo + len(part)] += w_whole * index.similarities(part)
        if use_max:
            reqs: list[str] = []
            owner: list[int] = []
            for i, p in enumerate(part):
                rs = split_requirements(p, max_requirements=cfg.max_requirements) or ([p] if p.strip() else [])
                reqs.extend(rs)
                owner.extend([i] * len(rs))
            if reqs:
                sims = index.similarities(reqs)
                owners = np.array(owner)
                starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
                best = np.maximum.reduceat(sims, starts, axis=0)
                out[lo + owners[starts]] += w_max * best
    return out


def rank_competencies(index: CompetencyIndex, posting: str, *, k: int = 50) -> list[tuple[str, float]]:
    """Rank the catalogue's competencies for a posting.

    Parameters
    ----------
    index
        From :func:`build_competency_index`.
    posting
        Posting text (one sentence or a whole ad).
    k
        Number of results.

    Returns
    -------
    list of (competency_id, score)
        Best first, only positive scores; ties keep catalogue order. Empty when nothing in the posting is
        in the catalogue's vocabulary.

    Raises
    ------
    EmptyPostingError
        Posting empty or whitespace only.
    """
    scores = competency_scores(index, posting)
    return _top_k(index.ids, scores, k)


def _top_k(ids: Sequence[str], scores: np.ndarray, k: int) -> list[tuple[str, float]]:
    if k <= 0:
        return []
    pos = np.flatnonzero(scores > 0)
    if pos.size > k:
        part = np.argpartition(-scores[pos], k - 1)[:k]
        pos = pos[part]
    order = np.lexsort((pos, -scores[pos]))
    return [(ids[i], float(scores[i])) for i in pos[order]]
