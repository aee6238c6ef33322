"""JSON-LD suite: ``jsonld.lossless``: nothing in the document escapes the signature by being dropped by JSON-LD.
"""

from __future__ import annotations

import logging

from .results import CheckStatus, problem
from .state import Fatal, Run, Suite

_log = logging.getLogger(__name__)



def check_lossless(run: Run) -> None:
    from ..errors import ContextError
    from ..jsonld import undefined_terms

    cred = run.cred
    assert cred is not None
    # One expansion serves this check and the signature (jsonld remembers it by the document's exact text).
    cached: list[str] | ContextError
    try:
        cached = list(undefined_terms(cred))
    except ContextError as exc:
        cached = exc
    if isinstance(cached, ContextError):
        status: CheckStatus = "indeterminate" if cached.code == "jsonld.context.unknown" else "failure"
        run.add("jsonld.lossless", status, "The credential is not valid linked data.",
                 [problem("jsonld", "JSON-LD error", cached.detail[:300], cached.pointer)])
        raise Fatal
    if cached:
        run.add("jsonld.lossless", "failure",
                 "Some fields are not defined by the credential's vocabulary, so the signature may not cover them.",
                 [problem("undefined-term", "Undefined term", f"{p} is not defined by any @context.",
                           p if p.startswith("/") else None) for p in cached[:20]])
        raise Fatal
    run.add("jsonld.lossless", "success", "Every field is defined by the credential's vocabulary.")


SUITE = Suite("jsonld", (check_lossless,))
