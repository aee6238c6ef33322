"""Seneca as issuer: keys, signing, status lists. Ties the credential engine to the database.

All functions take a session and leave the transaction to the caller, so an issuance (credential row, status
index, audit event, data version) commits or rolls back as one.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mosaics_match.links import status_list_url
from mosaics_match.settings import Settings
from mosaics_match.store import repo
from mosaics_match.store.keystore import KeySecretError, decrypt_private_key, encrypt_private_key
from mosaics_match.store.models import Achievement, Earner, IssuedCredential, Issuer, SigningKey, StatusList, utcnow

STATUS_LIST_SIZE = 131_072  # the Bitstring Status List minimum, for herd privacy
PROOF_FORMATS = ("eddsa-rdfc-2022", "eddsa-jcs-2022", "vc-jwt")
STATUS_PURPOSES = ("revocation", "suspension")
ISSUER_NAME = "Seneca Polytechnic"
ISSUER_URL = "https://www.senecapolytechnic.ca"


class IssuingError(RuntimeError):
    """An issuing operation cannot be done; the message says why in plain words."""


@dataclass
class Signer:
    """The local issuer with its active key opened for signing (in memory only)."""

    issuer: Issuer
    key: SigningKey
    private_key: object
    settings: Settings

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    @property
    def issuer_id(self) -> str:
        return self.issuer.identifier

    @property
    def verification_method(self) -> str:
        return self.key.verification_method

    def issuer_profile(self) -> dict:
        return {"id": self.issuer.identifier, "type": ["Profile"], "name": self.issuer.name, "url": self.issuer.url}


def _new_key_row(issuer: Issuer | None, settings: Settings) -> tuple[SigningKey, str, object]:
    from mosaics_match.credentials import keys as ck

    private = ck.generate_ed25519()
    public = ck.public_key_of(private)
    if settings.issuer_did:
        did = settings.issuer_did
        vm = f"{did}#key-{public.fingerprint()[:16]}"
    else:
        did = ck.did_key_for(public)
        vm = ck.did_key_verification_method(did)
    row = SigningKey(
        verification_method=vm, algorithm="Ed25519", public_multikey=public.multikey(),
        fingerprint=public.fingerprint(),
        private_key_encrypted=encrypt_private_key(private, secret=settings.key_secret, binding=vm),
    )
    return row, did, private


def ensure_local_issuer(session: Session, *, settings: Settings) -> Issuer:
    """Return Seneca's issuer row, creating it and a first key (generated now, never from git) if needed."""
    issuer = repo.get_local_issuer(session)
    if issuer is not None:
        return issuer
    if not settings.key_secret:
        raise IssuingError("No key secret is configured (MOSAICS_KEY_SECRET): the portal will not create or use "
                           "signing keys without one.")
    key, did, _ = _new_key_row(None, settings)
    issuer = repo.upsert_issuer(session, identifier=did, name=ISSUER_NAME, url=ISSUER_URL, trusted=True,
                                is_local=True, notes="This portal's own issuer (keys held here).")
    key.issuer_id = issuer.id
    session.add(key)
    session.flush()
    return issuer


def rotate_key(session: Session, *, settings: Settings, actor: str) -> SigningKey:
    """Retire the active key and create a new one. Old keys stay published so what they signed still verifies.

    With a ``did:key`` issuer a new key is a new DID, so a new (trusted, local) issuer row is created and the old
    one keeps its keys for verification; with ``did:web`` the DID document lists every key.
    """
    if not settings.key_secret:
        raise IssuingError("No key secret is configured (MOSAICS_KEY_SECRET): the portal will not create signing "
                           "keys without one, so the key was not rotated.")
    issuer = ensure_local_issuer(session, settings=settings)
    current = repo.active_key(session, issuer=issuer)
    now = utcnow()
    key, did, _ = _new_key_row(issuer, settings)
    if did != issuer.identifier:
        issuer.is_local = False  # keeps trusted=True: credentials it signed remain Seneca's
        issuer.notes = f"Retired Seneca key (rotated {now:%Y-%m-%d})."
        issuer = repo.upsert_issuer(session, identifier=did, name=ISSUER_NAME, url=ISSUER_URL, trusted=True,
                                    is_local=True, notes="This portal's own issuer (keys held here).")
    if current is not None:
        current.retired_at = now
    key.issuer_id = issuer.id
    session.add(key)
    session.flush()
    repo.record_audit(session, actor=actor, actor_role="staff", action="key_rotate", subject=key.verification_method,
                      outcome="success", details={"fingerprint": key.fingerprint})
    return key


def open_signer(session: Session, *, settings: Settings) -> Signer:
    """Decrypt the active key for signing; refuses (``IssuingError``) without the right key secret."""
    issuer = ensure_local_issuer(session, settings=settings)
    key = repo.active_key(session, issuer=issuer)
    if key is None:
        raise IssuingError("Seneca has no active signing key; generate one on the Signing keys page.")
    return _open(issuer, key, settings)


def _open(issuer: Issuer, key: SigningKey, settings: Settings) -> Signer:
    try:
        private = decrypt_private_key(key.private_key_encrypted, secret=settings.key_secret,
                                      binding=key.verification_method)
    except KeySecretError as exc:
        raise IssuingError(str(exc)) from exc
    return Signer(issuer=issuer, key=key, private_key=private, settings=settings)


def _status_signer(session: Session, *, signer: Signer, issuer: Issuer) -> Signer:
    """The signer for a status list of ``issuer``: the active key, or for a rotated did:key issuer its newest
    (retired) key, which is kept for exactly this: maintaining the lists of what it signed."""
    if issuer.id == signer.issuer.id:
        return signer
    keys = repo.issuer_keys(session, issuer=issuer)
    if not keys:
        raise IssuingError("No key of the issuer of this credential is held here, so its status list cannot be "
                           "re-signed.")
    return _open(issuer, keys[-1], signer.settings)


# --- status lists ---------------------------------------------------------------------------------------------

def _allocate_status_index(session: Session, *, signer: Signer) -> tuple[int, int]:
    """Take the next free index in the newest list pair (creating a pair when full). Rows are locked on PostgreSQL."""
    # Lock the issuer row first: when no list (or no free list) exists yet there is no list row to lock, and two
    # transactions would both create list N (unique violation, a lost issuance). SQLite serializes writers with
    # BEGIN IMMEDIATE instead.
    session.execute(select(Issuer.id).where(Issuer.id == signer.issuer.id).with_for_update())
    stmt = (
        select(StatusList)
        .where(StatusList.issuer_id == signer.issuer.id, StatusList.purpose == "revocation")
        .order_by(StatusList.number.desc())
        .limit(1)
        .with_for_update()
        .execution_options(populate_existing=True)  # the locked row's current values, not the identity map's
    )
    current = session.scalars(stmt).first()
    if current is None or current.next_index >= current.size:
        number = 1 if current is None else current.number + 1
        # List numbers are global across issuer rows (a rotated did:key issuer keeps its old lists).
        taken = session.scalar(select(StatusList.number).order_by(StatusList.number.desc()).limit(1))
        if taken is not None and number <= taken:
            number = taken + 1
        for purpose in STATUS_PURPOSES:
            session.add(StatusList(issuer_id=signer.issuer.id, number=number, purpose=purpose,
                                   size=STATUS_LIST_SIZE, bits=bytes(STATUS_LIST_SIZE // 8), next_index=0))
        session.flush()
        current = session.scalars(stmt).first()
        assert current is not None
        for purpose in STATUS_PURPOSES:
            sign_status_list(session, signer=signer, status_list=repo.get_status_list(
                session, issuer=signer.issuer, number=number, purpose=purpose))
    index = current.next_index
    current.next_index = index + 1
    return current.number, index


def sign_status_list(session: Session, *, signer: Signer, status_list: StatusList | None) -> None:
    """Re-sign a status list credential from its current bits (after any flip)."""
    from mosaics_match.credentials import status as cs

    assert status_list is not None
    url = status_list_url(signer.base_url, status_list.purpose, status_list.number)
    bits = cs.StatusBits(status_list.size, data=status_list.bits)
    doc = cs.build_status_list_credential(
        list_url=url, issuer=signer.issuer_id, purpose=status_list.purpose, bits=bits, valid_from=utcnow(),
    )
    signed = _sign(doc, signer=signer, fmt="eddsa-rdfc-2022")
    status_list.signed_document = json.dumps(signed, separators=(",", ":"), ensure_ascii=False)
    status_list.version += 1
    status_list.updated_at = utcnow()


def _sign(doc: dict, *, signer: Signer, fmt: str) -> dict | str:
    """Sign with the engine; VC-JWT uses the Open Badges 3.0 JWT form (credential as payload + iss/jti/nbf/exp)."""
    from mosaics_match.credentials.build import sign_credential

    if fmt not in PROOF_FORMATS:
        raise IssuingError(f"Unknown proof format {fmt!r}; choose one of {', '.join(PROOF_FORMATS)}.")
    return sign_credential(doc, signer.private_key, verification_method=signer.verification_method, fmt=fmt,
                           created=utcnow())


# --- issuing --------------------------------------------------------------------------------------------------

def achievement_document(achievement: Achievement, *, base_url: str) -> dict:
    """The OB 3.0 Achievement of a catalogue entry, with ESCO alignments for its competencies."""
    alignments = []
    for comp in achievement.competencies:
        if comp.esco_uri:
            alignments.append({
                "type": ["Alignment"], "targetName": comp.name, "targetUrl": comp.esco_uri,
                "targetDescription": comp.description, "targetFramework": "ESCO",
                "targetCode": comp.esco_label or comp.slug,
            })
        else:
            alignments.append({
                "type": ["Alignment"], "targetName": comp.name,
                "targetUrl": f"{base_url}/catalogue#{achievement.slug}--{comp.slug}",
                "targetDescription": comp.description, "targetFramework": "Seneca Mosaics",
                "targetCode": comp.slug,
            })
    return {
        "id": f"{base_url}/achievements/{achievement.slug}",
        "name": achievement.name,
        "description": achievement.description,
        "criteria": achievement.criteria,
        "image": f"{base_url}/achievements/{achievement.slug}.svg",
        "alignments": alignments,
        "achievement_type": "MicroCredential",
        "human_code": achievement.slug,
        "field_of_study": achievement.school,
        "hours": achievement.hours,
        "level": achievement.level,
        "partner": achievement.partner,
        "school": achievement.school,
        "tags": list(achievement.tags or []),
    }


@dataclass
class IssueReceipt:
    credential: IssuedCredential
    claim_code: str
    document: dict | str


def hash_claim_code(code: str) -> str:
    return "sha256$" + hashlib.sha256(code.strip().upper().encode()).hexdigest()


def new_claim_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I look-alikes
    raw = "".join(secrets.choice(alphabet) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def build_unsigned(
    *, signer: Signer, achievement: Achievement, earner: Earner, credential_id: str, valid_from: datetime,
    valid_until: datetime | None, status_number: int, status_index: int, salt: str,
) -> dict:
    from mosaics_match.credentials.build import build_credential

    status = [
        {
            "id": f"{status_list_url(signer.base_url, purpose, status_number)}#{status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": purpose,
            "statusListIndex": str(status_index),
            "statusListCredential": status_list_url(signer.base_url, purpose, status_number),
        }
        for purpose in STATUS_PURPOSES
    ]
    return build_credential(
        credential_id=credential_id, issuer=signer.issuer_profile(),
        achievement=achievement_document(achievement, base_url=signer.base_url),
        recipient_email=earner.email, salt=salt, earner_name=earner.name,
        valid_from=valid_from, valid_until=valid_until, status=status,
    )


def issue_credential(
    session: Session, *, signer: Signer, earner: Earner, achievement: Achievement, actor: str,
    valid_from: datetime | None = None, valid_until: datetime | None = None, fmt: str = "eddsa-rdfc-2022",
    issued_at: datetime | None = None, audit: bool = True, verify_after_signing: bool = True,
) -> IssueReceipt:
    """Build, sign, store and audit one credential; returns the stored row and a one-time claim code."""
    if fmt not in PROOF_FORMATS:
        raise IssuingError(f"Unknown proof format {fmt!r}; choose one of {', '.join(PROOF_FORMATS)}.")
    issued_at = issued_at or utcnow()
    valid_from = valid_from or issued_at
    if valid_until is not None and valid_until <= valid_from:
        raise IssuingError("The credential would expire before it becomes valid: check the dates.")
    number, index = _allocate_status_index(session, signer=signer)
    credential_id = f"urn:uuid:{uuid.uuid4()}"
    unsigned = build_unsigned(
        signer=signer, achievement=achievement, earner=earner, credential_id=credential_id,
        valid_from=valid_from, valid_until=valid_until, status_number=number, status_index=index,
        salt=secrets.token_hex(16),
    )
    signed = _sign(unsigned, signer=signer, fmt=fmt)
    document = signed if isinstance(signed, str) else json.dumps(signed, separators=(",", ":"), ensure_ascii=False)
    verified_at = None
    if verify_after_signing:
        verified_at = verify_own_signature(document, signer=signer)
    claim_code = new_claim_code()
    row = IssuedCredential(
        credential_id=credential_id, earner_id=earner.id, achievement_id=achievement.id, issuer_id=signer.issuer.id,
        key_id=signer.key.id, issued_at=issued_at, valid_from=valid_from, valid_until=valid_until,
        document=document, proof_format=fmt, status_list_number=number, status_index=index,
        claim_code_hash=hash_claim_code(claim_code), verified_at=verified_at,
    )
    session.add(row)
    session.flush()
    repo.bump_data_version(session)
    if audit:
        repo.record_audit(session, actor=actor, actor_role="staff", action="issue", subject=credential_id,
                          outcome="success", details={"achievement": achievement.slug, "earner": earner.id,
                                                      "format": fmt})
    return IssueReceipt(credential=row, claim_code=claim_code, document=signed)


def verify_own_signature(document: str, *, signer: Signer) -> datetime:
    """Check the proof of a credential just signed here (catches a broken key or signer before it ships)."""
    from mosaics_match.credentials import jwt as cj
    from mosaics_match.credentials import keys as ck
    from mosaics_match.credentials import proofs

    public = ck.public_key_of(signer.private_key)
    if document.startswith("{"):
        doc = json.loads(document)
        proof = doc.pop("proof")
        proofs.verify_proof(doc, proof, public)
    else:
        cj.verify_jws(document, public)
    return utcnow()


def change_status(
    session: Session, *, signer: Signer, credential: IssuedCredential, action: str, reason: str, actor: str,
    public_reason: str | None = None,
) -> None:
    """Revoke, suspend or reinstate: flip the bit, re-sign the list, update the row, audit — in one transaction.

    Revocation is final; reinstating clears a suspension only. ``reason`` is staff's own (audit log);
    ``public_reason``, when given, is shown with the date to whoever verifies the credential here.
    """
    from mosaics_match.credentials import status as cs

    reason = (reason or "").strip()
    if action not in ("revoke", "suspend", "reinstate"):
        raise IssuingError(f"Unknown status action {action!r}.")
    if action in ("revoke", "suspend") and not reason:
        raise IssuingError("Give a reason: it is kept in the audit log.")
    # Re-read the credential under a row lock: a concurrent revocation must be seen before deciding.
    session.refresh(credential, with_for_update=True)
    if credential.revoked:
        raise IssuingError("This credential is revoked; revocation is permanent.")
    if action == "reinstate" and not credential.suspended:
        raise IssuingError("Only a suspended credential can be reinstated.")
    purpose = "revocation" if action == "revoke" else "suspension"
    issuer = session.get(Issuer, credential.issuer_id)
    lst = session.scalars(
        select(StatusList).where(StatusList.issuer_id == credential.issuer_id,
                                 StatusList.number == credential.status_list_number,
                                 StatusList.purpose == purpose)
        .with_for_update().execution_options(populate_existing=True)
    ).first()
    if lst is None or issuer is None:
        raise IssuingError("The status list of this credential is missing.")
    bits = cs.StatusBits(lst.size, data=lst.bits)
    bits.set(credential.status_index, action != "reinstate")
    lst.bits = bits.to_bytes()
    list_signer = _status_signer(session, signer=signer, issuer=issuer)
    sign_status_list(session, signer=list_signer, status_list=lst)
    if action == "revoke":
        credential.revoked = True
    elif action == "suspend":
        credential.suspended = True
    else:
        credential.suspended = False
    credential.status_reason = reason or None
    public_reason = " ".join((public_reason or "").split())[:300] or None
    credential.public_status_reason = public_reason if action != "reinstate" else None
    credential.status_changed_at = utcnow()
    repo.bump_data_version(session)
    repo.record_audit(session, actor=actor, actor_role="staff", action=action, subject=credential.credential_id,
                      outcome="success", details={"reason": reason, "public_reason": public_reason,
                                                  "list": lst.number, "index": credential.status_index})


def utc(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
