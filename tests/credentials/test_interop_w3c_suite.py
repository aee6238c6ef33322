"""Verifier cases of the kinds the W3C vc-di-eddsa test suite sends, against the real portal's VC-API endpoint.

The W3C suite (and the Data Integrity assertion library that generates its cases) is not published on the npm
registry, which is all CI can reach, so ``tests/interop/w3c/run.mjs`` builds cases of the same kinds at run time
with the registry packages the suite uses (Digital Bazaar's Data Integrity and eddsa cryptosuites), signs them
with a fresh Ed25519 did:key, and posts each to ``POST /credentials/verify`` of ``streamlit run portal.py``. It
judges each answer as the suite does: 200 for a case that must verify, 400/422 for one that must be rejected.

Every case must pass except those in :data:`KNOWN_FAILURES`, each listed with its reason. A listed case that
starts passing fails this test too, so the list is always the current state of the verifier.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, running_portal

pytestmark = pytest.mark.slow

HARNESS_DIR = REPO / "tests" / "interop" / "w3c"
MANIFEST = REPO / "mosaics_match" / "credentials" / "contexts" / "MANIFEST.json"

#: Cases the portal fails today, and why. Nothing else may fail; none of these may pass without being removed.
KNOWN_FAILURES: dict[str, str] = {}
#: Cases whose credential names a JSON-LD context the portal does not pin (none: the cases use only the VC 1.1 /
#: 2.0 and Data Integrity contexts, plus inline ones).
CASES_NEEDING_UNPINNED_CONTEXTS: dict[str, list[str]] = {}


def _prerequisite(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        _prerequisite("node is not installed; the W3C verifier cases need Node 20+")
    if not (HARNESS_DIR / "node_modules" / "@digitalbazaar" / "data-integrity").is_dir():
        _prerequisite(f"{HARNESS_DIR}/node_modules is missing: run `npm ci` there (scripts/test does)")
    return node


def _pinned_contexts() -> set[str]:
    return {e["url"] for e in json.loads(MANIFEST.read_text())["contexts"] if e["scope"] == "product"}


def test_w3c_vc_di_eddsa_verifier_cases_against_the_live_portal(tmp_path: Path, seeded_sqlite: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    node = _node()
    results = tmp_path / "w3c-results.json"
    with running_portal(tmp_path, seeded_sqlite) as portal:
        run = subprocess.run([node, "run.mjs", "--url", portal["url"], "--results", str(results)],
                             cwd=HARNESS_DIR, capture_output=True, text=True, timeout=240)
    assert run.returncode in (0, 1) and results.exists(), f"harness exit {run.returncode}: {run.stderr}\n{run.stdout}"
    report = json.loads(results.read_text())
    cases = {c["id"]: c for c in report["cases"]}
    with capsys.disabled():
        print(f"\nW3C vc-di-eddsa verifier cases (tests/interop/w3c) against {portal['url']}/credentials/verify:\n"
              f"{run.stdout}W3C vc-di-eddsa verifier cases: {report['passed']}/{report['total']} passed "
              f"({len([k for k in KNOWN_FAILURES if not cases.get(k, {}).get('passed', True)])} known failures)")

    assert len(cases) == report["total"] >= 40
    for suite in ("eddsa-rdfc-2022", "eddsa-jcs-2022"):
        mine = [c for c in cases.values() if c["suite"] == suite]
        assert {c["expect"] for c in mine} == {"verified", "rejected"}, suite
        assert cases[f"{suite}/issuedVc"]["passed"], cases[f"{suite}/issuedVc"]
    assert set(KNOWN_FAILURES) <= set(cases), set(KNOWN_FAILURES) - set(cases)

    unexpected = {k: (c["expect"], c["status"], c["errors"]) for k, c in cases.items()
                  if not c["passed"] and k not in KNOWN_FAILURES}
    assert not unexpected, f"cases failing that are not in KNOWN_FAILURES: {unexpected}"
    now_passing = [k for k in KNOWN_FAILURES if cases[k]["passed"]]
    assert not now_passing, f"these cases pass now: remove them from KNOWN_FAILURES: {now_passing}"

    pinned = _pinned_contexts()
    needing = {k: sorted(set(c["contexts"]) - pinned) for k, c in cases.items() if set(c["contexts"]) - pinned}
    assert needing == CASES_NEEDING_UNPINNED_CONTEXTS
