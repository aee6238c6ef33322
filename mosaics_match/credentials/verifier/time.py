"""Time suite: ``time.valid_from`` and ``time.expiry``, read from the signed view.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from .results import problem
from .state import Run, Suite
from .values import VC1_CONTEXT, as_list, date_problem, human_date, parse_datetime

_log = logging.getLogger(__name__)



def _date(run: Run, names: Iterable[str]) -> tuple[str | None, datetime | None]:
    cred = run.cred or {}
    for n in names:
        if n in cred:
            return n, parse_datetime(cred[n])
    return None, None


def check_valid_from(run: Run) -> None:
    cred = run.cred
    assert cred is not None
    try:
        name, start = _date(run, ("validFrom", "issuanceDate"))
    except (ValueError, OverflowError) as exc:
        run.add("time.valid_from", "failure", "The credential's start date cannot be read.",
                 [problem("bad-date", "Unreadable date", date_problem(exc), "/validFrom")])
        return
    nbf = (run.jwt_claims or {}).get("nbf")
    if isinstance(nbf, (int, float)) and not isinstance(nbf, bool):
        nbf_dt = datetime.fromtimestamp(nbf, UTC)
        start = max(start, nbf_dt) if start else nbf_dt
    if start is None:
        if VC1_CONTEXT in as_list(cred.get("@context")):
            run.add("time.valid_from", "failure", "The credential has no issue date.",
                     [problem("issuance-missing", "No issuance date",
                               "VC 1.1 credentials must have issuanceDate.", "/issuanceDate")])
            return
        run.add("time.valid_from", "success", "The credential has no start date, so it is valid from issue.")
        return
    if run.now < start:
        run.add("time.valid_from", "failure", f"Not valid until {human_date(start)}.",
                 [problem("not-yet-valid", "Not yet valid", f"{name} is {start.isoformat()}.",
                           f"/{name}" if name else None)])
        return
    run.add("time.valid_from", "success", f"Valid since {human_date(start)}.")


def check_expiry(run: Run) -> None:
    try:
        name, end = _date(run, ("validUntil", "expirationDate"))
    except (ValueError, OverflowError) as exc:
        run.add("time.expiry", "failure", "The credential's expiry date cannot be read.",
                 [problem("bad-date", "Unreadable date", date_problem(exc), "/validUntil")])
        return
    exp = (run.jwt_claims or {}).get("exp")
    if isinstance(exp, (int, float)) and not isinstance(exp, bool):
        exp_dt = datetime.fromtimestamp(exp, UTC)
        end = min(end, exp_dt) if end else exp_dt
    if end is None:
        run.add("time.expiry", "success", "Does not expire.")
        return
    if run.now > end:
        run.add("time.expiry", "failure", f"Expired on {human_date(end)}.",
                 [problem("expired", "Expired", f"{name or 'exp'} is {end.isoformat()}.",
                           f"/{name}" if name else None)])
        return
    run.add("time.expiry", "success", f"Valid until {human_date(end)}.")


SUITE = Suite("time", (check_valid_from, check_expiry))
