"""A partner's shortlists as the shortlists page shows them: each person's consent and credentials re-checked
now, and removing someone. (Adding people happens on the match page, through :mod:`.matching`.)

Each function opens its own session or transaction from the runtime.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from mosaics_match.services import matching
from mosaics_match.services.auth import Viewer
from mosaics_match.services.matching import ShortlistRow
from mosaics_match.store import repo
from mosaics_match.store.models import Account

if TYPE_CHECKING:
    from mosaics_match.runtime import Runtime

__all__ = ["ShortlistView", "ShortlistRow", "shortlists_of", "remove_entry", "shortlist_csv"]


@dataclass(frozen=True)
class ShortlistView:
    """One shortlist with its entries as they stand now."""

    id: int
    name: str
    created_at: datetime
    rows: list[ShortlistRow]


def shortlists_of(rt: Runtime, *, viewer: Viewer) -> list[ShortlistView]:
    """The viewer's shortlists, newest first; none for a viewer without an account.

    Parameters
    ----------
    rt : Runtime
        The portal runtime (its base URL names the verification links).
    viewer : Viewer
        The partner.

    Returns
    -------
    list of ShortlistView
    """
    if viewer.account_id is None:
        return []
    with rt.Session() as session:
        account = session.get(Account, viewer.account_id)
        shortlists = repo.shortlists_of(session, account=account) if account is not None else []
        return [ShortlistView(s.id, s.name, s.created_at,
                              matching.shortlist_rows(session, shortlist=s, base_url=rt.settings.base_url))
                for s in shortlists]


def remove_entry(rt: Runtime, *, viewer: Viewer, entry_id: int) -> bool:
    """Remove one person from one of the viewer's shortlists.

    Parameters
    ----------
    rt : Runtime
        The portal runtime.
    viewer : Viewer
        The partner.
    entry_id : int
        The shortlist entry.

    Returns
    -------
    bool
        ``False`` when it was already removed or is not the viewer's.
    """
    if viewer.account_id is None:
        return False
    with rt.Session.begin() as session:
        return matching.remove_entry(session, account_id=viewer.account_id, entry_id=entry_id)


def shortlist_csv(rows: list[ShortlistRow]) -> str:
    """The CSV export of one shortlist (see :func:`.matching.shortlist_csv`)."""
    return matching.shortlist_csv(rows)
