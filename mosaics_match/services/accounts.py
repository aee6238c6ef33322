"""Sign-in accounts as staff and the sign-in page see them: locked accounts, unlocking, and the demo accounts.

Each function opens its own session or transaction from the runtime.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mosaics_match.roles import Role
from mosaics_match.services import auth
from mosaics_match.services.auth import AccountLock, Viewer
from mosaics_match.store.models import Account

if TYPE_CHECKING:
    from mosaics_match.runtime import Runtime

__all__ = ["AccountLock", "DemoAccount", "locks", "unlock", "demo_accounts"]


@dataclass(frozen=True)
class DemoAccount:
    """A demo account and its password (shown on the sign-in page in demo mode only)."""

    role: Role
    email: str
    password: str


def locks(rt: Runtime) -> list[AccountLock]:
    """Accounts locked by wrong passwords now, then those with wrong passwords counted (locked ones first).

    Parameters
    ----------
    rt : Runtime
        The portal runtime.

    Returns
    -------
    list of AccountLock
    """
    with rt.Session() as session:
        return auth.account_locks(session)


def unlock(rt: Runtime, *, account_id: int, viewer: Viewer) -> str | None:
    """Unlock an account (audited); its wrong-password count starts afresh here and on every replica.

    Parameters
    ----------
    rt : Runtime
        The portal runtime.
    account_id : int
        The account.
    viewer : Viewer
        The staff member unlocking it.

    Returns
    -------
    str or None
        The account's email, or ``None`` when the account no longer exists.
    """
    with rt.Session.begin() as session:
        account = session.get(Account, account_id)
        if account is None:
            return None
        auth.unlock_account(session, account=account, actor=viewer.email, actor_role=viewer.role)
        return account.email


def demo_accounts(rt: Runtime) -> list[DemoAccount]:
    """The demo accounts that exist, employer, partner, earner and staff in that order; none outside demo mode.

    Parameters
    ----------
    rt : Runtime
        The portal runtime (its settings say whether demo mode is on and derive the passwords).

    Returns
    -------
    list of DemoAccount
    """
    if not rt.settings.demo_mode:
        return []
    from mosaics_match.services import demo

    with rt.Session() as session:
        found = demo.demo_passwords(session, settings=rt.settings)
    order = (Role.EMPLOYER, Role.PARTNER, Role.EARNER, Role.STAFF)
    return [DemoAccount(role, *found[role]) for role in order if role in found]
