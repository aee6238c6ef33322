"""What the portal tells a person about a credential: the verdict, the check lines, the card, a batch row and
a past verification.

The engine answers ``valid`` / ``invalid`` / ``indeterminate`` (:data:`mosaics_match.credentials.verifier.Verdict`);
the portal says it the way an employer acts on it. The stored value (the audit log, exports, the API) is the
enum's value; the headline is what pages, reports and certificates print. The verification service
(:mod:`mosaics_match.services.verification`) fills these types; pages and exports only read them, which is why
they live below both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from mosaics_match.credentials.verifier import VerificationResult

__all__ = ["Authenticity", "BatchRow", "CardCompetency", "CheckLine", "CredentialCard", "HistoryEntry",
           "PortalVerification", "Verdict"]


#: Whether the signature checks out: ``authentic``, ``forged`` (changed, or not signed by the issuer) or ``unknown``
#: (unreadable, unsigned, or the key could not be retrieved).
Authenticity = Literal["authentic", "forged", "unknown"]


class Verdict(StrEnum):
    """The portal's verdict on one credential."""

    VERIFIED = "verified"
    NOT_VALID = "not_valid"
    CANNOT_CONFIRM = "cannot_confirm"

    @property
    def headline(self) -> str:
        """The verdict as the page and the report print it."""
        return _HEADLINES[self]


_HEADLINES = {Verdict.VERIFIED: "Verified", Verdict.NOT_VALID: "Not valid",
              Verdict.CANNOT_CONFIRM: "Cannot be confirmed"}


@dataclass(frozen=True)
class CheckLine:
    """One line of the result, in plain positive or negative words.

    Attributes
    ----------
    id : str
        Engine check id (``proof.signature``, ``status.revocation`` ...).
    ok : bool | None
        ``True`` passed, ``False`` failed, ``None`` could not be decided or not applicable.
    text : str
        The sentence shown, e.g. "Has not been revoked" or "Expired on 30 June 2025".
    """

    id: str
    ok: bool | None
    text: str


@dataclass(frozen=True)
class CardCompetency:
    """A competency the achievement proves, with its framework link (ESCO) when there is one."""

    name: str
    url: str | None = None
    framework: str | None = None
    code: str | None = None
    description: str | None = None

    @property
    def is_esco(self) -> bool:
        return (self.framework or "").upper() == "ESCO" or "data.europa.eu/esco" in (self.url or "")


@dataclass(frozen=True)
class CredentialCard:
    """What the credential says (shown for every readable credential, valid or not)."""

    credential_id: str | None
    achievement: str | None
    description: str | None
    criteria: str | None
    competencies: tuple[CardCompetency, ...]
    issuer_name: str | None
    issuer_id: str | None
    issuer_url: str | None
    earner_name: str | None
    valid_from: str | None
    valid_until: str | None
    image_url: str | None = None
    image_svg: str | None = None
    image_png: bytes | None = None
    issued_here: bool = False
    details: dict[str, str] = field(default_factory=dict)
    #: other parties whose proofs in a proof set or chain verified beside the issuer's
    cosigners: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (no image bytes)."""
        return {
            "credential_id": self.credential_id, "achievement": self.achievement, "description": self.description,
            "criteria": self.criteria,
            "competencies": [{"name": c.name, "url": c.url, "framework": c.framework, "code": c.code}
                             for c in self.competencies],
            "issuer": {"name": self.issuer_name, "id": self.issuer_id, "url": self.issuer_url},
            "earner_name": self.earner_name, "valid_from": self.valid_from, "valid_until": self.valid_until,
            "issued_by_this_portal": self.issued_here, "details": dict(self.details),
            "cosigners": list(self.cosigners),
        }


@dataclass
class PortalVerification:
    """The outcome of one verification as the portal shows and reports it.

    Attributes
    ----------
    verdict : str
        ``verified``, ``not_valid`` or ``cannot_confirm``.
    reason : str
        One sentence saying why (for ``verified``: who signed it).
    authenticity : str
        ``authentic`` (signature checks out), ``forged`` (it does not: changed or not signed by the issuer) or
        ``unknown`` (unreadable, unsigned or the key could not be retrieved).
    lines : list[CheckLine]
        One line per check, plain words.
    card : CredentialCard | None
        What the credential says (``None`` when the input could not be read).
    result : VerificationResult
        The engine's full result (every check with problem details).
    input_problem : str | None
        A specific message when the input itself could not be read (wrong type, malformed JSON, too large ...).
    """

    verdict: str
    reason: str
    authenticity: Authenticity
    lines: list[CheckLine]
    card: CredentialCard | None
    result: VerificationResult
    checked_at: datetime
    source: str
    file_name: str | None = None
    email_given: bool = False
    input_problem: str | None = None
    audit_id: int | None = None
    #: id of the check whose outcome gave the verdict and its reason (``None``: verified, or no single check)
    deciding_check: str | None = None

    @property
    def headline(self) -> str:
        return Verdict(self.verdict).headline

    @property
    def failing_check(self) -> str | None:
        """The line that decides a negative verdict (``None`` when verified).

        It is the same check the verdict's reason comes from, so a batch table or export never names a
        different failure than the single-verification banner for the same file.
        """
        if self.verdict == Verdict.VERIFIED:
            return None
        if self.deciding_check is not None and self.input_problem is None:
            for line in self.lines:
                if line.id == self.deciding_check:
                    return line.text
        return self.reason.strip().rstrip(".")

    @property
    def failing_check_id(self) -> str | None:
        if self.verdict == Verdict.VERIFIED:
            return None
        if self.deciding_check is not None:
            return self.deciding_check
        for wanted in (False, None):
            for line in self.lines:
                if line.ok is wanted:
                    return line.id
        return None

    def to_report(self, *, base_url: str | None = None) -> dict[str, Any]:
        """The verification report (the JSON download and the API answer)."""
        return {
            "report": "Seneca Mosaics credential verification",
            "version": 1,
            "checked_at": self.checked_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "verifier": base_url,
            "source": self.source,
            "file_name": self.file_name,
            "verdict": self.verdict,
            "headline": self.headline,
            "reason": self.reason,
            "authenticity": self.authenticity,
            "issuer_trusted": self.result.issuer_trusted,
            "email_checked": self.email_given,
            "email_matches": self.result.recipient_match if self.email_given else None,
            "input_problem": self.input_problem,
            "checks": [{"id": line.id, "passed": line.ok, "text": line.text} for line in self.lines],
            "credential": self.card.to_dict() if self.card else None,
            "engine": {
                "verdict": self.result.verdict,
                "input_kind": self.result.input_kind,
                "checks": [c.to_dict() for c in self.result.checks],
            },
        }


@dataclass
class BatchRow:
    """One file of a batch: its verification, or why it could not be read."""

    name: str
    verification: PortalVerification | None
    problem: str | None = None
    raw: bytes | None = None  # kept in memory for Re-verify; never stored

    def table_row(self) -> dict[str, str]:
        """The results-table row: file, earner, achievement, issuer, verdict, failing check."""
        pv = self.verification
        if pv is None or pv.input_problem:
            # Nothing could be checked: a reading problem, not a verdict on a credential.
            return {"File": self.name, "Earner": "", "Achievement": "", "Issuer": "", "Verdict": "Not read",
                    "Failing check": (pv.input_problem if pv is not None else self.problem) or ""}
        card = pv.card
        return {
            "File": self.name,
            "Earner": (card.earner_name or "") if card else "",
            "Achievement": (card.achievement or "") if card else "",
            "Issuer": (card.issuer_name or card.issuer_id or "") if card else "",
            "Verdict": pv.headline,
            "Failing check": pv.failing_check or "",
        }


@dataclass(frozen=True)
class HistoryEntry:
    """One past verification from the audit log."""

    at: datetime
    credential_id: str | None
    verdict: str
    achievement: str | None
    issuer: str | None
    earner_name: str | None
    source: str | None
    file_name: str | None
    failing_check: str | None
    reason: str | None

    @property
    def headline(self) -> str:
        return Verdict(self.verdict).headline if self.verdict in Verdict._value2member_map_ else self.verdict
