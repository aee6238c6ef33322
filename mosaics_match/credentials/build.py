"""Building (and signing) Open Badges 3.0 credentials for Seneca Mosaics.

Every term used is defined by the VC 2.0 and OB 3.0.3 contexts, so JSON-LD processing is lossless and a
Data Integrity signature covers everything a verifier shows. Programme facts without an OB 3.0 property of
their own (hours, level, partner) travel as ``tag`` keywords (``"hours:40"``, ``"level:Intermediate"``,
``"partner:Acme Corp"``) rather than through a custom extension context.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from .identity import identity_hash

__all__ = [
    "VC2_CONTEXT",
    "OB3_CONTEXT",
    "build_credential",
    "sign_credential",
    "ob3_jwt_payload",
    "format_datetime",
    "TAG_PREFIXES",
]

VC2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
ED25519_2020_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"
TAG_PREFIXES = ("hours", "level", "partner")

_ALIGNMENT_FIELDS = ("targetName", "targetUrl", "targetDescription", "targetFramework", "targetCode", "targetType")


def format_datetime(dt: datetime) -> str:
    """RFC 3339 UTC form (``2025-06-30T00:00:00Z``) of an aware datetime, without microseconds."""
    if dt.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    return dt.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _image(value: Any, what: str) -> dict | None:
    if value is None:
        return None
    if isinstance(value, str):
        return {"id": value, "type": "Image"}
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        img = {"id": value["id"], "type": "Image"}
        if isinstance(value.get("caption"), str):
            img["caption"] = value["caption"]
        return img
    raise ValueError(f"{what} image must be a URL / data URI string or a dict with an id")


def _require(d: dict, key: str, what: str) -> str:
    value = d.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} needs a non-empty {key!r}")
    return value


def _alignment(a: dict, i: int) -> dict:
    if not isinstance(a, dict):
        raise ValueError(f"alignment {i} must be a dict")
    out: dict[str, Any] = {"type": ["Alignment"]}
    _require(a, "targetName", f"alignment {i}")
    _require(a, "targetUrl", f"alignment {i}")
    for key in _ALIGNMENT_FIELDS:
        if a.get(key) is not None:
            out[key] = str(a[key])
    unknown = set(a) - set(_ALIGNMENT_FIELDS) - {"type"}
    if unknown:
        raise ValueError(f"alignment {i} has fields OB 3.0 does not define: {sorted(unknown)}")
    return out


def _tags(achievement: dict) -> list[str]:
    tags: list[str] = []
    for key in TAG_PREFIXES:
        value = achievement.get(key)
        if value is not None and str(value).strip():
            tags.append(f"{key}:{str(value).strip()}")
    extra = achievement.get("tags") or []
    if isinstance(extra, str) or not isinstance(extra, Iterable):
        raise ValueError("achievement tags must be a list of strings")
    tags.extend(str(t) for t in extra)
    return tags


def build_credential(*, credential_id: str, issuer: dict, achievement: dict, recipient_email: str, salt: str,
                     earner_name: str | None, valid_from: datetime, valid_until: datetime | None = None,
                     status: list[dict] | None = None) -> dict:
    """Build an unsigned ``OpenBadgeCredential`` (VC Data Model 2.0 + Open Badges 3.0.3).

    Parameters
    ----------
    credential_id : str
        Absolute URI of the credential (``urn:uuid:...`` or an https URL).
    issuer : dict
        ``id`` (DID or URL), ``name``, ``url`` and optional ``image`` / ``email``.
    achievement : dict
        ``id``, ``name``, ``description``, ``criteria`` (narrative text or ``{"narrative": ...}``), optional
        ``image``, ``alignments`` (list of dicts with ``targetName``, ``targetUrl``, ``targetDescription``,
        ``targetFramework`` e.g. ``"ESCO"``, optional ``targetCode`` / ``targetType``), ``achievement_type``
        (e.g. ``"MicroCredential"``), ``hours``, ``level``, ``partner``, ``tags``, ``human_code``,
        ``field_of_study``, ``credits_available``.
    recipient_email : str
        The earner's address; only its salted hash is stored.
    salt : str
        Random salt for the identity hash (at least 8 characters).
    earner_name : str | None
        Shown to verifiers when given.
    valid_from, valid_until : datetime
        Aware datetimes.
    status : list[dict], optional
        ``credentialStatus`` entries (see :func:`mosaics_match.credentials.status.status_entry`).

    Returns
    -------
    dict
        The credential, ready for :func:`sign_credential`.
    """
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", credential_id or ""):
        raise ValueError("credential_id must be an absolute URI")
    if not isinstance(salt, str) or len(salt) < 8:
        raise ValueError("salt must be a string of at least 8 characters")
    if not isinstance(recipient_email, str) or "@" not in recipient_email:
        raise ValueError("recipient_email must be an e-mail address")
    if valid_until is not None and valid_until <= valid_from:
        raise ValueError("valid_until must be after valid_from")

    issuer_obj: dict[str, Any] = {
        "id": _require(issuer, "id", "issuer"),
        "type": ["Profile"],
        "name": _require(issuer, "name", "issuer"),
    }
    if issuer.get("url"):
        issuer_obj["url"] = str(issuer["url"])
    if issuer.get("email"):
        issuer_obj["email"] = str(issuer["email"])
    img = _image(issuer.get("image"), "issuer")
    if img:
        issuer_obj["image"] = img

    criteria = achievement.get("criteria")
    if isinstance(criteria, str):
        criteria = {"narrative": criteria}
    if not isinstance(criteria, dict) or not (criteria.get("narrative") or criteria.get("id")):
        raise ValueError("achievement criteria needs a narrative (or an id URL)")
    ach: dict[str, Any] = {
        "id": _require(achievement, "id", "achievement"),
        "type": ["Achievement"],
        "name": _require(achievement, "name", "achievement"),
        "description": _require(achievement, "description", "achievement"),
        "criteria": {k: str(v) for k, v in criteria.items() if k in ("id", "narrative") and v},
    }
    if achievement.get("achievement_type"):
        ach["achievementType"] = str(achievement["achievement_type"])
    img = _image(achievement.get("image"), "achievement")
    if img:
        ach["image"] = img
    alignments = achievement.get("alignments") or []
    if alignments:
        ach["alignment"] = [_alignment(a, i) for i, a in enumerate(alignments)]
    tags = _tags(achievement)
    if tags:
        ach["tag"] = tags
    if achievement.get("human_code"):
        ach["humanCode"] = str(achievement["human_code"])
    if achievement.get("field_of_study"):
        ach["fieldOfStudy"] = str(achievement["field_of_study"])
    if achievement.get("credits_available") is not None:
        ach["creditsAvailable"] = float(achievement["credits_available"])

    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": [{
            "type": "IdentityObject",
            "identityHash": identity_hash(recipient_email, salt),
            "identityType": "emailAddress",
            "hashed": True,
            "salt": salt,
        }],
        "achievement": ach,
    }
    if earner_name:
        subject["name"] = earner_name

    cred: dict[str, Any] = {
        "@context": [VC2_CONTEXT, OB3_CONTEXT],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": ach["name"],
        "issuer": issuer_obj,
        "validFrom": format_datetime(valid_from),
    }
    if valid_until is not None:
        cred["validUntil"] = format_datetime(valid_until)
    if ach.get("image"):
        cred["image"] = dict(ach["image"])
    cred["credentialSubject"] = subject
    if status:
        cred["credentialStatus"] = list(status) if len(status) > 1 else dict(status[0])
    return cred


def _epoch(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return int(dt.timestamp()) if dt.tzinfo is not None else None


def ob3_jwt_payload(credential: dict) -> dict:
    """JWT payload in the Open Badges 3.0 form: the credential itself plus ``iss``, ``jti``, ``nbf``, ``exp`` and
    ``sub`` claims mirroring it (what OB 3.0 verifiers such as openbadgeslib require)."""
    payload = dict(credential)
    issuer = credential.get("issuer")
    subject = credential.get("credentialSubject")
    claims = {
        "iss": issuer.get("id") if isinstance(issuer, dict) else issuer,
        "jti": credential.get("id"),
        "nbf": _epoch(credential.get("validFrom") or credential.get("issuanceDate")),
        "exp": _epoch(credential.get("validUntil") or credential.get("expirationDate")),
        "sub": subject.get("id") if isinstance(subject, dict) else None,
    }
    payload.update({k: v for k, v in claims.items() if v is not None})
    return payload


def sign_credential(credential: dict, private_key: Any, *, verification_method: str | None = None,
                    fmt: str = "eddsa-rdfc-2022", created: datetime | None = None) -> dict | str:
    """Sign ``credential``.

    Parameters
    ----------
    credential : dict
        From :func:`build_credential`.
    private_key
        A ``cryptography`` private key (Ed25519 for the eddsa suites; Ed25519, P-256 or RSA for ``jwt``).
    verification_method : str, optional
        Key id; defaults to the did:key verification method of ``private_key``.
    fmt : str
        ``eddsa-rdfc-2022``, ``eddsa-jcs-2022``, ``Ed25519Signature2020`` or ``jwt`` (alias ``vc-jwt``).
    created : datetime, optional
        Proof creation time (defaults to now).

    Returns
    -------
    dict | str
        The signed credential, or a compact JWS for ``fmt="jwt"``.
    """
    from . import keys

    if verification_method is None:
        verification_method = keys.did_key_verification_method(keys.did_key_for(keys.public_key_of(private_key)))
    if fmt in ("jwt", "vc-jwt"):
        from .jwt import sign_compact_jws

        return sign_compact_jws({"kid": verification_method, "typ": "JWT"}, ob3_jwt_payload(credential),
                                private_key)
    from .proofs import sign_data_integrity

    if fmt == "Ed25519Signature2020" and ED25519_2020_CONTEXT not in credential.get("@context", []):
        # the legacy suite's terms live in their own context, which must be part of the signed document
        credential = {**credential, "@context": [*credential["@context"], ED25519_2020_CONTEXT]}
    return sign_data_integrity(credential, private_key, verification_method=verification_method, cryptosuite=fmt,
                               created=created or datetime.now(UTC))
