"""Portal-side verification service: the credential engine with this portal's trust list, status lists and audit.

Used by the Streamlit pages and the HTTP API alike. :func:`verify_submission` builds a
:class:`~mosaics_match.credentials.verifier.VerifyContext` from the database (trusted issuers from the issuer table,
this portal's own status lists and DID documents served from the database, anything else fetched over HTTPS with
a short deadline), runs the engine, turns its result into what an HR person reads (one verdict, one line per
check, a credential card) and writes one audit event per verification.

What is kept: the audit event names who checked, when, the credential id, issuer, achievement and verdict. For
anonymous visitors nothing else is stored (no earner name, no file name, no e-mail). The e-mail address a
visitor types to compare is never stored; only whether it matched.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mosaics_match.credentials import did_web
from mosaics_match.credentials.fetcher import Fetcher, FetchError, HttpsFetcher
from mosaics_match.credentials.trust import TrustRegistry
from mosaics_match.credentials.verifier import VerificationResult, VerifyCache, VerifyContext, verify
from mosaics_match.credentials.verifier.values import human_date
from mosaics_match.roles import Role
from mosaics_match.services.auth import Viewer
from mosaics_match.services.did_documents import did_document
from mosaics_match.store import repo
from mosaics_match.store.models import Achievement, IssuedCredential, Issuer, StatusList, utcnow
from mosaics_match.verdicts import (  # the result types live below pages and exports
    Authenticity,
    BatchRow,
    CardCompetency,
    CheckLine,
    CredentialCard,
    HistoryEntry,
    PortalVerification,
    Verdict,
)

__all__ = [
    "VERIFIED", "NOT_VALID", "CANNOT_CONFIRM", "HEADLINES", "SOURCES",
    "CheckLine", "CardCompetency", "CredentialCard", "PortalVerification", "BatchRow",
    "PortalFetcher", "verify_submission", "verify_batch", "load_issued", "trust_registry", "history",
    "HistoryEntry", "build_context", "LinkAccess", "open_issued", "open_link", "warm_up", "verification_history",
]

VERIFIED, NOT_VALID, CANNOT_CONFIRM = Verdict.VERIFIED, Verdict.NOT_VALID, Verdict.CANNOT_CONFIRM
HEADLINES = {v: v.headline for v in Verdict}
SOURCES = ("upload", "paste", "link", "qr", "batch", "api")
AUDIT_ACTION = "verify"
HTTPS_TIMEOUT = 5.0  # seconds for all hops of one remote document (the page must stay responsive)
CACHE_SECONDS = 300  # remote documents and checked status lists are reused for at most this long

# Checks shown as lines on the page, in this order (the rest appear only when they fail, or in the details).
MAIN_CHECKS = ("proof.signature", "issuer.trusted", "time.valid_from", "time.expiry", "status.revocation",
               "status.suspension", "recipient.identity")
AUTHENTICITY_CHECKS = ("input.limits", "input.format", "structure.context", "structure.type", "jsonld.lossless",
                       "proof.present", "proof.signature", "proof.key_binding", "proof.purpose")
# Which failure explains a "Not valid" verdict best: a forgery first, then what the issuer said, then dates.
REASON_PRIORITY = AUTHENTICITY_CHECKS + ("status.revocation", "status.suspension", "time.expiry",
                                         "time.valid_from", "recipient.identity")


# --- context ------------------------------------------------------------------------------------------------

SessionSource = Any  # Runtime (has .Session) or a sessionmaker


def _factory(source: SessionSource) -> sessionmaker[Session]:
    return source.Session if hasattr(source, "Session") else source


def _base_url(source: SessionSource) -> str | None:
    settings = getattr(source, "settings", None)
    return getattr(settings, "base_url", None)


_STATUS_PATH = re.compile(r"/status/(revocation|suspension)-(\d{1,9})$")


def _did_web_url(did: str) -> str | None:
    try:
        return did_web.document_url(did)
    except did_web.DidWebError:
        return None


class PortalFetcher:
    """Serve this portal's own documents from the database; anything else through ``remote``.

    Status lists are read fresh on every fetch (a revocation takes effect at once). A list is served for a URL
    ``{origin}/status/{purpose}-{n}`` only when ``origin`` is one this portal has published lists under: its
    configured base URL, the id of any stored list, or the status URLs of credentials it issued (lists are
    re-signed under the current base URL, while credentials keep the URL they were issued with). Any other
    host with the same path is someone else's and goes to ``remote``. DID documents of issuers whose keys are
    held here (``did:web``) are built from the signing-key table.

    Parameters
    ----------
    session_factory : sessionmaker
        Opens short read-only sessions.
    remote : Fetcher | None
        For everything not served locally; ``None`` means offline.
    base_url : str, optional
        This portal's public origin.
    """

    def __init__(self, session_factory: sessionmaker[Session], remote: Fetcher | None,
                 base_url: str | None = None) -> None:
        self.session_factory = session_factory
        self.remote = remote
        self.base_url = base_url
        self._origins: set[str] | None = None

    def origins(self, session: Session) -> set[str]:
        """Origins under which this portal's status lists are (or were) published."""
        if self._origins is None:
            found = {_origin(self.base_url)} if self.base_url else set()
            numbers: set[int] = set()
            for lst in session.scalars(select(StatusList)):
                numbers.add(lst.number)
                if lst.signed_document:
                    found.add(_origin(_document_id(lst.signed_document) or ""))
            for number in numbers:
                for pick in (IssuedCredential.id.asc(), IssuedCredential.id.desc()):
                    doc = session.scalar(select(IssuedCredential.document)
                                         .where(IssuedCredential.status_list_number == number)
                                         .order_by(pick).limit(1))
                    for url in re.findall(r'"statusListCredential"\s*:\s*"([^"]{1,500})"', doc or ""):
                        found.add(_origin(url))
            self._origins = {o for o in found if o}
        return self._origins

    def local(self, url: str) -> bytes | None:
        """The document for ``url`` if this portal holds it, else ``None``."""
        key = url.split("#", 1)[0]
        path = urlsplit(key).path
        m = _STATUS_PATH.search(path)
        with self.session_factory() as session:
            if m:
                purpose, number = m.group(1), int(m.group(2))
                lists = [lst for lst in session.scalars(select(StatusList).where(
                    StatusList.number == number, StatusList.purpose == purpose)) if lst.signed_document]
                for lst in lists:
                    if _document_id(lst.signed_document) == key:
                        return lst.signed_document.encode("utf-8")
                if lists and _origin(key) in self.origins(session):
                    return lists[0].signed_document.encode("utf-8")
                return None
            if key.endswith("/did.json"):
                for issuer in session.scalars(select(Issuer).where(Issuer.identifier.startswith("did:web:"))):
                    if _did_web_url(issuer.identifier) == key and issuer.keys:
                        return json.dumps(did_document(issuer.identifier, issuer.keys)).encode("utf-8")
        return None

    def fetch(self, url: str) -> bytes:
        """Return the document at ``url`` (local first), or raise :class:`FetchError`."""
        found = self.local(url)
        if found is not None:
            return found
        if self.remote is None:
            raise FetchError(url, "not held by this portal and remote fetching is off")
        return self.remote.fetch(url)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def _document_id(document: str) -> str | None:
    try:
        value = json.loads(document)
    except ValueError:
        return None
    return value.get("id") if isinstance(value, dict) else None


_https: HttpsFetcher | None = None
_cache_lock = threading.Lock()
_shared_cache: tuple[tuple, VerifyCache] | None = None


def _remote_fetcher() -> HttpsFetcher:
    global _https
    if _https is None:
        _https = HttpsFetcher(timeout=HTTPS_TIMEOUT, ttl=CACHE_SECONDS)
    return _https


def _status_fingerprint(session: Session) -> tuple:
    return tuple(session.execute(select(StatusList.id, StatusList.version).order_by(StatusList.id)).all())


def _shared_verify_cache(session: Session) -> VerifyCache:
    """One engine cache per database and state of its status lists (and at most ``CACHE_SECONDS`` old).

    The engine keeps checked status lists in its cache; keying the cache by every list's version means a
    revocation made here is seen by the very next verification. The database is part of the key because two
    databases served by one process (tests, a staging copy) can hold lists with the same ids and versions but
    different bits and keys.
    """
    global _shared_cache
    database = session.get_bind().url.render_as_string(hide_password=True)
    key = (database, _status_fingerprint(session), int(time.time() // CACHE_SECONDS))
    with _cache_lock:
        if _shared_cache is None or _shared_cache[0] != key:
            _shared_cache = (key, VerifyCache())
        return _shared_cache[1]


def trust_registry(session: Session) -> TrustRegistry:
    """The trusted issuers of this portal (issuer table, ``trusted=True``)."""
    return TrustRegistry({i.identifier: {"name": i.name, "notes": i.notes or ""}
                          for i in repo.trusted_issuers(session)})


def build_context(source: SessionSource, *, email: str | None = None, now: datetime | None = None,
                  remote: Fetcher | None | bool = True) -> VerifyContext:
    """A :class:`VerifyContext` for this portal.

    Parameters
    ----------
    source : Runtime | sessionmaker
        Where the database is.
    email : str | None
        Address to compare with the credential's recipient.
    now : datetime, optional
        Fixed verification time (tests, re-verification of a past state); default: the real clock.
    remote : Fetcher | None | bool
        ``True``: the engine's HTTPS fetcher with a short deadline; ``None``/``False``: offline; or a fetcher.
    """
    factory = _factory(source)
    remote_fetcher: Fetcher | None
    if remote is True:
        remote_fetcher = _remote_fetcher()
    elif remote is False or remote is None:
        remote_fetcher = None
    else:
        remote_fetcher = remote
    with factory() as session:
        trust = trust_registry(session)
        cache = _shared_verify_cache(session) if now is None else VerifyCache()
    fetcher = PortalFetcher(factory, remote_fetcher, base_url=_base_url(source))
    clock = (lambda: now) if now is not None else (lambda: datetime.now(UTC))
    return VerifyContext(clock=clock, fetcher=fetcher, trust=trust, email=email or None, cache=cache)


# --- turning the engine's result into plain words -------------------------------------------------------------

def _lines(result: VerificationResult, email_given: bool) -> list[CheckLine]:
    by_id = {c.id: c for c in result.checks}
    out: list[CheckLine] = []
    # Failures outside the main list come first: they are what made it invalid (unsigned, tampered, malformed).
    for c in result.checks:
        if c.id not in MAIN_CHECKS and c.status in ("failure", "indeterminate"):
            out.append(CheckLine(c.id, False if c.status == "failure" else None, _sentence(c.message)))
    for cid in MAIN_CHECKS:
        c = by_id.get(cid)
        if c is None:
            continue
        if cid == "recipient.identity" and not email_given:
            continue
        if c.status == "skipped":
            if cid in ("status.revocation", "status.suspension") and "no-status" in c.codes:
                out.append(CheckLine(cid, None, _sentence(c.message)))
            elif cid == "recipient.identity":
                out.append(CheckLine(cid, None, _sentence(c.message)))
            continue
        ok = {"success": True, "failure": False}.get(c.status)
        out.append(CheckLine(cid, ok, _sentence(c.message)))
    return out


def _sentence(message: str) -> str:
    return message.strip().rstrip(".")


def _authenticity(result: VerificationResult) -> Authenticity:
    by_id = {c.id: c for c in result.checks}
    if any(by_id.get(cid) is not None and by_id[cid].status == "failure" for cid in
           ("proof.signature", "proof.key_binding", "proof.purpose", "proof.present")):
        return "forged"
    sig, binding = by_id.get("proof.signature"), by_id.get("proof.key_binding")
    if sig is not None and binding is not None and sig.status == "success" and binding.status == "success":
        return "authentic"
    return "unknown"


#: Sources whose input is text someone pasted or scanned, not a file they chose.
TEXT_SOURCES = ("paste", "qr")


def _input_problem(result: VerificationResult, source: str = "upload") -> str | None:
    """A specific sentence when the input could not be read as a credential at all (``None`` when it could).

    Pasted and scanned input is called "text", never "file", and pasted prose gets a hint on what to paste.
    """
    problem = _input_problem_words(result)
    if problem is None or source not in TEXT_SOURCES:
        return problem
    if problem.startswith("This file is not a credential"):
        return ("This text is not a credential. Paste the credential's JSON (it starts with “{”) or its signed token "
                "(it starts with “eyJ”), or upload the badge image or credential file instead.")
    for file_words, text_words in (("This file", "This text"), ("The file", "The text"), ("the file", "the text")):
        problem = problem.replace(file_words, text_words)
    return problem


def _input_problem_words(result: VerificationResult) -> str | None:
    for c in result.checks:
        if c.id in ("input.limits", "input.format") and c.status == "failure":
            problem = c.problems[0] if c.problems else {}
            code = str(problem.get("type", "")).rsplit(":", 1)[-1]
            detail = str(problem.get("detail") or "")
            message = c.message.rstrip(".")
            if code == "invalid-json":
                where = re.search(r"line (\d+) column (\d+)", detail)
                if "UTF-8" in detail:
                    return f"{message}: it is not UTF-8 text."
                return f"{message}: there is a syntax error" + (
                    f" at line {where.group(1)}, column {where.group(2)}." if where else ".")
            if code.startswith("bake-") and detail:
                return f"{message}: {detail[0].lower()}{detail[1:]}"
            if code in ("too-large", "too-deep") and detail:
                return f"{message}. {detail}"
            return c.message
    return None


def _status_change_words(session: Session, result: VerificationResult) -> dict[str, str]:
    """For a credential issued here that its status list marks revoked or suspended: when that happened and the
    reason staff chose to make public, as the sentence of the failed status check (check id -> sentence).

    Only the row whose credential id and issuer match the verified credential is read, and only its flags that
    agree with the signed status list the engine checked.
    """
    by_id = {c.id: c for c in result.checks}
    failed = [cid for cid in ("status.revocation", "status.suspension")
              if by_id.get(cid) is not None and by_id[cid].status == "failure"]
    cred = result.credential or {}
    credential_id = cred.get("id") if isinstance(cred.get("id"), str) else None
    issuer_id = ((result.summary or {}).get("issuer") or {}).get("id")
    if not failed or not credential_id or len(credential_id) > 100 or not issuer_id:
        return {}
    row = session.scalar(select(IssuedCredential).join(Issuer, Issuer.id == IssuedCredential.issuer_id)
                         .where(IssuedCredential.credential_id == credential_id, Issuer.identifier == issuer_id))
    if row is None:
        return {}
    day = human_date(row.status_changed_at) if row.status_changed_at else None
    why = f" — reason: {row.public_status_reason}" if row.public_status_reason else ""
    words = {}
    if "status.revocation" in failed and row.revoked:
        words["status.revocation"] = f"Has been revoked by the issuer{f' on {day}' if day else ''}{why}"
    if "status.suspension" in failed and row.suspended and not row.revoked:
        words["status.suspension"] = f"Has been suspended by the issuer{f' since {day}' if day else ''}{why}"
    return words


def _decide(result: VerificationResult, authenticity: Authenticity, email_given: bool) -> tuple[str, str, str | None]:
    """Verdict, reason and the id of the check the reason comes from."""
    by_id = {c.id: c for c in result.checks}
    if result.verdict == "invalid":
        for cid in REASON_PRIORITY:
            c = by_id.get(cid)
            if c is not None and c.status == "failure" and cid != "recipient.identity":
                return NOT_VALID, c.message, cid
        failed = next((c for c in result.checks if c.status == "failure"), None)
        return NOT_VALID, result.reason, failed.id if failed is not None and failed.message == result.reason else None
    recipient = by_id.get("recipient.identity")
    if email_given and recipient is not None and recipient.status == "failure":
        return NOT_VALID, "It was not issued to the e-mail address you entered.", "recipient.identity"
    if result.verdict == "indeterminate":
        open_check = next((c for c in result.checks if c.status == "indeterminate" and c.message == result.reason),
                          None)
        return CANNOT_CONFIRM, result.reason, open_check.id if open_check is not None else None
    trusted = by_id.get("issuer.trusted")
    if not result.issuer_trusted:
        issuer = (result.summary.get("issuer") or {})
        name = issuer.get("name") or issuer.get("id") or "the issuer"
        if trusted is not None and trusted.status == "failure":
            return CANNOT_CONFIRM, (f"The signature is genuine, but {name} is not on your list of trusted issuers, "
                                    "so the portal cannot vouch for it."), "issuer.trusted"
        return (CANNOT_CONFIRM, trusted.message if trusted is not None else "The issuer could not be confirmed.",
                "issuer.trusted" if trusted is not None else None)
    signed = by_id.get("proof.signature")
    return VERIFIED, (signed.message if signed is not None else "All checks passed."), None


def _card(result: VerificationResult, session: Session, *, raw: bytes | None) -> CredentialCard | None:
    if result.credential is None:
        return None
    summary = result.summary or {}
    ach = summary.get("achievement") or {}
    issuer = summary.get("issuer") or {}
    comps = tuple(
        CardCompetency(name=a.get("targetName") or a.get("targetCode") or "Competency", url=a.get("targetUrl"),
                   framework=a.get("targetFramework"), code=a.get("targetCode"),
                   description=a.get("targetDescription"))
        for a in summary.get("alignments") or [] if isinstance(a, dict)
    )
    issuer_id = issuer.get("id")
    local_ids = {i for (i,) in session.execute(
        select(Issuer.identifier).where(Issuer.keys.any()))} if issuer_id else set()
    issued_here = bool(issuer_id and issuer_id in local_ids)
    image_svg = None
    if issued_here and isinstance(ach.get("id"), str):
        slug = ach["id"].rstrip("/").rsplit("/", 1)[-1]
        image_svg = session.scalar(select(Achievement.image_svg).where(Achievement.slug == slug))
    image_png = raw if raw is not None and raw.startswith(b"\x89PNG\r\n\x1a\n") else None
    if raw is not None and image_png is None and result.input_kind == "svg":
        try:
            image_svg = raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
    details = {k: str(ach[k]) for k in ("hours", "level", "partner") if ach.get(k)}
    if ach.get("achievement_type"):
        details["type"] = str(ach["achievement_type"])
    cred = result.credential
    return CredentialCard(
        credential_id=cred.get("id") if isinstance(cred.get("id"), str) else None,
        achievement=ach.get("name") or summary.get("name"), description=ach.get("description"),
        criteria=ach.get("criteria"), competencies=comps, issuer_name=issuer.get("name"), issuer_id=issuer_id,
        issuer_url=issuer.get("url"), earner_name=summary.get("earner_name"), valid_from=summary.get("valid_from"),
        valid_until=summary.get("valid_until"), image_url=summary.get("image"), image_svg=image_svg,
        image_png=image_png, issued_here=issued_here, details=details,
        cosigners=tuple(str(c) for c in summary.get("cosigners") or ()),
    )


# --- the service ---------------------------------------------------------------------------------------------

def _as_bytes(data: bytes | str) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def _audit(session: Session, pv: PortalVerification, viewer: Viewer) -> int | None:
    card = pv.card
    details: dict[str, Any] = {
        "source": pv.source,
        "input_kind": pv.result.input_kind,
        "verdict": pv.verdict,
        "engine_verdict": pv.result.verdict,
        "authenticity": pv.authenticity,
        "failing_check": pv.failing_check_id,
        "reason": pv.reason[:300],
        "issuer_id": card.issuer_id if card else None,
        "issuer": card.issuer_name if card else None,
        "achievement": card.achievement if card else None,
        "issuer_trusted": pv.result.issuer_trusted,
        "email_checked": pv.email_given,
        "email_matches": pv.result.recipient_match if pv.email_given else None,
    }
    if viewer.signed_in:
        # Employers and staff see their own history; anonymous visitors leave no personal data behind.
        details["earner_name"] = card.earner_name if card else None
        details["file_name"] = (pv.file_name or "")[:200] or None
    event = repo.record_audit(
        session, actor=viewer.email, actor_role=viewer.role, action=AUDIT_ACTION,
        subject=(card.credential_id if card and card.credential_id else "(unreadable)"), outcome=pv.verdict,
        details=details,
    )
    session.flush()
    return event.id


def _evaluate(data: bytes, ctx: VerifyContext, session: Session, *, email_given: bool, source: str,
              file_name: str | None, checked_at: datetime) -> PortalVerification:
    result = verify(data, ctx=ctx)
    authenticity = _authenticity(result)
    problem = _input_problem(result, source)
    deciding: str | None
    if problem is not None:
        verdict, reason = NOT_VALID, problem
        deciding = next((c.id for c in result.checks if c.id in ("input.limits", "input.format")
                         and c.status == "failure"), None)
    else:
        verdict, reason, deciding = _decide(result, authenticity, email_given)
    lines = _lines(result, email_given)
    if authenticity == "forged":
        # Dates and status of a document whose signature fails describe nothing real: never show them as passed.
        lines = [CheckLine(x.id, None, x.text) if x.ok and not x.id.startswith("proof.") else x for x in lines]
    elif authenticity == "authentic":
        status_words = _status_change_words(session, result)
        if status_words:
            lines = [CheckLine(x.id, x.ok, status_words[x.id]) if x.id in status_words and x.ok is False else x
                     for x in lines]
            if deciding in status_words and verdict == NOT_VALID:
                reason = status_words[deciding].rstrip(".") + "."
    return PortalVerification(
        verdict=verdict, reason=reason, authenticity=authenticity, lines=lines,
        card=_card(result, session, raw=data), result=result, checked_at=checked_at, source=source,
        file_name=file_name, email_given=email_given, input_problem=problem, deciding_check=deciding,
    )


def verify_submission(source_db: SessionSource, data: bytes | str, *, email: str | None, viewer: Viewer,
                      source: str, now: datetime | None = None, file_name: str | None = None,
                      remote: Fetcher | None | bool = True, audit: bool = True) -> PortalVerification:
    """Verify one credential submitted to the portal and record it in the audit log.

    Parameters
    ----------
    source_db : Runtime | sessionmaker
        The database (a ``Runtime`` or its ``Session`` factory).
    data : bytes | str
        Credential JSON, a compact JWS/JWT, or a badge PNG/SVG with the credential baked in. The engine bounds
        it (size, nesting) before parsing.
    email : str | None
        The candidate's e-mail address to compare with the recipient (never stored).
    viewer : Viewer
        Who is verifying (the audit actor).
    source : str
        How it arrived: ``upload``, ``paste``, ``link``, ``qr``, ``batch`` or ``api``.
    now : datetime, optional
        Verification time; default: now.
    file_name : str, optional
        Shown in the report; audited only for signed-in viewers.
    remote : Fetcher | None | bool
        Remote fetching (see :func:`build_context`).
    audit : bool
        Write the audit event (always, except in tests of the pure mapping).

    Returns
    -------
    PortalVerification
        Verdict, reason, lines, card and the engine's full ``result``. Never raises for bad input.
    """
    email = (email or "").strip() or None
    ctx = build_context(source_db, email=email, now=now, remote=remote)
    raw = _as_bytes(data)
    factory = _factory(source_db)
    checked_at = now or utcnow()
    # The verification only reads; its audit event is a short write transaction of its own, so verifications do
    # not queue behind one another for the database's write lock while the signature is being checked.
    with factory() as session:
        pv = _evaluate(raw, ctx, session, email_given=email is not None, source=source, file_name=file_name,
                       checked_at=checked_at)
        if email is not None and pv.result.recipient_match is False and email != email.lower():
            # Issuers hash the address as they stored it, almost always in lower case.
            retry = _evaluate(raw, ctx.with_email(email.lower()), session, email_given=True, source=source,
                              file_name=file_name, checked_at=checked_at)
            if retry.result.recipient_match:
                pv = retry
    if audit:
        with factory.begin() as session:
            pv.audit_id = _audit(session, pv, viewer)
    return pv


def load_issued(session: Session, credential_id: str) -> IssuedCredential | None:
    """The credential issued by this portal with ``credential_id`` (for the ``?credential=`` deep link)."""
    credential_id = (credential_id or "").strip()
    if not credential_id or len(credential_id) > 100:
        return None
    return repo.get_credential(session, credential_id=credential_id)


#: Why a verification link opens a credential issued here (``LinkAccess.outcome``), or why it does not.
LINK_OPENS = ("public", "share", "staff", "holder", "partner")


@dataclass(frozen=True)
class LinkAccess:
    """Whether a verification link may show the verdict of a credential issued here.

    Attributes
    ----------
    outcome : str
        One of :data:`LINK_OPENS` when it may (published, a valid share token, staff, the earner themself, a
        partner looking at an earner who lets partners find them), else ``not_found``, ``withdrawn`` (a share token
        that is not, or no longer, the credential's) or ``private`` (no token, not published).
    document : str | None
        The signed credential, only when the link opens it.
    share_token : str | None
        The token that opened it (kept for the report's "check again" link).
    """

    outcome: str
    document: str | None = None
    share_token: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in LINK_OPENS


def open_issued(session: Session, credential_id: str, *, share: str | None, viewer: Viewer) -> LinkAccess:
    """Decide on the server whether a verification link (``?credential=<id>[&share=<token>]``) opens a
    credential issued here, and audit a refusal.

    Parameters
    ----------
    session : Session
        Open transaction (a refusal is written to the audit log).
    credential_id : str
        From the link.
    share : str | None
        The link's share token, if any.
    viewer : Viewer
        Who opened the link.

    Returns
    -------
    LinkAccess
    """
    from mosaics_match.services import sharing

    row = load_issued(session, credential_id)
    outcome = "not_found"
    if row is not None:
        if row.public:
            outcome = "public"
        elif sharing.share_allows(row, share):
            outcome = "share"
        elif viewer.role == Role.STAFF:
            outcome = "staff"
        elif viewer.earner_id is not None and viewer.earner_id == row.earner_id:
            outcome = "holder"
        elif viewer.role == Role.PARTNER and row.earner is not None and row.earner.discoverable:
            outcome = "partner"
        else:
            outcome = "withdrawn" if share else "private"
    if outcome not in LINK_OPENS:
        repo.record_audit(session, actor=viewer.email, actor_role=viewer.role, action="verify_link",
                          subject=(credential_id or "")[:200], outcome=outcome)
        return LinkAccess(outcome)
    assert row is not None
    return LinkAccess(outcome, row.document, share if outcome == "share" else None)


def open_link(source_db: SessionSource, *, credential_id: str, share: str | None, viewer: Viewer) -> LinkAccess:
    """:func:`open_issued` in a transaction of its own: what the verify page calls for a verification link.

    Parameters
    ----------
    source_db : Runtime | sessionmaker
        The database.
    credential_id : str
        From the link.
    share : str | None
        The link's share token, if any.
    viewer : Viewer
        Who opened the link.

    Returns
    -------
    LinkAccess
        Whether the link opens the credential (a refusal is audited).
    """
    with _factory(source_db).begin() as session:
        return open_issued(session, credential_id, share=share, viewer=viewer)


def warm_up(source_db: SessionSource) -> bool:
    """Verify one stored credential without auditing it, to load the engine, contexts and status lists before the
    first visitor's check (so the first verdict is as fast as the next ones).

    Parameters
    ----------
    source_db : Runtime | sessionmaker
        The database.

    Returns
    -------
    bool
        Always ``True`` (the page caches it once per process).
    """
    with _factory(source_db)() as session:
        document = session.scalar(select(IssuedCredential.document).limit(1))
    if document:
        verify(document.encode("utf-8"), ctx=build_context(source_db, remote=False))
    return True


def verify_batch(source_db: SessionSource, items: Sequence[Any], *, viewer: Viewer, email: str | None = None,
                 now: datetime | None = None, progress: Callable[[int, int, str], None] | None = None,
                 remote: Fetcher | None | bool = True) -> list[BatchRow]:
    """Verify a batch (see :mod:`mosaics_match.inputs.batch`) sharing one context; one audit event per credential.

    Parameters
    ----------
    items : sequence of BatchItem
        Files of the batch; refused ones (``problem`` set) become rows with that problem.
    progress : callable, optional
        ``progress(done, total, name)`` after each file.
    """
    email = (email or "").strip() or None
    ctx = build_context(source_db, email=email, now=now, remote=remote)
    factory = _factory(source_db)
    rows: list[BatchRow] = []
    total = len(items)
    for done, item in enumerate(items, start=1):
        if item.data is None or item.problem:
            rows.append(BatchRow(item.name, None, item.problem or "Could not be read."))
        else:
            with factory() as session:
                pv = _evaluate(item.data, ctx, session, email_given=email is not None, source="batch",
                               file_name=item.name, checked_at=now or utcnow())
            with factory.begin() as session:
                pv.audit_id = _audit(session, pv, viewer)
            rows.append(BatchRow(item.name, pv, raw=item.data))
        if progress is not None:
            progress(done, total, item.name)
    return rows


# --- history -------------------------------------------------------------------------------------------------

def history(session: Session, *, viewer: Viewer, limit: int = 500, since: datetime | None = None,
            until: datetime | None = None) -> list[HistoryEntry]:
    """The viewer's own past verifications, newest first (only signed-in viewers have a history)."""
    if not viewer.signed_in:
        return []
    events = repo.list_audit(session, action=AUDIT_ACTION, actor=viewer.email, since=since, until=until,
                             limit=limit)
    out = []
    for e in events:
        if e.actor != viewer.email:  # list_audit matches actors by substring
            continue
        d = e.details or {}
        out.append(HistoryEntry(
            at=e.at, credential_id=e.subject if e.subject != "(unreadable)" else None, verdict=e.outcome or "",
            achievement=d.get("achievement"), issuer=d.get("issuer") or d.get("issuer_id"),
            earner_name=d.get("earner_name"), source=d.get("source"), file_name=d.get("file_name"),
            failing_check=d.get("failing_check"), reason=d.get("reason"),
        ))
    return out


def verification_history(source_db: SessionSource, *, viewer: Viewer, limit: int = 500) -> list[HistoryEntry]:
    """:func:`history` in a session of its own: what the verification-history page shows.

    Parameters
    ----------
    source_db : Runtime | sessionmaker
        The database.
    viewer : Viewer
        Whose verifications (only signed-in viewers have a history).
    limit : int
        At most this many, newest first.

    Returns
    -------
    list of HistoryEntry
    """
    with _factory(source_db)() as session:
        return history(session, viewer=viewer, limit=limit)
