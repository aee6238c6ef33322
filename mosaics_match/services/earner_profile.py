"""The earner's own side of *My credentials* as use cases: claiming, the list of credentials issued here, sharing
them, and the choices about being found by partners. Each function opens and ends its own transaction."""

from __future__ import annotations

from typing import Any

from mosaics_match.exports import certificate
from mosaics_match.services import claims, sharing
from mosaics_match.store import repo
from mosaics_match.store.models import Earner

__all__ = ["consent_of", "change_consent", "claim", "waiting_for_claim", "issued_credentials", "change_sharing"]


def _factory(db: Any):
    return db.Session if hasattr(db, "Session") else db


def consent_of(db: Any, *, earner_id: int) -> tuple[bool, bool]:
    """(partners may find the earner, partners see the e-mail address); both ``False`` for an unknown earner."""
    with _factory(db)() as session:
        earner = session.get(Earner, earner_id)
        return (bool(earner.discoverable), bool(earner.share_email)) if earner is not None else (False, False)


def change_consent(db: Any, *, earner_id: int, discoverable: bool, share_email: bool, actor: str,
                   actor_role: str) -> bool:
    """Change both choices (audited; every search sees it at once); ``False`` for an unknown earner."""
    with _factory(db).begin() as session:
        earner = session.get(Earner, earner_id)
        if earner is None:
            return False
        repo.set_consent(session, earner=earner, discoverable=discoverable, share_email=share_email, actor=actor,
                         actor_role=actor_role)
        return True


def claim(db: Any, *, earner_id: int, actor: str, code: str) -> claims.ClaimResult:
    """Claim a credential with a one-time code (see :func:`~mosaics_match.services.claims.claim_credential`)."""
    with _factory(db).begin() as session:
        return claims.claim_credential(session, earner_id=earner_id, actor=actor, code=code)


def waiting_for_claim(db: Any, *, earner_id: int) -> int:
    """How many credentials issued to the earner still wait for their claim code."""
    with _factory(db)() as session:
        return claims.unclaimed_count(session, earner_id=earner_id)


def issued_credentials(db: Any, *, earner_id: int, base_url: str) -> list[dict[str, Any]]:
    """The earner's claimed credentials as the page shows them: status, dates, downloads, share link, certificate.

    A stored document that cannot be turned into downloads gives ``problem`` instead of breaking the list.
    """
    items: list[dict[str, Any]] = []
    with _factory(db)() as session:
        for row in sharing.owned_credentials(session, earner_id=earner_id):
            try:
                files, problem = sharing.downloads(row), None
            except Exception as exc:
                files, problem = [], str(exc)
            items.append({
                "id": row.credential_id, "name": row.achievement.name, "school": row.achievement.school,
                "partner": row.achievement.partner, "status": sharing.credential_status(row),
                "issued": row.issued_at, "valid_until": row.valid_until, "format": row.proof_format,
                "jwt": sharing.is_jwt(row), "link": sharing.share_link(base_url, row), "public": bool(row.public),
                "changed": row.status_changed_at, "public_reason": row.public_status_reason, "files": files,
                "problem": problem, "competencies": [c.name for c in row.achievement.competencies],
                "certificate": certificate.certificate_for(row, base_url=base_url) if row.share_token else None,
            })
    return items


def change_sharing(db: Any, *, earner_id: int, credential_id: str, action: str, public: bool = False, actor: str,
                   actor_role: str) -> tuple[str, str]:
    """Create, replace or withdraw a verification link, or publish / unpublish the file, for one of the earner's
    own credentials (looked up with the earner id, never the browser's word alone).

    Returns
    -------
    tuple[str, str]
        (``success`` or ``error``, the sentence to show).
    """
    with _factory(db).begin() as session:
        row = sharing.owned_credential(session, earner_id=earner_id, credential_id=credential_id)
        if row is None:
            return "error", "That credential is not in your list."
        if action in ("create", "replace"):
            sharing.create_share_link(session, row=row, actor=actor, actor_role=actor_role)
            return "success", ("Your verification link is ready: copy it below." if action == "create" else
                               "The old link no longer works; copy the new one below.")
        if action == "withdraw":
            sharing.withdraw_share_link(session, row=row, actor=actor, actor_role=actor_role)
            return "success", "Link withdrawn: nobody can check this credential from it any more."
        sharing.set_published(session, row=row, public=public, actor=actor, actor_role=actor_role)
        return "success", ("Published: anyone can now download this credential file." if public else
                           "Unpublished: the file is no longer available to the public.")
