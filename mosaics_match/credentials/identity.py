"""Salted recipient identity (Open Badges 3.0 IdentityObject).

The earner's e-mail never appears in the credential; only ``sha256$hex(sha256(email + salt))``. Matching is an
exact string comparison: no case folding or trimming, because the issuer hashed one exact string and folding
would make two different addresses match.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

__all__ = ["identity_hash", "recipient_matches", "identity_objects"]


def identity_hash(email: str, salt: str) -> str:
    """Return ``"sha256$" + hex(sha256(email + salt))``.

    Parameters
    ----------
    email : str
        The address exactly as issued.
    salt : str
        The salt stored next to the hash.
    """
    return "sha256$" + hashlib.sha256((email + salt).encode("utf-8")).hexdigest()


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def identity_objects(credential: dict) -> list[dict]:
    """All IdentityObjects in ``credentialSubject.identifier`` of ``credential``."""
    out: list[dict] = []
    for subject in _as_list(credential.get("credentialSubject")):
        if isinstance(subject, dict):
            out.extend(i for i in _as_list(subject.get("identifier")) if isinstance(i, dict))
    return out


def _matches_one(obj: dict, email: str) -> bool | None:
    value = obj.get("identityHash")
    if not isinstance(value, str):
        return None
    id_type = obj.get("identityType", "emailAddress")
    if id_type not in ("emailAddress", "email"):
        return None
    hashed = obj.get("hashed")
    if hashed is False or hashed == "false":
        return hmac.compare_digest(value.encode(), email.encode())
    salt = obj.get("salt") or ""
    if not isinstance(salt, str):
        return None
    algo, sep, digest = value.partition("$")
    if not sep:
        return None
    name = algo.lower()
    if name not in ("sha256", "md5"):
        return None
    computed = hashlib.new(name, (email + salt).encode("utf-8")).hexdigest()
    return hmac.compare_digest(computed, digest.lower())


def recipient_matches(credential: dict, email: str) -> bool | None:
    """Does ``email`` match an e-mail identifier of the credential's subject?

    Returns
    -------
    bool | None
        ``True`` / ``False``, or ``None`` when the credential carries no e-mail identifier to compare.
    """
    results = [_matches_one(o, email) for o in identity_objects(credential)]
    known = [r for r in results if r is not None]
    if not known:
        return None
    return any(known)
