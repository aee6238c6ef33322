"""Conformance against the Digital Credentials Consortium vc-test-fixtures (../shared/vectors).

The fixtures' did:web documents and status lists normally live on GitHub Pages; here their URLs map to the local
copies through an OfflineFetcher. Expected outcomes come from the file names ``[registry]-[status]-[expiry]``:

* tampered credential, expired, notYetValid -> invalid;
* noStatus with noExpiry/notExpired -> valid;
* a revoked credential is never valid. The fixtures' status lists hold 100,000 entries (below the 131,072
  minimum of Bitstring Status List v1.0) and are issued by a different DID than most credentials pointing at
  them, so this verifier reports their status as not confirmable (indeterminate) unless the credential is
  invalid for another reason; the bit itself is checked separately below;
* a broken status list (expired, not yet valid, tampered, wrong type) -> indeterminate.

Registry checks (DCC issuer registries) are out of scope offline; ``badDidWeb`` points at a DID document that
is not available, so its key cannot be retrieved (indeterminate).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mosaics_match.credentials.fetcher import OfflineFetcher
from mosaics_match.credentials.status import parse_status_entries, parse_status_list, read_status
from mosaics_match.credentials.verifier import VerifyContext, parse_datetime, verify
from tests.credentials.test_verify_support import VECTORS, require_vectors

ROOT = VECTORS / "dcc-vc-test-fixtures"
PAGES = "https://digitalcredentials.github.io/vc-test-fixtures/"
# verifier-core's copy of the e5WK... list is byte-for-byte the same credential (same proofValue) as the copy in
# statusLists/ (checked against digitalcredentials/verifier-core@15010021, src/test-fixtures/status/).
VERIFIER_CORE_LIST = ("https://raw.githubusercontent.com/digitalcredentials/verifier-core/refs/heads/main/src/"
                      "test-fixtures/status/e5WK8CbZ1GjycuPombrj")
CLOCK = datetime(2026, 6, 1, tzinfo=UTC)


def _fetcher() -> OfflineFetcher:
    mapping: dict[str, Path] = {}
    for f in (ROOT / "statusLists").rglob("*"):
        if f.is_file():
            mapping[PAGES + f.relative_to(ROOT).as_posix()] = f
    for f in (ROOT / "dids").rglob("did.json"):
        mapping[PAGES + f.relative_to(ROOT).as_posix()] = f
    mapping[VERIFIER_CORE_LIST] = ROOT / "statusLists/didkey-ed25519Signature2020/e5WK8CbZ1GjycuPombrj"
    return OfflineFetcher(mapping)


def _fixtures() -> list[Path]:
    if not ROOT.exists():
        return []
    return sorted((ROOT / "verifiableCredentials").rglob("*.json"))


def _expected(name: str) -> set[str]:
    parts = name[:-5].split("-")
    status = parts[1] if len(parts) > 1 else ""
    expiry = parts[2] if len(parts) > 2 else ""
    extra = parts[3:]
    if "tampered" in extra or expiry == "expired" or "notYetValid" in extra:
        return {"invalid"}
    if name.startswith("badDidWeb"):
        return {"indeterminate"}
    if status.startswith("revoked"):
        return {"invalid", "indeterminate"}
    if status in ("expiredStatus", "notYetValidStatus", "tamperedStatus", "missingTypeStatus", "validStatus"):
        return {"indeterminate"}
    assert status == "noStatus", name
    return {"valid"}


def test_fixture_folder_present() -> None:
    require_vectors(ROOT)
    assert len(_fixtures()) >= 80


@pytest.mark.parametrize("path", _fixtures(), ids=lambda p: p.relative_to(ROOT / "verifiableCredentials").as_posix())
def test_dcc_fixture_outcome(path: Path) -> None:
    ctx = VerifyContext(clock=lambda: CLOCK, fetcher=_fetcher())
    result = verify(path.read_bytes(), ctx=ctx)
    expected = _expected(path.name)
    assert result.verdict in expected, [(c.id, c.status, c.message, c.problems) for c in result.checks
                                        if c.status in ("failure", "indeterminate")]
    assert result.reason
    parts = path.name[:-5].split("-")
    if len(parts) > 1 and parts[1].startswith("revoked"):
        assert result.check("status.revocation").status in ("failure", "indeterminate")
    if "tampered" in parts[3:]:
        assert result.check("proof.signature").status == "failure"


def test_dcc_revoked_fixtures_point_at_set_bits_and_valid_ones_at_clear_bits() -> None:
    """The decoder reads the fixtures' bits correctly, independent of the list-policy checks."""
    require_vectors(ROOT)
    fetcher = _fetcher()
    seen = 0
    for path in _fixtures():
        status = (path.name.split("-") + [""])[1]
        if not (status.startswith("revoked") or status == "validStatus"):
            continue
        cred = json.loads(path.read_text())
        for entry in parse_status_entries(cred):
            doc = json.loads(fetcher.fetch(entry.list_url))
            lst = parse_status_list(entry.list_url, doc, entry_type=entry.type, max_bits=1 << 24,
                                    parse_date=parse_datetime)
            value = read_status(entry, lst, credential_issuer=lst.issuer, min_bits=100_000)
            assert value == (1 if status.startswith("revoked") else 0), path.name
            seen += 1
    assert seen >= 20


def test_dcc_fixture_list_issuer_mismatch_is_named() -> None:
    require_vectors(ROOT)
    path = ROOT / "verifiableCredentials/v1/ed25519/didWeb/legacy-revokedStatus-noExpiry.json"
    r = verify(path.read_bytes(), ctx=VerifyContext(clock=lambda: CLOCK, fetcher=_fetcher()))
    assert r.verdict == "indeterminate"
    assert r.check("proof.signature").status == "success"
    assert "list-issuer-mismatch" in r.check("status.revocation").problems[0]["type"]


def test_dcc_tampered_status_list_is_indeterminate() -> None:
    require_vectors(ROOT)
    path = ROOT / "verifiableCredentials/v2/ed25519/didKey/legacy-tamperedStatus-noExpiry.json"
    r = verify(path.read_bytes(), ctx=VerifyContext(clock=lambda: CLOCK, fetcher=_fetcher()))
    assert r.verdict == "indeterminate"
    assert "list-signature" in r.check("status.revocation").problems[0]["type"]


def test_ob_spec_signed_example_verifies_offline_when_key_is_served() -> None:
    """The 1EdTech OB 3.0 signed example uses an https verification method; serve the key document offline."""
    base = require_vectors(VECTORS / "1edtech-openbadges-specification/ob_v3p0/impl/test-vectors/obv3p0")
    cred = json.loads((base / "signed-credential.json").read_text())
    vm = cred["proof"]["verificationMethod"] if isinstance(cred["proof"], dict) else cred["proof"][0][
        "verificationMethod"]
    keypair = json.loads((base / "keypair-and-intermediates.json").read_text())
    multikey = next(v for k, v in _walk(keypair) if isinstance(v, str) and v.startswith("z6Mk"))
    issuer_id = cred["issuer"]["id"] if isinstance(cred["issuer"], dict) else cred["issuer"]
    from mosaics_match.credentials.fetcher import DictFetcher

    doc = {"id": issuer_id, "verificationMethod": [{"id": vm, "type": "Multikey", "controller": issuer_id,
                                                     "publicKeyMultibase": multikey}]}
    fetcher = DictFetcher({vm.split("#")[0]: doc})
    r = verify(cred, ctx=VerifyContext(clock=lambda: CLOCK, fetcher=fetcher))
    assert r.check("proof.signature").status == "success", r.check("proof.signature").problems
    assert r.check("proof.key_binding").status == "success"


def _walk(node, key=None):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v, key)
    else:
        yield key, node
