"""Outcomes of a verification: check results with RFC 9457 problems, the verdict, and their wire form.

Every check id is listed in :data:`CHECKS` in execution order; the part before the dot names its suite.
Callers (the portal, the API, the command line) decide on check ids, statuses and problem *codes*, never on
message wording, which is for people and may change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["ADVISORY_CHECKS", "CHECKS", "PROBLEM_BASE", "CheckResult", "CheckStatus", "SUITE_CHECKS",
           "STATUSES", "Verdict", "VerificationResult", "problem", "to_wire"]

#: The one base of every problem type this portal produces (checks and HTTP errors alike).
PROBLEM_BASE = "urn:seneca-mosaics:problem:"

CheckStatus = Literal["success", "failure", "indeterminate", "skipped"]
Verdict = Literal["valid", "invalid", "indeterminate"]
STATUSES: tuple[CheckStatus, ...] = ("success", "failure", "indeterminate", "skipped")

#: Every check id, in execution order, with its plain-language meaning.
CHECKS: dict[str, str] = {
    "input.limits": "The input is within the size and nesting limits.",
    "input.format": "The input is a credential we can read: JSON, a signed token (JWS/JWT) or a badge image "
                    "(PNG/SVG) with a credential baked in.",
    "structure.context": "The credential declares the W3C Verifiable Credentials context first and only contexts "
                         "this verifier holds.",
    "structure.type": "The credential is typed VerifiableCredential and has an issuer and a subject.",
    "jsonld.lossless": "Every field is defined by the declared contexts, so nothing is silently left out of "
                       "what the signature covers.",
    "proof.present": "The credential carries a signature (an embedded proof or a signed token).",
    "proof.signature": "The signature is mathematically valid for the credential's content and the signing key.",
    "proof.key_binding": "The signing key belongs to the issuer named in the credential (and token claims agree "
                         "with the credential).",
    "proof.purpose": "The key is authorised to issue credentials (assertionMethod) and the signature has not "
                     "passed its own expiry (if it has one).",
    "issuer.trusted": "The issuer is on your list of trusted issuers (reported separately; does not make a "
                      "credential invalid).",
    "time.valid_from": "The credential is already valid (its validFrom / issuanceDate is not in the future).",
    "time.expiry": "The credential has not expired (validUntil / expirationDate).",
    "status.revocation": "The issuer's status list says the credential has not been revoked.",
    "status.suspension": "The issuer's status list says the credential is not suspended.",
    "recipient.identity": "The credential was issued to the e-mail address you entered (reported separately).",
}

ADVISORY_CHECKS = frozenset({"issuer.trusted", "recipient.identity"})
#: Suite name -> its check ids, in order.
SUITE_CHECKS: dict[str, list[str]] = {}
for _cid in CHECKS:
    SUITE_CHECKS.setdefault(_cid.split(".", 1)[0], []).append(_cid)


def problem(code: str, title: str, detail: str, pointer: str | None = None) -> dict:
    """An RFC 9457-style problem: ``type`` is :data:`PROBLEM_BASE` + ``code``."""
    p = {"type": PROBLEM_BASE + code, "title": title, "detail": detail}
    if pointer is not None:
        p["pointer"] = pointer
    return p


@dataclass
class CheckResult:
    """Outcome of one check.

    Attributes
    ----------
    id : str
        Stable check id (see :data:`CHECKS`).
    status : str
        ``success``, ``failure``, ``indeterminate`` or ``skipped``.
    message : str
        Plain-language sentence for people.
    problems : list[dict]
        RFC 9457-style problem details (``type``, ``title``, ``detail``, ``pointer``).
    """

    id: str
    status: CheckStatus
    message: str
    problems: list[dict] = field(default_factory=list)
    code: str = ""

    @property
    def codes(self) -> list[str]:
        """Machine codes of this outcome: ``code`` and every problem's (``type`` without the base).

        Callers decide on these, never on the wording of ``message``.
        """
        out = [self.code] if self.code else []
        out += [str(p.get("type", ""))[len(PROBLEM_BASE):] for p in self.problems
                if str(p.get("type", "")).startswith(PROBLEM_BASE)]
        return out

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"id": self.id, "status": self.status, "message": self.message, "code": self.code,
                "problems": list(self.problems)}

    def __reduce__(self) -> tuple:
        # compact pickling: batches return thousands of these from worker processes
        return (CheckResult, (self.id, self.status, self.message, self.problems, self.code))


@dataclass
class VerificationResult:
    """Everything a person needs to decide about one credential.

    Attributes
    ----------
    verdict : str
        ``valid``, ``invalid`` or ``indeterminate``.
    issuer_trusted : bool
        The issuer is on the trust list *and* the signature binds to it.
    recipient_match : bool | None
        E-mail comparison result (``None`` when no e-mail was given or the credential records none).
    checks : list[CheckResult]
        All checks, in order.
    credential : dict | None
        The credential as read (for a token: the credential claim).
    summary : dict
        Display data: achievement, alignments, issuer, earner name, dates, image.
    input_kind : str | None
        ``json``, ``jws``, ``png``, ``svg`` or ``object``.
    """

    verdict: Verdict
    issuer_trusted: bool
    recipient_match: bool | None
    checks: list[CheckResult]
    credential: dict | None
    summary: dict
    input_kind: str | None = None

    def check(self, check_id: str) -> CheckResult | None:
        """The result of ``check_id`` (or ``None``)."""
        return next((c for c in self.checks if c.id == check_id), None)

    @property
    def reason(self) -> str:
        """One sentence explaining the verdict."""
        if self.verdict == "valid":
            return "All checks passed."
        wanted = "failure" if self.verdict == "invalid" else "indeterminate"
        for c in self.checks:
            if c.status == wanted and c.id not in ADVISORY_CHECKS:
                return c.message
        return "The credential could not be verified."

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {
            "verdict": self.verdict,
            "reason": self.reason,
            "issuer_trusted": self.issuer_trusted,
            "recipient_match": self.recipient_match,
            "input_kind": self.input_kind,
            "checks": [c.to_dict() for c in self.checks],
            "summary": self.summary,
            "credential": self.credential,
        }


def to_wire(result: VerificationResult, *, name: str | None = None) -> dict[str, Any]:
    """The machine-readable form of a result: one home for the command line's ``--json`` and the HTTP API.

    Parameters
    ----------
    result : VerificationResult
        What :func:`~mosaics_match.credentials.verifier.verify` returned.
    name : str, optional
        The input's name (a file name), added as ``file``.

    Returns
    -------
    dict
        Verdict, reason, trust, recipient match, input kind, credential id, card fields and every check with
        its status, message, code and problems.
    """
    summary = result.summary
    achievement = summary.get("achievement") or {}
    issuer = summary.get("issuer") or {}
    out: dict[str, Any] = {} if name is None else {"file": name}
    out.update({
        "verdict": result.verdict,
        "reason": result.reason,
        "issuer_trusted": result.issuer_trusted,
        "recipient_match": result.recipient_match,
        "input_kind": result.input_kind,
        "credential_id": result.credential.get("id") if isinstance(result.credential, dict) else None,
        "achievement": achievement.get("name"),
        "issuer": {"id": issuer.get("id"), "name": issuer.get("name")},
        "valid_from": summary.get("valid_from"),
        "valid_until": summary.get("valid_until"),
        "cosigners": list(summary.get("cosigners") or []),
        "checks": [{"id": c.id, "status": c.status, "message": c.message, "code": c.code,
                    "problems": list(c.problems)} for c in result.checks],
    })
    return out
