"""Shared builders for the verifier tests: an issuer with fresh keys, signed credentials and status lists.

Keys are generated at run time (nothing secret is stored in the repository).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mosaics_match.credentials import keys
from mosaics_match.credentials.build import build_credential, sign_credential
from mosaics_match.credentials.fetcher import DictFetcher
from mosaics_match.credentials.proofs import sign_data_integrity
from mosaics_match.credentials.status import StatusBits, build_status_list_credential, status_entry
from mosaics_match.credentials.trust import TrustRegistry
from mosaics_match.credentials.verifier import VerifyContext

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
VECTORS = SHARED / "vectors"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
BASE = "https://mosaics.example"
EMAIL = "amara.singh@example.com"


def require_vectors(path: Path) -> Path:
    """Skip when shared vectors are absent, but fail under CI."""
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"shared vectors missing under CI: {path}")
        pytest.skip(f"shared vectors not available: {path}")
    return path


def achievement(**extra: Any) -> dict:
    a = {
        "id": f"{BASE}/achievements/data-viz",
        "name": "Data Visualisation Fundamentals",
        "description": "Builds clear charts and dashboards from real data.",
        "criteria": "Completed 4 graded projects and a capstone dashboard.",
        "image": f"{BASE}/achievements/data-viz.svg",
        "alignments": [{
            "targetName": "create data visualisations",
            "targetUrl": "http://data.europa.eu/esco/skill/0d4a4d6d-0f87-4e6f-a5c9-2a0c4bdc4b5c",
            "targetDescription": "Create visual representations of data.",
            "targetFramework": "ESCO",
            "targetCode": "S2.7.1",
        }],
        "achievement_type": "MicroCredential",
        "hours": 40,
        "level": "Intermediate",
        "partner": "Lakeshore Analytics",
    }
    a.update(extra)
    return a


@dataclass
class Issuer:
    """A test issuer with an Ed25519 did:key, status lists and a fetcher serving them."""

    name: str = "Seneca Polytechnic"
    private_key: Any = field(default_factory=keys.generate_ed25519)
    fetcher: DictFetcher = field(default_factory=DictFetcher)
    bits: dict[str, StatusBits] = field(default_factory=dict)
    counter: int = 0

    @property
    def did(self) -> str:
        return keys.did_key_for(keys.public_key_of(self.private_key))

    @property
    def vm(self) -> str:
        return keys.did_key_verification_method(self.did)

    def list_url(self, purpose: str) -> str:
        return f"{BASE}/status/{purpose}-1"

    def publish_lists(self, *, length: int = 131_072, valid_until: datetime | None = None,
                      signer: Any = None, issuer_id: str | None = None) -> None:
        for purpose in ("revocation", "suspension"):
            bits = self.bits.setdefault(purpose, StatusBits(length))
            doc = build_status_list_credential(list_url=self.list_url(purpose), issuer=issuer_id or self.did,
                                               purpose=purpose, bits=bits, valid_from=NOW - timedelta(days=30),
                                               valid_until=valid_until) if length >= 131_072 else \
                _short_list(self.list_url(purpose), issuer_id or self.did, purpose, bits)
            key = signer or self.private_key
            vm = keys.did_key_verification_method(keys.did_key_for(keys.public_key_of(key)))
            self.fetcher.add(self.list_url(purpose), sign_data_integrity(
                doc, key, verification_method=vm, cryptosuite="eddsa-rdfc-2022", created=NOW - timedelta(days=1)))

    def unsigned(self, *, index: int | None = None, status: bool = True, valid_from: datetime | None = None,
                 valid_until: datetime | None = None, email: str = EMAIL, **ach: Any) -> dict:
        self.counter += 1
        idx = self.counter if index is None else index
        entries = [status_entry(list_url=self.list_url(p), index=idx, purpose=p)
                   for p in ("revocation", "suspension")] if status else None
        return build_credential(
            credential_id=f"urn:uuid:00000000-0000-4000-8000-{idx:012d}",
            issuer={"id": self.did, "name": self.name, "url": "https://www.senecapolytechnic.ca"},
            achievement=achievement(**ach), recipient_email=email, salt="pepper-1234", earner_name="Amara Singh",
            valid_from=valid_from or NOW - timedelta(days=10), valid_until=valid_until, status=entries)

    def issue(self, fmt: str = "eddsa-rdfc-2022", **kw: Any) -> dict | str:
        return sign_credential(self.unsigned(**kw), self.private_key, fmt=fmt, created=NOW - timedelta(days=10))

    def ctx(self, *, trusted: bool = True, email: str | None = None, now: datetime = NOW) -> VerifyContext:
        trust = TrustRegistry({self.did: self.name} if trusted else {})
        return VerifyContext(clock=lambda: now, fetcher=self.fetcher, trust=trust, email=email)


def _short_list(url: str, issuer: str, purpose: str, bits: StatusBits) -> dict:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url, "type": ["VerifiableCredential", "BitstringStatusListCredential"], "issuer": issuer,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": url + "#list", "type": "BitstringStatusList", "statusPurpose": purpose,
                              "encodedList": bits.encode()},
    }


def statuses(result: Any) -> dict[str, str]:
    return {c.id: c.status for c in result.checks}


def test_support_issuer_builds_a_signed_credential() -> None:
    issuer = Issuer()
    cred = issuer.issue()
    assert isinstance(cred, dict) and cred["proof"]["verificationMethod"] == issuer.vm
