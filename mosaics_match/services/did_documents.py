"""The issuer's DID document and JWK Set, built in one place from the signing keys held here.

The HTTP routes publish them (``/.well-known/did.json``, ``/.well-known/jwks.json``) and the verification service
serves the same document to the engine when it resolves one of this portal's ``did:web`` issuers, so what an
outside verifier downloads and what the portal checks against are the same bytes' worth of keys.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mosaics_match.store.models import Issuer, SigningKey

__all__ = ["DID_CONTEXTS", "did_document", "held_keys", "jwk_of", "jwk_set"]

DID_CONTEXTS = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]


def held_keys(session: Session, issuer_did: str | None) -> list[SigningKey]:
    """Signing keys held here, oldest first: of the issuer ``issuer_did``, or of every issuer when ``None``.

    Parameters
    ----------
    session : Session
        A read session.
    issuer_did : str or None
        The issuer's DID.
    """
    stmt = select(SigningKey).join(Issuer).order_by(SigningKey.id)
    if issuer_did:
        stmt = stmt.where(Issuer.identifier == issuer_did)
    return list(session.scalars(stmt))


def did_document(did: str, keys: list[Any]) -> dict[str, Any]:
    """The DID document of ``did`` listing ``keys`` (current and retired) as ``Multikey`` methods.

    Parameters
    ----------
    did : str
        The issuer's DID (the document's ``id`` and every method's ``controller``).
    keys : list
        Rows with ``verification_method`` and ``public_multikey`` (:class:`SigningKey`), in the order to list.

    Returns
    -------
    dict
        The document; the keys are listed under ``assertionMethod`` only (issuing, not authenticating).
    """
    methods = [{"id": k.verification_method, "type": "Multikey", "controller": did,
                "publicKeyMultibase": k.public_multikey} for k in keys]
    return {
        "@context": list(DID_CONTEXTS),
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
    }


def jwk_of(key: Any) -> dict[str, Any]:
    """One key as a public JWK with ``kid`` = its verification method id and the matching ``alg``."""
    from mosaics_match.credentials.keys import public_key_from_multikey

    jwk: dict[str, Any] = dict(public_key_from_multikey(key.public_multikey).jwk())
    jwk.update({"kid": key.verification_method, "use": "sig"})
    if jwk.get("kty") == "OKP":
        jwk["alg"] = "EdDSA"
    elif jwk.get("crv") == "P-256":
        jwk["alg"] = "ES256"
    return jwk


def jwk_set(keys: list[Any]) -> dict[str, Any]:
    """A JWK Set of ``keys``."""
    return {"keys": [jwk_of(k) for k in keys]}
