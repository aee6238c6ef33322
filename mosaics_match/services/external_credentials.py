"""Credentials earners bring from other issuers: adding (verified with the same engine), listing, sharing with
partners, removing, and keeping their status live.

Adding. The input (a file, a baked badge image, pasted JSON or JWT, or a verification link the portal fetches)
goes through :func:`mosaics_match.services.verification.verify_submission`, so the earner sees the same verdict
lines as the verify page and the input limits bound the work before anything is parsed. The credential is kept
only when its signature is genuine and bound to its issuer, it is current (within its dates, and its status lists
say neither revoked nor suspended, confirmed now), it was not issued here (those are claimed with their code),
and it was issued to this earner: the salted e-mail identifier in the *signed* credential matches one of the
earner's verified addresses (the earner record's and those of the accounts linked to it). No other proof of
control is accepted: a credential naming its holder only by a DID would need a presentation signed with that
DID's key over a challenge from the portal, which the portal does not ask for yet, so such a credential is
refused with that reason. A credential from an issuer not on the trust list is kept (it is genuine) but never
counts in partner searches; staff decide per trusted issuer whether its credentials count.

Everything kept is read from the verifier's signed view (``VerificationResult.credential`` and ``summary``): the
issuer, the achievement's name, description, criteria and alignments, the dates and the status list URLs. What
the JSON says outside the signature never reaches the database.

Status. :func:`refresh_statuses` fetches each status list the kept credentials use, once, and takes the SHA-256
of the bytes served as that list's ETag. A credential is verified again only when a list it depends on now
serves different bytes than it was last checked against (or when asked to, ``force``); the verifications of one
pass read exactly the bytes that were hashed, through a per-pass layer, so a cached verdict always belongs to
the document it came from. A list that cannot be fetched makes its credentials ``unconfirmed`` ("not confirmed
right now"), never valid; they do not count until a later check confirms them. Any change of state bumps the
data version, so the next partner search leaves a revoked, suspended, expired or unconfirmed credential out
without a restart. Partner searches call it before showing results; :func:`start_schedule` runs it
periodically in the background too.

Audit: ``external_add`` (kept or refused, with the reason), ``external_remove``, ``external_visibility`` and, for
each state a re-check changed, ``external_recheck``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mosaics_match.credentials.fetcher import Fetcher, FetchError, HttpsFetcher
from mosaics_match.credentials.identity import recipient_matches
from mosaics_match.credentials.inputs import Limits
from mosaics_match.credentials.status import parse_status_entries
from mosaics_match.credentials.verifier import VerificationResult, verify
from mosaics_match.matching.text import split_requirements
from mosaics_match.services import verification
from mosaics_match.services.auth import Viewer
from mosaics_match.store import repo
from mosaics_match.store.models import ExternalCredential, utcnow

__all__ = [
    "MAX_INPUT_BYTES", "STATE_LABELS", "AddOutcome", "ExternalItem", "RecheckReport", "ExternalCompetency",
    "add_credential", "list_credentials", "set_partner_visibility", "remove_credential", "refresh_statuses",
    "start_schedule", "competencies_of", "evidence_link", "live_fetcher", "PeerDocumentFetcher", "new_record",
    "use_fetcher", "content_digest",
]

_log = logging.getLogger(__name__)

#: Largest input accepted, in any form: the verifier's own input limit (checked again inside the engine).
MAX_INPUT_BYTES = Limits().max_bytes
#: Seconds for every hop of one remote document while an earner waits or a search is about to show results.
FETCH_TIMEOUT = 5.0
#: Default seconds between background re-checks.
SCHEDULE_SECONDS = 15 * 60
#: Most credentials one earner may add (each is kept whole and re-checked).
MAX_PER_EARNER = 100
MAX_COMPETENCIES = 24
MAX_COMPETENCY_CHARS = 300
STATE_LABELS = {"valid": "Verified", "revoked": "Revoked", "suspended": "Suspended", "expired": "Expired",
                "unconfirmed": "Not confirmed right now"}
# Hosts that can never be a real issuer (RFC 2606): the demo's issuers publish there, from the database.
DEMO_HOST_SUFFIX = ".example"


def _factory(db: Any) -> sessionmaker[Session]:
    return db.Session if hasattr(db, "Session") else db


def _digest(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def content_digest(data: bytes | str) -> str:
    """The ETag a status list is remembered by: the SHA-256 of the bytes served."""
    return _digest(data)


# --- fetching -------------------------------------------------------------------------------------------------

class PeerDocumentFetcher:
    """Serve documents of the demo's issuers (hosts under ``.example``) from the ``peer_document`` table and send
    every other URL to ``remote``.

    Those hosts are reserved and never resolve, so nothing real is shadowed; the table is written only by the
    demo seeding and by those issuers' own operations (tests). Used only in demo mode.
    """

    def __init__(self, session_factory: sessionmaker[Session], remote: Fetcher | None) -> None:
        self.session_factory = session_factory
        self.remote = remote

    def fetch(self, url: str) -> bytes:
        key = url.split("#", 1)[0]
        host = (urlsplit(key).hostname or "").lower()
        if host.endswith(DEMO_HOST_SUFFIX):
            with self.session_factory() as session:
                body = repo.get_peer_document(session, url=key)
            if body is None:
                raise FetchError(url, "no such document")
            return body.encode("utf-8")
        if self.remote is None:
            raise FetchError(url, "remote fetching is off")
        return self.remote.fetch(url)


_live_https: HttpsFetcher | None = None
_fetcher_override: Fetcher | None = None


def live_fetcher(db: Any) -> Fetcher:
    """The fetcher for other issuers' documents: HTTPS without a response cache (a status list must be read as
    it is now), with the demo issuers' documents in demo mode. Tests replace it with :func:`use_fetcher`."""
    global _live_https
    if _fetcher_override is not None:
        return _fetcher_override
    if _live_https is None:
        _live_https = HttpsFetcher(timeout=FETCH_TIMEOUT, ttl=0.0)
    settings = getattr(db, "settings", None)
    if settings is not None and getattr(settings, "demo_mode", False):
        return PeerDocumentFetcher(_factory(db), _live_https)
    return _live_https


def use_fetcher(fetcher: Fetcher | None) -> None:
    """Fetch other issuers' documents with ``fetcher`` (tests: an in-memory issuer); ``None`` restores HTTPS."""
    global _fetcher_override
    _fetcher_override = fetcher
    _recent_failures.clear()  # what was unreachable through the old fetcher says nothing about the new one
    _quiet.clear()


class _Pinned:
    """A fetcher that serves the bytes already fetched in this pass for their URLs, and asks ``inner`` for the
    rest (key documents). Keyed by the exact URL; it only ever holds what it was filled with."""

    def __init__(self, inner: Fetcher, pinned: dict[str, bytes]) -> None:
        self.inner = inner
        self.pinned = pinned

    def fetch(self, url: str) -> bytes:
        hit = self.pinned.get(url.split("#", 1)[0])
        return hit if hit is not None else self.inner.fetch(url)


# --- what a credential says (signed view only) --------------------------------------------------------------

def _signed_content(result: VerificationResult) -> dict:
    summary = result.summary or {}
    ach = summary.get("achievement") or {}
    alignments = [{k: a.get(k) for k in ("targetName", "targetDescription", "targetUrl", "targetFramework",
                                         "targetCode") if a.get(k)}
                  for a in summary.get("alignments") or [] if isinstance(a, dict)]
    return {
        "achievement_id": ach.get("id"),
        "name": ach.get("name") or summary.get("name") or "Credential",
        "description": ach.get("description") or "",
        "criteria": ach.get("criteria") or "",
        "alignments": [a for a in alignments if a.get("targetName") or a.get("targetCode")][:50],
    }


def _status_urls(result: VerificationResult) -> list[str]:
    try:
        entries = parse_status_entries(result.credential or {}, max_entries=Limits().max_status_entries)
    except Exception:
        return []
    return sorted({e.list_url for e in entries if e.list_url})


def _dt(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _achievement_key(issuer_id: str, content: dict) -> str:
    """Same issuer, same signed achievement text: one achievement in the index, shared by its holders."""
    return _digest(json.dumps([issuer_id, content], sort_keys=True, ensure_ascii=False))[:32]


def _normal_issuer(identifier: str) -> str:
    return identifier.rstrip("/") if identifier.startswith(("http://", "https://")) else identifier


@dataclass(frozen=True)
class ExternalCompetency:
    """A competency an added credential evidences, derived from its signed achievement."""

    id: str
    name: str
    description: str = ""
    esco_uri: str | None = None
    esco_label: str | None = None


def competencies_of(key: str, content: dict) -> list[ExternalCompetency]:
    """The competencies of an added credential's achievement, for the matching index.

    Each alignment target is one competency (its name, with its description; an ESCO target also gives its URI
    and label, as the catalogue's competencies do). The criteria and the description are split into statements
    the way postings and the catalogue's competency texts are (lines, sentences, short lists), each statement
    one competency. At most :data:`MAX_COMPETENCIES`, each at most :data:`MAX_COMPETENCY_CHARS` characters.
    """
    out: list[ExternalCompetency] = []
    seen: set[str] = set()

    def add(name: str, description: str = "", uri: str | None = None, label: str | None = None) -> None:
        name = " ".join((name or "").split())[:MAX_COMPETENCY_CHARS]
        norm = name.lower()
        if not name or norm in seen or len(out) >= MAX_COMPETENCIES:
            return
        seen.add(norm)
        out.append(ExternalCompetency(f"x{key}-{len(out)}", name,
                                      " ".join((description or "").split())[:MAX_COMPETENCY_CHARS], uri, label))

    for a in content.get("alignments") or []:
        name = a.get("targetName") or a.get("targetCode") or ""
        url = a.get("targetUrl") or ""
        esco = (a.get("targetFramework") or "").upper() == "ESCO" or "data.europa.eu/esco" in url
        add(name, a.get("targetDescription") or "", url if esco else None, name if esco else None)
    for text in (content.get("criteria") or "", content.get("description") or ""):
        for statement in split_requirements(text[:20_000], max_requirements=MAX_COMPETENCIES):
            add(statement)
    if not out:
        add(content.get("name") or "")
    return out


def evidence_link(content: dict, credential_id: str | None) -> str | None:
    """A link a partner can open for an added credential: its own https id, else its achievement's, else none.
    Reserved ``.example`` hosts (the demo's issuers) never resolve, so they give no link."""
    for value in (credential_id, content.get("achievement_id")):
        if isinstance(value, str) and value.startswith("https://"):
            host = (urlsplit(value).hostname or "").lower()
            if not host.endswith(DEMO_HOST_SUFFIX):
                return value
    return None


# --- adding ---------------------------------------------------------------------------------------------------

@dataclass
class AddOutcome:
    """What happened to an added credential.

    Attributes
    ----------
    kept
        Stored in the earner's list.
    message
        What the earner reads: why it was refused, or what keeping it means.
    reason
        Short code: ``kept``, ``kept-untrusted``, ``unreadable``, ``forged``, ``not-current``, ``unconfirmed``,
        ``issued-here``, ``other-recipient``, ``no-email-recipient``, ``duplicate``, ``link-failed``,
        ``too-many``.
    verification
        The verification's verdict lines and card (``None`` when nothing could be read).
    """

    kept: bool
    message: str
    reason: str
    verification: verification.PortalVerification | None = None
    external_id: int | None = None


def _fetch_link(url: str, fetcher: Fetcher) -> bytes:
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise FetchError(url, "a verification link must be an https:// address")
    return fetcher.fetch(url.strip())


def add_credential(db: Any, *, earner_id: int, viewer: Viewer, data: bytes | str, source: str,
                   file_name: str | None = None, partners_may_see: bool = False,
                   now: datetime | None = None) -> AddOutcome:
    """Verify a credential from another issuer and keep it for the earner when it qualifies (see the module).

    Parameters
    ----------
    db
        The runtime (or a session factory).
    earner_id
        The signed-in earner (from the server-side viewer, never from the browser).
    viewer
        Who is adding (the audit actor).
    data
        The file's bytes, the pasted text, or for ``source="link"`` the verification link.
    source
        ``upload``, ``paste`` or ``link``.
    file_name
        The uploaded file's name (shown in the verification, audited for the signed-in earner).
    partners_may_see
        Whether partners may see it (and it may count in their searches); changeable later.
    now
        Verification time (tests); default now.

    Returns
    -------
    AddOutcome
        Never raises for bad input; the reason is in plain words.
    """
    factory = _factory(db)
    with factory() as session:
        held = repo.count_external_credentials(session, earner_id=earner_id)
    if held >= MAX_PER_EARNER:
        return AddOutcome(False, f"You have added {held} credentials, the most the portal keeps for one person. "
                                 "Remove one you no longer need, then add this one.", "too-many")
    fetcher = live_fetcher(db)
    # A fixed clock gives this verification a cache of its own: status lists are read as they are now.
    now = now or utcnow()
    raw: bytes | str = data
    if source == "link":
        link = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        try:
            raw = _fetch_link(link, fetcher)
        except FetchError as exc:
            return _refuse(factory, viewer, earner_id, "link-failed",
                           f"The link could not be opened: {exc.reason}. Download the credential from where the "
                           "link leads and upload the file instead.", None)
        source = "paste"
    size = len(raw.encode("utf-8") if isinstance(raw, str) else raw)
    if size == 0:
        return AddOutcome(False, "Nothing to check: choose a file, or paste the credential.", "unreadable")
    if size > MAX_INPUT_BYTES:
        return _refuse(factory, viewer, earner_id, "unreadable",
                       f"This is {size:,} bytes; a credential may be at most {MAX_INPUT_BYTES:,} bytes.", None)
    pv = verification.verify_submission(db, raw, email=None, viewer=viewer, source=source, now=now,
                                        file_name=file_name, remote=fetcher)
    result = pv.result
    if pv.input_problem is not None or pv.card is None:
        return _refuse(factory, viewer, earner_id, "unreadable", pv.input_problem or pv.reason, pv)
    if pv.authenticity == "unknown" and result.verdict == "indeterminate":
        # e.g. the issuer's DID document could not be fetched: not a forgery, just not confirmable now
        return _refuse(factory, viewer, earner_id, "unconfirmed",
                       f"Not added: the credential could not be confirmed right now. {pv.reason.rstrip('.')}. "
                       "Try again later.", pv)
    if pv.authenticity != "authentic":
        return _refuse(factory, viewer, earner_id, "forged",
                       f"Not added: the credential is not genuine. {pv.reason.rstrip('.')}.", pv)
    if pv.card.issued_here:
        return _refuse(factory, viewer, earner_id, "issued-here",
                       "Not added: Seneca issued this credential here. It is already in your list once you claim "
                       "it with the claim code from your e-mail.", pv)
    if result.verdict == "invalid":
        return _refuse(factory, viewer, earner_id, "not-current",
                       f"Not added: the credential is not currently valid. {pv.reason.rstrip('.')}.", pv)
    if result.verdict != "valid":
        return _refuse(factory, viewer, earner_id, "unconfirmed",
                       f"Not added: the credential could not be confirmed right now. {pv.reason.rstrip('.')}. "
                       "Try again later.", pv)
    with factory() as session:
        emails = repo.verified_emails(session, earner_id=earner_id)
    match = _recipient(result, emails)
    if match is None:
        return _refuse(factory, viewer, earner_id, "no-email-recipient",
                       "Not added: this credential does not name its recipient by e-mail address, so the portal "
                       "cannot tell that it was issued to you. Ask the issuer for a copy issued to your e-mail "
                       "address.", pv)
    if not match:
        shown = ", ".join(emails) or "none"
        return _refuse(factory, viewer, earner_id, "other-recipient",
                       "Not added: this credential was issued to a different e-mail address, not to yours "
                       f"({shown}). Only credentials issued to you can be added.", pv)
    return _keep(factory, viewer, earner_id, raw, result, pv, partners_may_see, now)


def _recipient(result: VerificationResult, emails: list[str]) -> bool | None:
    cred = result.credential or {}
    outcomes = []
    for email in emails:
        for candidate in dict.fromkeys((email, email.lower())):
            outcomes.append(recipient_matches(cred, candidate))
    known = [o for o in outcomes if o is not None]
    return any(known) if known else None


def _stored_text(raw: bytes | str, kind: str | None) -> str:
    """The credential text to keep: as received, or the one baked into an image."""
    if isinstance(raw, str):
        return raw
    if kind in ("png", "svg"):
        from mosaics_match.credentials.bake import unbake_png, unbake_svg

        return unbake_png(raw, max_bytes=MAX_INPUT_BYTES) if kind == "png" else unbake_svg(
            raw, max_bytes=MAX_INPUT_BYTES, max_nodes=Limits().max_svg_nodes)
    return raw.decode("utf-8")


def _keep(factory: sessionmaker[Session], viewer: Viewer, earner_id: int, raw: bytes | str,
          result: VerificationResult, pv: verification.PortalVerification, partners_may_see: bool,
          now: datetime | None) -> AddOutcome:
    document = _stored_text(raw, result.input_kind)
    row = new_record(earner_id, document, result, partners_may_see=partners_may_see, now=now or utcnow())
    content, issuer_id, issuer_name = row.content, row.issuer_identifier, row.issuer_name
    with factory.begin() as session:
        same_id = row.credential_id is not None and session.scalar(
            select(ExternalCredential.id).where(ExternalCredential.earner_id == earner_id,
                                                ExternalCredential.issuer_identifier == issuer_id,
                                                ExternalCredential.credential_id == row.credential_id)) is not None
        if same_id or repo.find_external_credential(session, earner_id=earner_id, digest=row.digest) is not None:
            return AddOutcome(False, "This credential is already in your list.", "duplicate", pv)
        session.add(row)
        issuer = repo.get_issuer(session, identifier=issuer_id)
        counts = issuer is not None and issuer.trusted and issuer.counts_in_search
        session.flush()
        repo.record_audit(session, actor=viewer.email, actor_role=viewer.role, action="external_add",
                          subject=f"external:{row.id}", outcome="kept",
                          details={"issuer_id": issuer_id, "issuer": issuer_name,
                                   "achievement": row.achievement_name, "counts": bool(counts),
                                   "partners_may_see": row.partners_may_see})
        repo.bump_data_version(session)  # the next search and re-check take it into account
        external_id = row.id
    if counts:
        message = (f"Added “{content['name']}” from {issuer_name}. "
                   + ("Partners can see it and it counts in their searches." if partners_may_see else
                      "It is private: turn on “Partners may see this” for it to count in partner searches."))
        return AddOutcome(True, message, "kept", pv, external_id)
    return AddOutcome(True, f"Added “{content['name']}” from {issuer_name}. It is genuine and kept in your list, but "
                            f"it does not count in partner searches: {issuer_name} is not an issuer Seneca counts "
                            "there.", "kept-untrusted", pv, external_id)


def new_record(earner_id: int, document: str, result: VerificationResult, *, partners_may_see: bool,
               now: datetime, state: str = "valid", status_etags: dict[str, str] | None = None
               ) -> ExternalCredential:
    """The row kept for a verified credential: everything in it read from the verifier's signed view.

    Parameters
    ----------
    document
        The credential text as received (JSON or compact JWS), re-verified by later checks.
    result
        Its verification (signature genuine and bound to the issuer).
    status_etags
        Digest of each status list as it was when ``result`` was decided, when the caller knows it (the demo
        seeding does); otherwise the first re-check verifies it again.
    """
    summary = result.summary or {}
    issuer = summary.get("issuer") or {}
    issuer_id = _normal_issuer(str(issuer.get("id") or ""))
    content = _signed_content(result)
    cred_id = (result.credential or {}).get("id")
    return ExternalCredential(
        earner_id=earner_id, digest=_digest(document),
        credential_id=cred_id[:500] if isinstance(cred_id, str) else None, issuer_identifier=issuer_id[:500],
        issuer_name=str(issuer.get("name") or issuer_id)[:200],
        achievement_key=_achievement_key(issuer_id, content), achievement_name=content["name"][:300],
        document=document, input_kind=result.input_kind or "json", content=content,
        status_lists=_status_urls(result), status_etags=dict(status_etags or {}),
        valid_from=_dt(summary.get("valid_from")), valid_until=_dt(summary.get("valid_until")), state=state,
        state_detail=None, checked_at=now, partners_may_see=bool(partners_may_see), added_at=now,
    )


def _refuse(factory: sessionmaker[Session], viewer: Viewer, earner_id: int, reason: str, message: str,
            pv: verification.PortalVerification | None) -> AddOutcome:
    card = pv.card if pv is not None else None
    with factory.begin() as session:
        repo.record_audit(session, actor=viewer.email, actor_role=viewer.role, action="external_add",
                          subject=f"earner:{earner_id}", outcome="refused",
                          details={"reason": reason, "issuer_id": card.issuer_id if card else None,
                                   "achievement": card.achievement if card else None})
    return AddOutcome(False, message, reason, pv)


# --- listing, sharing, removing -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExternalItem:
    """An added credential as its earner sees it."""

    id: int
    name: str
    issuer_name: str
    issuer_identifier: str
    state: str
    state_label: str
    state_detail: str | None
    counts: bool
    why_not_counted: str | None
    partners_may_see: bool
    valid_from: datetime | None
    valid_until: datetime | None
    checked_at: datetime
    competencies: tuple[str, ...]


def list_credentials(db: Any, *, earner_id: int) -> list[ExternalItem]:
    """The earner's added credentials, newest first, each saying whether it counts in searches and why not."""
    with _factory(db)() as session:
        rows = repo.external_credentials_of(session, earner_id=earner_id)
        issuers = {i.identifier: i for i in repo.all_issuers(session)}
        out = []
        for r in rows:
            issuer = issuers.get(r.issuer_identifier)
            trusted = issuer is not None and issuer.trusted
            counted = trusted and bool(issuer.counts_in_search)
            why = None
            if not trusted:
                why = f"{r.issuer_name} is not on Seneca's list of trusted issuers."
            elif not counted:
                why = f"Seneca does not count credentials from {r.issuer_name} in partner searches."
            elif r.state != "valid":
                why = f"It is {STATE_LABELS.get(r.state, r.state).lower()}."
            elif not r.partners_may_see:
                why = "You keep it private."
            out.append(ExternalItem(
                id=r.id, name=r.achievement_name, issuer_name=r.issuer_name, issuer_identifier=r.issuer_identifier,
                state=r.state, state_label=STATE_LABELS.get(r.state, r.state), state_detail=r.state_detail,
                counts=why is None, why_not_counted=why, partners_may_see=bool(r.partners_may_see),
                valid_from=r.valid_from, valid_until=r.valid_until, checked_at=r.checked_at,
                competencies=tuple(c.name for c in competencies_of(r.achievement_key, r.content or {})),
            ))
        return out


def set_partner_visibility(db: Any, *, earner_id: int, external_id: int, visible: bool, viewer: Viewer) -> bool:
    """Let partners see one added credential (and count it), or not; ``False`` when it is not the earner's."""
    with _factory(db).begin() as session:
        row = repo.get_external_credential(session, earner_id=earner_id, external_id=external_id)
        if row is None:
            return False
        if bool(row.partners_may_see) != visible:
            row.partners_may_see = visible
            repo.bump_data_version(session)
            repo.record_audit(session, actor=viewer.email, actor_role=viewer.role, action="external_visibility",
                              subject=f"external:{row.id}", outcome="shown" if visible else "hidden")
        return True


def remove_credential(db: Any, *, earner_id: int, external_id: int, viewer: Viewer) -> bool:
    """Delete one of the earner's added credentials; ``False`` when it is not theirs."""
    with _factory(db).begin() as session:
        row = repo.get_external_credential(session, earner_id=earner_id, external_id=external_id)
        if row is None:
            return False
        details = {"issuer_id": row.issuer_identifier, "achievement": row.achievement_name}
        session.delete(row)
        repo.bump_data_version(session)
        repo.record_audit(session, actor=viewer.email, actor_role=viewer.role, action="external_remove",
                          subject=f"external:{external_id}", outcome="removed", details=details)
        return True


# --- keeping status live --------------------------------------------------------------------------------------

@dataclass
class RecheckReport:
    """One re-check pass: lists fetched, credentials verified again, and the state changes (id -> new state)."""

    lists_fetched: int = 0
    lists_unreachable: int = 0
    verified: int = 0
    changed: dict[int, str] = field(default_factory=dict)


def _state_of(result: VerificationResult) -> tuple[str, str | None]:
    by_id = {c.id: c for c in result.checks}
    for cid, state in (("status.revocation", "revoked"), ("status.suspension", "suspended"),
                       ("time.expiry", "expired")):
        c = by_id.get(cid)
        if c is not None and c.status == "failure":
            return state, c.message
    if result.verdict == "valid":
        return "valid", None
    if result.verdict == "indeterminate":
        return "unconfirmed", result.reason
    failed = next((c for c in result.checks if c.status == "failure"), None)
    return "unconfirmed", failed.message if failed is not None else result.reason


_refresh_lock = threading.Lock()
# Database -> (data version, digest of every list, first expiry) after a pass that left every credential confirmed
# (or finally revoked or expired): while the version and the digests hold and nothing expired, a pass only fetches
# the lists and reads nothing else.
_quiet: dict[str, tuple[int, dict[str, str], datetime | None]] = {}
# Status list URL -> (monotonic time, reason) of its last failed fetch, so a search does not wait on an issuer
# that was unreachable a moment ago (its credentials stay unconfirmed meanwhile).
_recent_failures: dict[str, tuple[float, str]] = {}


def _fetch_one(fetcher: Fetcher, url: str) -> tuple[bytes | None, str | None]:
    try:
        return fetcher.fetch(url), None
    except FetchError as exc:
        return None, exc.reason
    except Exception:
        _log.warning("fetching status list %s failed", url, exc_info=True)
        return None, "the request failed"


def refresh_statuses(db: Any, *, now: datetime | None = None, force: bool = False,
                     actor: str = "system", retry_after: float | None = None) -> RecheckReport:
    """Re-check the added credentials whose state can still change (see the module for the ETag rule).

    Parameters
    ----------
    db
        The runtime (or a session factory).
    now
        Check time; default now.
    force
        Verify every credential again, even when its lists serve the same bytes as last time.
    actor
        Named in the audit events of the changes found.
    retry_after
        Seconds during which a list whose fetch failed is not fetched again (its credentials stay unconfirmed);
        ``None`` fetches every list.

    Returns
    -------
    RecheckReport
    """
    now = now or utcnow()
    factory = _factory(db)
    report = RecheckReport()
    key = _database_key(factory)
    with _refresh_lock:
        fetcher = live_fetcher(db)
        quiet = None if force else _quiet.get(key)
        if quiet is not None and (quiet[2] is None or now < quiet[2]):
            with factory() as session:
                version = repo.data_version(session)
            if version == quiet[0]:
                pinned, etags, failures = _fetch_lists(fetcher, sorted(quiet[1]), retry_after, report)
                if not failures and etags == quiet[1]:
                    return report  # nothing was added, hidden or changed, and every list serves the same bytes
            report = RecheckReport()
        _quiet.pop(key, None)
        with factory() as session:
            rows = [(ext_id, list(lists or []), dict(known or {}), until, state)
                    for ext_id, lists, known, until, state in repo.external_to_recheck(session)]
        if not rows:
            return report
        urls = sorted({u for _, lists, _, _, _ in rows for u in lists})
        pinned, etags, failures = _fetch_lists(fetcher, urls, retry_after, report)
        updates: dict[int, tuple[str, str | None, dict]] = {}
        ctx = None
        for ext_id, lists, known, valid_until, state in rows:
            if valid_until is not None and valid_until <= now:
                updates[ext_id] = ("expired", "Its validity ended.", known)
                continue
            down = [u for u in lists if u in failures]
            if down:
                updates[ext_id] = ("unconfirmed", f"The issuer's status list could not be reached: "
                                                  f"{failures[down[0]]}.", known)
                continue
            current = {u: etags[u] for u in lists}
            if not force and current == known and state == "valid":
                continue
            if ctx is None:
                ctx = verification.build_context(db, now=now, remote=_Pinned(fetcher, pinned))
            with factory() as session:
                row = session.get(ExternalCredential, ext_id)
                document = row.document if row is not None else None
            if document is None:
                continue
            result = verify(document, ctx=ctx)
            report.verified += 1
            new_state, detail = _state_of(result)
            updates[ext_id] = (new_state, detail, current)
        if updates:
            _apply(factory, updates, report, now=now, actor=actor)
        states = {ext_id: updates.get(ext_id, (state,))[0] for ext_id, _, _, _, state in rows}
        if not failures and all(state in ("valid", "revoked", "expired") for state in states.values()):
            ends = [until for ext_id, _, _, until, _ in rows if states[ext_id] == "valid" and until is not None]
            with factory() as session:
                _quiet[key] = (repo.data_version(session), etags, min(ends) if ends else None)
    return report


def _database_key(factory: sessionmaker[Session]) -> str:
    bind = factory.kw.get("bind")
    return bind.url.render_as_string(hide_password=True) if bind is not None else str(id(factory))


def _fetch_lists(fetcher: Fetcher, urls: list[str], retry_after: float | None,
                 report: RecheckReport) -> tuple[dict[str, bytes], dict[str, str], dict[str, str]]:
    """Fetch each list once, in parallel: (bytes by URL, their digests, why the others failed)."""
    pinned: dict[str, bytes] = {}
    etags: dict[str, str] = {}
    failures: dict[str, str] = {}
    clock = time.monotonic()
    for url in urls:
        failed = _recent_failures.get(url)
        if retry_after is not None and failed is not None and clock - failed[0] < retry_after:
            failures[url] = failed[1]
    todo = [u for u in urls if u not in failures]
    if todo:
        with ThreadPoolExecutor(max_workers=min(8, len(todo))) as pool:
            fetched = list(pool.map(lambda u: _fetch_one(fetcher, u), todo))
        for url, (body, problem) in zip(todo, fetched):
            if body is None:
                failures[url] = problem or "unreachable"
                _recent_failures[url] = (time.monotonic(), failures[url])
                continue
            _recent_failures.pop(url, None)
            pinned[url] = body
            etags[url] = _digest(body)
            report.lists_fetched += 1
    report.lists_unreachable = len(failures)
    return pinned, etags, failures


def _apply(factory: sessionmaker[Session], updates: dict[int, tuple[str, str | None, dict]],
           report: RecheckReport, *, now: datetime, actor: str) -> None:
    """Write one pass's outcome in one transaction; audit each change of state; bump the data version if any."""
    with factory.begin() as session:
        changed = False
        for ext_id, (new_state, detail, new_etags) in updates.items():
            row = session.get(ExternalCredential, ext_id)
            if row is None:
                continue
            row.checked_at = now
            row.status_etags = new_etags
            if row.state != new_state or row.state_detail != detail:
                old = row.state
                row.state, row.state_detail = new_state, detail
                if old != new_state:
                    changed = True
                    report.changed[ext_id] = new_state
                    repo.record_audit(session, actor=actor, actor_role="system", action="external_recheck",
                                      subject=f"external:{ext_id}", outcome=new_state,
                                      details={"was": old, "detail": (detail or "")[:300],
                                               "issuer_id": row.issuer_identifier})
        if changed:
            repo.bump_data_version(session)


_schedule_started: set[str] = set()
_schedule_lock = threading.Lock()


def start_schedule(db: Any, *, every: float = SCHEDULE_SECONDS,
                   sleep: Callable[[float], bool] | None = None) -> bool:
    """Re-check added credentials every ``every`` seconds in a background thread, once per database per process.

    Returns
    -------
    bool
        ``True`` when this call started the thread.
    """
    factory = _factory(db)
    key = factory.kw["bind"].url.render_as_string(hide_password=True) if "bind" in factory.kw else str(id(factory))
    with _schedule_lock:
        if key in _schedule_started:
            return False
        _schedule_started.add(key)
    stop = threading.Event()
    wait = sleep or (lambda seconds: stop.wait(seconds))

    def loop() -> None:
        while not wait(every):
            try:
                refresh_statuses(db, actor="schedule")
            except Exception:
                _log.warning("re-checking added credentials failed", exc_info=True)

    threading.Thread(target=loop, name="external-credential-recheck", daemon=True).start()
    return True
