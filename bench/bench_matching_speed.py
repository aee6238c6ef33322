"""Speed / memory benchmark of earner ranking at 10k, 100k and 1M synthetic earners.

Command (from the repository root)::

    python bench/bench_matching_speed.py            # 10k, 100k, 300k, 1M earners, plus 1M with 20 % external
    python bench/bench_matching_speed.py --quick    # 10k and 100k only

Each (engine, size) runs in its own subprocess so ``ru_maxrss`` is that run's peak resident memory (it
includes the interpreter, numpy/scipy/scikit-learn and the synthetic input arrays). Earners hold 1-6
credentials (Zipf-like popularity) from a catalogue of 5,000 achievements (~12.5k competencies) built by
``mosaics_match.matching.fixtures``; ``ours-ext20`` adds achievements from other issuers so that 20 % of the
achievements (and their competency texts, all distinct) are external. Queries are 60 synthetic postings given
as 6 ``Requirement`` lines each (one must-have, two nice-to-haves), after 3 warm-up queries, with the engine's
per-index query memo cleared before each one. Reported per query (wall clock; CPU time alongside, the better
figure on a shared machine):

* ``query``: ``rank(index, requirements, limit=20, explain=False)``, the engine's single-posting query;
* ``explained``: the same with ``explain=True`` (covered / partial / missing and terms for 20);
* ``page``: what the partner page needs for one search: ``rank(..., limit=50, explain=True)`` plus
  ``count_covering`` at the default (partial band) and at 0 (every earner with a positive score).

The naive baseline is one TF-IDF vector per earner over the concatenated competency texts (scikit-learn
defaults), cosine to the posting, argpartition top-20; it runs up to ``--naive-max`` earners (default 300k: at
1M its per-earner documents alone need several GB).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

N_ACHIEVEMENTS = 5000
N_QUERIES = 60
LIMIT = 20


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _time_queries(fn, postings: list[str]) -> dict[str, float]:
    for p in postings[:3]:
        fn(p)
    wall, cpu = [], []
    for p in postings:
        w0, c0 = time.perf_counter(), time.process_time()
        fn(p)
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return {
        "median_ms": float(np.median(wall) * 1e3), "p95_ms": float(np.percentile(wall, 95) * 1e3),
        "cpu_median_ms": float(np.median(cpu) * 1e3), "cpu_p95_ms": float(np.percentile(cpu, 95) * 1e3),
    }


def child(engine: str, n: int) -> dict:
    from mosaics_match.matching import build_index_from_arrays, count_covering, rank
    from mosaics_match.matching.fixtures import make_catalogue, make_earners, make_requirements

    rss_start = _rss_mb()
    cat = make_catalogue(N_ACHIEVEMENTS, seed=0, external_share=0.2 if engine == "ours-ext20" else 0.0)
    earners = make_earners(cat, n, seed=0)
    postings = [make_requirements(cat, seed=1000 + s) for s in range(N_QUERIES)]
    rss_data = _rss_mb()
    out: dict = {"engine": engine, "n": n, "credentials": int(earners.entry_earner.size),
                 "competencies": len(cat.competencies)}
    if engine.startswith("ours"):
        from mosaics_match.matching import MatchConfig

        t0 = time.perf_counter()
        index = build_index_from_arrays(
            competencies=cat.competencies, achievements=cat.achievements, earner_ids=earners.earner_ids,
            entry_earner=earners.entry_earner, entry_achievement=earners.entry_achievement,
            entry_issued=earners.entry_issued, config=MatchConfig(),
        )
        out["build_s"] = time.perf_counter() - t0
        out["index_array_mb"] = index.nbytes() / 2**20
        out["index_rows"] = len(index.competencies)

        def cold(fn):
            def call(p):
                index._query_memo.clear()
                return fn(p)
            return call

        def page(p):
            rank(index, p, limit=50, explain=True)
            count_covering(index, p)
            count_covering(index, p, min_coverage=0.0)

        out.update(_time_queries(cold(lambda p: rank(index, p, limit=LIMIT, explain=False)), postings))
        for name, fn in (("explained", lambda p: rank(index, p, limit=LIMIT, explain=True)), ("page", page)):
            r = _time_queries(cold(fn), postings)
            out.update({f"{name}_{k}": v for k, v in r.items()})
    else:
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = {a: " ".join(cat.competencies[c].text() for c in comps) for a, comps in cat.achievements.items()}
        ach_text = list(texts.values())
        t0 = time.perf_counter()
        starts = np.r_[0, np.cumsum(np.bincount(earners.entry_earner, minlength=n))]
        docs = [" ".join(ach_text[a] for a in earners.entry_achievement[starts[e] : starts[e + 1]]) for e in range(n)]
        vec = TfidfVectorizer()
        X = vec.fit_transform(docs)
        del docs
        XT = X.T.tocsr()
        out["build_s"] = time.perf_counter() - t0

        def query(p) -> list[int]:
            s = (vec.transform(["\n".join(r.text for r in p)]) @ XT).toarray().ravel()
            top = np.argpartition(-s, LIMIT)[:LIMIT]
            return top[np.argsort(-s[top])].tolist()

        out.update(_time_queries(query, postings))
    out["peak_rss_mb"] = _rss_mb()
    out["rss_after_imports_mb"] = rss_start
    out["rss_after_data_mb"] = rss_data
    return out


def run(engine: str, n: int) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", engine, "--size", str(n)],
                          capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        return {"engine": engine, "n": n, "error": proc.stderr.strip().splitlines()[-1:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


ENGINES = ("ours", "ours-ext20", "naive")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--sizes", default=None, help="comma-separated earner counts")
    ap.add_argument("--naive-max", type=int, default=300_000)
    ap.add_argument("--ext-sizes", default="1000000", help="sizes that also run ours-ext20 (comma-separated)")
    ap.add_argument("--child", choices=ENGINES)
    ap.add_argument("--size", type=int)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.size)))
        return
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else (
        [10_000, 100_000] if args.quick else [10_000, 100_000, 300_000, 1_000_000])
    ext_sizes = {int(s) for s in args.ext_sizes.split(",") if s}
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores, shared; other jobs inflate wall times)")
    rows = []
    for n in sizes:
        res = {"ours": run("ours", n)}
        if n in ext_sizes:
            res["ours-ext20"] = run("ours-ext20", n)
        res["naive"] = run("naive", n) if n <= args.naive_max else {"skipped": f"> --naive-max {args.naive_max}"}
        rows.append((n, res))
        print(json.dumps(res), f"load {os.getloadavg()[0]:.2f}", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    hdr = ("| earners | credentials | engine | index rows | build s | query median ms | query p95 | query CPU median | "
           "explained median ms | page median ms | page p95 | page CPU median | peak RSS MB | query vs naive |")
    print("\n" + hdr)
    print("|" + "---|" * (hdr.count("|") - 1))
    for n, res in rows:
        naive = res.get("naive", {})
        for name, r in res.items():
            if "error" in r or "skipped" in r:
                print(f"| {n:,} | | {name} | {r.get('error') or r.get('skipped')} |" + " |" * 10)
                continue
            ratio = (f"{r['median_ms'] / naive['median_ms']:.2f}x" if name != "naive" and "median_ms" in naive
                     else "")
            g = lambda k, r=r: f"{r[k]:.1f}" if k in r else "–"  # noqa: E731
            print(f"| {n:,} | {r['credentials']:,} | {name} | {r.get('index_rows', '–')} | {r['build_s']:.2f} | "
                  f"{g('median_ms')} | {g('p95_ms')} | {g('cpu_median_ms')} | {g('explained_median_ms')} | "
                  f"{g('page_median_ms')} | {g('page_p95_ms')} | {g('page_cpu_median_ms')} | "
                  f"{r['peak_rss_mb']:.0f} | {ratio} |")
    print("\nTargets at 1M earners: query median <= 15 ms, page median <= 100 ms, build <= 10 s, peak <= 500 MB.")


if __name__ == "__main__":
    main()
