"""A portal-shaped issuer for verifier tests, with no database.

Credentials come from :func:`mosaics_match.services.issuing.build_unsigned` (the portal's own builder: issuer profile,
catalogue achievement with ESCO alignments, salted e-mail identity, revocation and suspension entries) over
transient model objects, and are signed with :func:`mosaics_match.credentials.build.sign_credential` exactly as
``issuing._sign`` calls it. Status lists are built and signed the way ``issuing.sign_status_list`` does. Keys are
generated at run time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from mosaics_match.credentials import keys
from mosaics_match.credentials.build import sign_credential
from mosaics_match.credentials.fetcher import DictFetcher
from mosaics_match.credentials.status import StatusBits, build_status_list_credential
from mosaics_match.credentials.trust import TrustRegistry
from mosaics_match.credentials.verifier import KeyResolver, VerifyContext
from mosaics_match.links import status_list_url
from mosaics_match.services import issuing
from mosaics_match.settings import Settings
from mosaics_match.store.models import Achievement, Competency, Earner, Issuer, SigningKey

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
BASE_URL = "https://mosaics.example"
EARNER_EMAIL = "amara.singh@example.com"
OTHER_EMAIL = "mallory@example.net"
EARNER_NAME = "Amara Singh"
ACHIEVEMENT_NAME = "Data Visualisation Fundamentals"
ACHIEVEMENT_DESCRIPTION = "Builds clear charts and dashboards from real data."
FORMATS = ("eddsa-rdfc-2022", "Ed25519Signature2020", "eddsa-jcs-2022", "vc-jwt")


def catalogue_achievement() -> Achievement:
    """A catalogue entry (transient ORM object) with one ESCO-aligned and one Seneca competency."""
    ach = Achievement(slug="data-viz", name=ACHIEVEMENT_NAME, description=ACHIEVEMENT_DESCRIPTION,
                      criteria="Completed 4 graded projects and a capstone dashboard.",
                      school="School of Software Design and Data Science", partner="Lakeshore Analytics",
                      hours=40, level="Intermediate", tags=["dashboards", "storytelling"])
    ach.competencies = [
        Competency(slug="charts", name="Create data visualisations",
                   description="Create visual representations of data.",
                   esco_uri="http://data.europa.eu/esco/skill/0d4a4d6d-0f87-4e6f-a5c9-2a0c4bdc4b5c",
                   esco_label="create data visualisations", position=0),
        Competency(slug="dashboards", name="Publish dashboards",
                   description="Publishes an interactive dashboard for a business audience.", position=1),
    ]
    return ach


def did_web_document(did: str, methods: list[dict], *, assertion: list[str] | None = None,
                     authentication: list[str] | None = None) -> dict:
    """A DID document in the form the portal serves at ``/.well-known/did.json``."""
    doc: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": methods,
    }
    if assertion is not None:
        doc["assertionMethod"] = assertion
    if authentication is not None:
        doc["authentication"] = authentication
    return doc


def multikey_method(vm_id: str, controller: str, private_key: Any) -> dict:
    return {"id": vm_id, "type": "Multikey", "controller": controller,
            "publicKeyMultibase": keys.public_key_of(private_key).multikey()}


@dataclass
class PortalIssuer:
    """Seneca as the portal configures it: a did:key issuer by default, or ``did:web`` when ``issuer_did`` is set."""

    issuer_did: str = ""
    name: str = issuing.ISSUER_NAME
    private_key: Any = field(default_factory=keys.generate_ed25519)
    fetcher: DictFetcher = field(default_factory=DictFetcher)
    bits: dict[str, StatusBits] = field(default_factory=dict)
    counter: int = 0

    def __post_init__(self) -> None:
        pub = keys.public_key_of(self.private_key)
        self.settings = Settings(database_url="sqlite://", key_secret=None, session_secret="unused",
                                 demo_mode=False, base_url=BASE_URL, issuer_did=self.issuer_did, demo_earners=0)
        if self.issuer_did:  # as issuing._new_key_row names keys
            did, vm = self.issuer_did, f"{self.issuer_did}#key-{pub.fingerprint()[:16]}"
        else:
            did = keys.did_key_for(pub)
            vm = keys.did_key_verification_method(did)
        self.signer = issuing.Signer(
            issuer=Issuer(identifier=did, name=self.name, url=issuing.ISSUER_URL, trusted=True, is_local=True),
            key=SigningKey(verification_method=vm, algorithm="Ed25519", public_multikey=pub.multikey(),
                           fingerprint=pub.fingerprint()),
            private_key=self.private_key, settings=self.settings)
        if self.issuer_did:
            self.publish_did_document()
        self.publish_lists()

    @property
    def did(self) -> str:
        return self.signer.issuer_id

    @property
    def vm(self) -> str:
        return self.signer.verification_method

    def publish_did_document(self, document: dict | None = None) -> None:
        """Serve the issuer's did:web document (default: its key under ``assertionMethod``, as the portal does)."""
        doc = document or did_web_document(self.did, [multikey_method(self.vm, self.did, self.private_key)],
                                           assertion=[self.vm])
        self.fetcher.add(KeyResolver.did_web_url(self.did), doc)

    def list_url(self, purpose: str) -> str:
        return status_list_url(BASE_URL, purpose, 1)

    def publish_lists(self) -> None:
        for purpose in issuing.STATUS_PURPOSES:
            bits = self.bits.setdefault(purpose, StatusBits(issuing.STATUS_LIST_SIZE))
            doc = build_status_list_credential(list_url=self.list_url(purpose), issuer=self.did, purpose=purpose,
                                               bits=bits, valid_from=NOW - timedelta(days=30))
            self.fetcher.add(self.list_url(purpose), sign_credential(
                doc, self.private_key, verification_method=self.vm, fmt="eddsa-rdfc-2022",
                created=NOW - timedelta(days=30)))

    def set_status(self, purpose: str, index: int) -> None:
        self.bits[purpose].set(index)
        self.publish_lists()

    def unsigned(self, *, index: int | None = None, email: str = EARNER_EMAIL, earner_name: str = EARNER_NAME,
                 valid_from: datetime | None = None, valid_until: datetime | None = None,
                 achievement: Achievement | None = None) -> dict:
        self.counter += 1
        idx = self.counter if index is None else index
        return issuing.build_unsigned(
            signer=self.signer, achievement=achievement or catalogue_achievement(),
            earner=Earner(email=email, name=earner_name), credential_id=f"urn:uuid:00000000-0000-4000-8000-{idx:012d}",
            valid_from=valid_from or NOW - timedelta(days=10), valid_until=valid_until, status_number=1,
            status_index=idx, salt=f"salt-{idx:08d}-0123456789abcdef")

    def sign(self, unsigned: dict, fmt: str = "eddsa-rdfc-2022", *, created: datetime | None = None,
             private_key: Any = None, verification_method: str | None = None) -> dict | str:
        return sign_credential(unsigned, private_key or self.private_key,
                               verification_method=verification_method or self.vm, fmt=fmt,
                               created=created or NOW - timedelta(days=10))

    def issue(self, fmt: str = "eddsa-rdfc-2022", *, created: datetime | None = None, **kw: Any) -> dict | str:
        return self.sign(self.unsigned(**kw), fmt, created=created)

    def ctx(self, *, email: str | None = None, now: datetime = NOW, trusted: bool = True) -> VerifyContext:
        trust = TrustRegistry({self.did: self.name} if trusted else {})
        return VerifyContext(clock=lambda: now, fetcher=self.fetcher, trust=trust, email=email)
