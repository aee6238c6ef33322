"""The staff issue page's use cases: the catalogue to choose from, issue one credential, issue a checked CSV
file, and the receipt of an issued credential (its files, certificate and verification link).

Each function opens its own session or transaction from the runtime; what comes back is plain data (the claim
code only ever in the return value: the database keeps its hash).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from mosaics_match.exports import certificate
from mosaics_match.links import credential_url
from mosaics_match.services import bulk_issue, issuing
from mosaics_match.services.auth import Viewer
from mosaics_match.store import repo
from mosaics_match.store.models import IssuedCredential

if TYPE_CHECKING:
    from mosaics_match.runtime import Runtime

__all__ = ["IssueRefused", "AchievementChoice", "IssueForm", "IssuedOne", "CredentialPapers", "issue_form",
           "issue_one", "plan_bulk", "issue_bulk", "receipt", "papers_of"]


class IssueRefused(ValueError):
    """Nothing was issued; the message says why (after "Not issued: ")."""


@dataclass(frozen=True)
class AchievementChoice:
    """A micro-credential staff can issue."""

    slug: str
    name: str
    school: str


@dataclass(frozen=True)
class IssueForm:
    """What the issue page offers: the active catalogue and an example CSV file for it."""

    achievements: list[AchievementChoice]
    example_csv: str


@dataclass(frozen=True)
class IssuedOne:
    """A credential issued from the form; ``claim_code`` is shown once and never stored in clear."""

    credential_id: str
    claim_code: str
    achievement_name: str
    earner_name: str


@dataclass(frozen=True)
class CredentialPapers:
    """An issued credential's receipt: who and what, its files, its certificate and its verification link."""

    credential_id: str
    achievement_name: str
    earner_name: str
    earner_email: str
    proof_format: str
    issued_at: datetime
    files: list[certificate.DownloadFile]
    certificate: certificate.CertificateData
    link: str


def issue_form(rt: Runtime) -> IssueForm:
    """The active catalogue (by school and name) and the example CSV file.

    Parameters
    ----------
    rt : Runtime
        The portal runtime.

    Returns
    -------
    IssueForm
    """
    with rt.Session() as session:
        achievements = repo.list_achievements(session)
        return IssueForm([AchievementChoice(a.slug, a.name, a.school) for a in achievements],
                         bulk_issue.template_csv(achievements))


def issue_one(rt: Runtime, *, email: str, name: str, slug: str, fmt: str, valid_from: date | None,
              valid_until: date | None, viewer: Viewer, today: date | None = None) -> IssuedOne:
    """Check the form and issue one credential (creating the earner when new), in one transaction, audited.

    Parameters
    ----------
    rt : Runtime
        The portal runtime (its key secret opens the signing key).
    email, name : str
        The earner, as typed.
    slug : str
        The micro-credential.
    fmt : str
        The proof format (one of ``issuing.PROOF_FORMATS``).
    valid_from, valid_until : date or None
        Validity; ``valid_from`` today means from the moment of issue, not from midnight.
    viewer : Viewer
        The staff member (audit actor).
    today : date, optional
        The clock's date (tests inject one).

    Returns
    -------
    IssuedOne

    Raises
    ------
    IssueRefused
        A field is wrong, or signing failed; nothing was written.
    """
    with rt.Session() as session:
        achievements = repo.list_achievements(session)
    values, errors = bulk_issue.validate_fields(
        email=email, name=name, achievement=slug or "", fmt=fmt or "",
        valid_from=valid_from.isoformat() if valid_from else "",
        valid_until=valid_until.isoformat() if valid_until else "",
        achievements=bulk_issue.achievement_index(achievements),
    )
    if valid_from == (today or date.today()):
        values["valid_from"] = None  # from the moment of issue, not from midnight
    if errors:
        raise IssueRefused("; ".join(errors) + ".")
    try:
        with rt.Session.begin() as session:
            signer = issuing.open_signer(session, settings=rt.settings)
            achievement = repo.get_achievement(session, slug=values["achievement"].slug)
            issued = bulk_issue.issue_one(
                session, signer=signer, email=values["email"], name=values["name"], achievement=achievement,
                fmt=values["fmt"], valid_from=values["valid_from"], valid_until=values["valid_until"],
                actor=viewer.email,
            )
            credential_id = issued.credential.credential_id
    except issuing.IssuingError as exc:
        raise IssueRefused(str(exc)) from exc
    return IssuedOne(credential_id, issued.claim_code, values["achievement"].name, values["name"])


def plan_bulk(rt: Runtime, *, data: bytes, default_format: str) -> bulk_issue.BulkPlan:
    """Parse and check a bulk-issue CSV file against the catalogue and the database (nothing is written).

    Parameters
    ----------
    rt : Runtime
        The portal runtime.
    data : bytes
        The uploaded file.
    default_format : str
        The proof format for rows without one.

    Returns
    -------
    BulkPlan
        Every row with its problems and notes; ``plan.ok`` when it may be issued.

    Raises
    ------
    bulk_issue.BulkError
        The file cannot be read at all.
    """
    with rt.Session() as session:
        achievements = repo.list_achievements(session)
    plan = bulk_issue.parse_bulk_csv(data, achievements=achievements, default_format=default_format)
    with rt.Session() as session:
        bulk_issue.annotate_with_database(plan, session)
    return plan


def issue_bulk(rt: Runtime, *, plan: bulk_issue.BulkPlan, viewer: Viewer,
               progress: Callable[[int, int, bulk_issue.RowResult], None] | None = None) -> list[bulk_issue.RowResult]:
    """Issue every row of a fully valid plan, each row in its own transaction (see :mod:`.bulk_issue`).

    Parameters
    ----------
    rt : Runtime
        The portal runtime.
    plan : BulkPlan
        From :func:`plan_bulk`, with ``plan.ok``.
    viewer : Viewer
        The staff member (audit actor).
    progress : callable, optional
        ``progress(done, total, result)`` after each row.

    Returns
    -------
    list of RowResult

    Raises
    ------
    issuing.IssuingError, bulk_issue.BulkError
        Nothing could be issued (no signing key, or a plan that is not valid).
    """
    return bulk_issue.issue_plan(rt.Session, settings=rt.settings, plan=plan, actor=viewer.email,
                                 progress=progress)


def papers_of(cred: IssuedCredential, *, base_url: str) -> CredentialPapers:
    """The receipt of a credential row read in the caller's session (its achievement and earner loadable).

    Parameters
    ----------
    cred : IssuedCredential
        The stored credential.
    base_url : str
        This portal's address (the verification link and the certificate's QR code).

    Returns
    -------
    CredentialPapers
    """
    _ = cred.achievement.competencies  # loaded while the session is open
    files = certificate.credential_files(
        document=cred.document, proof_format=cred.proof_format, achievement_slug=cred.achievement.slug,
        earner_name=cred.earner.name, image_svg=cred.achievement.image_svg,
    )
    return CredentialPapers(
        credential_id=cred.credential_id, achievement_name=cred.achievement.name, earner_name=cred.earner.name,
        earner_email=cred.earner.email, proof_format=cred.proof_format, issued_at=cred.issued_at, files=files,
        certificate=certificate.certificate_for(cred, base_url=base_url),
        link=credential_url(base_url, cred.credential_id),
    )


def receipt(rt: Runtime, *, credential_id: str) -> CredentialPapers | None:
    """The receipt of an issued credential, or ``None`` when it is no longer in the database.

    Parameters
    ----------
    rt : Runtime
        The portal runtime.
    credential_id : str
        The credential.

    Returns
    -------
    CredentialPapers or None
    """
    with rt.Session() as session:
        cred = repo.get_credential(session, credential_id=credential_id)
        return papers_of(cred, base_url=rt.settings.base_url) if cred is not None else None
