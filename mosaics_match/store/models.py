"""Typed SQLAlchemy 2 models. The Alembic migrations in ``mosaics_match/store/migrations`` are the schema's source of
truth; a test checks that migrating an empty database produces exactly these tables and columns."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import false
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes on every backend (SQLite stores naive values; we store and return UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Issuer(Base):
    __tablename__ = "issuer"

    id: Mapped[int] = mapped_column(primary_key=True)
    identifier: Mapped[str] = mapped_column(String(500), unique=True)  # DID or URL
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(500))
    trusted: Mapped[bool] = mapped_column(Boolean, default=False)
    is_local: Mapped[bool] = mapped_column(Boolean, default=False)  # Seneca itself: we hold its keys
    notes: Mapped[str | None] = mapped_column(Text)
    # Whether staff let this (trusted) issuer's credentials that earners added count in partner searches.
    counts_in_search: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    keys: Mapped[list[SigningKey]] = relationship(back_populates="issuer", order_by="SigningKey.id")


class SigningKey(Base):
    __tablename__ = "signing_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuer.id"))
    verification_method: Mapped[str] = mapped_column(String(600), unique=True)
    algorithm: Mapped[str] = mapped_column(String(20), default="Ed25519")
    public_multikey: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(100))
    private_key_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    issuer: Mapped[Issuer] = relationship(back_populates="keys")


class Achievement(Base):
    """A Mosaics micro-credential in the catalogue."""

    __tablename__ = "achievement"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    criteria: Mapped[str] = mapped_column(Text)
    school: Mapped[str] = mapped_column(String(200))
    partner: Mapped[str | None] = mapped_column(String(200))
    hours: Mapped[int | None] = mapped_column(Integer)
    level: Mapped[str | None] = mapped_column(String(40))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    image_svg: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    competencies: Mapped[list[Competency]] = relationship(
        back_populates="achievement", order_by="Competency.position", cascade="all, delete-orphan"
    )


class Competency(Base):
    __tablename__ = "competency"
    __table_args__ = (UniqueConstraint("achievement_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    achievement_id: Mapped[int] = mapped_column(ForeignKey("achievement.id"))
    slug: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    esco_uri: Mapped[str | None] = mapped_column(String(300))
    esco_label: Mapped[str | None] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer, default=0)

    achievement: Mapped[Achievement] = relationship(back_populates="competencies")


class Earner(Base):
    __tablename__ = "earner"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    discoverable: Mapped[bool] = mapped_column(Boolean, default=False)
    # What a partner may see when the earner is discoverable.
    share_email: Mapped[bool] = mapped_column(Boolean, default=False)
    location: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    credentials: Mapped[list[IssuedCredential]] = relationship(back_populates="earner")


class StatusList(Base):
    """One signed Bitstring Status List; revocation and suspension lists come in pairs sharing a number."""

    __tablename__ = "status_list"
    __table_args__ = (UniqueConstraint("issuer_id", "number", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuer.id"))
    number: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(20))  # revocation | suspension
    size: Mapped[int] = mapped_column(Integer)
    bits: Mapped[bytes] = mapped_column(LargeBinary)
    next_index: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=0)
    signed_document: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IssuedCredential(Base):
    __tablename__ = "issued_credential"
    __table_args__ = (
        UniqueConstraint("status_list_number", "status_index"),
        Index("ix_issued_credential_earner", "earner_id"),
        Index("ix_issued_credential_achievement", "achievement_id"),
        Index("ix_issued_credential_share_token", "share_token", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[str] = mapped_column(String(100), unique=True)  # urn:uuid:...
    earner_id: Mapped[int] = mapped_column(ForeignKey("earner.id"))
    achievement_id: Mapped[int] = mapped_column(ForeignKey("achievement.id"))
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuer.id"))
    key_id: Mapped[int] = mapped_column(ForeignKey("signing_key.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    document: Mapped[str] = mapped_column(Text)  # the serialized signed credential (JSON or compact JWS)
    proof_format: Mapped[str] = mapped_column(String(40))
    status_list_number: Mapped[int] = mapped_column(Integer)
    status_index: Mapped[int] = mapped_column(Integer)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    status_reason: Mapped[str | None] = mapped_column(Text)  # staff's own reason (audit log, staff pages)
    # When it was last revoked, suspended or reinstated, and the reason verifiers may read (optional).
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    public_status_reason: Mapped[str | None] = mapped_column(Text)
    claim_code_hash: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    public: Mapped[bool] = mapped_column(Boolean, default=False)  # earner published it at /credentials/{id}
    # The earner's verification link: whoever holds it sees the verdict on the verify page (not the file).
    share_token: Mapped[str | None] = mapped_column(String(64))
    share_token_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the stored document's proof was verified after signing or import; with the status flags and
    # dates it decides whether the credential counts as evidence for matching.
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    earner: Mapped[Earner] = relationship(back_populates="credentials")
    achievement: Mapped[Achievement] = relationship()
    issuer: Mapped[Issuer] = relationship()


class Account(Base):
    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # a SIGNED_IN_ROLES value (mosaics_match.roles)
    password_hash: Mapped[str | None] = mapped_column(String(300))
    organisation: Mapped[str | None] = mapped_column(String(200))
    earner_id: Mapped[int | None] = mapped_column(ForeignKey("earner.id"))
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)  # bump = sign out everywhere
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JobPosting(Base):
    __tablename__ = "job_posting"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str | None] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    employer: Mapped[str] = mapped_column(String(200))
    location: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    posted: Mapped[str | None] = mapped_column(String(20))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Shortlist(Base):
    __tablename__ = "shortlist"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    posting_id: Mapped[int | None] = mapped_column(ForeignKey("job_posting.id"))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entries: Mapped[list[ShortlistEntry]] = relationship(
        back_populates="shortlist", cascade="all, delete-orphan", order_by="ShortlistEntry.id"
    )


class ShortlistEntry(Base):
    __tablename__ = "shortlist_entry"
    __table_args__ = (UniqueConstraint("shortlist_id", "earner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shortlist_id: Mapped[int] = mapped_column(ForeignKey("shortlist.id"))
    earner_id: Mapped[int] = mapped_column(ForeignKey("earner.id"))
    score: Mapped[float | None] = mapped_column()
    note: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    shortlist: Mapped[Shortlist] = relationship(back_populates="entries")


class AuditEvent(Base):
    """Append-only: database triggers (see the first migration) refuse UPDATE and DELETE, and each event is sealed
    into a chain (``prev_hash``, ``hash``; see :mod:`mosaics_match.store.audit_chain`) so tampering shows."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_at", "at"), Index("ix_audit_event_action", "action"),
                      Index("ux_audit_event_prev_hash", "prev_hash", unique=True))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(320))
    actor_role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str | None] = mapped_column(String(500))
    outcome: Mapped[str | None] = mapped_column(String(40))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    # Empty only on events written before the chain existed.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class AppState(Base):
    """Small key/value facts, e.g. the data version that keys the cached matching index."""

    __tablename__ = "app_state"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))


class ExternalCredential(Base):
    """A credential from another issuer that an earner added: verified on the way in, re-checked since.

    ``document`` is the credential as received (JSON text or compact JWS; the one inside a baked image), so a
    re-check verifies the same bytes. ``content`` holds only facts read from the verifier's signed view (the
    achievement's name, description, criteria and alignments) for matching and display. ``state`` is the
    outcome of the last check: ``valid``, ``revoked``, ``suspended``, ``expired`` or ``unconfirmed`` (its status
    could not be confirmed right now); ``status_etags`` maps each status list URL it was last checked against to
    the digest of the list then served.
    """

    __tablename__ = "external_credential"
    __table_args__ = (UniqueConstraint("earner_id", "digest"), Index("ix_external_credential_earner", "earner_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    earner_id: Mapped[int] = mapped_column(ForeignKey("earner.id"))
    digest: Mapped[str] = mapped_column(String(64))
    credential_id: Mapped[str | None] = mapped_column(String(500))
    issuer_identifier: Mapped[str] = mapped_column(String(500))
    issuer_name: Mapped[str] = mapped_column(String(200))
    achievement_key: Mapped[str] = mapped_column(String(64))
    achievement_name: Mapped[str] = mapped_column(String(300))
    document: Mapped[str] = mapped_column(Text)
    input_kind: Mapped[str] = mapped_column(String(20))
    content: Mapped[dict] = mapped_column(JSON, default=dict)
    status_lists: Mapped[list[str]] = mapped_column(JSON, default=list)
    status_etags: Mapped[dict] = mapped_column(JSON, default=dict)
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(20))
    state_detail: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    partners_may_see: Mapped[bool] = mapped_column(Boolean, default=False)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    earner: Mapped[Earner] = relationship()


class PeerDocument(Base):
    """A document published by a demo issuer that has no web host of its own (a DID document or status list under
    a reserved ``.example`` host). The verifier is served these only in demo mode."""

    __tablename__ = "peer_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500), unique=True)
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
