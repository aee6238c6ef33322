"""A peer issuer for tests: credentials and status lists made by openbadgeslib (a test dependency only, never
imported by the product), its documents served by an in-memory fetcher, a revocation published by replacing
its status list."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives import serialization

from mosaics_match.credentials import keys
from mosaics_match.credentials.fetcher import DictFetcher

PEER_NAME = "Northbridge College of Trades"
LIST_URL = "https://credentials.northbridge.example/status/revocation-1"
SKILLS = (
    ("Administer emergency first aid", "Assess a casualty, perform CPR and use an AED on adults and children."),
    ("Operate a forklift safely", "Inspect, load and drive a counterbalance forklift in a busy warehouse."),
)


@dataclass
class PeerIssuer:
    """An Ed25519 did:key issuer using openbadgeslib, with one revocation list at :data:`LIST_URL`."""

    name: str = PEER_NAME
    list_url: str = LIST_URL
    private_key: object = field(default_factory=keys.generate_ed25519)
    fetcher: DictFetcher = field(default_factory=DictFetcher)
    revoked: set[int] = field(default_factory=set)
    next_index: int = 7

    @property
    def did(self) -> str:
        return keys.did_key_for(keys.public_key_of(self.private_key))

    def pem(self) -> bytes:
        return self.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption())

    def publish(self) -> None:
        """Sign and serve the revocation list as it is now (a VC-JWT, as openbadgeslib publishes it)."""
        from openbadgeslib import ob3

        vc = ob3.build_status_list_credential(self.did, self.list_url, "revocation", sorted(self.revoked))
        self.fetcher.add(self.list_url, ob3.sign_status_list_credential(vc, self.pem(), "EdDSA"))

    def revoke(self, index: int) -> None:
        self.revoked.add(index)
        self.publish()

    def issue(self, email: str, *, name: str = "Workplace Safety Certificate", skills=SKILLS,
              status: bool = True, days: int = 365) -> tuple[str, int]:
        """A VC-JWT for ``email`` (salted e-mail identifier) and its status index."""
        from openbadgeslib import ob3

        index = self.next_index
        self.next_index += 1
        now = datetime.now(UTC)
        cred = ob3.OpenBadgeCredential(
            issuer=ob3.Issuer(id=self.did, name=self.name, url="https://northbridge.example"),
            recipient_id=None, id=f"urn:uuid:{uuid.uuid4()}",
            achievement=ob3.Achievement(
                id=f"https://northbridge.example/achievements/{name.lower().replace(' ', '-')}", name=name,
                description="Holders work safely on a shop floor. They keep a first aid log.",
                criteria_narrative="Passed a practical assessment observed by a certified assessor.",
                alignments=[ob3.Alignment(n, f"https://northbridge.example/skills/{i}", "Northbridge skills",
                                          target_description=d) for i, (n, d) in enumerate(skills)]),
            issuance_date=now - timedelta(days=1), expiration_date=now + timedelta(days=days),
            credential_status=[ob3.status_entry(self.list_url, "revocation", index)] if status else [],
            identifiers=[ob3.IdentityObject.create(email, salt=uuid.uuid4().hex[:12])])
        return ob3.OB3Signer(self.pem(), "EdDSA").sign(cred), index
