"""Verifying Open Badges 3.0 / W3C verifiable credentials.

``verify()`` runs an ordered list of small checks, each with a stable id, and never raises: every problem ends
up as a check result with a plain-language message and RFC 9457-style problem details. The checks are grouped
in suites (the part of the id before the dot); a fatal failure skips the rest of its own suite only.

Verdict: ``invalid`` when any check (other than the advisory ``issuer.trusted`` and ``recipient.identity``)
failed; otherwise ``indeterminate`` when any could not be decided (for example a status list that could not be
fetched: never read as "not revoked"); otherwise ``valid``.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable

import logging

from .fetcher import FetchError, Fetcher
from .inputs import InputError, Limits, detect_kind, jws_text, parse_json_bounded
from .trust import TrustRegistry

__all__ = [
    "CHECKS",
    "ADVISORY_CHECKS",
    "CheckResult",
    "VerificationResult",
    "VerifyContext",
    "VerifyCache",
    "KeyResolver",
    "ResolvedKey",
    "verify",
    "verify_credential",
    "verify_many",
    "parse_datetime",
    "summarize",
    "JWT_REGISTERED_CLAIMS",
]

_log = logging.getLogger(__name__)

VC1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
VC2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
PROBLEM_BASE = "urn:mosaics:credentials:problem:"
# RFC 7519 registered claims (and cnf, RFC 7800): token metadata, not credential properties
JWT_REGISTERED_CLAIMS = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "cnf"})

#: Every check id, in execution order, with its plain-language meaning.
CHECKS: dict[str, str] = {
    "input.limits": "The input is within the size and nesting limits.",
    "input.format": "The input is a credential we can read: JSON, a signed token (JWS/JWT) or a badge image "
                    "(PNG/SVG) with a credential baked in.",
    "structure.context": "The credential declares the W3C Verifiable Credentials context first and only contexts "
                         "this verifier holds.",
    "structure.type": "The credential is typed VerifiableCredential and has an issuer and a subject.",
    "jsonld.lossless": "Every field is defined by the declared contexts, so nothing is silently left out of "
                       "what the signature covers.",
    "proof.present": "The credential carries a signature (an embedded proof or a signed token).",
    "proof.signature": "The signature is mathematically valid for the credential's content and the signing key.",
    "proof.key_binding": "The signing key belongs to the issuer named in the credential (and token claims agree "
                         "with the credential).",
    "proof.purpose": "The key is authorised to issue credentials (assertionMethod) and the signature has not "
                     "passed its own expiry (if it has one).",
    "issuer.trusted": "The issuer is on your list of trusted issuers (reported separately; does not make a "
                      "credential invalid).",
    "time.valid_from": "The credential is already valid (its validFrom / issuanceDate is not in the future).",
    "time.expiry": "The credential has not expired (validUntil / expirationDate).",
    "status.revocation": "The issuer's status list says the credential has not been revoked.",
    "status.suspension": "The issuer's status list says the credential is not suspended.",
    "recipient.identity": "The credential was issued to the e-mail address you entered (reported separately).",
}
ADVISORY_CHECKS = frozenset({"issuer.trusted", "recipient.identity"})
#: A proof may say it was created this far after the verifier's clock (clocks drift); beyond it, it fails.
CLOCK_SKEW = timedelta(minutes=5)
STATUSES = ("success", "failure", "indeterminate", "skipped")


def _problem(code: str, title: str, detail: str, pointer: str | None = None) -> dict:
    p = {"type": PROBLEM_BASE + code, "title": title, "detail": detail}
    if pointer is not None:
        p["pointer"] = pointer
    return p


@dataclass
class CheckResult:
    """Outcome of one check.

    Attributes
    ----------
    id : str
        Stable check id (see :data:`CHECKS`).
    status : str
        ``success``, ``failure``, ``indeterminate`` or ``skipped``.
    message : str
        Plain-language sentence for people.
    problems : list[dict]
        RFC 9457-style problem details (``type``, ``title``, ``detail``, ``pointer``).
    """

    id: str
    status: str
    message: str
    problems: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"id": self.id, "status": self.status, "message": self.message, "problems": list(self.problems)}

    def __reduce__(self) -> tuple:
        # compact pickling: batches return thousands of these from worker processes
        return (CheckResult, (self.id, self.status, self.message, self.problems))


@dataclass
class VerificationResult:
    """Everything a person needs to decide about one credential.

    Attributes
    ----------
    verdict : str
        ``valid``, ``invalid`` or ``indeterminate``.
    issuer_trusted : bool
        The issuer is on the trust list *and* the signature binds to it.
    recipient_match : bool | None
        E-mail comparison result (``None`` when no e-mail was given or the credential records none).
    checks : list[CheckResult]
        All checks, in order.
    credential : dict | None
        The credential as read (for a token: the credential claim).
    summary : dict
        Display data: achievement, alignments, issuer, earner name, dates, image.
    input_kind : str | None
        ``json``, ``jws``, ``png``, ``svg`` or ``object``.
    """

    verdict: str
    issuer_trusted: bool
    recipient_match: bool | None
    checks: list[CheckResult]
    credential: dict | None
    summary: dict
    input_kind: str | None = None

    def check(self, check_id: str) -> CheckResult | None:
        """The result of ``check_id`` (or ``None``)."""
        return next((c for c in self.checks if c.id == check_id), None)

    @property
    def reason(self) -> str:
        """One sentence explaining the verdict."""
        if self.verdict == "valid":
            return "All checks passed."
        wanted = "failure" if self.verdict == "invalid" else "indeterminate"
        for c in self.checks:
            if c.status == wanted and c.id not in ADVISORY_CHECKS:
                return c.message
        return "The credential could not be verified."

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {
            "verdict": self.verdict,
            "reason": self.reason,
            "issuer_trusted": self.issuer_trusted,
            "recipient_match": self.recipient_match,
            "input_kind": self.input_kind,
            "checks": [c.to_dict() for c in self.checks],
            "summary": self.summary,
            "credential": self.credential,
        }


class VerifyCache:
    """Caches shared by all verifications that use one :class:`VerifyContext` (documents, keys, status lists).

    Thread-safe. Entries live at most ``ttl`` seconds (``None``: for the life of the cache), so a long-lived cache
    still notices a revocation published later.
    """

    def __init__(self, max_entries: int = 4096, ttl: float | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        import threading
        import time

        self.max_entries = max_entries
        self.ttl = ttl
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self.documents: dict[str, Any] = {}
        self.keys: dict[str, Any] = {}
        self.status_lists: dict[str, Any] = {}
        self.stats = {"documents_fetched": 0, "status_lists_built": 0}

    def get(self, table: dict, key: str) -> Any:
        """The live entry for ``key`` or ``None``."""
        hit = table.get(key)
        if hit is None:
            return None
        expires, value = hit
        if expires is not None and self._clock() > expires:
            with self._lock:
                table.pop(key, None)
            return None
        return value

    def _put(self, table: dict, key: str, value: Any) -> None:
        expires = None if self.ttl is None else self._clock() + self.ttl
        with self._lock:
            if key not in table and len(table) >= self.max_entries:
                table.pop(next(iter(table)), None)
            table[key] = (expires, value)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class ResolvedKey:
    """A verification key with where it came from.

    Attributes
    ----------
    vm_id : str
        Verification method id (or ``kid``).
    controller : str | None
        Who controls the key (DID or URL).
    key : Any
        ``keys.PublicKey``.
    assertion : bool | None
        Listed under ``assertionMethod`` (``None`` when the document lists no purposes).
    source : str
        ``did:key``, ``did:web``, ``https``, ``jwks`` or ``jwk``.
    """

    vm_id: str
    controller: str | None
    key: Any
    assertion: bool | None
    source: str


class KeyResolver:
    """Resolve verification methods: did:key locally, did:web and https controller documents and issuer JWKS
    through the fetcher (never anything else)."""

    def __init__(self, fetcher: Fetcher | None, limits: Limits, cache: VerifyCache) -> None:
        self.fetcher = fetcher
        self.limits = limits
        self.cache = cache

    def fetch_json(self, url: str) -> Any:
        """Fetch and parse a JSON document through the cache (errors are cached too)."""
        key = url.split("#", 1)[0]
        hit = self.cache.get(self.cache.documents, key)
        if hit is not None:
            if isinstance(hit, Exception):
                raise hit
            return hit
        try:
            if self.fetcher is None:
                raise FetchError(key, "no fetcher configured (offline)")
            data = self.fetcher.fetch(key)
            if len(data) > self.limits.max_document_bytes:
                raise FetchError(key, "document is too large")
            try:
                value = parse_json_bounded(data, max_bytes=self.limits.max_document_bytes,
                                           max_depth=self.limits.max_json_depth)
            except InputError as exc:
                # a status list or key set may legitimately be served as a signed token
                text = data.decode("utf-8", "replace").strip()
                from .inputs import is_compact_jws

                if is_compact_jws(text):
                    value = text
                else:
                    raise FetchError(key, f"not valid JSON ({exc.detail})") from None
            self.cache.stats["documents_fetched"] += 1
        except FetchError as exc:
            self.cache._put(self.cache.documents, key, exc)
            raise
        self.cache._put(self.cache.documents, key, value)
        return value

    @staticmethod
    def did_web_url(did: str) -> str:
        """The https URL of a did:web DID document."""
        parts = did[len("did:web:"):].split(":")
        if not parts or not parts[0]:
            raise FetchError(did, "malformed did:web")
        host = urllib.parse.unquote(parts[0])
        if "/" in host or "@" in host:
            raise FetchError(did, "malformed did:web host")
        path = "/".join(urllib.parse.quote(urllib.parse.unquote(p), safe="") for p in parts[1:])
        return f"https://{host}/{path}/did.json" if path else f"https://{host}/.well-known/did.json"

    def resolve(self, vm_ref: str) -> ResolvedKey:
        """Resolve a verification method reference.

        Raises
        ------
        FetchError
            When a needed document cannot be fetched (outcome unknown).
        CredentialError
            When the reference or key is malformed (a definite failure).
        """
        hit = self.cache.get(self.cache.keys, vm_ref)
        if hit is not None:
            if isinstance(hit, Exception):
                raise hit
            return hit
        try:
            value = self._resolve(vm_ref)
        except FetchError:
            raise
        except Exception as exc:
            self.cache._put(self.cache.keys, vm_ref, exc)
            raise
        self.cache._put(self.cache.keys, vm_ref, value)
        return value

    def _resolve(self, vm_ref: str) -> ResolvedKey:
        from . import keys
        from .errors import KeyFormatError

        if not isinstance(vm_ref, str) or not vm_ref:
            raise KeyFormatError("verification method is missing", code="key.vm")
        if vm_ref.startswith("did:key:"):
            vm_id, controller, pub = keys.resolve_did_key(vm_ref)
            return ResolvedKey(vm_id, controller, pub, True, "did:key")
        if vm_ref.startswith("did:web:"):
            did, _, fragment = vm_ref.partition("#")
            doc = self.fetch_json(self.did_web_url(did))
            if not isinstance(doc, dict) or doc.get("id") != did:
                raise KeyFormatError(f"the DID document does not describe {did}", code="did.web.document")
            vm = self._find_vm(doc, vm_ref, did)
            if vm is None:
                raise KeyFormatError(f"{vm_ref} is not in the DID document", code="did.web.vm")
            # a method inside the DID's own document without an explicit controller is the DID's
            controller = vm.get("controller") if isinstance(vm.get("controller"), str) else did
            return ResolvedKey(vm_ref, controller, keys.public_key_from_verification_method(vm),
                               self._is_assertion(doc, vm_ref, did), "did:web")
        if vm_ref.startswith("https://"):
            base = vm_ref.split("#", 1)[0]
            doc = self.fetch_json(base)
            if not isinstance(doc, dict):
                raise KeyFormatError(f"{base} is not a key document", code="key.vm")
            vm = doc if doc.get("id") == vm_ref and self._has_key(doc) else self._find_vm(doc, vm_ref, base)
            if vm is None:
                raise KeyFormatError(f"{vm_ref} is not in the issuer's key document", code="key.vm")
            controller = vm.get("controller") if isinstance(vm.get("controller"), str) else doc.get("id")
            return ResolvedKey(vm_ref, controller if isinstance(controller, str) else None,
                               keys.public_key_from_verification_method(vm), self._is_assertion(doc, vm_ref, base),
                               "https")
        raise KeyFormatError(f"unsupported verification method {vm_ref[:80]}", code="key.vm.method")

    @staticmethod
    def _has_key(vm: dict) -> bool:
        return any(k in vm for k in ("publicKeyMultibase", "publicKeyJwk", "publicKeyBase58"))

    @staticmethod
    def _abs(ref: str, base: str) -> str:
        return base + ref if ref.startswith("#") else ref

    def _find_vm(self, doc: dict, vm_ref: str, base: str) -> dict | None:
        for prop in ("verificationMethod", "assertionMethod", "authentication", "publicKey"):
            items = doc.get(prop)
            for item in items if isinstance(items, list) else [items] if isinstance(items, dict) else []:
                if isinstance(item, dict) and isinstance(item.get("id"), str) \
                        and self._abs(item["id"], base) == vm_ref and self._has_key(item):
                    return item
        return None

    def _is_assertion(self, doc: dict, vm_ref: str, base: str) -> bool | None:
        am = doc.get("assertionMethod")
        if am is None:
            return None
        for item in am if isinstance(am, list) else [am]:
            ref = item.get("id") if isinstance(item, dict) else item
            if isinstance(ref, str) and self._abs(ref, base) == vm_ref:
                return True
        return False

    def issuer_authorisation(self, issuer: str | None, vm_ref: str, key: Any) -> tuple[bool, bool | None, str]:
        """Whether the issuer's *own* documents authorise ``vm_ref`` (holding ``key``) to sign for it.

        DID Core: a verification method speaks for a DID only when that DID's document lists it; what a
        method's document says about its own ``controller`` is never evidence (anyone can host a method that
        claims to belong to someone else). So: a ``did:key`` issuer authorises exactly its own derived key; a
        ``did:web`` issuer authorises the methods its DID document (fetched by the issuer's id) lists; an
        ``https`` issuer the methods its profile document (fetched by the issuer's id) lists.

        Returns
        -------
        tuple
            ``(bound, assertion, detail)``: ``assertion`` is whether the issuer lists the method under
            ``assertionMethod`` (``None`` when an https profile lists no purposes at all).

        Raises
        ------
        FetchError
            When the issuer's document cannot be fetched (the outcome is unknown, not negative).
        """
        if not isinstance(issuer, str) or not issuer:
            return False, None, "The credential names no issuer."
        if not isinstance(vm_ref, str):
            return False, None, "The signature names no verification method."
        vm_ref = vm_ref.split("?", 1)[0]
        if issuer.startswith("did:key:"):
            if vm_ref.split("#", 1)[0] == issuer:
                return True, True, "The key is the issuer's own did:key."
            return False, None, f"The key {vm_ref[:120]} is not the issuer's did:key {issuer[:120]}."
        if issuer.startswith("did:web:"):
            doc = self.fetch_json(self.did_web_url(issuer))
            if not isinstance(doc, dict) or doc.get("id") != issuer:
                return False, None, f"The issuer's DID document does not describe {issuer[:120]}."
            base = issuer
        elif issuer.startswith("https://"):
            base = issuer.split("#", 1)[0]
            doc = self.fetch_json(base)
            if not isinstance(doc, dict):
                return False, None, "The issuer's profile is not a JSON document."
        else:
            return False, None, f"Keys of an issuer identified as {issuer[:60]} cannot be checked."
        listed = self._listed(doc, base)
        if vm_ref not in listed:
            return False, None, (f"The issuer's own document ({issuer[:120]}) does not list the key "
                                 f"{vm_ref[:120]}.")
        embedded = listed[vm_ref]
        if embedded is not None:
            from . import keys

            try:
                published = keys.public_key_from_verification_method(embedded)
            except Exception:
                return False, None, "The issuer's document lists the key with unreadable key material."
            if published.kind != key.kind or published.raw() != key.raw():
                return False, None, "The issuer's document lists a different key under that id."
        assertion = self._is_assertion(doc, vm_ref, base)
        if assertion is None and issuer.startswith("did:"):
            assertion = False  # DID Core: only assertionMethod authorises issuing
        return True, assertion, "The issuer's own document lists the key."

    def _listed(self, doc: dict, base: str) -> dict[str, dict | None]:
        """Every verification method id a document lists, with its definition when the document holds one."""
        out: dict[str, dict | None] = {}
        for prop in ("verificationMethod", "assertionMethod", "authentication", "publicKey"):
            items = doc.get(prop)
            for item in items if isinstance(items, list) else [items] if items is not None else []:
                ref = item.get("id") if isinstance(item, dict) else item
                if not isinstance(ref, str):
                    continue
                ref = self._abs(ref, base)
                if isinstance(item, dict) and self._has_key(item):
                    out[ref] = item
                else:
                    out.setdefault(ref, None)
        if doc.get("id") is not None and self._has_key(doc) and isinstance(doc.get("id"), str):
            out.setdefault(doc["id"], doc)  # a key document that is itself the method
        return out

    def jwks_keys(self, issuer_id: str) -> list[tuple[str | None, Any]]:
        """Keys published at ``https://{issuer authority}/.well-known/jwks.json``."""
        from . import keys

        parts = urllib.parse.urlsplit(issuer_id)
        if parts.scheme != "https" or not parts.netloc:
            raise FetchError(issuer_id, "the issuer is not an https URL, so it has no JWKS")
        doc = self.fetch_json(f"https://{parts.netloc}/.well-known/jwks.json")
        if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
            raise FetchError(issuer_id, "the issuer's JWKS has no keys")
        out: list[tuple[str | None, Any]] = []
        for jwk in doc["keys"][:64]:
            try:
                out.append((jwk.get("kid") if isinstance(jwk.get("kid"), str) else None, keys.public_key_from_jwk(jwk)))
            except Exception:
                continue
        return out


@dataclass
class VerifyContext:
    """Everything ``verify`` needs from the outside world (all injectable).

    Attributes
    ----------
    clock : callable
        Returns the current time as an aware datetime.
    fetcher : Fetcher | None
        Used for did:web documents, issuer JWKS and status lists; ``None`` means fully offline.
    trust : TrustRegistry | None
        Trusted issuers.
    email : str | None
        E-mail address to compare with the credential's recipient.
    limits : Limits
        Resource bounds.
    key_resolver : KeyResolver | None
        Defaults to one over ``fetcher``.
    cache : VerifyCache
        Shared caches (status lists fetched and checked once per context).
    cpu_budget : float | None
        CPU seconds (of the verifying thread) after which the remaining checks are not started and the
        outcome is indeterminate; ``None``: no budget.
    """

    clock: Callable[[], datetime] = _utcnow
    fetcher: Fetcher | None = None
    trust: TrustRegistry | None = None
    email: str | None = None
    limits: Limits = field(default_factory=Limits)
    key_resolver: KeyResolver | None = None
    cache: VerifyCache = field(default_factory=VerifyCache)
    cpu_budget: float | None = 2.0

    def resolver(self) -> KeyResolver:
        """The key resolver in use."""
        if self.key_resolver is None:
            self.key_resolver = KeyResolver(self.fetcher, self.limits, self.cache)
        return self.key_resolver

    def with_email(self, email: str | None) -> "VerifyContext":
        """A copy sharing caches but comparing against ``email``."""
        return VerifyContext(self.clock, self.fetcher, self.trust, email, self.limits, self.key_resolver,
                             self.cache, self.cpu_budget)


# ----------------------------------------------------------------------------------------------- helpers

_DATE_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|z|[+-]\d{2}:?\d{2})?$")


def parse_datetime(value: Any) -> datetime | None:
    """Parse an XML Schema / RFC 3339 date-time; no offset means UTC. ``None`` for missing.

    Raises
    ------
    ValueError
        When the value is present but not a date-time.
    """
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, timezone.utc)
    if not isinstance(value, str):
        raise ValueError("date is not a string")
    m = _DATE_RE.match(value.strip())
    if not m:
        raise ValueError(f"{value[:40]!r} is not a date-time")
    y, mo, d, h, mi, s, frac, off = m.groups()
    tz = timezone.utc
    if off and off not in ("Z", "z"):
        sign = 1 if off[0] == "+" else -1
        digits = off[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    micro = int((frac or ".0")[1:7].ljust(6, "0"))
    return datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), micro, tzinfo=tz)


def _date_problem(exc: Exception) -> str:
    """Our own sentence for a date that cannot be read (never Python's exception text)."""
    if isinstance(exc, OverflowError) or "out of range" in str(exc):
        return "The date is outside the range of dates this verifier handles."
    return "The value is not an XML Schema / RFC 3339 date-time."


def _human_date(dt: datetime) -> str:
    dt = dt.astimezone(timezone.utc)
    return f"{dt.day} {dt.strftime('%B %Y')}"


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _issuer_id(cred: dict) -> str | None:
    issuer = cred.get("issuer")
    if isinstance(issuer, str):
        return issuer or None
    if isinstance(issuer, dict):
        return _str(issuer.get("id"))
    return None


def _issuer_name(cred: dict) -> str | None:
    issuer = cred.get("issuer")
    if isinstance(issuer, dict):
        name = issuer.get("name")
        if isinstance(name, str):
            return name
        if isinstance(name, dict):  # language map
            return next((v for v in name.values() if isinstance(v, str)), None)
    return None


def _image_url(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return _str(value.get("id"))
    return None


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):  # language map / value object
        for k in ("@value", "en", "en-CA", "en-US"):
            if isinstance(value.get(k), str):
                return value[k]
        return next((v for v in value.values() if isinstance(v, str)), None)
    return None


def summarize(cred: dict | None) -> dict:
    """Display data of a credential (robust against any shape)."""
    out: dict[str, Any] = {"achievement": None, "alignments": [], "issuer": None, "earner_name": None,
                           "valid_from": None, "valid_until": None, "image": None, "name": None}
    if not isinstance(cred, dict):
        return out
    out["name"] = _text(cred.get("name"))
    issuer = cred.get("issuer")
    out["issuer"] = {"id": _issuer_id(cred), "name": _issuer_name(cred),
                     "url": _str(issuer.get("url")) if isinstance(issuer, dict) else None,
                     "image": _image_url(issuer.get("image")) if isinstance(issuer, dict) else None}
    for key, names in (("valid_from", ("validFrom", "issuanceDate")), ("valid_until", ("validUntil",
                                                                                          "expirationDate"))):
        for n in names:
            try:
                dt = parse_datetime(cred.get(n))
            except (ValueError, OverflowError, OSError):
                dt = None
            if dt is not None:
                out[key] = dt.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
                break
    subjects = [s for s in _as_list(cred.get("credentialSubject")) if isinstance(s, dict)]
    subject = subjects[0] if subjects else {}
    out["earner_name"] = _text(subject.get("name"))
    ach = subject.get("achievement")
    ach = ach[0] if isinstance(ach, list) and ach else ach
    if isinstance(ach, dict):
        criteria = ach.get("criteria")
        tags = [t for t in _as_list(ach.get("tag")) if isinstance(t, str)]
        extra = {}
        for t in tags:
            k, sep, v = t.partition(":")
            if sep and k in ("hours", "level", "partner"):
                extra[k] = v
        out["achievement"] = {
            "id": _str(ach.get("id")),
            "name": _text(ach.get("name")),
            "description": _text(ach.get("description")),
            "criteria": _text(criteria.get("narrative")) if isinstance(criteria, dict) else _text(criteria),
            "criteria_url": _str(criteria.get("id")) if isinstance(criteria, dict) else None,
            "achievement_type": _str(ach.get("achievementType")),
            "image": _image_url(ach.get("image")),
            "tags": tags,
            **extra,
        }
        for a in _as_list(ach.get("alignment"))[:200]:
            if isinstance(a, dict):
                out["alignments"].append({k: _str(a.get(k)) for k in (
                    "targetName", "targetUrl", "targetDescription", "targetFramework", "targetCode", "targetType")})
        out["image"] = out["achievement"]["image"]
    out["image"] = out["image"] or _image_url(cred.get("image"))
    if out["name"] is None and out["achievement"]:
        out["name"] = out["achievement"]["name"]
    return out


class _Fatal(Exception):
    """Raised inside a suite to stop it after recording a check."""


_SUITE_CHECKS: dict[str, list[str]] = {}
for _cid in CHECKS:
    _SUITE_CHECKS.setdefault(_cid.split(".", 1)[0], []).append(_cid)


# A proof's fields are read as plain JSON (key, purpose, dates), while an RDF suite signs their graph: accept only
# the plain form, where the two cannot differ (no full-IRI keys, value objects, arrays or decoys).
_PROOF_STRING_FIELDS = frozenset({"id", "type", "cryptosuite", "created", "expires", "verificationMethod",
                                  "proofPurpose", "proofValue", "challenge", "domain", "nonce"})


def _proof_form_problem(proof: dict) -> str | None:
    """Why a proof object is not in the plain form this verifier reads (``None`` when it is)."""
    for key, value in proof.items():
        if key in _PROOF_STRING_FIELDS:
            if not isinstance(value, str):
                return f"The proof's {key} must be a single string."
        elif key == "previousProof":
            if not (isinstance(value, str) or (isinstance(value, list) and value
                                               and all(isinstance(v, str) for v in value))):
                return "The proof's previousProof must be a proof id or a list of proof ids."
        elif key == "@context":
            if not all(isinstance(c, str) for c in _as_list(value)):
                return "The proof's @context must list context URLs."
        else:
            return f"The proof has a member this portal does not read: {key[:80]!r}."
    return None


def _proof_suite(proof: dict) -> str | None:
    ptype = proof.get("type")
    if ptype == "DataIntegrityProof":
        return _str(proof.get("cryptosuite"))
    return _str(ptype)


def _supported_suites() -> set[str]:
    try:
        from .proofs import SUITES
    except Exception:  # pragma: no cover - crypto core missing
        return set()
    return set(SUITES)


class _Run:
    """State of one verification."""

    def __init__(self, ctx: VerifyContext) -> None:
        self.ctx = ctx
        self.limits = ctx.limits
        self.now = ctx.clock()
        if self.now.tzinfo is None:
            self.now = self.now.replace(tzinfo=timezone.utc)
        self.checks: list[CheckResult] = []
        self.cpu_start = time.thread_time()
        self.cred: dict | None = None
        self.kind: str | None = None
        self.jws: str | None = None
        self.jws_parts: tuple = ()
        self.jwt_header: dict | None = None
        self.jwt_claims: dict | None = None
        self.proofs: list[dict] = []
        self.verified: list[tuple[dict | None, ResolvedKey]] = []
        # proofs bound to the issuer, with whether the issuer lists the key under assertionMethod
        self.bound: list[tuple[dict | None, ResolvedKey, bool | None]] = []
        self.cosigners: list[str] = []
        self.canonical: list[str] = []
        self.json: dict | None = None  # the document as received, before the signed view replaces it
        self.signature_ok = False
        self.binding_ok = False
        self.recipient_match: bool | None = None
        self.issuer_trusted = False
        self.internal_problem: dict | None = None

    # --- recording
    def add(self, cid: str, status: str, message: str, problems: list[dict] | None = None) -> CheckResult:
        assert cid in CHECKS and status in STATUSES
        r = CheckResult(cid, status, message, problems or [])
        self.checks.append(r)
        return r

    def run_suite(self, suite: str, steps: list[Callable[[], None]]) -> None:
        for step in steps:
            try:
                step()
            except _Fatal:
                break
            except Exception:  # any bug or odd input becomes a reasoned failure
                done = {c.id for c in self.checks}
                cid = next((c for c in _SUITE_CHECKS[suite] if c not in done), _SUITE_CHECKS[suite][-1])
                # the exception text is for the server log only: it can name internals, never shown to people
                _log.warning("verification check %s stopped on unexpected input", cid, exc_info=True)
                self.add(cid, "failure", "This check could not be completed because the credential is malformed.",
                         [_problem("internal-error", "Unexpected input",
                                   "A value in the credential has a form this check cannot read.")])
                break
        done = {c.id for c in self.checks}
        for cid in _SUITE_CHECKS[suite]:
            if cid not in done:
                self.add(cid, "skipped", "Not checked because an earlier check in this group failed.")

    # --- input
    def load(self, data: bytes | str | dict) -> None:
        if isinstance(data, dict):
            self.kind = "object"
            raw = None
            try:
                raw = json.dumps(data).encode("utf-8")
            except (TypeError, ValueError, RecursionError):
                self.add("input.limits", "failure", "The input is not plain JSON data.",
                         [_problem("not-json", "Not JSON", "The object cannot be represented as JSON.")])
                raise _Fatal
            self._check_limits(raw, parsed=data)
            self.cred = data  # checks never modify the credential
            self.add("input.format", "success", "Read a credential given as a JSON object.")
            return
        raw_bytes = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        self._check_limits(raw_bytes, depth=False)
        kind = detect_kind(raw_bytes)
        self.kind = kind
        text: str | None = None
        if kind in ("png", "svg"):
            from .bake import BakeError, unbake_png, unbake_svg

            try:
                text = unbake_png(raw_bytes, max_bytes=self.limits.max_bytes) if kind == "png" else \
                    unbake_svg(raw_bytes, max_bytes=self.limits.max_bytes, max_nodes=self.limits.max_svg_nodes)
            except BakeError as exc:
                self.add("input.format", "failure", f"The {kind.upper()} image holds no readable credential.",
                         [_problem(f"bake-{exc.code}", "No baked credential", exc.detail)])
                raise _Fatal
            payload = text.encode("utf-8")
            inner = detect_kind(payload)
            if inner not in ("json", "jws"):
                self.add("input.format", "failure",
                         f"The credential baked into the {kind.upper()} image is neither JSON nor a signed token.",
                         [_problem("bake-payload", "Unreadable baked credential",
                                   "The baked text is not JSON or a compact JWS.")])
                raise _Fatal
            raw_bytes, inner_kind = payload, inner
        else:
            inner_kind = kind

        def jws_payload(token: str) -> Any:
            # Read here, with the linear parser, before _load_jws hands the token to parse_jws: its nesting scan
            # is quadratic on a payload with an unterminated string (50 kB cost 9 s), and never sees one now.
            import base64
            import binascii

            segments = token.strip().split(".")
            if len(segments) != 3:
                return None  # _load_jws reports the malformed token
            try:
                payload = base64.urlsafe_b64decode(segments[1] + "=" * (-len(segments[1]) % 4))
            except (ValueError, binascii.Error):
                return None
            try:
                return parse_json_bounded(payload, max_bytes=self.limits.max_bytes,
                                          max_depth=self.limits.max_json_depth)
            except InputError as exc:
                if exc.code in ("too-deep", "too-large"):
                    self.add("input.limits", "failure", "The signed token is too large or too deeply nested to "
                             "check.", [_problem(exc.code, "Input limit exceeded", exc.detail)])
                else:
                    self.add("input.limits", "success", "The input is within the size and nesting limits.")
                    self.add("input.format", "failure", "The signed token is malformed.",
                             [_problem("bad-jws", "Malformed token", f"The payload is not JSON: {exc.detail}")])
                raise _Fatal

        if inner_kind == "json":
            try:
                value = parse_json_bounded(raw_bytes, max_bytes=self.limits.max_bytes,
                                           max_depth=self.limits.max_json_depth)
            except InputError as exc:
                if exc.code in ("too-deep", "too-large"):
                    self.add("input.limits", "failure", "The input is too large or too deeply nested to check.",
                             [_problem(exc.code, "Input limit exceeded", exc.detail)])
                    raise _Fatal
                self.add("input.limits", "success", "The input is within the size and nesting limits.")
                self.add("input.format", "failure", "The file is not valid JSON.",
                         [_problem(exc.code, "Invalid JSON", exc.detail)])
                raise _Fatal
            if isinstance(value, str) and detect_kind(value.encode("utf-8")) == "jws":
                self._check_limits(None, parsed=jws_payload(value))
                self._load_jws(value, kind)
                return
            self._check_limits(None, parsed=value)
            if not isinstance(value, dict):
                self.add("input.format", "failure", "The JSON is not a credential object.",
                         [_problem("not-an-object", "Not a credential", "The top-level JSON value is not an object.")])
                raise _Fatal
            self.cred = value
            self.add("input.format", "success", f"Read a credential in JSON{self._from(kind)}.")
            return
        if inner_kind == "jws":
            token = jws_text(raw_bytes)
            self._check_limits(None, parsed=jws_payload(token))
            self._load_jws(token, kind)
            return
        self.add("input.limits", "success", "The input is within the size limit.")
        self.add("input.format", "failure",
                 "This file is not a credential: it is not JSON, a signed token, or a badge image.",
                 [_problem("unknown-format", "Unknown input format",
                           "Expected credential JSON, a compact JWS, or a baked PNG/SVG badge.")])
        raise _Fatal

    @staticmethod
    def _from(kind: str | None) -> str:
        return f" baked into a {kind.upper()} image" if kind in ("png", "svg") else ""

    def _check_limits(self, raw: bytes | None, depth: bool = True, parsed: Any = None) -> None:
        """Record an ``input.limits`` failure and stop the run when the input is over a limit.

        Parameters
        ----------
        raw : bytes | None
            The input bytes, whose size is checked (``None`` when that was done already).
        depth : bool
            This is the input's last limits check: also check the nesting of ``raw``, and record success when
            everything is within the limits.
        parsed : Any
            The parsed credential or JWS payload: the work JSON-LD processing would do with it is bounded
            (:func:`~mosaics_match.credentials.inputs.check_json_limits`) before any of it is done.
        """
        if raw is not None and len(raw) > self.limits.max_bytes:
            self.add("input.limits", "failure", "The input is too large to check.",
                     [_problem("too-large", "Input too large",
                               f"{len(raw):,} bytes; the limit is {self.limits.max_bytes:,}.")])
            raise _Fatal
        if depth and raw is not None:
            from .inputs import json_depth_exceeds

            if json_depth_exceeds(raw, self.limits.max_json_depth):
                self.add("input.limits", "failure", "The input is nested too deeply to check.",
                         [_problem("too-deep", "Input too deep",
                                   f"More than {self.limits.max_json_depth} nesting levels.")])
                raise _Fatal
        if parsed is not None:
            from .inputs import check_json_limits

            try:
                check_json_limits(parsed, self.limits)
            except InputError as exc:
                self.add("input.limits", "failure", exc.detail,
                         [_problem(exc.code, "Input limit exceeded", exc.detail, exc.pointer)])
                raise _Fatal
        if depth:
            self.add("input.limits", "success", "The input is within the size and nesting limits.")

    def _load_jws(self, token: str, kind: str | None) -> None:
        from .errors import CredentialError
        from .jwt import parse_jws

        try:
            header, payload, signing_input, signature = parse_jws(token)
        except Exception as exc:
            self.add("input.format", "failure", "The signed token is malformed.",
                     [_problem("bad-jws", "Malformed token",
                               exc.detail[:300] if isinstance(exc, CredentialError)
                               else "The token's parts cannot be decoded as base64url JSON.")])
            raise _Fatal
        if not isinstance(header, dict) or not isinstance(payload, dict):
            self.add("input.format", "failure", "The signed token does not hold a JSON credential.",
                     [_problem("bad-jws", "Malformed token", "Header or payload is not a JSON object.")])
            raise _Fatal
        claims = payload
        vc = payload.get("vc")
        if isinstance(vc, dict):
            cred = dict(vc)  # parse_jws returns fresh objects; only top-level members are added below
            # VC-JWT 1.1: registered claims stand in for credential properties the vc claim leaves out
            if "issuer" not in cred and isinstance(claims.get("iss"), str):
                cred["issuer"] = claims["iss"]
            if "id" not in cred and isinstance(claims.get("jti"), str):
                cred["id"] = claims["jti"]
            subj = cred.get("credentialSubject")
            if isinstance(subj, dict) and "id" not in subj and isinstance(claims.get("sub"), str):
                cred["credentialSubject"] = {**subj, "id": claims["sub"]}
            is_v1 = VC1_CONTEXT in _as_list(cred.get("@context"))
            start, end = ("issuanceDate", "expirationDate") if is_v1 else ("validFrom", "validUntil")
            if start not in cred and isinstance(claims.get("nbf"), (int, float)):
                cred[start] = _epoch_iso(claims["nbf"])
            if end not in cred and isinstance(claims.get("exp"), (int, float)):
                cred[end] = _epoch_iso(claims["exp"])
        else:
            # OB 3.0 / VC-JOSE-COSE: the payload is the credential, with JWT registered claims beside it
            cred = {k: v for k, v in payload.items() if k not in JWT_REGISTERED_CLAIMS}
        self.cred = cred
        self.jws = token
        self.jws_parts = (header, signing_input, signature)
        self.jwt_header = header
        self.jwt_claims = claims
        self.add("input.format", "success", f"Read a signed token (JWS){self._from(kind)}.")

    # --- structure
    def check_context(self) -> None:
        cred = self.cred
        assert cred is not None
        ctx = cred.get("@context")
        items = _as_list(ctx)
        types = _as_list(cred.get("type"))
        if "VerifiablePresentation" in types:
            inner = len(_as_list(cred.get("verifiableCredential")))
            self.add("structure.context", "failure",
                     f"This is a verifiable presentation holding {inner} credential(s), not a credential; verify "
                     "each credential separately.",
                     [_problem("presentation", "Presentation, not credential",
                               "type includes VerifiablePresentation.", "/type")])
            raise _Fatal
        if any(isinstance(c, str) and c.startswith("https://w3id.org/openbadges/v") for c in items) \
                or "Assertion" in types:
            self.add("structure.context", "failure",
                     "This is an Open Badges 2.0 assertion; only Open Badges 3.0 / verifiable credentials can be "
                     "verified here.",
                     [_problem("ob2-assertion", "Open Badges 2.0", "OB 2.0 uses hosted or signed assertions, not "
                               "verifiable credentials.", "/@context")])
            raise _Fatal
        if not items or items[0] not in (VC1_CONTEXT, VC2_CONTEXT):
            self.add("structure.context", "failure",
                     "The credential does not declare the W3C Verifiable Credentials context first.",
                     [_problem("context-first", "Wrong first context",
                               f"The first @context must be {VC2_CONTEXT} or {VC1_CONTEXT}.", "/@context")])
            raise _Fatal
        from .jsonld import available_contexts

        known = available_contexts()
        unknown = [c for c in items if isinstance(c, str) and c not in known]
        bad = [i for i, c in enumerate(items) if not isinstance(c, (str, dict))]
        if bad:
            self.add("structure.context", "failure", "The credential's @context has an invalid entry.",
                     [_problem("context-entry", "Invalid context entry", "Context entries must be URLs or objects.",
                               f"/@context/{bad[0]}")])
            raise _Fatal
        if unknown:
            names = ", ".join(str(u)[:120] for u in unknown[:3])
            self.add("structure.context", "indeterminate",
                     f"The credential uses a vocabulary this verifier does not hold ({names}), so its signature "
                     "cannot be checked here.",
                     [_problem("context-unknown", "Unknown context", f"Context {str(u)[:200]} is not available "
                               "offline.", "/@context") for u in unknown[:5]])
            raise _Fatal
        version = "2.0" if items[0] == VC2_CONTEXT else "1.1"
        self.add("structure.context", "success", f"Uses the W3C Verifiable Credentials {version} vocabulary.")

    def check_type(self) -> None:
        cred = self.cred
        assert cred is not None
        types = _as_list(cred.get("type"))
        problems = []
        if "VerifiableCredential" not in types:
            problems.append(_problem("type", "Not a verifiable credential",
                                     "type must include VerifiableCredential.", "/type"))
        if _issuer_id(cred) is None:
            problems.append(_problem("issuer-missing", "No issuer", "The credential names no issuer id.", "/issuer"))
        subjects = _as_list(cred.get("credentialSubject"))
        if not subjects or not all(isinstance(s, dict) for s in subjects):
            problems.append(_problem("subject-missing", "No subject", "credentialSubject must be an object.",
                                     "/credentialSubject"))
        if problems:
            self.add("structure.type", "failure", "The credential is missing required parts.", problems)
            raise _Fatal
        label = "an Open Badge" if any(t in types for t in ("OpenBadgeCredential", "AchievementCredential")) \
            else "a verifiable credential"
        self.add("structure.type", "success", f"Is {label} with an issuer and a subject.")

    # --- json-ld
    def check_lossless(self) -> None:
        from .errors import ContextError
        from .jsonld import undefined_terms

        cred = self.cred
        assert cred is not None
        # One expansion serves this check and the signature (jsonld remembers it by the document's exact text).
        cached: list[str] | ContextError
        try:
            cached = list(undefined_terms(cred))
        except ContextError as exc:
            cached = exc
        if isinstance(cached, ContextError):
            status = "indeterminate" if cached.code == "jsonld.context.unknown" else "failure"
            self.add("jsonld.lossless", status, "The credential is not valid linked data.",
                     [_problem("jsonld", "JSON-LD error", cached.detail[:300], cached.pointer)])
            raise _Fatal
        if cached:
            self.add("jsonld.lossless", "failure",
                     "Some fields are not defined by the credential's vocabulary, so the signature may not cover them.",
                     [_problem("undefined-term", "Undefined term", f"{p} is not defined by any @context.",
                               p if p.startswith("/") else None) for p in cached[:20]])
            raise _Fatal
        self.add("jsonld.lossless", "success", "Every field is defined by the credential's vocabulary.")

    # --- proof
    def check_present(self) -> None:
        cred = self.cred
        assert cred is not None
        if self.jws is not None:
            if "proof" in cred:
                self.add("proof.present", "failure", "The signed token also embeds a proof, which is not allowed.",
                         [_problem("proof-mixed", "Mixed securing", "Do not mix JWS and embedded proofs.", "/proof")])
                raise _Fatal
            self.add("proof.present", "success", "Is a signed token.")
            return
        proofs = [p for p in _as_list(cred.get("proof"))]
        if not proofs:
            self.add("proof.present", "failure", "The credential is not signed.",
                     [_problem("proof-missing", "No proof", "The credential has no proof.", "/proof")])
            raise _Fatal
        if len(proofs) > self.limits.max_proofs or not all(isinstance(p, dict) for p in proofs):
            self.add("proof.present", "failure", "The credential's proof is malformed.",
                     [_problem("proof-malformed", "Malformed proof",
                               f"Expected up to {self.limits.max_proofs} proof objects.", "/proof")])
            raise _Fatal
        odd = [i for i, p in enumerate(proofs) if _proof_form_problem(p)]
        if odd:
            i = odd[0]
            pointer = "/proof" if not isinstance(cred.get("proof"), list) else f"/proof/{i}"
            self.add("proof.present", "failure", "The credential's proof uses a form this portal does not accept.",
                     [_problem("proof-form", "Unusual proof form", _proof_form_problem(proofs[i]) or "", pointer)])
            raise _Fatal
        self.proofs = proofs
        self.add("proof.present", "success",
                 "Carries a digital signature." if len(proofs) == 1 else f"Carries {len(proofs)} digital signatures.")

    def _signer_label(self) -> str:
        cred = self.cred or {}
        iid = _issuer_id(cred) or "an unknown issuer"
        entry = self.ctx.trust.lookup(iid) if self.ctx.trust is not None else None
        if entry is not None and entry.name:
            return entry.name
        name = _issuer_name(cred)
        return f"{name} ({iid})" if name else iid

    def check_signature(self) -> None:
        if self.jws is not None:
            return self._check_jws_signature()
        from .errors import CredentialError
        from .proofs import document_for_proof, verify_proof

        cred = self.cred
        assert cred is not None
        supported = _supported_suites()
        resolver = self.ctx.resolver()
        unknown: list[dict] = []
        pending: list[dict] = []
        for i, proof in enumerate(self.proofs):
            pointer = "/proof" if not isinstance(cred.get("proof"), list) else f"/proof/{i}"
            suite = _proof_suite(proof)
            if suite not in supported:
                unknown.append(_problem("proof-unsupported", "Unsupported signature type",
                                        f"Signature type {suite!r} is not supported.", pointer))
                continue
            try:
                rk = resolver.resolve(proof.get("verificationMethod"))  # type: ignore[arg-type]
            except FetchError as exc:
                pending.append(_problem("key-unavailable", "Key not available",
                                        f"Could not retrieve the signing key: {exc.reason}.",
                                        pointer + "/verificationMethod"))
                continue
            except CredentialError as exc:
                self.add("proof.signature", "failure", "The signing key could not be used.",
                         [_problem("key-invalid", "Invalid key", exc.detail[:300], pointer + "/verificationMethod")])
                raise _Fatal
            try:
                canonical = verify_proof(document_for_proof(cred, proof), proof, rk.key)
            except CredentialError as exc:
                if exc.code == "jsonld.context.unknown":
                    pending.append(_problem("context-unknown", "Unknown context", exc.detail[:300], pointer))
                    continue
                if exc.code.startswith("jsonld.undefined"):
                    self.add("proof.signature", "failure",
                             "The signature cannot be confirmed because the credential contains fields its "
                             "vocabulary does not define (they would not be covered by the signature).",
                             [_problem("signature-undefined-terms", "Unsigned fields", exc.detail[:300], pointer)])
                    raise _Fatal
                self.add("proof.signature", "failure",
                         "The signature does not match: the credential was changed after it was signed, or it was "
                         "not signed by this key.",
                         [_problem("signature-invalid", "Invalid signature", exc.detail[:300], pointer)])
                raise _Fatal
            if canonical is not None:
                self.canonical.append(canonical)
            self.verified.append((proof, rk))
        if pending:
            self.add("proof.signature", "indeterminate", "The signature could not be checked right now.",
                     pending + unknown)
            raise _Fatal
        if not self.verified:
            self.add("proof.signature", "indeterminate",
                     "The credential uses a signature type this verifier does not support.", unknown)
            raise _Fatal
        if self.canonical:
            self._use_signed_view()
        self.signature_ok = True
        note = f" ({len(unknown)} other signature(s) of unsupported types ignored)" if unknown else ""
        self.add("proof.signature", "success", f"Signed by {self._signer_label()}{note}.", unknown)

    def _use_signed_view(self) -> None:
        """From here on read the credential from the graph the RDF signature covers, not from its JSON."""
        from .signed_view import SignedViewError, signed_view

        assert self.cred is not None
        try:
            views = [signed_view(c, context=self.cred.get("@context")) for c in dict.fromkeys(self.canonical)]
        except SignedViewError as exc:
            self.add("proof.signature", "failure", "The signed data does not describe exactly one credential.",
                     [_problem("signed-graph", "Unreadable signed data", str(exc)[:300])])
            raise _Fatal
        if any(v != views[0] for v in views[1:]):
            self.add("proof.signature", "failure", "The signatures of this credential cover different contents.",
                     [_problem("signed-graph", "Signatures disagree",
                               "Two proofs were computed over different credential data.", "/proof")])
            raise _Fatal
        self.json, self.cred = self.cred, views[0]

    def _jws_candidates(self) -> list[ResolvedKey]:
        from . import keys

        header = self.jwt_header or {}
        cred = self.cred or {}
        resolver = self.ctx.resolver()
        kid = header.get("kid")
        if "jwk" in header:
            pub = keys.public_key_from_jwk(header["jwk"])
            return [ResolvedKey(kid if isinstance(kid, str) else "jwk", None, pub, None, "jwk")]
        iss = (self.jwt_claims or {}).get("iss")
        issuer = _issuer_id(cred) or (iss if isinstance(iss, str) else None)
        if isinstance(kid, str) and kid:
            ref = kid
            if kid.startswith("#") and issuer:
                ref = issuer + kid
            if ref.startswith(("did:", "https://")):
                return [resolver.resolve(ref)]
        if issuer and issuer.startswith("did:key:"):
            return [resolver.resolve(issuer)]
        if issuer and issuer.startswith("https://"):
            found = resolver.jwks_keys(issuer)
            chosen = [k for k in found if isinstance(kid, str) and k[0] == kid] or \
                ([k for k in found] if not isinstance(kid, str) else [])
            return [ResolvedKey(k or "jwks", issuer, pub, None, "jwks") for k, pub in chosen]
        raise FetchError(str(kid or issuer), "the token does not say which key signed it")

    def _check_jws_signature(self) -> None:
        from .errors import CredentialError

        try:
            candidates = self._jws_candidates()
        except FetchError as exc:
            self.add("proof.signature", "indeterminate", "The signing key could not be retrieved right now.",
                     [_problem("key-unavailable", "Key not available", exc.reason)])
            raise _Fatal
        except CredentialError as exc:
            self.add("proof.signature", "failure", "The signing key in the token could not be used.",
                     [_problem("key-invalid", "Invalid key", exc.detail[:300])])
            raise _Fatal
        if not candidates:
            self.add("proof.signature", "failure", "None of the issuer's published keys matches the token.",
                     [_problem("key-not-found", "Key not found", "No key with the token's kid.")])
            raise _Fatal
        from .jwt import verify_jws_parts

        last: Exception | None = None
        for rk in candidates:
            try:
                verify_jws_parts(*self.jws_parts, rk.key)
            except CredentialError as exc:
                last = exc
                continue
            self.verified.append((None, rk))
            self.signature_ok = True
            self.add("proof.signature", "success", f"Signed by {self._signer_label()}.")
            return
        self.add("proof.signature", "failure",
                 "The signature does not match: the token was changed after it was signed, or it was not signed by "
                 "this key.", [_problem("signature-invalid", "Invalid signature",
                                        getattr(last, "detail", str(last))[:300])])
        raise _Fatal

    def check_binding(self) -> None:
        from . import keys

        cred = self.cred
        assert cred is not None
        issuer = _issuer_id(cred)
        resolver = self.ctx.resolver()
        refused: list[dict] = []
        pending: list[dict] = []
        for proof, rk in self.verified:
            pointer = "/proof/verificationMethod" if proof is not None else None
            assertion: bool | None = None
            if rk.source == "jwk":
                bound = False
                if issuer and issuer.startswith("did:key:"):
                    try:
                        bound = keys.did_key_for(rk.key) == issuer
                    except Exception:
                        bound = False
                if not bound and issuer and issuer.startswith("https://"):
                    try:
                        bound = any(pub == rk.key for _k, pub in resolver.jwks_keys(issuer))
                    except FetchError:
                        bound = False
                detail = "The token carries its own key, which the issuer has not published."
            elif rk.source == "jwks":
                bound, detail = True, "The key is in the issuer's published key set."
            else:
                try:
                    bound, assertion, detail = resolver.issuer_authorisation(issuer, rk.vm_id, rk.key)
                except FetchError as exc:
                    pending.append(_problem("issuer-document-unavailable", "Issuer's keys not available",
                                            f"Could not retrieve the issuer's key list: {exc.reason}.", pointer))
                    continue
            if bound:
                self.bound.append((proof, rk, assertion))
            elif proof is not None and self.jws is None:
                # another party's proof in a proof set or chain: its signature verified, it is not the issuer's
                self.cosigners.append(rk.vm_id.split("#", 1)[0])
                refused.append(_problem("key-not-bound", "Key not the issuer's", detail, pointer))
            else:
                refused.append(_problem("key-not-bound", "Key not bound to issuer", detail, pointer))
        problems: list[dict] = []
        if self.jwt_claims is not None:
            problems.extend(self._claim_problems(cred, issuer))
        if not self.bound and pending:
            self.add("proof.key_binding", "indeterminate",
                     "Could not confirm right now that the signing key belongs to the issuer.", pending + refused)
            raise _Fatal
        if not self.bound or problems:
            self.add("proof.key_binding", "failure", "The signing key does not belong to the named issuer.",
                     (refused if not self.bound else []) + problems + pending)
            raise _Fatal
        self.binding_ok = True
        if self.cosigners:
            who = ", ".join(dict.fromkeys(self.cosigners))
            self.add("proof.key_binding", "success",
                     f"The issuer's key signed it; also signed by {who}.", pending)
            return
        self.add("proof.key_binding", "success", "The signing key belongs to the issuer.", pending)

    def _claim_problems(self, cred: dict, issuer: str | None) -> list[dict]:
        claims = self.jwt_claims or {}
        out: list[dict] = []

        def bad(claim: str, detail: str) -> None:
            out.append(_problem("claim-mismatch", f"Token claim {claim} disagrees", detail))

        if "iss" in claims and claims["iss"] != issuer:
            bad("iss", f"iss is {str(claims['iss'])[:100]}, the credential's issuer is {issuer}.")
        if "jti" in claims and cred.get("id") is not None and claims["jti"] != cred.get("id"):
            bad("jti", "jti differs from the credential id.")
        subjects = [s for s in _as_list(cred.get("credentialSubject")) if isinstance(s, dict)]
        if "sub" in claims and subjects and subjects[0].get("id") is not None and claims["sub"] != subjects[0]["id"]:
            bad("sub", "sub differs from the credential subject id.")
        for claim, names in (("nbf", ("validFrom", "issuanceDate")), ("exp", ("validUntil", "expirationDate"))):
            if claim not in claims:
                continue
            value = claims[claim]
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                bad(claim, f"{claim} is not a number.")
                continue
            for n in names:
                if n in cred:
                    try:
                        dt = parse_datetime(cred[n])
                    except (ValueError, OverflowError):
                        dt = None
                    if dt is None or abs(dt.timestamp() - float(value)) >= 1.0:
                        bad(claim, f"{claim} does not match {n}.")
                    break
        return out

    def check_purpose(self) -> None:
        problems = []
        assertion_of = {id(proof): assertion for proof, _rk, assertion in self.bound}
        for proof, rk in self.verified:
            if proof is None:  # a signed token: only the key's authorisation applies
                if assertion_of.get(id(proof), rk.assertion) is False:
                    problems.append(_problem("purpose-not-authorised", "Key not authorised",
                                             "The key's owner has not authorised it to issue credentials "
                                             "(it is not listed under assertionMethod)."))
                continue
            expires = proof.get("expires")
            if expires is not None:
                try:
                    exp_dt = parse_datetime(expires)
                except (ValueError, OverflowError):
                    exp_dt = None
                if exp_dt is None or self.now > exp_dt:
                    problems.append(_problem("proof-expired", "Signature expired",
                                             f"The proof expired ({str(expires)[:40]}).", "/proof/expires"))
                    continue
            created = proof.get("created")
            if created is not None:
                try:
                    created_dt = parse_datetime(created)
                except (ValueError, OverflowError):
                    created_dt = None
                if created_dt is None:
                    problems.append(_problem("proof-created", "Unreadable signing time",
                                             "The proof's created date cannot be read.", "/proof/created"))
                    continue
                if created_dt > self.now + CLOCK_SKEW:
                    problems.append(_problem("proof-created-future", "Signed in the future",
                                             f"The proof says it was created on {created_dt.isoformat()}, "
                                             "after the time of this check.", "/proof/created"))
                    continue
            if proof.get("proofPurpose") != "assertionMethod":
                problems.append(_problem("purpose", "Wrong proof purpose",
                                         f"proofPurpose is {str(proof.get('proofPurpose'))[:60]!r}, "
                                         "expected 'assertionMethod'.", "/proof"))
            elif assertion_of.get(id(proof), rk.assertion) is False:
                problems.append(_problem("purpose-not-authorised", "Key not authorised",
                                         "The key's owner has not authorised it to issue credentials "
                                         "(it is not listed under assertionMethod).", "/proof/verificationMethod"))
        if problems:
            self.add("proof.purpose", "failure", "The signature is not valid for issuing credentials.", problems)
            raise _Fatal
        if all(proof is None and rk.source in ("jwks", "jwk") for proof, rk in self.verified):
            self.add("proof.purpose", "success", "The key is published by the issuer for signing.")
            return
        self.add("proof.purpose", "success", "The key is authorised to issue credentials.")

    # --- issuer
    def check_trusted(self) -> None:
        cred = self.cred
        assert cred is not None
        issuer = _issuer_id(cred)
        if self.ctx.trust is None:
            self.add("issuer.trusted", "skipped", "No list of trusted issuers is configured.")
            return
        entry = self.ctx.trust.lookup(issuer)
        if entry is None:
            self.add("issuer.trusted", "failure", "Issuer is not on your trusted list.",
                     [_problem("issuer-untrusted", "Untrusted issuer", f"{issuer} is not on the trusted list.",
                               "/issuer")])
            return
        if not (self.signature_ok and self.binding_ok):
            self.add("issuer.trusted", "indeterminate",
                     f"The credential names {entry.name or issuer}, a trusted issuer, but the signature does not "
                     "confirm it.")
            return
        self.issuer_trusted = True
        self.add("issuer.trusted", "success", f"Issuer is on your trusted list as {entry.name or issuer}.")

    # --- time
    def _date(self, names: Iterable[str]) -> tuple[str | None, datetime | None]:
        cred = self.cred or {}
        for n in names:
            if n in cred:
                return n, parse_datetime(cred[n])
        return None, None

    def check_valid_from(self) -> None:
        cred = self.cred
        assert cred is not None
        try:
            name, start = self._date(("validFrom", "issuanceDate"))
        except (ValueError, OverflowError) as exc:
            self.add("time.valid_from", "failure", "The credential's start date cannot be read.",
                     [_problem("bad-date", "Unreadable date", _date_problem(exc), "/validFrom")])
            return
        nbf = (self.jwt_claims or {}).get("nbf")
        if isinstance(nbf, (int, float)) and not isinstance(nbf, bool):
            nbf_dt = datetime.fromtimestamp(nbf, timezone.utc)
            start = max(start, nbf_dt) if start else nbf_dt
        if start is None:
            if VC1_CONTEXT in _as_list(cred.get("@context")):
                self.add("time.valid_from", "failure", "The credential has no issue date.",
                         [_problem("issuance-missing", "No issuance date",
                                   "VC 1.1 credentials must have issuanceDate.", "/issuanceDate")])
                return
            self.add("time.valid_from", "success", "The credential has no start date, so it is valid from issue.")
            return
        if self.now < start:
            self.add("time.valid_from", "failure", f"Not valid until {_human_date(start)}.",
                     [_problem("not-yet-valid", "Not yet valid", f"{name} is {start.isoformat()}.",
                               f"/{name}" if name else None)])
            return
        self.add("time.valid_from", "success", f"Valid since {_human_date(start)}.")

    def check_expiry(self) -> None:
        try:
            name, end = self._date(("validUntil", "expirationDate"))
        except (ValueError, OverflowError) as exc:
            self.add("time.expiry", "failure", "The credential's expiry date cannot be read.",
                     [_problem("bad-date", "Unreadable date", _date_problem(exc), "/validUntil")])
            return
        exp = (self.jwt_claims or {}).get("exp")
        if isinstance(exp, (int, float)) and not isinstance(exp, bool):
            exp_dt = datetime.fromtimestamp(exp, timezone.utc)
            end = min(end, exp_dt) if end else exp_dt
        if end is None:
            self.add("time.expiry", "success", "Does not expire.")
            return
        if self.now > end:
            self.add("time.expiry", "failure", f"Expired on {_human_date(end)}.",
                     [_problem("expired", "Expired", f"{name or 'exp'} is {end.isoformat()}.",
                               f"/{name}" if name else None)])
            return
        self.add("time.expiry", "success", f"Valid until {_human_date(end)}.")

    # --- status
    def _status_list(self, entry: Any) -> Any:
        from .status import EDTECH_REVOCATION, StatusError, parse_revocation_list, parse_status_list

        cache = self.ctx.cache.status_lists
        key = f"{entry.type}|{entry.list_url}"
        hit = self.ctx.cache.get(cache, key)
        if hit is not None:
            if isinstance(hit, Exception):
                raise hit
            return hit
        try:
            doc = self.ctx.resolver().fetch_json(entry.list_url)
            if entry.type == EDTECH_REVOCATION:
                # served over HTTPS by the issuer and unsigned by design; the issuer match is checked later
                value = parse_revocation_list(entry.list_url, doc)
            else:
                list_cred = self._verify_list_credential(doc)
                value = parse_status_list(entry.list_url, list_cred, entry_type=entry.type,
                                          max_bits=self.limits.max_status_list_bits, parse_date=parse_datetime)
            self.ctx.cache.stats["status_lists_built"] += 1
        except FetchError as exc:
            err: Exception = StatusError("list-unavailable", f"The status list could not be retrieved: {exc.reason}.")
            self.ctx.cache._put(cache, key, err)
            raise err from None
        except StatusError as exc:
            self.ctx.cache._put(cache, key, exc)
            raise
        except (ValueError, OverflowError) as exc:
            err = StatusError("list-invalid", "The status list is malformed: a value in it cannot be read.")
            self.ctx.cache._put(cache, key, err)
            raise err from None
        self.ctx.cache._put(cache, key, value)
        return value

    def _verify_list_credential(self, doc: Any) -> dict:
        """Check the status list credential's own signature and key binding; return the credential."""
        from .status import StatusError

        sub = _Run(VerifyContext(clock=lambda: self.now, fetcher=self.ctx.fetcher, trust=None, email=None,
                                 limits=self.limits, key_resolver=self.ctx.resolver(), cache=self.ctx.cache))
        try:
            if isinstance(doc, str):
                sub._load_jws(doc, None)
            elif isinstance(doc, dict):
                sub.cred = doc
            else:
                raise StatusError("list-invalid", "The status list is not a credential.")
            sub.run_suite("proof", [sub.check_present, sub.check_signature, sub.check_binding, sub.check_purpose])
        except _Fatal:
            raise StatusError("list-invalid", "The status list is not a readable credential.") from None
        bad = [c for c in sub.checks if c.status != "success"]
        if bad:
            first = bad[0]
            detail = first.problems[0]["detail"] if first.problems else first.message
            code = "list-unavailable" if first.status == "indeterminate" else "list-signature"
            raise StatusError(code, f"The status list's signature could not be confirmed: {detail}")
        assert sub.cred is not None
        return sub.cred

    def _status(self, purpose: str) -> None:
        from .status import EDTECH_REVOCATION, StatusError, parse_status_entries, read_status

        cred = self.cred
        assert cred is not None
        cid = f"status.{purpose}"
        noun = {"revocation": "revoked", "suspension": "suspended"}[purpose]
        try:
            entries = parse_status_entries(cred, max_entries=self.limits.max_status_entries)
        except Exception:
            entries = []
        relevant = [e for e in entries if e.purpose == purpose
                    or (purpose == "revocation" and e.purpose is None and e.type != EDTECH_REVOCATION)]
        if not relevant:
            if purpose == "revocation" and cred.get("credentialStatus") is not None and not entries:
                self.add(cid, "indeterminate", "The credential's status information cannot be read.",
                         [_problem("status-malformed", "Malformed status", "credentialStatus is not usable.",
                                   "/credentialStatus")])
                return
            self.add(cid, "skipped", f"The issuer publishes no {purpose} status for this credential.")
            return
        problems: list[dict] = []
        set_entries: list[dict] = []
        for e in relevant:
            if e.type not in ("BitstringStatusListEntry", "StatusList2021Entry", EDTECH_REVOCATION):
                problems.append(_problem("status-unsupported", "Unsupported status method",
                                         f"Status type {e.type!r} is not supported.", e.pointer))
                continue
            try:
                status_list = self._status_list(e) if not e.problem else None
                if status_list is None:
                    raise StatusError("bad-entry", f"The status entry is malformed: {e.problem}.")
                value = read_status(e, status_list, credential_issuer=_issuer_id(cred),
                                    credential_id=_str(cred.get("id")), now=self.now,
                                    min_bits=self.limits.min_status_list_bits)
            except StatusError as exc:
                problems.append(_problem(f"status-{exc.code}", "Status not confirmed", exc.detail, e.pointer))
                continue
            if value:
                set_entries.append(_problem(noun, f"Credential {noun}",
                                            f"The status list marks index {e.index} as {noun}.", e.pointer))
        if set_entries:
            msg = "Has been revoked by the issuer." if purpose == "revocation" else "Is currently suspended."
            self.add(cid, "failure", msg, set_entries + problems)
            return
        if problems:
            what = "revoked" if purpose == "revocation" else "suspended"
            self.add(cid, "indeterminate", f"Could not confirm that it has not been {what}.", problems)
            return
        self.add(cid, "success", "Has not been revoked." if purpose == "revocation" else "Is not suspended.")

    def check_revocation(self) -> None:
        self._status("revocation")

    def check_suspension(self) -> None:
        self._status("suspension")

    # --- recipient
    def check_recipient(self) -> None:
        from .identity import recipient_matches

        if self.ctx.email is None:
            self.add("recipient.identity", "skipped", "No e-mail address was given to compare.")
            return
        assert self.cred is not None
        match = recipient_matches(self.cred, self.ctx.email)
        self.recipient_match = match
        if match is None:
            self.add("recipient.identity", "skipped", "The credential records no e-mail address to compare.")
        elif match:
            self.add("recipient.identity", "success", "Was issued to the e-mail address you entered.")
        else:
            self.add("recipient.identity", "failure", "Was not issued to the e-mail address you entered.",
                     [_problem("recipient-mismatch", "Different recipient",
                               "The salted e-mail hash does not match.", "/credentialSubject/identifier")])

    # --- driver
    def execute(self, data: bytes | str | dict) -> None:
        try:
            self.load(data)
        except _Fatal:
            pass
        except Exception:
            _log.warning("a verification input could not be read", exc_info=True)
            if not any(c.id == "input.format" for c in self.checks):
                if not any(c.id == "input.limits" for c in self.checks):
                    self.add("input.limits", "success", "The input is within the size limit.")
                self.add("input.format", "failure", "The input could not be read as a credential.",
                         [_problem("unreadable", "Unreadable input",
                                   "The input has a form no credential reader here accepts.")])
        if self.cred is None:
            done = {c.id for c in self.checks}
            for cid in CHECKS:
                if cid not in done:
                    self.add(cid, "skipped", "Not checked because the input could not be read.")
            return
        self.run_suite("structure", [self.check_context, self.check_type])
        context = next((c for c in self.checks if c.id == "structure.context"), None)
        if context is not None and context.status == "indeterminate":
            # Without the vocabulary nothing below can be decided: not "altered", just unknown.
            done = {c.id for c in self.checks}
            for cid in CHECKS:
                if cid not in done:
                    self.add(cid, "skipped", "Not checked because the credential's vocabulary is not available.")
            return
        budget = self.ctx.cpu_budget
        for suite, steps in (
                ("jsonld", [self.check_lossless]),
                ("proof", [self.check_present, self.check_signature, self.check_binding, self.check_purpose]),
                ("issuer", [self.check_trusted]),
                ("time", [self.check_valid_from, self.check_expiry]),
                ("status", [self.check_revocation, self.check_suspension]),
                ("recipient", [self.check_recipient])):
            if budget is not None and time.thread_time() - self.cpu_start > budget:
                # The input limits keep real work far below this; past it, stop rather than serve one visitor
                # at everyone else's expense, and say the outcome is unknown (never "valid").
                done = {c.id for c in self.checks}
                for cid in CHECKS:
                    if cid not in done:
                        self.add(cid, "indeterminate" if cid not in ADVISORY_CHECKS else "skipped",
                                 f"Not checked: this credential took more than {budget:g} s of processing time.",
                                 [_problem("cpu-budget", "Processing budget exceeded",
                                           f"Verification stopped after {budget:g} s of CPU time.")])
                return
            self.run_suite(suite, steps)

    def result(self) -> VerificationResult:
        order = list(CHECKS)
        checks = sorted(self.checks, key=lambda c: order.index(c.id))
        core = [c for c in checks if c.id not in ADVISORY_CHECKS]
        if any(c.status == "failure" for c in core):
            verdict = "invalid"
        elif any(c.status == "indeterminate" for c in core):
            verdict = "indeterminate"
        elif self.signature_ok and self.binding_ok:
            verdict = "valid"
        else:
            verdict = "indeterminate"
        try:
            summary = summarize(self.cred)
        except Exception:
            summary = summarize(None)
        if self.binding_ok and self.cosigners:
            summary["cosigners"] = list(dict.fromkeys(self.cosigners))
        return VerificationResult(verdict, self.issuer_trusted, self.recipient_match, checks, self.cred, summary,
                                  self.kind)


def _epoch_iso(value: float) -> str:
    return datetime.fromtimestamp(value, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def verify(data: bytes | str | dict, *, ctx: VerifyContext | None = None) -> VerificationResult:
    """Verify one credential.

    Parameters
    ----------
    data : bytes | str | dict
        Credential JSON (bytes/str/dict), compact JWS, or a baked PNG/SVG (bytes).
    ctx : VerifyContext, optional
        Clock, fetcher, trust list, e-mail, limits and caches; defaults to an offline context.

    Returns
    -------
    VerificationResult
        Never raises; every problem is a check result with a reason.
    """
    ctx = ctx or VerifyContext()
    try:
        run = _Run(ctx)
    except Exception:  # e.g. an injected clock that fails
        _log.error("the verification clock failed", exc_info=True)
        run = _Run(VerifyContext(clock=_utcnow, fetcher=ctx.fetcher, trust=ctx.trust, email=ctx.email,
                                 limits=ctx.limits, key_resolver=ctx.key_resolver, cache=ctx.cache))
        run.internal_problem = _problem("internal-error", "Clock failed", "The verifier's clock could not be read.")
    try:
        run.execute(data)
    except Exception:  # last line of defence: verify() never raises
        _log.error("verification stopped on an unexpected problem", exc_info=True)
        run.internal_problem = _problem("internal-error", "Unexpected problem",
                                        "The verifier stopped on an unexpected problem; it has been logged.")
    if run.internal_problem is not None:
        done = {c.id for c in run.checks}
        for cid in CHECKS:
            if cid not in done:
                run.add(cid, "skipped", "Not checked because of an earlier problem.")
        if not any(c.status == "failure" for c in run.checks):
            target = next((c for c in run.checks if c.status == "skipped"), run.checks[0])
            target.status = "failure"
            target.message = "The verifier hit an unexpected problem, so the credential could not be checked."
            target.problems.append(run.internal_problem)
    return run.result()


_POOL_CTX: VerifyContext | None = None


def _pool_verify(item: bytes | str | dict) -> VerificationResult:
    assert _POOL_CTX is not None
    return verify(item, ctx=_POOL_CTX)


def verify_many(items: Iterable[bytes | str | dict], ctx: VerifyContext | None = None, *,
                workers: int = 1, chunksize: int = 64) -> list[VerificationResult]:
    """Verify a batch sharing one context (documents, keys and status lists are fetched and checked once).

    Parameters
    ----------
    items : iterable
        Inputs as accepted by :func:`verify`.
    ctx : VerifyContext, optional
        Shared context.
    workers : int
        Processes to use (``fork`` start method; each worker inherits the caches warmed by the first item).

    Returns
    -------
    list[VerificationResult]
        In input order.
    """
    global _POOL_CTX
    ctx = ctx or VerifyContext()
    items = list(items)
    if workers <= 1 or len(items) < 2 * chunksize:
        return [verify(item, ctx=ctx) for item in items]
    import multiprocessing as mp

    # warm the shared caches in the parent so forked workers start with fetched status lists and keys
    head = [verify(item, ctx=ctx) for item in items[:chunksize]]
    _POOL_CTX = ctx
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            rest = pool.map(_pool_verify, items[chunksize:], chunksize=chunksize)
    finally:
        _POOL_CTX = None
    return head + rest


verify_credential = verify


class _CallableModule(__import__("types").ModuleType):
    """``mosaics_match.credentials.verify`` is both this module and its main function; make both callable."""

    def __call__(self, data: bytes | str | dict, *, ctx: VerifyContext | None = None) -> VerificationResult:
        return verify(data, ctx=ctx)


__import__("sys").modules[__name__].__class__ = _CallableModule
