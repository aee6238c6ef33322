"""Verification in processes that have verified nothing before, and resetting this process's canonical caches.

:func:`verify_in_fresh_processes` starts one ``python -c`` subprocess (the repository first on ``sys.path``) that
imports the verifier and then forks one child per document: every document is verified by a process whose only
history is the imports, so its verdict cannot depend on any other document. Documents and the fetcher's map go
through a temporary directory.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from mosaics_match.credentials import jsonld, proofs

REPO = Path(__file__).resolve().parents[2]

_SCRIPT = r"""
import json, os, sys
repo, work = sys.argv[1], sys.argv[2]
sys.path.insert(0, repo)
from datetime import datetime
from mosaics_match.credentials.fetcher import DictFetcher
from mosaics_match.credentials.trust import TrustRegistry
from mosaics_match.credentials.verifier import VerifyContext, verify

with open(os.path.join(work, "payload.json"), encoding="utf-8") as fh:
    payload = json.load(fh)
now = datetime.fromisoformat(payload["now"])
for n, item in enumerate(payload["items"]):
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            ctx = VerifyContext(clock=lambda: now, fetcher=DictFetcher(payload["documents"]),
                                trust=TrustRegistry(payload["trust"]), email=payload["email"])
            r = verify(item, ctx=ctx)
            out = {"verdict": r.verdict, "checks": {c.id: c.status for c in r.checks},
                   "recipient_match": r.recipient_match, "summary": r.summary}
            with open(os.path.join(work, "result-%d.json" % n), "w", encoding="utf-8") as fh:
                json.dump(out, fh)
            status = 0
        finally:
            os._exit(status)
    os.waitpid(pid, 0)
"""


def verify_in_fresh_processes(items: list[Any], *, documents: dict[str, Any], trust: dict[str, str],
                              now: datetime, email: str | None = None, timeout: float = 120) -> list[dict]:
    """Verify each item (credential dict, JSON text or compact JWS) in its own process that saw nothing before.

    Returns
    -------
    list of dict
        Per item: ``verdict``, ``checks`` (id -> status), ``recipient_match`` and ``summary``.
    """
    with tempfile.TemporaryDirectory(prefix="fresh-verify-") as work:
        payload = {"items": items, "documents": documents, "trust": trust, "now": now.isoformat(), "email": email}
        (Path(work) / "payload.json").write_text(json.dumps(payload), encoding="utf-8")
        proc = subprocess.run([sys.executable, "-c", _SCRIPT, str(REPO), work], capture_output=True, text=True,
                              timeout=timeout, cwd=str(REPO))
        results = []
        for n in range(len(items)):
            path = Path(work) / f"result-{n}.json"
            if not path.exists():
                raise AssertionError(f"the fresh process did not verify item {n}: {proc.stderr[-2000:]}")
            results.append(json.loads(path.read_text(encoding="utf-8")))
        return results


def outcome(result: Any) -> dict:
    """The same fields as the fresh processes report, from an in-process result."""
    return {"verdict": result.verdict, "checks": {c.id: c.status for c in result.checks},
            "recipient_match": result.recipient_match, "summary": json.loads(json.dumps(result.summary))}


def clear_canonical_caches() -> None:
    """Forget what this process remembered about documents it canonicalized, through the public functions
    ``jsonld.clear_shape_cache``, ``jsonld.clear_document_cache`` and ``proofs.clear_caches``."""
    jsonld.clear_shape_cache()
    jsonld.clear_document_cache()
    proofs.clear_caches()
