"""Load benchmark of the portal's HTTP routes: verifications per second and latency percentiles, before and after.

Real servers, real sockets, real databases. For SQLite and PostgreSQL it seeds one demo database, then serves a
copy of it three ways and drives ``POST /api/v1/verify`` with 1, 4, 16 and 64 concurrent clients, each on a kept-
alive connection and with a new connection per request, checking every answer's verdict against the database:

* ``before``: the README's ``streamlit run portal.py`` from ``--baseline-rev`` (default: the commit before the
  capacity work), one process, every SQLite transaction ``BEGIN IMMEDIATE``, no ``TCP_NODELAY``;
* ``after 1p``: the README's ``streamlit run portal.py`` from ``--after-rev`` (default ``HEAD``);
* ``after 2p``: ``uvicorn mosaics_match.web.routes_app:app --workers 2`` from the same revision (the route pool).

Both revisions are exported with ``git archive`` into a temporary folder, so uncommitted work in the tree does not
leak into either. Clients send ``X-Forwarded-For`` with a fresh address per request from ``127.0.0.1``, which the
servers trust (``MOSAICS_TRUSTED_PROXIES``), so the per-client rate limit does not cap the load. Clients run in two
processes on the same two cores as the servers: absolute figures include their cost; compare the ratios.

It also measures conditional requests of a status list (``200`` versus ``304 Not Modified``: latency on one kept-
alive connection and server CPU per request), rolls up the audit log the SQLite ``after 1p`` load left behind
(bytes per verification before and after, and that the chain still verifies), and prints the load average beside
every part.

    python bench/bench_api_load.py            # everything (about 8-10 minutes on 2 cores)
    python bench/bench_api_load.py --quick    # 1 and 16 clients, shorter runs (about 3 minutes)
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
KEY_SECRET = "bench-key-secret-" + "k" * 24
SESSION_SECRET = "bench-session-secret-" + "s" * 24
DEFAULT_BASELINE = "8431502^"  # the code before the capacity changes (issue 15)
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def export_tree(rev: str, dest: Path) -> Path:
    """The files of ``rev`` in ``dest`` (``git archive``; the working tree is not touched)."""
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    if (REPO / ".streamlit").is_dir() and not (dest / ".streamlit").exists():
        shutil.copytree(REPO / ".streamlit", dest / ".streamlit")
    return dest


def base_env(db_url: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOSAICS_")}
    env.update({"DATABASE_URL": db_url, "MOSAICS_KEY_SECRET": KEY_SECRET, "MOSAICS_SESSION_SECRET": SESSION_SECRET,
                "MOSAICS_BASE_URL": f"http://127.0.0.1:{port}", "MOSAICS_DEMO": "0",
                "MOSAICS_TRUSTED_PROXIES": "127.0.0.1", "PYTHONDONTWRITEBYTECODE": "1"})
    return env


# --- databases ----------------------------------------------------------------------------------------------

def pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return True
    except Exception:
        return False


def pg_exec(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql)


def seed(tree: Path, db_url: str, earners: int) -> None:
    env = base_env(db_url, 8501)
    env.update({"MOSAICS_DEMO": "1", "MOSAICS_DEMO_EARNERS": str(earners)})
    subprocess.run([sys.executable, "-m", "mosaics_match", "demo", "--earners", str(earners)], cwd=tree, env=env,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class Database:
    """One seeded database per dialect; :meth:`copy` gives each server run its own identical copy."""

    def __init__(self, kind: str, work: Path, tree: Path, earners: int) -> None:
        self.kind, self.work, self.copies = kind, work, 0
        if kind == "sqlite":
            self.master = work / "master.db"
            seed(tree, f"sqlite:///{self.master}", earners)
            self.url = f"sqlite:///{self.master}"
        else:
            self.master_name = f"bench_master_{os.getpid()}"
            pg_exec(f"DROP DATABASE IF EXISTS {self.master_name}")
            pg_exec(f"CREATE DATABASE {self.master_name}")
            self.url = PG_ADMIN.rsplit("/", 1)[0] + "/" + self.master_name
            seed(tree, self.url, earners)
        self.names: list[str] = []

    def copy(self) -> str:
        self.copies += 1
        if self.kind == "sqlite":
            import sqlite3

            target = self.work / f"copy{self.copies}.db"
            src = sqlite3.connect(self.master)
            dst = sqlite3.connect(target)
            src.backup(dst)
            src.close()
            dst.close()
            return f"sqlite:///{target}"
        name = f"{self.master_name}_c{self.copies}"
        pg_exec(f"DROP DATABASE IF EXISTS {name}")
        pg_exec(f"CREATE DATABASE {name} TEMPLATE {self.master_name}")
        self.names.append(name)
        return PG_ADMIN.rsplit("/", 1)[0] + "/" + name

    def drop(self) -> None:
        if self.kind == "postgresql":
            for name in [*self.names, self.master_name]:
                pg_exec(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def workload(db_url: str, limit: int = 200) -> list[tuple[bytes, str]]:
    """Credentials to verify, each with the verdict the database says it must get (``valid`` / ``invalid``)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    now = time.strftime("%Y-%m-%d %H:%M:%S")
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT document, revoked, suspended, valid_until FROM issued_credential "
            "WHERE proof_format = 'eddsa-rdfc-2022' ORDER BY id LIMIT :n"), {"n": limit * 4}).all()
    engine.dispose()
    valid = [(r[0].encode(), "valid") for r in rows
             if not r[1] and not r[2] and (r[3] is None or str(r[3]) > now)]
    invalid = [(r[0].encode(), "invalid") for r in rows if r[1] or r[2]]
    # About one in ten answers must come back invalid (revoked or suspended): a server that stopped checking
    # status would be caught.
    picked = valid[: max(1, limit - limit // 10)] + invalid[: limit // 10]
    if not picked:
        raise SystemExit("the seeded database holds no eddsa-rdfc-2022 credentials to verify")
    return picked


# --- servers --------------------------------------------------------------------------------------------------

@dataclass
class Server:
    label: str
    url: str
    proc: subprocess.Popen
    log: Path

    def pids(self) -> list[int]:
        """The server and its child processes (uvicorn workers)."""
        out = [self.proc.pid]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                    out.append(int(entry.name))
        return out

    def cpu_seconds(self) -> float:
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime + stime, clock ticks
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_server(label: str, tree: Path, db_url: str, work: Path, *, kind: str) -> Server:
    port = free_port()
    env = base_env(db_url, port)
    if kind == "streamlit":
        command = [sys.executable, "-m", "streamlit", "run", "portal.py", "--server.port", str(port),
                   "--server.address", "127.0.0.1", "--server.headless", "true"]
        ready_path = "/api/v1/openapi.json"
    else:
        command = [sys.executable, "-m", "uvicorn", "mosaics_match.web.routes_app:app", "--host", "127.0.0.1",
                   "--port", str(port), "--workers", "2", "--no-proxy-headers", "--no-access-log"]
        ready_path = "/api/v1/health"
    log = work / f"{label.replace(' ', '_')}.log"
    proc = subprocess.Popen(command, cwd=tree, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(url + ready_path, timeout=2) as resp:
                if resp.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit(f"{label} did not start: {log.read_text()[-2000:]}")
        time.sleep(0.2)
    return Server(label, url, proc, log)


# --- clients --------------------------------------------------------------------------------------------------

def _client_process(url: str, payload: list[tuple[bytes, str]], threads: int, keepalive: bool, warmup: float,
                    duration: float, start_at: float, seed: int, out: mp.Queue) -> None:
    host, port = url.split("//", 1)[1].split(":")
    results: list[tuple[float, bool]] = []  # (latency s, correct)
    errors: list[str] = []
    lock = threading.Lock()

    def run(tid: int) -> None:
        conn: http.client.HTTPConnection | None = None
        n = (seed * 1000 + tid) * 7919
        mine: list[tuple[float, bool]] = []
        while time.time() < start_at:
            time.sleep(0.001)
        measure_from, stop_at = start_at + warmup, start_at + warmup + duration
        while True:
            t0 = time.time()
            if t0 >= stop_at:
                break
            body, expected = payload[n % len(payload)]
            n += 1
            client_ip = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
            headers = {"Content-Type": "application/json", "X-Forwarded-For": client_ip}
            if not keepalive:
                headers["Connection"] = "close"
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host, int(port), timeout=60)
                conn.request("POST", "/api/v1/verify", body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                ok = resp.status == 200 and json.loads(data).get("verdict") == expected
                if resp.status != 200:
                    with lock:
                        errors.append(f"HTTP {resp.status}: {data[:200]!r}")
                if not keepalive or resp.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException, ValueError) as exc:
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                if conn is not None:
                    conn.close()
                conn = None
                continue
            t1 = time.time()
            if t0 >= measure_from and t1 <= stop_at:
                mine.append((t1 - t0, ok))
        if conn is not None:
            conn.close()
        with lock:
            results.extend(mine)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    out.put((results, errors[:5], len(errors)))


@dataclass
class Cell:
    clients: int
    keepalive: bool
    rate: float
    p50: float
    p95: float
    p99: float
    wrong: int
    errors: int
    samples: int
    error_examples: list[str] = field(default_factory=list)


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, round(q * (len(sorted_values) - 1))))
    return sorted_values[k]


def drive(url: str, payload: list[tuple[bytes, str]], clients: int, keepalive: bool, warmup: float,
          duration: float) -> Cell:
    procs_n = 1 if clients == 1 else 2
    per = [clients // procs_n + (1 if i < clients % procs_n else 0) for i in range(procs_n)]
    queue: mp.Queue = mp.Queue()
    start_at = time.time() + 0.5
    procs = [mp.Process(target=_client_process, args=(url, payload, n, keepalive, warmup, duration, start_at, i,
                                                      queue)) for i, n in enumerate(per)]
    for p in procs:
        p.start()
    latencies: list[float] = []
    wrong = errors = 0
    examples: list[str] = []
    for _ in procs:
        results, ex, n_err = queue.get(timeout=warmup + duration + 300)
        latencies.extend(lat for lat, _ in results)
        wrong += sum(1 for _, ok in results if not ok)
        errors += n_err
        examples.extend(ex)
    for p in procs:
        p.join()
    latencies.sort()
    return Cell(clients, keepalive, len(latencies) / duration, percentile(latencies, 0.5) * 1000,
                percentile(latencies, 0.95) * 1000, percentile(latencies, 0.99) * 1000, wrong, errors,
                len(latencies), examples)


def conditional_costs(server: Server, path: str, n: int) -> dict[str, float]:
    """Median latency (ms) and server CPU (ms per request) of ``200`` and ``304`` answers for ``path``."""
    host, port = server.url.split("//", 1)[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("GET", path)
    resp = conn.getresponse()
    resp.read()
    etag = resp.headers["ETag"]
    out: dict[str, float] = {}
    for label, headers, want in (("200", {}, 200), ("304", {"If-None-Match": etag}, 304)):
        for _ in range(20):  # warm
            conn.request("GET", path, headers=headers)
            conn.getresponse().read()
        lat = []
        cpu0 = server.cpu_seconds()
        for _ in range(n):
            t0 = time.perf_counter()
            conn.request("GET", path, headers=headers)
            r = conn.getresponse()
            r.read()
            lat.append(time.perf_counter() - t0)
            if r.status != want:
                raise SystemExit(f"{server.label}: {path} answered {r.status}, expected {want}")
        cpu = server.cpu_seconds() - cpu0
        out[f"{label}_ms"] = statistics.median(lat) * 1000
        out[f"{label}_cpu_ms"] = cpu / n * 1000
    conn.close()
    return out


_RETENTION = """
import json, sqlite3, sys
from datetime import timedelta
from mosaics_match.runtime import open_runtime
from mosaics_match.settings import load_settings
from mosaics_match.store import audit_chain
from mosaics_match.store.audit_retention import rollup
from mosaics_match.store.models import utcnow

path = sys.argv[1]

def audit_bytes():
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    used = c.execute("SELECT SUM(pgsize) FROM dbstat WHERE name = 'audit_event' OR name IN "
                     "(SELECT name FROM sqlite_master WHERE tbl_name = 'audit_event' AND type = 'index')").fetchone()[0]
    c.close()
    return used

rt = open_runtime(load_settings())
before = audit_bytes()
key = audit_chain.chain_key(rt.settings.key_secret)
report = rollup(rt.Session, key=key, keep_days=0, now=utcnow() + timedelta(days=1))  # today counts as old
with rt.Session() as session:
    ok = audit_chain.verify_chain(session, key=key).ok
print(json.dumps({"removed": report.removed, "content_before": report.removed_bytes,
                  "content_after": report.rollup_bytes, "disk_before": before, "disk_after": audit_bytes(),
                  "chain_ok": ok}))
"""


def retention_figures(tree: Path, db_url: str) -> dict[str, float] | None:
    """Roll up every anonymous verification the load left in a SQLite copy; bytes per verification before and
    after (stored content, and the audit table with its indexes on disk), and whether the chain still verifies."""
    env = base_env(db_url, 8501)
    done = subprocess.run([sys.executable, "-c", _RETENTION, db_url.split("///", 1)[1]], cwd=tree, env=env,
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        print(f"  retention: could not measure ({done.stderr.strip()[-300:]})")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the run --------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 and 16 clients, shorter runs")
    parser.add_argument("--baseline-rev", default=DEFAULT_BASELINE, help="git revision of the 'before' server")
    parser.add_argument("--after-rev", default="HEAD", help="git revision of the 'after' servers")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--clients", default=None, help="comma-separated client counts (default 1,4,16,64)")
    parser.add_argument("--duration", type=float, default=None, help="measured seconds per cell")
    parser.add_argument("--earners", type=int, default=60, help="demo earners seeded (credentials to verify)")
    args = parser.parse_args(argv)
    clients = [int(c) for c in (args.clients or ("1,16" if args.quick else "1,4,16,64")).split(",")]
    duration = args.duration or (2.5 if args.quick else 5.0)
    warmup = 0.7 if args.quick else 1.0
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    for k in kinds:
        if k not in ("sqlite", "postgresql"):
            parser.error(f"unknown database {k!r}: use sqlite and/or postgresql")
    if "postgresql" in kinds and not pg_available():
        print(f"PostgreSQL is not reachable at {PG_ADMIN}: measuring SQLite only.")
        kinds = [k for k in kinds if k != "postgresql"]

    work = Path(tempfile.mkdtemp(prefix="bench_api_load_"))
    started = time.time()
    print(f"bench_api_load: before = {args.baseline_rev}, after = {args.after_rev}; clients {clients}; "
          f"{duration:g} s per cell; load average at start {load_average()}")
    try:
        before_tree = export_tree(args.baseline_rev, work / "before")
        after_tree = export_tree(args.after_rev, work / "after")
    except subprocess.CalledProcessError as exc:
        print(f"cannot export the revisions: {exc.stderr.decode(errors='replace').strip()}", file=sys.stderr)
        return 2
    configs = [("before", before_tree, "streamlit"), ("after 1p", after_tree, "streamlit"),
               ("after 2p", after_tree, "workers")]
    table: dict[tuple[str, str, int, bool], Cell] = {}
    conditional: dict[tuple[str, str], dict[str, float]] = {}
    loads: dict[tuple[str, str], str] = {}
    failures = 0
    retention: dict[str, float] | None = None
    for kind in kinds:
        (work / kind).mkdir()
        db = Database(kind, work / kind, before_tree, args.earners)
        try:
            payload = workload(db.url)
            lists_path = "/status/revocation-1"
            for label, tree, how in configs:
                server_db = db.copy()
                server = start_server(f"{kind} {label}", tree, server_db, work, kind=how)
                try:
                    loads[(kind, label)] = load_average()
                    for keepalive in (True, False):
                        for n in clients:
                            cell = drive(server.url, payload, n, keepalive, warmup, duration)
                            table[(kind, label, n, keepalive)] = cell
                            failures += cell.wrong + cell.errors
                            flag = "" if not (cell.wrong or cell.errors) else \
                                f"  !! {cell.wrong} wrong, {cell.errors} errors {cell.error_examples[:2]}"
                            print(f"  {kind:10} {label:9} {n:3} clients {'keep-alive' if keepalive else 'new conn':10}"
                                  f" {cell.rate:7.1f}/s  p50 {cell.p50:7.1f}  p95 {cell.p95:7.1f}  "
                                  f"p99 {cell.p99:7.1f} ms  (n={cell.samples}){flag}", flush=True)
                    conditional[(kind, label)] = conditional_costs(server, lists_path, 150 if args.quick else 400)
                finally:
                    server.stop()
                if kind == "sqlite" and label == "after 1p":
                    retention = retention_figures(tree, server_db)
        finally:
            db.drop()

    print(f"\nVerifications (POST /api/v1/verify), every verdict checked; {duration:g} s per cell")
    header = (f"{'database':10} {'server':9} {'clients':>7} {'conn':10} {'verif/s':>8} {'p50 ms':>7} {'p95 ms':>7} "
              f"{'p99 ms':>7} {'p99/p50':>7} {'x before':>8} {'wrong':>5}")
    print(header)
    print("-" * len(header))
    for kind in kinds:
        for label, _, _ in configs:
            for keepalive in (True, False):
                for n in clients:
                    c = table[(kind, label, n, keepalive)]
                    base = table[(kind, "before", n, keepalive)]
                    ratio = c.rate / base.rate if base.rate else float("nan")
                    print(f"{kind:10} {label:9} {n:7} {'keep-alive' if keepalive else 'new conn':10} {c.rate:8.1f} "
                          f"{c.p50:7.1f} {c.p95:7.1f} {c.p99:7.1f} {c.p99 / c.p50:7.1f} {ratio:8.2f} "
                          f"{c.wrong + c.errors:5}")
        print("  load average when each server started: "
              + "; ".join(f"{label} {loads[(kind, label)]}" for label, _, _ in configs))

    print("\nTargets")
    for kind in kinds:
        one = table[(kind, "after 1p", 1, True)]
        print(f"  {kind}: keep-alive single client p50 {one.p50:.1f} ms (target <= 5; before "
              f"{table[(kind, 'before', 1, True)].p50:.1f} ms)")
        top = max(clients)
        two, single = table[(kind, "after 2p", top, True)], table[(kind, "after 1p", top, True)]
        print(f"  {kind}: {top} keep-alive clients, 2 processes / 1 process = {two.rate / single.rate:.2f}x "
              f"(target >= 1.7); 2 processes / before = {two.rate / table[(kind, 'before', top, True)].rate:.2f}x")
        if 16 in clients:
            for label in ("before", "after 1p", "after 2p"):
                c = table[(kind, label, 16, True)]
                print(f"  {kind}: 16 clients {label}: p99/p50 = {c.p99 / c.p50:.1f} (target <= 5 on SQLite)")
    print("\nConditional requests of a status list (one kept-alive client): median latency, server CPU per request")
    for (kind, label), c in conditional.items():
        print(f"  {kind:10} {label:9} 200: {c['200_ms']:6.2f} ms {c['200_cpu_ms']:6.2f} ms CPU | 304: "
              f"{c['304_ms']:6.2f} ms {c['304_cpu_ms']:6.2f} ms CPU | 200/304 latency "
              f"{c['200_ms'] / c['304_ms']:.1f}x, CPU {c['200_cpu_ms'] / max(c['304_cpu_ms'], 1e-9):.1f}x")
        if label != "before":
            b = conditional[(kind, "before")]
            print(f"  {'':10} {'':9} before's 200 / this 304: latency {b['200_ms'] / c['304_ms']:.1f}x, "
                  f"CPU {b['200_cpu_ms'] / max(c['304_cpu_ms'], 1e-9):.1f}x (target >= 5)")
    if retention and retention.get("removed"):
        n = retention["removed"]
        print(f"\nAudit retention (SQLite, after 1p's log): {n:,} anonymous verifications rolled up; per verification "
              f"{retention['content_before'] / n:.0f} bytes of content and {retention['disk_before'] / n:.0f} bytes "
              f"on disk (audit table and indexes, all events) before; {retention['content_after'] / n:.2f} bytes of "
              f"content after (one event per day); audit table {retention['disk_before']:,} -> "
              f"{retention['disk_after']:,} bytes; chain {'verifies' if retention['chain_ok'] else 'BROKEN'}")
        if not retention["chain_ok"]:
            failures += 1
    print(f"\nload average at the end {load_average()}; {time.time() - started:.0f} s in all; "
          f"{failures} wrong verdicts or errors")
    shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
