"""Speed / memory benchmark of earner ranking at 10k, 100k and 1M synthetic earners.

Command (from the repository root)::

    python bench/bench_matching_speed.py            # 10k, 100k, 1M earners (~3-4 min on 2 cores)
    python bench/bench_matching_speed.py --quick    # 10k and 100k only

Each (engine, size) runs in its own subprocess so ``ru_maxrss`` is that run's peak resident memory (it
includes the interpreter, numpy/scipy/scikit-learn and the synthetic input arrays). Earners hold 1-6
credentials (Zipf-like popularity) from a catalogue of 5,000 achievements (~12.5k competencies) built by
``mosaics_match.matching.fixtures``. Queries are 60 synthetic postings (6 requirements + title/filler lines),
``limit=20``, after 3 warm-up queries; wall-clock and process-CPU times per query are reported (CPU time is
the better figure on a shared machine). ``ours`` uses ``MatchConfig()``; ``ours-fast`` a cheaper profile
(word n-grams only, ``per_requirement_top=50``, no whole-posting term) that trades quality for speed. The naive baseline is one TF-IDF vector per earner over the
concatenated competency texts (scikit-learn defaults), cosine to the posting, argpartition top-20; it runs up
to ``--naive-max`` earners (default 100k: at 1M its per-earner documents alone need several GB).
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
# A cheaper profile for comparison: word n-grams only, fewer achievements per requirement (lower quality).
FAST = {"analyzer": "word", "per_requirement_top": 50, "whole_weight": 0.0}
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
    from mosaics_match.matching import build_index_from_arrays, rank
    from mosaics_match.matching.fixtures import make_catalogue, make_earners, make_posting

    rss_start = _rss_mb()
    cat = make_catalogue(N_ACHIEVEMENTS, seed=0)
    earners = make_earners(cat, n, seed=0)
    postings = [make_posting(cat, seed=1000 + s) for s in range(N_QUERIES)]
    rss_data = _rss_mb()
    out: dict = {"engine": engine, "n": n, "credentials": int(earners.entry_earner.size)}
    if engine.startswith("ours"):
        from mosaics_match.matching import MatchConfig

        config = MatchConfig(**FAST) if engine == "ours-fast" else MatchConfig()
        t0 = time.perf_counter()
        index = build_index_from_arrays(
            competencies=cat.competencies, achievements=cat.achievements, earner_ids=earners.earner_ids,
            entry_earner=earners.entry_earner, entry_achievement=earners.entry_achievement,
            entry_issued=earners.entry_issued, config=config,
        )
        out["build_s"] = time.perf_counter() - t0
        out["index_array_mb"] = index.nbytes() / 2**20
        out.update(_time_queries(lambda p: rank(index, p, limit=LIMIT), postings))
        fast = _time_queries(lambda p: rank(index, p, limit=LIMIT, explain=False), postings)
        out["noexplain_median_ms"] = fast["median_ms"]
        out["noexplain_cpu_median_ms"] = fast["cpu_median_ms"]
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

        def query(p: str) -> list[int]:
            s = (vec.transform([p]) @ XT).toarray().ravel()
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--sizes", default=None, help="comma-separated earner counts")
    ap.add_argument("--naive-max", type=int, default=100_000)
    ap.add_argument("--child", choices=["ours", "ours-fast", "naive"])
    ap.add_argument("--size", type=int)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.size)))
        return
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else (
        [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000])
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores; other jobs inflate wall times)")
    rows = []
    for n in sizes:
        ours = run("ours", n)
        fast = run("ours-fast", n)
        naive = run("naive", n) if n <= args.naive_max else {"skipped": f"> --naive-max {args.naive_max}"}
        rows.append((n, ours, fast, naive))
        print(json.dumps({"ours": ours, "ours-fast": fast, "naive": naive}), flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print(f"ours = MatchConfig() defaults; ours-fast = MatchConfig(**{FAST})")
    hdr = ("| earners | credentials | engine | build s | median ms | p95 ms | CPU median ms | CPU p95 ms | "
           "median ms (no explain) | peak RSS MB | median vs ours |")
    print("\n" + hdr)
    print("|" + "---|" * (hdr.count("|") - 1))
    for n, ours, fast, naive in rows:
        for name, r in (("ours", ours), ("ours-fast", fast), ("naive", naive)):
            if "error" in r or "skipped" in r:
                print(f"| {n:,} | | {name} | {r.get('error') or r.get('skipped')} | | | | | | | |")
                continue
            ratio = (r["median_ms"] / ours["median_ms"]) if name != "ours" and "median_ms" in ours else ""
            print(f"| {n:,} | {r['credentials']:,} | {name} | {r['build_s']:.2f} | {r['median_ms']:.1f} | "
                  f"{r['p95_ms']:.1f} | {r['cpu_median_ms']:.1f} | {r['cpu_p95_ms']:.1f} | "
                  f"{r.get('noexplain_median_ms', float('nan')):.1f} | {r['peak_rss_mb']:.0f} | "
                  f"{ratio if ratio == '' else f'{ratio:.1f}x'} |")


if __name__ == "__main__":
    main()
