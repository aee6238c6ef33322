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
