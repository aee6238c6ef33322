"""The portal's roles: one home for the names every layer uses (page registry, sign-in, storage).

``Role`` is a :class:`~enum.StrEnum`, so a member equals its stored string (``Role.STAFF == "staff"``) and the
values in the ``accounts.role`` column and the audit log are exactly these strings.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Role", "ALL_ROLES", "SIGNED_IN_ROLES"]


class Role(StrEnum):
    """Who someone is to the portal. ``PUBLIC`` is the anonymous visitor; the others are account roles."""

    PUBLIC = "public"
    EARNER = "earner"
    EMPLOYER = "employer"
    PARTNER = "partner"
    STAFF = "staff"


#: Every role, the public first (the order pages and tests list them in).
ALL_ROLES: tuple[Role, ...] = tuple(Role)
#: The roles an account can have (everyone but the public).
SIGNED_IN_ROLES: tuple[Role, ...] = tuple(r for r in Role if r is not Role.PUBLIC)
