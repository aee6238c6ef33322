"""Claiming a credential with its one-time claim code.

Seneca gives each earner a claim code with every credential it issues (``issuing.new_claim_code``; only its hash
is stored, in ``issued_credential.claim_code_hash``). Typing it on the earner page links the credential to the
earner's account (``claimed_at``). A code works once, only for the earner the credential was issued to, and wrong
codes are throttled per account: the audit log (append-only, shared by every replica) is the counter, so a
restart or a second replica does not reset it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from mosaics_match.services.issuing import hash_claim_code
from mosaics_match.store import repo
from mosaics_match.store.models import AuditEvent, IssuedCredential

CLAIM_WINDOW = timedelta(minutes=15)
MAX_CLAIM_FAILURES = 5
MAX_CODE_LENGTH = 64
_CODE_CHARS = re.compile(r"[A-Z0-9]+")


@dataclass(frozen=True)
class ClaimResult:
    """Outcome of one claim attempt; ``message`` is what the page shows."""

    ok: bool
    message: str
    credential_id: str | None = None
    outcome: str = "failure"  # success | already | failure | throttled | malformed


def normalise_code(code: str) -> str | None:
    """Upper-case ``code`` and put the dashes where Seneca prints them; ``None`` if it cannot be a code.

    ``abcd efgh jkmn``, ``ABCD-EFGH-JKMN`` and ``abcdefghjkmn`` all become ``ABCD-EFGH-JKMN``.
    """
    if not code or len(code) > MAX_CODE_LENGTH:
        return None
    compact = re.sub(r"[\s\-]", "", code).upper()
    if not _CODE_CHARS.fullmatch(compact) or not 8 <= len(compact) <= 32:
        return None
    if len(compact) == 12:
        return f"{compact[:4]}-{compact[4:8]}-{compact[8:]}"
    return compact


def recent_failures(session: Session, *, actor: str, now: datetime) -> int:
    """Wrong claim codes typed by ``actor`` within :data:`CLAIM_WINDOW` before ``now``."""
    stmt = select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "claim", AuditEvent.actor == actor,
        AuditEvent.outcome.in_(("failure", "malformed")), AuditEvent.at >= now - CLAIM_WINDOW, AuditEvent.at <= now,
    )
    return int(session.scalar(stmt) or 0)


def claim_credential(
    session: Session, *, earner_id: int, actor: str, code: str, now: datetime | None = None,
) -> ClaimResult:
    """Claim the credential whose one-time code is ``code`` for the earner ``earner_id``.

    Parameters
    ----------
    session:
        Open transaction; the caller commits (the claim and its audit event go together).
    earner_id:
        The signed-in earner, taken from the server-side viewer, never from the browser.
    actor:
        The account email, for the audit log and the throttle.
    code:
        What the earner typed.
    now:
        The clock (tests inject one).

    Returns
    -------
    ClaimResult
        Never raises for bad input; every attempt is audited.
    """
    now = now or datetime.now(UTC)

    def audit(outcome: str, subject: str | None = None) -> None:
        event = repo.record_audit(session, actor=actor, actor_role="earner", action="claim", subject=subject,
                                  outcome=outcome)
        event.at = now  # the throttle counts events on the same clock as the attempts

    if recent_failures(session, actor=actor, now=now) >= MAX_CLAIM_FAILURES:
        audit("throttled")
        minutes = int(CLAIM_WINDOW.total_seconds() // 60)
        return ClaimResult(False, f"Too many wrong codes. Wait {minutes} minutes, then try again, or ask Seneca "
                                  "staff to send the code again.", outcome="throttled")
    normalised = normalise_code(code)
    if normalised is None:
        audit("malformed")
        return ClaimResult(False, "That does not look like a claim code. Codes look like ABCD-EFGH-JKMN "
                                  "(letters and digits).", outcome="malformed")
    wanted = hash_claim_code(normalised)
    row = session.scalars(select(IssuedCredential).where(IssuedCredential.claim_code_hash == wanted)).first()
    if row is None or row.earner_id != earner_id:
        # A code of someone else's credential is treated exactly like a wrong code: it says nothing about it.
        audit("failure")
        return ClaimResult(False, "That claim code is not valid. Check it and try again; codes work once.")
    if row.claimed_at is not None:
        audit("already", row.credential_id)
        return ClaimResult(False, "You have already claimed this credential: it is in your list below.",
                           credential_id=row.credential_id, outcome="already")
    # Conditional update, so that two simultaneous claims of one code cannot both succeed.
    done = session.execute(
        update(IssuedCredential)
        .where(IssuedCredential.id == row.id, IssuedCredential.claimed_at.is_(None))
        .values(claimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        audit("already", row.credential_id)
        return ClaimResult(False, "You have already claimed this credential: it is in your list below.",
                           credential_id=row.credential_id, outcome="already")
    session.refresh(row)
    audit("success", row.credential_id)
    name = row.achievement.name if row.achievement is not None else "credential"
    return ClaimResult(True, f"Claimed: {name}. It is now in your list.", credential_id=row.credential_id,
                       outcome="success")


def unclaimed_count(session: Session, *, earner_id: int) -> int:
    """Credentials issued to the earner that still wait for their claim code."""
    return int(session.scalar(
        select(func.count()).select_from(IssuedCredential)
        .where(IssuedCredential.earner_id == earner_id, IssuedCredential.claimed_at.is_(None))
    ) or 0)
