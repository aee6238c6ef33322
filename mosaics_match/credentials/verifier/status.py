"""Status suite: ``status.revocation`` and ``status.suspension`` from the issuer's signed status lists
(Bitstring Status List, StatusList2021, 1EdTech revocation list). A list is itself a credential, verified
with the proof suite and bound to the same issuer.
"""

from __future__ import annotations

import logging
from typing import Any

from ..fetcher import FetchError
from . import proof as proof_suite
from .context import VerifyContext
from .input import load_jws
from .results import problem
from .state import Fatal, Run, Suite, run_suite
from .values import issuer_id, parse_datetime, str_or_none

_log = logging.getLogger(__name__)



def _status_list(run: Run, entry: Any) -> Any:
    from ..status import (
        EDTECH_REVOCATION,
        StatusError,
        parse_revocation_list,
        parse_status_list,
    )

    cache = run.ctx.cache.status_lists
    key = f"{entry.type}|{entry.list_url}"
    hit = cache.get(key)
    if hit is not None:
        if isinstance(hit, Exception):
            raise hit
        return hit
    try:
        doc = run.ctx.resolver().fetch_json(entry.list_url)
        if entry.type == EDTECH_REVOCATION:
            # served over HTTPS by the issuer and unsigned by design; the issuer match is checked later
            value = parse_revocation_list(entry.list_url, doc)
        else:
            list_cred = _verify_list_credential(run, doc)
            value = parse_status_list(entry.list_url, list_cred, entry_type=entry.type,
                                      max_bits=run.limits.max_status_list_bits, parse_date=parse_datetime)
        run.ctx.cache.stats["status_lists_built"] += 1
    except FetchError as exc:
        err: Exception = StatusError("list-unavailable", f"The status list could not be retrieved: {exc.reason}.")
        cache.put(key, err)
        raise err from None
    except StatusError as exc:
        cache.put(key, exc)
        raise
    except (ValueError, OverflowError):
        err = StatusError("list-invalid", "The status list is malformed: a value in it cannot be read.")
        cache.put(key, err)
        raise err from None
    cache.put(key, value)
    return value


def _verify_list_credential(run: Run, doc: Any) -> dict:
    """Check the status list credential's own signature and key binding; return the credential."""
    from ..status import StatusError

    sub = Run(VerifyContext(clock=lambda: run.now, fetcher=run.ctx.fetcher, trust=None, email=None,
                             limits=run.limits, key_resolver=run.ctx.resolver(), cache=run.ctx.cache))
    try:
        if isinstance(doc, str):
            load_jws(sub, doc, None)
        elif isinstance(doc, dict):
            sub.cred = doc
        else:
            raise StatusError("list-invalid", "The status list is not a credential.")
        run_suite(sub, proof_suite.SUITE)
    except Fatal:
        raise StatusError("list-invalid", "The status list is not a readable credential.") from None
    bad = [c for c in sub.checks if c.status != "success"]
    if bad:
        first = bad[0]
        detail = first.problems[0]["detail"] if first.problems else first.message
        code = "list-unavailable" if first.status == "indeterminate" else "list-signature"
        raise StatusError(code, f"The status list's signature could not be confirmed: {detail}")
    assert sub.cred is not None
    return sub.cred


def _status(run: Run, purpose: str) -> None:
    from ..status import (
        EDTECH_REVOCATION,
        StatusError,
        parse_status_entries,
        read_status,
    )

    cred = run.cred
    assert cred is not None
    cid = f"status.{purpose}"
    noun = {"revocation": "revoked", "suspension": "suspended"}[purpose]
    try:
        entries = parse_status_entries(cred, max_entries=run.limits.max_status_entries)
    except Exception:
        entries = []
    relevant = [e for e in entries if e.purpose == purpose
                or (purpose == "revocation" and e.purpose is None and e.type != EDTECH_REVOCATION)]
    if not relevant:
        if purpose == "revocation" and cred.get("credentialStatus") is not None and not entries:
            run.add(cid, "indeterminate", "The credential's status information cannot be read.",
                     [problem("status-malformed", "Malformed status", "credentialStatus is not usable.",
                               "/credentialStatus")])
            return
        run.add(cid, "skipped", f"The issuer publishes no {purpose} status for this credential.",
                code="no-status")
        return
    problems: list[dict] = []
    set_entries: list[dict] = []
    for e in relevant:
        if e.type not in ("BitstringStatusListEntry", "StatusList2021Entry", EDTECH_REVOCATION):
            problems.append(problem("status-unsupported", "Unsupported status method",
                                     f"Status type {e.type!r} is not supported.", e.pointer))
            continue
        try:
            status_list = _status_list(run, e) if not e.problem else None
            if status_list is None:
                raise StatusError("bad-entry", f"The status entry is malformed: {e.problem}.")
            value = read_status(e, status_list, credential_issuer=issuer_id(cred),
                                credential_id=str_or_none(cred.get("id")), now=run.now,
                                min_bits=run.limits.min_status_list_bits)
        except StatusError as exc:
            problems.append(problem(f"status-{exc.code}", "Status not confirmed", exc.detail, e.pointer))
            continue
        if value:
            set_entries.append(problem(noun, f"Credential {noun}",
                                        f"The status list marks index {e.index} as {noun}.", e.pointer))
    if set_entries:
        msg = "Has been revoked by the issuer." if purpose == "revocation" else "Is currently suspended."
        run.add(cid, "failure", msg, set_entries + problems)
        return
    if problems:
        what = "revoked" if purpose == "revocation" else "suspended"
        run.add(cid, "indeterminate", f"Could not confirm that it has not been {what}.", problems)
        return
    run.add(cid, "success", "Has not been revoked." if purpose == "revocation" else "Is not suspended.")


def check_revocation(run: Run) -> None:
    _status(run, "revocation")


def check_suspension(run: Run) -> None:
    _status(run, "suspension")


SUITE = Suite("status", (check_revocation, check_suspension))
