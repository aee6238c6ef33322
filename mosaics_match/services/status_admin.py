"""The staff status page's use cases: find issued credentials, see one with its status lists, and revoke,
suspend or reinstate it (the signed status list is updated and re-signed in the same transaction).

Each function opens its own session or transaction from the runtime and returns plain dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from mosaics_match.links import status_list_url
from mosaics_match.services import issuing
from mosaics_match.services.auth import Viewer
from mosaics_match.services.issue_desk import CredentialPapers, papers_of
from mosaics_match.store import repo
from mosaics_match.store.models import IssuedCredential

if TYPE_CHECKING:
    from mosaics_match.runtime import Runtime

__all__ = ["STATES", "CredentialRow", "StatusListInfo", "CredentialDetail", "state_of", "find", "detail",
           "change_status"]

#: What the search can be narrowed to.
STATES = ("any", "valid", "suspended", "revoked")


def state_of(cred: IssuedCredential) -> str:
    """``revoked``, ``suspended`` or ``valid`` (what staff set; expiry is not a status here)."""
    if cred.revoked:
        return "revoked"
    if cred.suspended:
        return "suspended"
    return "valid"


@dataclass(frozen=True)
class CredentialRow:
    """One found credential, as the search table lists it."""

    credential_id: str
    earner_name: str
    earner_email: str
    achievement_name: str
    issued_at: datetime
    status: str
    proof_format: str
    public: bool
    share_link: bool

    @property
    def label(self) -> str:
        """How the credential is named in the picker."""
        return f"{self.earner_name} — {self.achievement_name} (…{self.credential_id[-8:]})"


@dataclass(frozen=True)
class StatusListInfo:
    """One of the signed status lists a credential has an entry in."""

    purpose: str
    number: int
    version: int
    updated_at: datetime
    url: str


@dataclass(frozen=True)
class CredentialDetail:
    """One credential with its status, sharing, validity, status lists and papers."""

    status: str
    revoked: bool
    suspended: bool
    status_changed_at: datetime | None
    status_reason: str | None
    public_status_reason: str | None
    public: bool
    share_link: bool
    valid_from: datetime
    valid_until: datetime | None
    status_list_number: int
    status_index: int
    lists: list[StatusListInfo]
    papers: CredentialPapers

    @property
    def label(self) -> str:
        """"<achievement> for <earner>"."""
        return f"{self.papers.achievement_name} for {self.papers.earner_name}"


def _row(c: IssuedCredential) -> CredentialRow:
    return CredentialRow(credential_id=c.credential_id, earner_name=c.earner.name, earner_email=c.earner.email,
                         achievement_name=c.achievement.name, issued_at=c.issued_at, status=state_of(c),
                         proof_format=c.proof_format, public=bool(c.public), share_link=bool(c.share_token))


def find(rt: Runtime, *, query: str, state: str, viewer: Viewer, audit: bool, limit: int = 200) -> list[CredentialRow]:
    """Credentials whose earner email or name, micro-credential or id contains ``query``, newest first.

    Parameters
    ----------
    rt : Runtime
        The portal runtime.
    query : str
        The search text.
    state : str
        One of :data:`STATES`.
    viewer : Viewer
        The staff member searching.
    audit : bool
        Write a ``search`` audit event (the page asks once per distinct search, not per rerun).
    limit : int
        At most this many.

    Returns
    -------
    list of CredentialRow
    """
    with rt.Session() as session:
        rows = [_row(c) for c in repo.search_credentials(session, query=query, state=state or "any", limit=limit)]
    if audit:
        with rt.Session.begin() as session:
            repo.record_audit(session, actor=viewer.email, actor_role=viewer.role, action="search",
                              subject=f"credentials:{query.strip()[:200]}", outcome=f"{len(rows)} found",
                              details={"page": "staff_status", "state": state})
    return rows


def detail(rt: Runtime, *, credential_id: str) -> CredentialDetail | None:
    """One credential in full, or ``None`` when it is not in the database.

    Parameters
    ----------
    rt : Runtime
        The portal runtime.
    credential_id : str
        The credential.

    Returns
    -------
    CredentialDetail or None
    """
    base_url = rt.settings.base_url
    with rt.Session() as session:
        cred = repo.get_credential(session, credential_id=credential_id)
        if cred is None:
            return None
        lists = {lst.purpose: lst for lst in repo.status_lists(session)
                 if lst.number == cred.status_list_number and lst.issuer_id == cred.issuer_id}
        return CredentialDetail(
            status=state_of(cred), revoked=bool(cred.revoked), suspended=bool(cred.suspended),
            status_changed_at=cred.status_changed_at, status_reason=cred.status_reason,
            public_status_reason=cred.public_status_reason, public=bool(cred.public),
            share_link=bool(cred.share_token), valid_from=cred.valid_from, valid_until=cred.valid_until,
            status_list_number=cred.status_list_number, status_index=cred.status_index,
            lists=[StatusListInfo(purpose, lst.number, lst.version, lst.updated_at,
                                  status_list_url(base_url, purpose, lst.number))
                   for purpose, lst in sorted(lists.items())],
            papers=papers_of(cred, base_url=base_url),
        )


def change_status(rt: Runtime, *, credential_id: str, action: str, reason: str, public_reason: str,
                  viewer: Viewer) -> None:
    """Revoke, suspend or reinstate a credential and re-sign its status list, in one transaction, audited.

    Parameters
    ----------
    rt : Runtime
        The portal runtime (its key secret opens the signing key).
    credential_id : str
        The credential.
    action : str
        ``revoke``, ``suspend`` or ``reinstate``.
    reason : str
        Kept in the audit log.
    public_reason : str
        Shown to verifiers (may be empty).
    viewer : Viewer
        The staff member (audit actor).

    Raises
    ------
    issuing.IssuingError
        Signing is switched off, the credential is gone, or the change is not allowed; nothing changed.
    """
    if not rt.settings.key_secret:
        raise issuing.IssuingError("Signing is switched off (no key secret is configured), so the status list "
                                   "cannot be re-signed.")
    with rt.Session.begin() as session:
        cred = repo.get_credential(session, credential_id=credential_id)
        if cred is None:
            raise issuing.IssuingError("This credential no longer exists.")
        signer = issuing.open_signer(session, settings=rt.settings)
        issuing.change_status(session, signer=signer, credential=cred, action=action, reason=reason,
                              actor=viewer.email, public_reason=public_reason)
