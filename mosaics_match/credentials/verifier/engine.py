"""The verifier's driver: the suites in order, the verdict, and batch verification.

``verify()`` runs the suites of :data:`SUITES` and never raises: every problem ends up as a check result with
a plain-language message and RFC 9457-style problems. A fatal failure skips the rest of its own suite only.

Verdict: ``invalid`` when any check (other than the advisory ``issuer.trusted`` and ``recipient.identity``)
failed; otherwise ``indeterminate`` when any could not be decided (for example a status list that could not be
fetched: never read as "not revoked"); otherwise ``valid``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from . import input as input_suite
from . import jsonld as jsonld_suite
from . import party, proof, status, structure
from . import time as time_suite
from .context import VerifyContext, utcnow
from .results import ADVISORY_CHECKS, CHECKS, Verdict, VerificationResult, problem
from .state import Fatal, Run, Suite, run_suite
from .summary import summarize

__all__ = ["SUITES", "verify", "verify_many"]

_log = logging.getLogger(__name__)

#: Every suite after the input, in order (the input suite runs first, on its own).
SUITES: tuple[Suite, ...] = (structure.SUITE, jsonld_suite.SUITE, proof.SUITE, party.SUITE, time_suite.SUITE,
                             status.SUITE, party.RECIPIENT_SUITE)


def _skip_rest(run: Run, message: str) -> None:
    done = run.done()
    for cid in CHECKS:
        if cid not in done:
            run.add(cid, "skipped", message)


def execute(run: Run, data: bytes | str | dict) -> None:
    """Read ``data`` and run every suite over it."""
    try:
        input_suite.load(run, data)
    except Fatal:
        pass
    except Exception:
        _log.warning("a verification input could not be read", exc_info=True)
        if "input.format" not in run.done():
            if "input.limits" not in run.done():
                run.add("input.limits", "success", "The input is within the size limit.")
            run.add("input.format", "failure", "The input could not be read as a credential.",
                    [problem("unreadable", "Unreadable input",
                             "The input has a form no credential reader here accepts.")])
    if run.cred is None:
        _skip_rest(run, "Not checked because the input could not be read.")
        return
    budget = run.ctx.cpu_budget
    for suite in SUITES:
        if budget is not None and time.thread_time() - run.cpu_start > budget:
            # The input limits keep real work far below this; past it, stop rather than serve one visitor at
            # everyone else's expense, and say the outcome is unknown (never "valid").
            done = run.done()
            for cid in CHECKS:
                if cid not in done:
                    run.add(cid, "indeterminate" if cid not in ADVISORY_CHECKS else "skipped",
                            f"Not checked: this credential took more than {budget:g} s of processing time.",
                            [problem("cpu-budget", "Processing budget exceeded",
                                     f"Verification stopped after {budget:g} s of CPU time.")])
            return
        run_suite(run, suite)
        if suite is structure.SUITE:
            context = next((c for c in run.checks if c.id == "structure.context"), None)
            if context is not None and context.status == "indeterminate":
                # Without the vocabulary nothing below can be decided: not "altered", just unknown.
                _skip_rest(run, "Not checked because the credential's vocabulary is not available.")
                return


def result(run: Run) -> VerificationResult:
    """The verdict and card of a finished run."""
    order = list(CHECKS)
    checks = sorted(run.checks, key=lambda c: order.index(c.id))
    core = [c for c in checks if c.id not in ADVISORY_CHECKS]
    verdict: Verdict
    if any(c.status == "failure" for c in core):
        verdict = "invalid"
    elif any(c.status == "indeterminate" for c in core):
        verdict = "indeterminate"
    elif run.signature_ok and run.binding_ok:
        verdict = "valid"
    else:
        verdict = "indeterminate"
    try:
        summary = summarize(run.cred)
    except Exception:
        summary = summarize(None)
    if run.binding_ok and run.cosigners:
        summary["cosigners"] = list(dict.fromkeys(run.cosigners))
    return VerificationResult(verdict, run.issuer_trusted, run.recipient_match, checks, run.cred, summary,
                              run.kind)


def verify(data: bytes | str | dict, *, ctx: VerifyContext | None = None) -> VerificationResult:
    """Verify one credential.

    Parameters
    ----------
    data : bytes | str | dict
        Credential JSON (bytes/str/dict), compact JWS, or a baked PNG/SVG (bytes).
    ctx : VerifyContext, optional
        Clock, fetcher, trust list, e-mail, limits and caches; defaults to an offline context.

    Returns
    -------
    VerificationResult
        Never raises; every problem is a check result with a reason.
    """
    ctx = ctx or VerifyContext()
    try:
        run = Run(ctx)
    except Exception:  # e.g. an injected clock that fails
        _log.error("the verification clock failed", exc_info=True)
        run = Run(VerifyContext(clock=utcnow, fetcher=ctx.fetcher, trust=ctx.trust, email=ctx.email,
                                limits=ctx.limits, key_resolver=ctx.key_resolver, cache=ctx.cache,
                                cpu_budget=ctx.cpu_budget))
        run.internal_problem = problem("internal-error", "Clock failed", "The verifier's clock could not be read.")
    try:
        execute(run, data)
    except Exception:  # last line of defence: verify() never raises
        _log.error("verification stopped on an unexpected problem", exc_info=True)
        run.internal_problem = problem("internal-error", "Unexpected problem",
                                        "The verifier stopped on an unexpected problem; it has been logged.")
    if run.internal_problem is not None:
        done = {c.id for c in run.checks}
        for cid in CHECKS:
            if cid not in done:
                run.add(cid, "skipped", "Not checked because of an earlier problem.")
        if not any(c.status == "failure" for c in run.checks):
            target = next((c for c in run.checks if c.status == "skipped"), run.checks[0])
            target.status = "failure"
            target.message = "The verifier hit an unexpected problem, so the credential could not be checked."
            target.problems.append(run.internal_problem)
    return result(run)


_POOL_CTX: VerifyContext | None = None


def _pool_verify(item: bytes | str | dict) -> VerificationResult:
    assert _POOL_CTX is not None
    return verify(item, ctx=_POOL_CTX)


def verify_many(items: Iterable[bytes | str | dict], ctx: VerifyContext | None = None, *,
                workers: int = 1, chunksize: int = 64) -> list[VerificationResult]:
    """Verify a batch sharing one context (documents, keys and status lists are fetched and checked once).

    Parameters
    ----------
    items : iterable
        Inputs as accepted by :func:`verify`.
    ctx : VerifyContext, optional
        Shared context.
    workers : int
        Processes to use (``fork`` start method; each worker inherits the caches warmed by the first item).

    Returns
    -------
    list[VerificationResult]
        In input order.
    """
    global _POOL_CTX
    ctx = ctx or VerifyContext()
    items = list(items)
    if workers <= 1 or len(items) < 2 * chunksize:
        return [verify(item, ctx=ctx) for item in items]
    import multiprocessing as mp

    # warm the shared caches in the parent so forked workers start with fetched status lists and keys
    head = [verify(item, ctx=ctx) for item in items[:chunksize]]
    _POOL_CTX = ctx
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            rest = pool.map(_pool_verify, items[chunksize:], chunksize=chunksize)
    finally:
        _POOL_CTX = None
    return head + rest

