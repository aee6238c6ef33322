"""Repository functions: keyword-only, typed, each taking a session. Callers own the transaction
(``with Session.begin() as session: ...``); nothing here commits."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from mosaics_match.limits import LIMITS
from mosaics_match.roles import SIGNED_IN_ROLES
from mosaics_match.store.models import (
    Account,
    Achievement,
    AppState,
    AuditEvent,
    Competency,
    Earner,
    ExternalCredential,
    IssuedCredential,
    Issuer,
    JobPosting,
    PeerDocument,
    Shortlist,
    ShortlistEntry,
    SigningKey,
    StatusList,
    utcnow,
)

DATA_VERSION_KEY = "data_version"
ROLES = SIGNED_IN_ROLES  # the account roles (mosaics_match.roles)


# --- app state ------------------------------------------------------------------------------------------------

def get_state(session: Session, *, key: str) -> str | None:
    row = session.get(AppState, key)
    return row.value if row else None


def set_state(session: Session, *, key: str, value: str) -> None:
    row = session.get(AppState, key)
    if row is None:
        session.add(AppState(key=key, value=value))
    else:
        row.value = value


def data_version(session: Session) -> int:
    """Version of the data the matching index is built from; bumped by issuing, status changes and consent."""
    return int(get_state(session, key=DATA_VERSION_KEY) or 0)


def bump_data_version(session: Session) -> int:
    # A single UPDATE keeps concurrent bumps from losing increments.
    result = session.execute(
        update(AppState)
        .where(AppState.key == DATA_VERSION_KEY)
        .values(value=func.cast(func.cast(AppState.value, type_=_int_type()) + 1, type_=_str_type()))
    )
    if result.rowcount == 0:
        session.add(AppState(key=DATA_VERSION_KEY, value="1"))
        session.flush()
    return data_version(session)


def _int_type():
    from sqlalchemy import Integer

    return Integer()


def _str_type():
    from sqlalchemy import String

    return String(500)


# --- audit ----------------------------------------------------------------------------------------------------

def record_audit(
    session: Session,
    *,
    actor: str,
    actor_role: str,
    action: str,
    subject: str | None = None,
    outcome: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the audit log (the table refuses updates and deletes)."""
    event = AuditEvent(
        at=utcnow(), actor=actor or "anonymous", actor_role=actor_role or "public", action=action,
        subject=(subject or "")[:500] or None, outcome=outcome, details=details or {},
    )
    session.add(event)
    return event


def list_audit(
    session: Session,
    *,
    action: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 500,
) -> list[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if actor:
        stmt = stmt.where(AuditEvent.actor.contains(actor))
    if since:
        stmt = stmt.where(AuditEvent.at >= since)
    if until:
        stmt = stmt.where(AuditEvent.at <= until)
    return list(session.scalars(stmt))


# --- issuers and keys -----------------------------------------------------------------------------------------

def get_local_issuer(session: Session) -> Issuer | None:
    return session.scalars(select(Issuer).where(Issuer.is_local.is_(True)).order_by(Issuer.id)).first()


def get_issuer(session: Session, *, identifier: str) -> Issuer | None:
    return session.scalars(select(Issuer).where(Issuer.identifier == identifier)).first()


def upsert_issuer(
    session: Session, *, identifier: str, name: str, url: str | None = None, trusted: bool = False,
    notes: str | None = None, is_local: bool = False,
) -> Issuer:
    issuer = get_issuer(session, identifier=identifier)
    if issuer is None:
        issuer = Issuer(identifier=identifier, name=name, url=url, trusted=trusted, notes=notes, is_local=is_local)
        session.add(issuer)
        session.flush()
    else:
        issuer.name, issuer.trusted = name, trusted
        if url is not None:
            issuer.url = url
        if notes is not None:
            issuer.notes = notes
    return issuer


def trusted_issuers(session: Session) -> list[Issuer]:
    return list(session.scalars(select(Issuer).where(Issuer.trusted.is_(True)).order_by(Issuer.name)))


def all_issuers(session: Session) -> list[Issuer]:
    return list(session.scalars(select(Issuer).order_by(Issuer.name)))


def active_key(session: Session, *, issuer: Issuer) -> SigningKey | None:
    return session.scalars(
        select(SigningKey)
        .where(SigningKey.issuer_id == issuer.id, SigningKey.retired_at.is_(None))
        .order_by(SigningKey.id.desc())
    ).first()


def issuer_keys(session: Session, *, issuer: Issuer) -> list[SigningKey]:
    return list(session.scalars(select(SigningKey).where(SigningKey.issuer_id == issuer.id).order_by(SigningKey.id)))


# --- catalogue ------------------------------------------------------------------------------------------------

def list_achievements(session: Session, *, active_only: bool = True) -> list[Achievement]:
    stmt = (select(Achievement).options(selectinload(Achievement.competencies))
            .order_by(Achievement.school, Achievement.name))
    if active_only:
        stmt = stmt.where(Achievement.active.is_(True))
    return list(session.scalars(stmt))


def get_achievement(session: Session, *, slug: str) -> Achievement | None:
    return session.scalars(
        select(Achievement).options(selectinload(Achievement.competencies)).where(Achievement.slug == slug)
    ).first()


# --- earners --------------------------------------------------------------------------------------------------

def get_earner_by_email(session: Session, *, email: str) -> Earner | None:
    return session.scalars(select(Earner).where(Earner.email == email)).first()


def create_earner(
    session: Session, *, email: str, name: str, discoverable: bool = False, share_email: bool = False,
    location: str | None = None,
) -> Earner:
    earner = Earner(email=email, name=name, discoverable=discoverable, share_email=share_email, location=location)
    session.add(earner)
    session.flush()
    return earner


def set_consent(
    session: Session, *, earner: Earner, discoverable: bool, share_email: bool | None = None,
    actor: str, actor_role: str,
) -> None:
    """Change whether partners may find ``earner``; takes effect in every search at once (data version bump)."""
    changed = earner.discoverable != discoverable or (share_email is not None and earner.share_email != share_email)
    earner.discoverable = discoverable
    if share_email is not None:
        earner.share_email = share_email
    if changed:
        bump_data_version(session)
        record_audit(
            session, actor=actor, actor_role=actor_role, action="consent", subject=f"earner:{earner.id}",
            outcome="discoverable" if discoverable else "hidden", details={"share_email": earner.share_email},
        )


def count_rows(session: Session) -> dict[str, int]:
    """Headline figures for the home page."""
    now = utcnow()
    valid = (
        select(func.count())
        .select_from(IssuedCredential)
        .where(
            IssuedCredential.revoked.is_(False), IssuedCredential.suspended.is_(False),
            (IssuedCredential.valid_until.is_(None)) | (IssuedCredential.valid_until > now),
        )
    )
    return {
        "achievements": session.scalar(select(func.count()).select_from(Achievement)) or 0,
        "competencies": session.scalar(select(func.count()).select_from(Competency)) or 0,
        "earners": session.scalar(select(func.count()).select_from(Earner)) or 0,
        "discoverable": session.scalar(select(func.count()).select_from(Earner)
                                       .where(Earner.discoverable.is_(True))) or 0,
        "credentials": session.scalar(select(func.count()).select_from(IssuedCredential)) or 0,
        "valid_credentials": session.scalar(valid) or 0,
        "revoked": session.scalar(select(func.count()).select_from(IssuedCredential)
                                  .where(IssuedCredential.revoked.is_(True))) or 0,
        "suspended": session.scalar(select(func.count()).select_from(IssuedCredential)
                                    .where(IssuedCredential.suspended.is_(True))) or 0,
        "postings": session.scalar(select(func.count()).select_from(JobPosting)) or 0,
        "partners": session.scalar(select(func.count(func.distinct(Achievement.partner)))) or 0,
    }


# --- credentials ----------------------------------------------------------------------------------------------

def get_credential(session: Session, *, credential_id: str) -> IssuedCredential | None:
    return session.scalars(
        select(IssuedCredential)
        .options(selectinload(IssuedCredential.achievement), selectinload(IssuedCredential.earner))
        .where(IssuedCredential.credential_id == credential_id)
    ).first()


def credentials_of(session: Session, *, earner: Earner) -> list[IssuedCredential]:
    return list(session.scalars(
        select(IssuedCredential)
        .options(selectinload(IssuedCredential.achievement))
        .where(IssuedCredential.earner_id == earner.id)
        .order_by(IssuedCredential.issued_at.desc())
    ))


def get_status_list(session: Session, *, issuer: Issuer, number: int, purpose: str) -> StatusList | None:
    return session.scalars(
        select(StatusList).where(
            StatusList.issuer_id == issuer.id, StatusList.number == number, StatusList.purpose == purpose
        )
    ).first()


def status_lists(session: Session) -> list[StatusList]:
    return list(session.scalars(select(StatusList).order_by(StatusList.number, StatusList.purpose)))


@dataclass(frozen=True)
class MatchingRow:
    """One currently-valid credential of a discoverable earner: what the matching index is built from."""

    credential_id: str
    earner_id: int
    achievement_slug: str
    issued_at: datetime


def matching_rows(session: Session, *, at: datetime | None = None) -> list[MatchingRow]:
    """Credentials that count as evidence: proof verified, not revoked/suspended, within validity, earner opted in."""
    now = at or datetime.now(UTC)
    stmt = (
        select(IssuedCredential.credential_id, IssuedCredential.earner_id, Achievement.slug, IssuedCredential.issued_at)
        .join(Earner, Earner.id == IssuedCredential.earner_id)
        .join(Achievement, Achievement.id == IssuedCredential.achievement_id)
        .where(
            Earner.discoverable.is_(True),
            IssuedCredential.verified_at.is_not(None),
            IssuedCredential.revoked.is_(False),
            IssuedCredential.suspended.is_(False),
            IssuedCredential.valid_from <= now,
            (IssuedCredential.valid_until.is_(None)) | (IssuedCredential.valid_until > now),
        )
    )
    return [MatchingRow(*row) for row in session.execute(stmt)]


# --- accounts -------------------------------------------------------------------------------------------------

def get_account(session: Session, *, email: str) -> Account | None:
    return session.scalars(select(Account).where(Account.email == email)).first()


def list_accounts(session: Session) -> list[Account]:
    return list(session.scalars(select(Account).order_by(Account.role, Account.email)))


# --- postings and shortlists ----------------------------------------------------------------------------------

def list_postings(session: Session) -> list[JobPosting]:
    return list(session.scalars(select(JobPosting).order_by(JobPosting.posted.desc().nulls_last(), JobPosting.id)))


def get_posting(session: Session, *, posting_id: int) -> JobPosting | None:
    return session.get(JobPosting, posting_id)


def shortlists_of(session: Session, *, account: Account) -> list[Shortlist]:
    return list(session.scalars(
        select(Shortlist).options(selectinload(Shortlist.entries)).where(Shortlist.account_id == account.id)
        .order_by(Shortlist.created_at.desc())
    ))


def add_to_shortlist(
    session: Session, *, shortlist: Shortlist, earner_ids: Iterable[int], scores: dict[int, float] | None = None,
) -> int:
    """Add earners to a shortlist; already-listed earners are left as they are. Returns how many were added."""
    present = {e.earner_id for e in shortlist.entries}
    added = 0
    for earner_id in earner_ids:
        if earner_id in present:
            continue
        shortlist.entries.append(ShortlistEntry(earner_id=earner_id, score=(scores or {}).get(earner_id)))
        present.add(earner_id)
        added += 1
    return added


def earners_by_ids(session: Session, *, ids: Sequence[int]) -> dict[int, Earner]:
    if not ids:
        return {}
    return {e.id: e for e in session.scalars(select(Earner).where(Earner.id.in_(list(ids))))}


# --- staff console: search ------------------------------------------------------------------------------------

def search_credentials(
    session: Session, *, query: str = "", state: str = "any", limit: int = 200,
) -> list[IssuedCredential]:
    """Credentials whose earner email or name, achievement name or code, or credential id contains ``query``
    (case-insensitive), newest first; ``state`` is any | valid | revoked | suspended."""
    stmt = (
        select(IssuedCredential)
        .join(Earner, Earner.id == IssuedCredential.earner_id)
        .join(Achievement, Achievement.id == IssuedCredential.achievement_id)
        .options(selectinload(IssuedCredential.achievement), selectinload(IssuedCredential.earner))
        .order_by(IssuedCredential.issued_at.desc(), IssuedCredential.id.desc())
        .limit(limit)
    )
    q = query.strip().lower()
    if q:
        stmt = stmt.where(
            func.lower(Earner.email).contains(q, autoescape=True)
            | func.lower(Earner.name).contains(q, autoescape=True)
            | func.lower(Achievement.name).contains(q, autoescape=True)
            | func.lower(Achievement.slug).contains(q, autoescape=True)
            | func.lower(IssuedCredential.credential_id).contains(q, autoescape=True)
        )
    if state == "revoked":
        stmt = stmt.where(IssuedCredential.revoked.is_(True))
    elif state == "suspended":
        stmt = stmt.where(IssuedCredential.suspended.is_(True), IssuedCredential.revoked.is_(False))
    elif state == "valid":
        stmt = stmt.where(IssuedCredential.revoked.is_(False), IssuedCredential.suspended.is_(False))
    return list(session.scalars(stmt))


def search_earners(session: Session, *, query: str = "", limit: int = 200) -> list[Earner]:
    """Earners whose email or name contains ``query`` (case-insensitive), by name."""
    stmt = select(Earner).order_by(Earner.name, Earner.id).limit(limit)
    q = query.strip().lower()
    if q:
        stmt = stmt.where(func.lower(Earner.email).contains(q, autoescape=True)
                          | func.lower(Earner.name).contains(q, autoescape=True))
    return list(session.scalars(stmt))


# --- staff console: trust registry ----------------------------------------------------------------------------

MAX_TRUST_FILE_BYTES = LIMITS.trust_file_bytes
MAX_TRUST_ENTRIES = LIMITS.trust_file_issuers
_DID_RE = re.compile(r"^did:[a-z0-9]+:(?:[A-Za-z0-9._%-]*:)*[A-Za-z0-9._%-]+$")


class TrustFileError(ValueError):
    """A trust-registry file or entry is unusable; the message says why in plain words."""


def normalise_issuer_identifier(value: str) -> str:
    """Validate a trusted-issuer identifier (a DID or an http(s) URL) and return its normal form.

    Raises
    ------
    TrustFileError
        When it is neither a syntactically valid DID nor an absolute http(s) URL with a host.
    """
    from urllib.parse import urlsplit

    value = (value or "").strip()
    if not value:
        raise TrustFileError("The issuer identifier is empty: give a DID (did:web:…, did:key:…) or a web address.")
    if len(value) > 500:
        raise TrustFileError("The issuer identifier is longer than 500 characters.")
    if value.startswith("did:"):
        if not _DID_RE.match(value):
            raise TrustFileError(f"{value!r} is not a valid DID (expected did:<method>:<identifier>).")
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        raise TrustFileError(f"{value!r} is neither a DID nor a web address starting with https://.")
    if parts.username or parts.password:
        raise TrustFileError("A web address of an issuer must not contain a user name or password.")
    return value.rstrip("/")


@dataclass(frozen=True)
class TrustEntry:
    identifier: str
    name: str
    notes: str | None = None


def parse_trust_document(data: bytes | str, *, max_bytes: int = MAX_TRUST_FILE_BYTES,
                         max_entries: int = MAX_TRUST_ENTRIES) -> list[TrustEntry]:
    """Parse ``{"issuers": [{"id": "<DID or URL>", "name": "…", "notes"?: "…"}]}``, bounded and validated.

    Raises
    ------
    TrustFileError
        With the first problems found (entry numbers start at 1).
    """
    import json as _json

    raw = data.encode("utf-8") if isinstance(data, str) else data
    if not raw:
        raise TrustFileError("The file is empty.")
    if len(raw) > max_bytes:
        raise TrustFileError(f"The file is {len(raw):,} bytes; the limit is {max_bytes:,} bytes.")
    try:
        doc = _json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise TrustFileError(f"The file is not valid JSON: {exc}.") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("issuers"), list):
        raise TrustFileError('The file must be a JSON object with an "issuers" list: '
                             '{"issuers": [{"id": …, "name": …}]}.')
    items = doc["issuers"]
    if len(items) > max_entries:
        raise TrustFileError(f"The file lists {len(items):,} issuers; the limit is {max_entries:,}.")
    entries: dict[str, TrustEntry] = {}
    problems: list[str] = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            problems.append(f"entry {i} is not an object")
            continue
        ident, name, notes = item.get("id"), item.get("name", ""), item.get("notes")
        if not isinstance(ident, str):
            problems.append(f"entry {i} has no text \"id\"")
            continue
        try:
            ident = normalise_issuer_identifier(ident)
        except TrustFileError as exc:
            problems.append(f"entry {i}: {exc}")
            continue
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            problems.append(f"entry {i} ({ident}) needs a \"name\" of 1 to 200 characters")
            continue
        if notes is not None and (not isinstance(notes, str) or len(notes) > 2000):
            problems.append(f"entry {i} ({ident}): \"notes\" must be text of at most 2,000 characters")
            continue
        if ident in entries:
            problems.append(f"entry {i} repeats {ident}")
            continue
        entries[ident] = TrustEntry(ident, name.strip(),
                                    notes.strip() if isinstance(notes, str) and notes.strip() else None)
    if problems:
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise TrustFileError("Nothing was imported: " + "; ".join(problems[:10]) + more + ".")
    return list(entries.values())


def export_trust_registry(session: Session) -> dict[str, Any]:
    """The trusted issuers in the import format (round-trips through :func:`parse_trust_document`)."""
    issuers = []
    for issuer in trusted_issuers(session):
        item: dict[str, Any] = {"id": issuer.identifier, "name": issuer.name}
        if issuer.notes:
            item["notes"] = issuer.notes
        issuers.append(item)
    return {"issuers": issuers}


def trust_issuer(session: Session, *, entry: TrustEntry, actor: str, actor_role: str = "staff") -> Issuer:
    """Add ``entry`` to the trust registry, or update its name and notes; audited."""
    existing = get_issuer(session, identifier=entry.identifier)
    issuer = upsert_issuer(session, identifier=entry.identifier, name=entry.name, trusted=True,
                           notes=entry.notes if entry.notes is not None else (existing.notes if existing else None))
    record_audit(session, actor=actor, actor_role=actor_role, action="trust_add" if existing is None or not
                 existing.trusted else "trust_update", subject=entry.identifier, outcome="success",
                 details={"name": entry.name})
    return issuer


def untrust_issuer(session: Session, *, identifier: str, actor: str, actor_role: str = "staff") -> None:
    """Remove an issuer from the trust registry (the row stays: credentials and keys may refer to it).

    Raises
    ------
    TrustFileError
        For an unknown issuer, or for this portal's own issuer.
    """
    issuer = get_issuer(session, identifier=identifier)
    if issuer is None or not issuer.trusted:
        raise TrustFileError(f"{identifier!r} is not in the trust registry.")
    if issuer.is_local:
        raise TrustFileError("This portal's own issuer cannot be removed from the trust registry.")
    issuer.trusted = False
    record_audit(session, actor=actor, actor_role=actor_role, action="trust_remove", subject=identifier,
                 outcome="success", details={"name": issuer.name})


def import_trust_registry(session: Session, *, entries: Sequence[TrustEntry], actor: str,
                          actor_role: str = "staff") -> dict[str, int]:
    """Add or update every entry (one transaction: the caller's); returns counts added / updated / unchanged."""
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    for entry in entries:
        existing = get_issuer(session, identifier=entry.identifier)
        if existing is None or not existing.trusted:
            counts["added"] += 1
        elif existing.name == entry.name and (entry.notes is None or existing.notes == entry.notes):
            counts["unchanged"] += 1
            continue
        else:
            counts["updated"] += 1
        upsert_issuer(session, identifier=entry.identifier, name=entry.name, trusted=True, notes=entry.notes)
    record_audit(session, actor=actor, actor_role=actor_role, action="trust_import", subject=f"{len(entries)} issuers",
                 outcome="success", details=counts)
    return counts


# --- credentials earners bring from other issuers -------------------------------------------------------------

def external_credentials_of(session: Session, *, earner_id: int) -> list[ExternalCredential]:
    """An earner's added credentials, newest first."""
    return list(session.scalars(select(ExternalCredential).where(ExternalCredential.earner_id == earner_id)
                                .order_by(ExternalCredential.added_at.desc(), ExternalCredential.id.desc())))


def get_external_credential(session: Session, *, earner_id: int, external_id: int) -> ExternalCredential | None:
    """One of ``earner_id``'s added credentials (never another earner's)."""
    row = session.get(ExternalCredential, external_id)
    return row if row is not None and row.earner_id == earner_id else None


def count_external_credentials(session: Session, *, earner_id: int) -> int:
    return session.scalar(select(func.count()).select_from(ExternalCredential)
                          .where(ExternalCredential.earner_id == earner_id)) or 0


def find_external_credential(session: Session, *, earner_id: int, digest: str) -> ExternalCredential | None:
    return session.scalars(select(ExternalCredential).where(ExternalCredential.earner_id == earner_id,
                                                            ExternalCredential.digest == digest)).first()


def external_to_recheck(session: Session) -> list[tuple[int, list, dict, datetime | None, str]]:
    """Added credentials whose status can still change (revoked and expired ones cannot come back), as
    (id, status list URLs, their digests when last checked, valid until, state): no documents are read."""
    return [tuple(row) for row in session.execute(
        select(ExternalCredential.id, ExternalCredential.status_lists, ExternalCredential.status_etags,
               ExternalCredential.valid_until, ExternalCredential.state)
        .where(ExternalCredential.state.not_in(("revoked", "expired")))
        .order_by(ExternalCredential.id))]


@dataclass(frozen=True)
class ExternalMatchingRow:
    """One added credential that counts as evidence now, with the signed facts matching reads."""

    external_id: int
    earner_id: int
    issuer_identifier: str
    issuer_name: str
    achievement_key: str
    achievement_name: str
    content: dict
    valid_from: datetime | None


def external_matching_rows(session: Session, *, at: datetime | None = None) -> list[ExternalMatchingRow]:
    """Added credentials that count: last check valid, within validity, shown to partners by their earner, the
    earner opted in, and the issuer trusted with "counts in partner search" on."""
    now = at or datetime.now(UTC)
    stmt = (
        select(ExternalCredential.id, ExternalCredential.earner_id, ExternalCredential.issuer_identifier,
               Issuer.name, ExternalCredential.achievement_key, ExternalCredential.achievement_name,
               ExternalCredential.content, ExternalCredential.valid_from)
        .join(Earner, Earner.id == ExternalCredential.earner_id)
        .join(Issuer, Issuer.identifier == ExternalCredential.issuer_identifier)
        .where(
            Earner.discoverable.is_(True), ExternalCredential.partners_may_see.is_(True),
            ExternalCredential.state == "valid", Issuer.trusted.is_(True), Issuer.counts_in_search.is_(True),
            (ExternalCredential.valid_from.is_(None)) | (ExternalCredential.valid_from <= now),
            (ExternalCredential.valid_until.is_(None)) | (ExternalCredential.valid_until > now),
        )
        .order_by(ExternalCredential.id)
    )
    return [ExternalMatchingRow(*row) for row in session.execute(stmt)]


def external_next_change(session: Session, *, at: datetime) -> datetime | None:
    """When the set of counting added credentials next changes by the clock alone (an expiry or a start)."""
    live = (ExternalCredential.state == "valid", ExternalCredential.partners_may_see.is_(True))
    ends = session.scalar(select(func.min(ExternalCredential.valid_until))
                          .where(*live, ExternalCredential.valid_until > at))
    starts = session.scalar(select(func.min(ExternalCredential.valid_from))
                            .where(*live, ExternalCredential.valid_from > at))
    moments = [m if m.tzinfo else m.replace(tzinfo=UTC) for m in (ends, starts) if m is not None]
    return min(moments) if moments else None


def verified_emails(session: Session, *, earner_id: int) -> list[str]:
    """The addresses known to belong to an earner: the earner record's (credentials are issued and claimed with
    it) and those of the accounts linked to it (each signed in with)."""
    earner = session.get(Earner, earner_id)
    found = [earner.email] if earner is not None else []
    found += [a for (a,) in session.execute(select(Account.email).where(Account.earner_id == earner_id,
                                                                        Account.active.is_(True)))]
    return list(dict.fromkeys(e for e in found if e))


def set_counts_in_search(session: Session, *, identifier: str, counts: bool, actor: str,
                         actor_role: str = "staff") -> Issuer:
    """Switch whether a trusted issuer's added credentials count in partner searches; audited, and the next
    search uses it (data version bump).

    Raises
    ------
    TrustFileError
        For an issuer not in the trust registry.
    """
    issuer = get_issuer(session, identifier=identifier)
    if issuer is None or not issuer.trusted:
        raise TrustFileError(f"{identifier!r} is not in the trust registry.")
    if bool(issuer.counts_in_search) != counts:
        issuer.counts_in_search = counts
        bump_data_version(session)
        record_audit(session, actor=actor, actor_role=actor_role, action="trust_counts", subject=identifier,
                     outcome="on" if counts else "off", details={"name": issuer.name})
    return issuer


def get_peer_document(session: Session, *, url: str) -> str | None:
    return session.scalar(select(PeerDocument.body).where(PeerDocument.url == url))


def put_peer_document(session: Session, *, url: str, body: str) -> None:
    """Publish (or replace) a demo issuer's document at ``url``."""
    row = session.scalars(select(PeerDocument).where(PeerDocument.url == url)).first()
    if row is None:
        session.add(PeerDocument(url=url, body=body, updated_at=utcnow()))
    else:
        row.body, row.updated_at = body, utcnow()
