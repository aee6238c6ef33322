"""The staff console's overview: live figures, locked accounts and the latest audit events, read in one session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mosaics_match.services import auth
from mosaics_match.services.audit_log import AuditRecord, record_of
from mosaics_match.services.catalogue import PortalFigures, portal_figures
from mosaics_match.store import repo

if TYPE_CHECKING:
    from mosaics_match.runtime import Runtime

__all__ = ["ConsoleOverview", "overview"]


@dataclass(frozen=True)
class ConsoleOverview:
    """What the console overview shows.

    Attributes
    ----------
    figures : PortalFigures
        Headline counts.
    locked_accounts : int
        Accounts locked by wrong passwords now.
    recent : list of AuditRecord
        The newest audit events.
    """

    figures: PortalFigures
    locked_accounts: int
    recent: list[AuditRecord]


def overview(rt: Runtime, *, events: int = 8) -> ConsoleOverview:
    """The console overview.

    Parameters
    ----------
    rt : Runtime
        The portal runtime.
    events : int
        How many of the newest audit events.

    Returns
    -------
    ConsoleOverview
    """
    with rt.Session() as session:
        return ConsoleOverview(
            figures=portal_figures(session),
            locked_accounts=sum(lock.locked for lock in auth.account_locks(session)),
            recent=[record_of(e) for e in repo.list_audit(session, limit=events)],
        )
