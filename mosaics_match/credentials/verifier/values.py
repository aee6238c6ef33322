"""Reading credential values: dates, issuer ids and names, texts, images (robust against any shape)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

VC1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
VC2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
#: RFC 7519 registered claims (and cnf, RFC 7800): token metadata, not credential properties.
JWT_REGISTERED_CLAIMS = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "cnf"})

__all__ = ["JWT_REGISTERED_CLAIMS", "VC1_CONTEXT", "VC2_CONTEXT", "as_list", "date_problem", "epoch_iso", "human_date",
           "image_url", "issuer_id", "issuer_name", "parse_datetime", "str_or_none", "text"]

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
        return datetime.fromtimestamp(value, UTC)
    if not isinstance(value, str):
        raise ValueError("date is not a string")
    m = _DATE_RE.match(value.strip())
    if not m:
        raise ValueError(f"{value[:40]!r} is not a date-time")
    y, mo, d, h, mi, s, frac, off = m.groups()
    tz = UTC
    if off and off not in ("Z", "z"):
        sign = 1 if off[0] == "+" else -1
        digits = off[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    micro = int((frac or ".0")[1:7].ljust(6, "0"))
    return datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), micro, tzinfo=tz)


def date_problem(exc: Exception) -> str:
    """Our own sentence for a date that cannot be read (never Python's exception text)."""
    if isinstance(exc, OverflowError) or "out of range" in str(exc):
        return "The date is outside the range of dates this verifier handles."
    return "The value is not an XML Schema / RFC 3339 date-time."


def human_date(dt: datetime) -> str:
    dt = dt.astimezone(UTC)
    return f"{dt.day} {dt.strftime('%B %Y')}"


def as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def issuer_id(cred: dict) -> str | None:
    issuer = cred.get("issuer")
    if isinstance(issuer, str):
        return issuer or None
    if isinstance(issuer, dict):
        return str_or_none(issuer.get("id"))
    return None


def issuer_name(cred: dict) -> str | None:
    issuer = cred.get("issuer")
    if isinstance(issuer, dict):
        name = issuer.get("name")
        if isinstance(name, str):
            return name
        if isinstance(name, dict):  # language map
            return next((v for v in name.values() if isinstance(v, str)), None)
    return None


def image_url(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return str_or_none(value.get("id"))
    return None


def text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):  # language map / value object
        for k in ("@value", "en", "en-CA", "en-US"):
            if isinstance(value.get(k), str):
                return value[k]
        return next((v for v in value.values() if isinstance(v, str)), None)
    return None


def epoch_iso(value: float) -> str:
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
