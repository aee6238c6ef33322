"""Party suite: who stands behind the credential: ``issuer.trusted`` (advisory) and ``recipient.identity``
(advisory).
"""

from __future__ import annotations

import logging

from .results import problem
from .state import Run, Suite
from .values import issuer_id

_log = logging.getLogger(__name__)



def check_trusted(run: Run) -> None:
    cred = run.cred
    assert cred is not None
    issuer = issuer_id(cred)
    if run.ctx.trust is None:
        run.add("issuer.trusted", "skipped", "No list of trusted issuers is configured.")
        return
    entry = run.ctx.trust.lookup(issuer)
    if entry is None:
        run.add("issuer.trusted", "failure", "Issuer is not on your trusted list.",
                 [problem("issuer-untrusted", "Untrusted issuer", f"{issuer} is not on the trusted list.",
                           "/issuer")])
        return
    if not (run.signature_ok and run.binding_ok):
        run.add("issuer.trusted", "indeterminate",
                 f"The credential names {entry.name or issuer}, a trusted issuer, but the signature does not "
                 "confirm it.")
        return
    run.issuer_trusted = True
    run.add("issuer.trusted", "success", f"Issuer is on your trusted list as {entry.name or issuer}.")


def check_recipient(run: Run) -> None:
    from ..identity import recipient_matches

    if run.ctx.email is None:
        run.add("recipient.identity", "skipped", "No e-mail address was given to compare.")
        return
    assert run.cred is not None
    match = recipient_matches(run.cred, run.ctx.email)
    run.recipient_match = match
    if match is None:
        run.add("recipient.identity", "skipped", "The credential records no e-mail address to compare.")
    elif match:
        run.add("recipient.identity", "success", "Was issued to the e-mail address you entered.")
    else:
        run.add("recipient.identity", "failure", "Was not issued to the e-mail address you entered.",
                 [problem("recipient-mismatch", "Different recipient",
                           "The salted e-mail hash does not match.", "/credentialSubject/identifier")])


SUITE = Suite("issuer", (check_trusted,))
RECIPIENT_SUITE = Suite("recipient", (check_recipient,))
