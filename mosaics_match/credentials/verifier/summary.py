"""The card: display data of a credential (read from the signed view, never from unsigned JSON)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from .values import (
    as_list,
    image_url,
    issuer_id,
    issuer_name,
    parse_datetime,
    str_or_none,
    text,
)

__all__ = ["summarize"]


def summarize(cred: dict | None) -> dict:
    """Display data of a credential (robust against any shape)."""
    out: dict[str, Any] = {"achievement": None, "alignments": [], "issuer": None, "earner_name": None,
                           "valid_from": None, "valid_until": None, "image": None, "name": None}
    if not isinstance(cred, dict):
        return out
    out["name"] = text(cred.get("name"))
    issuer = cred.get("issuer")
    out["issuer"] = {"id": issuer_id(cred), "name": issuer_name(cred),
                     "url": str_or_none(issuer.get("url")) if isinstance(issuer, dict) else None,
                     "image": image_url(issuer.get("image")) if isinstance(issuer, dict) else None}
    for key, names in (("valid_from", ("validFrom", "issuanceDate")), ("valid_until", ("validUntil",
                                                                                          "expirationDate"))):
        for n in names:
            try:
                dt = parse_datetime(cred.get(n))
            except (ValueError, OverflowError, OSError):
                dt = None
            if dt is not None:
                out[key] = dt.astimezone(UTC).isoformat().replace("+00:00", "Z")
                break
    subjects = [s for s in as_list(cred.get("credentialSubject")) if isinstance(s, dict)]
    subject = subjects[0] if subjects else {}
    out["earner_name"] = text(subject.get("name"))
    ach = subject.get("achievement")
    ach = ach[0] if isinstance(ach, list) and ach else ach
    if isinstance(ach, dict):
        criteria = ach.get("criteria")
        tags = [t for t in as_list(ach.get("tag")) if isinstance(t, str)]
        extra = {}
        for t in tags:
            k, sep, v = t.partition(":")
            if sep and k in ("hours", "level", "partner"):
                extra[k] = v
        out["achievement"] = {
            "id": str_or_none(ach.get("id")),
            "name": text(ach.get("name")),
            "description": text(ach.get("description")),
            "criteria": text(criteria.get("narrative")) if isinstance(criteria, dict) else text(criteria),
            "criteria_url": str_or_none(criteria.get("id")) if isinstance(criteria, dict) else None,
            "achievement_type": str_or_none(ach.get("achievementType")),
            "image": image_url(ach.get("image")),
            "tags": tags,
            **extra,
        }
        for a in as_list(ach.get("alignment"))[:200]:
            if isinstance(a, dict):
                out["alignments"].append({k: str_or_none(a.get(k)) for k in (
                    "targetName", "targetUrl", "targetDescription", "targetFramework", "targetCode", "targetType")})
        out["image"] = out["achievement"]["image"]
    out["image"] = out["image"] or image_url(cred.get("image"))
    if out["name"] is None and out["achievement"]:
        out["name"] = out["achievement"]["name"]
    return out
