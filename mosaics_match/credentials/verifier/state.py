"""The state of one verification, and how a suite of checks is run over it.

A *check* is a plain function ``(run) -> None`` that records one or more check results with ``run.add`` and
raises :class:`Fatal` to stop the rest of its own suite. A :class:`Suite` is data: a name (the prefix of its
check ids) and its steps in order. Checks do no I/O of their own: the clock, fetcher, trust list and caches
come from the injected :class:`~.context.VerifyContext`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC

from .context import VerifyContext
from .resolver import ResolvedKey
from .results import CHECKS, STATUSES, SUITE_CHECKS, CheckResult, CheckStatus, problem

__all__ = ["Fatal", "Run", "Suite", "run_suite"]

_log = logging.getLogger(__name__)


class Fatal(Exception):
    """Raised inside a suite to stop it after recording a check."""


class Run:
    """State of one verification: the input as read, what the checks found, and the results so far.

    ``cred`` is what later checks read: the JSON as received until a proof verifies, then the signed view for
    RDF-signed credentials (see :mod:`mosaics_match.credentials.signed_view`); ``json`` keeps the document as
    received.
    """

    def __init__(self, ctx: VerifyContext) -> None:
        self.ctx = ctx
        self.limits = ctx.limits
        self.now = ctx.clock()
        if self.now.tzinfo is None:
            self.now = self.now.replace(tzinfo=UTC)
        self.checks: list[CheckResult] = []
        self.cpu_start = time.thread_time()
        self.cred: dict | None = None
        self.kind: str | None = None
        self.jws: str | None = None
        self.jws_parts: tuple[dict, bytes, bytes] | None = None
        self.jwt_header: dict | None = None
        self.jwt_claims: dict | None = None
        self.proofs: list[dict] = []
        self.verified: list[tuple[dict | None, ResolvedKey]] = []
        # proofs bound to the issuer, with whether the issuer lists the key under assertionMethod
        self.bound: list[tuple[dict | None, ResolvedKey, bool | None]] = []
        self.cosigners: list[str] = []
        self.canonical: list[str] = []
        self.json: dict | None = None  # the document as received, before the signed view replaces it
        self.signature_ok = False
        self.binding_ok = False
        self.recipient_match: bool | None = None
        self.issuer_trusted = False
        self.internal_problem: dict | None = None

    def add(self, cid: str, status: CheckStatus, message: str, problems: list[dict] | None = None, *,
            code: str = "") -> CheckResult:
        """Record the result of check ``cid``."""
        assert cid in CHECKS and status in STATUSES
        r = CheckResult(cid, status, message, problems or [], code)
        self.checks.append(r)
        return r

    def done(self) -> set[str]:
        """Ids of the checks recorded so far."""
        return {c.id for c in self.checks}


@dataclass(frozen=True)
class Suite:
    """A named, ordered list of check steps (the name is the prefix of the suite's check ids)."""

    name: str
    steps: tuple[Callable[..., None], ...]  # each takes the Run (the input suite's first step also the input)


def run_suite(run: Run, suite: Suite) -> None:
    """Run ``suite``'s steps in order; a :class:`Fatal` or unexpected error stops the suite, and every check
    of the suite not recorded by then is recorded as skipped."""
    ids = SUITE_CHECKS[suite.name]
    for step in suite.steps:
        try:
            step(run)
        except Fatal:
            break
        except Exception:  # any bug or odd input becomes a reasoned failure
            cid = next((c for c in ids if c not in run.done()), ids[-1])
            # the exception text is for the server log only: it can name internals, never shown to people
            _log.warning("verification check %s stopped on unexpected input", cid, exc_info=True)
            run.add(cid, "failure", "This check could not be completed because the credential is malformed.",
                    [problem("internal-error", "Unexpected input",
                             "A value in the credential has a form this check cannot read.")])
            break
    done = run.done()
    for cid in ids:
        if cid not in done:
            run.add(cid, "skipped", "Not checked because an earlier check in this group failed.")
