"""Documentation keeps up with the code: every verification check id is explained in docs/verification.md."""

from __future__ import annotations

import re
from pathlib import Path

from mosaics_match.credentials.verifier import CHECKS

DOC = Path(__file__).resolve().parents[1] / "docs" / "verification.md"


def test_every_check_id_is_documented():
    text = DOC.read_text(encoding="utf-8")
    missing = [check_id for check_id in CHECKS if f"`{check_id}`" not in text]
    assert missing == [], f"check ids missing from docs/verification.md: {missing}"


def test_documentation_names_no_check_that_does_not_exist():
    text = DOC.read_text(encoding="utf-8")
    table_ids = set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", text, flags=re.M))
    assert table_ids == set(CHECKS)


def test_a_verification_reports_only_documented_checks():
    from mosaics_match.credentials import verifier as v

    result = v.verify(b'{"not": "a credential"}', ctx=v.VerifyContext())
    assert result.checks, "a verification always reports its checks"
    assert {c.id for c in result.checks} <= set(CHECKS)


ARCHITECTURE = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"


def test_every_path_the_architecture_page_names_exists():
    text = ARCHITECTURE.read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:mosaics_match|pages|tests|docs|bench)/[\w./-]*)`", text))
    assert len(named) > 20, "the page names the modules it describes"
    root = ARCHITECTURE.parents[1]
    missing = sorted(p for p in named if not (root / p.rstrip("/")).exists())
    assert missing == [], f"docs/architecture.md names paths that do not exist: {missing}"


def test_the_architecture_page_describes_every_package():
    text = ARCHITECTURE.read_text(encoding="utf-8")
    root = ARCHITECTURE.parents[1] / "mosaics_match"
    packages = sorted(p.name for p in root.iterdir() if (p / "__init__.py").exists())
    undocumented = [name for name in packages if f"mosaics_match/{name}/" not in text]
    assert undocumented == [], f"packages missing from docs/architecture.md: {undocumented}"
