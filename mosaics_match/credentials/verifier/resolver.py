"""Verification keys: did:key locally; did:web and https documents and issuer JWKS through the fetcher.

Whether a key may sign for an issuer is decided only by the issuer's own documents
(:meth:`KeyResolver.issuer_authorisation`), never by what a key's document says about itself.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import did_web
from ..fetcher import Fetcher, FetchError
from ..inputs import InputError, Limits, check_json_limits, parse_json_bounded

if TYPE_CHECKING:
    from .cache import VerifyCache

__all__ = ["KeyResolver", "ResolvedKey"]


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
        hit = self.cache.documents.get(key)
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
                from ..inputs import is_compact_jws

                if is_compact_jws(text):
                    value = text
                else:
                    raise FetchError(key, f"not valid JSON ({exc.detail})") from None
            self._bound_work(key, value)
            self.cache.stats["documents_fetched"] += 1
        except FetchError as exc:
            self.cache.documents.put(key, exc)
            raise
        self.cache.documents.put(key, value)
        return value

    def _bound_work(self, url: str, value: Any) -> None:
        """Apply the credential's work limits to a fetched document (or a token's payload) before any use.

        A status list or key document comes from a URL the credential names, so it is as hostile as an upload.

        Raises
        ------
        FetchError
            When the document is over a limit (the outcome of what needed it stays unknown).
        """
        if isinstance(value, str):  # a compact JWS: bound its payload
            import base64
            import binascii

            segments = value.split(".")
            try:
                payload = base64.urlsafe_b64decode(segments[1] + "=" * (-len(segments[1]) % 4))
                value = parse_json_bounded(payload, max_bytes=self.limits.max_document_bytes,
                                           max_depth=self.limits.max_json_depth)
            except (IndexError, ValueError, binascii.Error, InputError):
                return  # not readable as a token: the code that uses it says so
        try:
            check_json_limits(value, self.limits, what="fetched document")
        except InputError as exc:
            raise FetchError(url, exc.detail) from None

    @staticmethod
    def did_web_url(did: str) -> str:
        """The https URL of a did:web DID document (:func:`~mosaics_match.credentials.did_web.document_url`);
        a malformed DID is a fetch problem here, since the document cannot be found."""
        try:
            return did_web.document_url(did)
        except did_web.DidWebError as exc:
            raise FetchError(did, str(exc)) from None

    def resolve(self, vm_ref: str) -> ResolvedKey:
        """Resolve a verification method reference.

        Raises
        ------
        FetchError
            When a needed document cannot be fetched (outcome unknown).
        CredentialError
            When the reference or key is malformed (a definite failure).
        """
        hit = self.cache.keys.get(vm_ref)
        if hit is not None:
            if isinstance(hit, Exception):
                raise hit
            return hit
        try:
            value = self._resolve(vm_ref)
        except FetchError:
            raise
        except Exception as exc:
            self.cache.keys.put(vm_ref, exc)
            raise
        self.cache.keys.put(vm_ref, value)
        return value

    def _resolve(self, vm_ref: str) -> ResolvedKey:
        from .. import keys
        from ..errors import KeyFormatError

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
            named = vm.get("controller")
            return ResolvedKey(vm_ref, named if isinstance(named, str) else did,
                               keys.public_key_from_verification_method(vm),
                               self._is_assertion(doc, vm_ref, did), "did:web")
        if vm_ref.startswith("https://"):
            base = vm_ref.split("#", 1)[0]
            doc = self.fetch_json(base)
            if not isinstance(doc, dict):
                raise KeyFormatError(f"{base} is not a key document", code="key.vm")
            vm = doc if doc.get("id") == vm_ref and self._has_key(doc) else self._find_vm(doc, vm_ref, base)
            if vm is None:
                raise KeyFormatError(f"{vm_ref} is not in the issuer's key document", code="key.vm")
            owner = vm.get("controller") if isinstance(vm.get("controller"), str) else doc.get("id")
            return ResolvedKey(vm_ref, owner if isinstance(owner, str) else None,
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
            from .. import keys

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
        from .. import keys

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
