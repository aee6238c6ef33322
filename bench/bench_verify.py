"""Verification throughput of the credential engine, compared with raw Ed25519 in the same run.

Command (from the repository root)::

    python bench/bench_verify.py                 # per-format rates + 10,000 mixed credentials with status checks
    python bench/bench_verify.py --per-format 300 --batch 2000   # quicker

Prints one table per part:

1. per format (eddsa-rdfc-2022, eddsa-jcs-2022, Ed25519Signature2020, VC-JWT EdDSA, baked PNG): full ``verify()``
   runs per second (every check, status lists included) and the ratio to raw Ed25519 signature checks/s
   measured in the same process (the floor cost of one signature);
2. a mixed batch (all formats, every credential with revocation + suspension status entries, 1 % revoked) through
   ``verify_many`` with 1 and 2 worker processes, and beside them the ceiling two cores can reach: two
   independent processes, each verifying half the batch with nothing sent between them. The scaling columns are
   rates divided by the 1-worker rate of the same run. Wall-clock rates are the only honest measure across
   processes: CPU time of pool workers is not reported to the parent until they are reaped, so an earlier
   "2 x credentials per CPU-second" projection undercounted their work and over-promised.

Inputs are bytes, as uploaded. All documents are served from memory (no network); every credential is distinct,
so no per-document cache helps.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives.asymmetric import ed25519

from mosaics_match.credentials import keys
from mosaics_match.credentials.bake import bake_png
from mosaics_match.credentials.build import build_credential, sign_credential
from mosaics_match.credentials.fetcher import DictFetcher
from mosaics_match.credentials.proofs import sign_data_integrity
from mosaics_match.credentials.status import StatusBits, build_status_list_credential, status_entry
from mosaics_match.credentials.trust import TrustRegistry
from mosaics_match.credentials.verifier import VerifyContext, verify, verify_many

NOW = datetime(2026, 6, 1, tzinfo=UTC)
BASE = "https://mosaics.example"
FORMATS = ["eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020", "jwt", "png"]


class World:
    """One issuer, its two status lists, and a fetcher serving them."""

    def __init__(self, revoked_share: float = 0.01, seed: int = 7) -> None:
        self.key = keys.generate_ed25519()
        self.did = keys.did_key_for(keys.public_key_of(self.key))
        self.vm = keys.did_key_verification_method(self.did)
        self.fetcher = DictFetcher()
        self.rng = random.Random(seed)
        self.revoked_share = revoked_share
        self.revocation = StatusBits()
        self.counter = 0
        buf = io.BytesIO()
        from PIL import Image

        Image.new("RGB", (64, 64), (30, 90, 160)).save(buf, "PNG")
        self.png = buf.getvalue()

    def publish(self) -> None:
        for purpose, bits in (("revocation", self.revocation), ("suspension", StatusBits())):
            url = f"{BASE}/status/{purpose}-1"
            doc = build_status_list_credential(list_url=url, issuer=self.did, purpose=purpose, bits=bits,
                                               valid_from=NOW - timedelta(days=1))
            self.fetcher.add(url, sign_data_integrity(doc, self.key, verification_method=self.vm,
                                                      cryptosuite="eddsa-rdfc-2022", created=NOW))

    def credential(self, fmt: str) -> bytes | dict | str:
        self.counter += 1
        n = self.counter
        if self.rng.random() < self.revoked_share:
            self.revocation.set(n)
        unsigned = build_credential(
            credential_id=f"urn:uuid:7f000000-0000-4000-8000-{n:012d}",
            issuer={"id": self.did, "name": "Seneca Polytechnic", "url": "https://www.senecapolytechnic.ca"},
            achievement={"id": f"{BASE}/achievements/a{n % 50}", "name": f"Micro-credential {n % 50}",
                         "description": "Applied skills.", "criteria": "Passed the assessed project.",
                         "alignments": [{"targetName": f"skill {n % 13}", "targetUrl":
                                         f"http://data.europa.eu/esco/skill/{n % 13:08d}", "targetFramework": "ESCO"}],
                         "hours": 40, "level": "Intermediate"},
            recipient_email=f"earner{n}@example.com", salt=f"salt-{n:08d}", earner_name=f"Earner {n}",
            valid_from=NOW - timedelta(days=30), valid_until=NOW + timedelta(days=700),
            status=[status_entry(list_url=f"{BASE}/status/{p}-1", index=n, purpose=p)
                    for p in ("revocation", "suspension")])
        if fmt == "png":
            return bake_png(self.png, sign_credential(unsigned, self.key, fmt="eddsa-rdfc-2022", created=NOW))
        signed = sign_credential(unsigned, self.key, fmt=fmt, created=NOW)
        # as uploaded: bytes, not Python objects
        return signed.encode() if isinstance(signed, str) else json.dumps(signed).encode()

    def ctx(self) -> VerifyContext:
        return VerifyContext(clock=lambda: NOW, fetcher=self.fetcher, trust=TrustRegistry({self.did: "Seneca"}))


def _cpu() -> float:
    """CPU seconds used by this process and its finished children (the machine may be shared)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def raw_ed25519_rate(seconds: float = 1.0) -> tuple[float, float]:
    """(wall-clock rate, CPU-time rate) of raw Ed25519 signature checks."""
    key = ed25519.Ed25519PrivateKey.generate()
    pub = key.public_key()
    msg = os.urandom(64)
    sig = key.sign(msg)
    n, start, cpu = 0, time.perf_counter(), _cpu()
    while time.perf_counter() - start < seconds:
        for _ in range(200):
            pub.verify(sig, msg)
        n += 200
    return n / (time.perf_counter() - start), n / max(_cpu() - cpu, 1e-9)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--per-format", type=int, default=500, help="credentials per format in part 1")
    ap.add_argument("--batch", type=int, default=10_000, help="size of the mixed batch in part 2")
    args = ap.parse_args()

    world = World()
    print(f"generating {args.per_format} x {len(FORMATS)} + {args.batch} signed credentials ...", flush=True)
    per_format = {fmt: [world.credential(fmt) for _ in range(args.per_format)] for fmt in FORMATS}
    mixed = [world.credential(FORMATS[i % len(FORMATS)]) for i in range(args.batch)]
    world.publish()

    baseline, baseline_cpu = raw_ed25519_rate()
    print()
    print("wall = elapsed time; cpu = per CPU-second actually used (fairer on a shared machine);")
    print("ratios compare the same measure of raw Ed25519 signature checks in this run")
    print(f"{'format':<24}{'wall/s':>9}{'x Ed25519':>11}{'cpu/s':>9}{'x Ed25519':>11}   verdicts")
    print(f"{'raw Ed25519 verify':<24}{baseline:>9.0f}{1.0:>11.4f}{baseline_cpu:>9.0f}{1.0:>11.4f}")
    for fmt, items in per_format.items():
        ctx = world.ctx()
        verify(items[0], ctx=ctx)  # warm: status lists fetched and checked once
        start, cpu = time.perf_counter(), _cpu()
        results = [verify(item, ctx=ctx) for item in items[1:]]
        rate = (len(items) - 1) / (time.perf_counter() - start)
        rate_cpu = (len(items) - 1) / max(_cpu() - cpu, 1e-9)
        verdicts = {v: sum(r.verdict == v for r in results) for v in ("valid", "invalid", "indeterminate")}
        print(f"{fmt:<24}{rate:>9.0f}{rate / baseline:>11.4f}{rate_cpu:>9.0f}{rate_cpu / baseline_cpu:>11.4f}   "
              f"{verdicts}")

    print()
    print(f"mixed batch of {len(mixed):,} (all with status checks), target >= 1,000 credentials/s on 2 cores")
    print(f"{'run':<42}{'seconds':>9}{'wall/s':>9}{'x 1 worker':>12}{'target met':>12}   verdicts")
    rates: dict[str, float] = {}
    for label, run in (("verify_many, 1 worker", lambda: verify_many(mixed, world.ctx(), workers=1)),
                       ("verify_many, 2 workers", lambda: verify_many(mixed, world.ctx(), workers=2)),
                       ("ceiling: 2 independent processes, half each", lambda: _halves(mixed, world))):
        start = time.perf_counter()
        results = run()
        elapsed = time.perf_counter() - start
        rate = len(mixed) / elapsed
        rates[label] = rate
        first = next(iter(rates.values()))
        verdicts = {v: sum(r == v or getattr(r, "verdict", None) == v for r in results)
                    for v in ("valid", "invalid", "indeterminate")}
        print(f"{label:<42}{elapsed:>9.2f}{rate:>9.0f}{rate / first:>12.2f}{str(rate >= 1000):>12}   {verdicts}")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


_HALVES: tuple[list, World] | None = None  # set before forking: the workers inherit it instead of unpickling it


def _verify_half(which: int) -> list[str]:
    assert _HALVES is not None
    items, world = _HALVES
    half = len(items) // 2
    mine = items[:half] if which == 0 else items[half:]
    ctx = world.ctx()
    return [verify(item, ctx=ctx).verdict for item in mine]


def _halves(items: list, world: World) -> list[str]:
    """Two forked processes, each verifying its own half with its own context; only verdicts come back."""
    import multiprocessing as mp

    global _HALVES
    _HALVES = (items, world)
    try:
        with mp.get_context("fork").Pool(2) as pool:
            a, b = pool.map(_verify_half, [0, 1], chunksize=1)
    finally:
        _HALVES = None
    return a + b


if __name__ == "__main__":
    main()
