"""Verifying Open Badges 3.0 / W3C verifiable credentials, as suites of small checks with stable ids.

Modules: :mod:`.results` (check results, problems, verdicts, the wire form), :mod:`.context` (the injected
clock, fetcher, trust list, limits, caches), :mod:`.resolver` (keys and which issuer they speak for),
:mod:`.state` (one run, suites as data), one module per suite (:mod:`.input`, :mod:`.structure`,
:mod:`.jsonld`, :mod:`.proof`, :mod:`.party`, :mod:`.time`, :mod:`.status`), :mod:`.summary` (the card) and
:mod:`.engine` (the driver). ``docs/verification.md`` says what is signed, what is read and why each check
exists.
"""

from __future__ import annotations

from .cache import VerifyCache
from .context import VerifyContext
from .engine import SUITES, verify, verify_many
from .proof import CLOCK_SKEW
from .resolver import KeyResolver, ResolvedKey
from .results import (
                      ADVISORY_CHECKS,
                      CHECKS,
                      PROBLEM_BASE,
                      CheckResult,
                      CheckStatus,
                      Verdict,
                      VerificationResult,
                      problem,
                      to_wire,
)
from .summary import summarize
from .values import JWT_REGISTERED_CLAIMS, parse_datetime

__all__ = [
    "ADVISORY_CHECKS", "CHECKS", "CLOCK_SKEW", "JWT_REGISTERED_CLAIMS", "PROBLEM_BASE", "SUITES", "CheckResult",
    "CheckStatus", "KeyResolver", "ResolvedKey", "Verdict", "VerificationResult", "VerifyCache", "VerifyContext",
    "parse_datetime", "problem", "summarize", "to_wire", "verify", "verify_many",
]
