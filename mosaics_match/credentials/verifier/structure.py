"""Structure suite: ``structure.context`` (the VC context first, only pinned contexts) and ``structure.type``.
"""

from __future__ import annotations

import logging

from .results import problem
from .state import Fatal, Run, Suite
from .values import VC1_CONTEXT, VC2_CONTEXT, as_list, issuer_id

_log = logging.getLogger(__name__)



def check_context(run: Run) -> None:
    cred = run.cred
    assert cred is not None
    ctx = cred.get("@context")
    items = as_list(ctx)
    types = as_list(cred.get("type"))
    if "VerifiablePresentation" in types:
        inner = len(as_list(cred.get("verifiableCredential")))
        run.add("structure.context", "failure",
                 f"This is a verifiable presentation holding {inner} credential(s), not a credential; verify "
                 "each credential separately.",
                 [problem("presentation", "Presentation, not credential",
                           "type includes VerifiablePresentation.", "/type")])
        raise Fatal
    if any(isinstance(c, str) and c.startswith("https://w3id.org/openbadges/v") for c in items) \
            or "Assertion" in types:
        run.add("structure.context", "failure",
                 "This is an Open Badges 2.0 assertion; only Open Badges 3.0 / verifiable credentials can be "
                 "verified here.",
                 [problem("ob2-assertion", "Open Badges 2.0", "OB 2.0 uses hosted or signed assertions, not "
                           "verifiable credentials.", "/@context")])
        raise Fatal
    if not items or items[0] not in (VC1_CONTEXT, VC2_CONTEXT):
        run.add("structure.context", "failure",
                 "The credential does not declare the W3C Verifiable Credentials context first.",
                 [problem("context-first", "Wrong first context",
                           f"The first @context must be {VC2_CONTEXT} or {VC1_CONTEXT}.", "/@context")])
        raise Fatal
    from ..jsonld import available_contexts

    known = available_contexts()
    unknown = [c for c in items if isinstance(c, str) and c not in known]
    bad = [i for i, c in enumerate(items) if not isinstance(c, (str, dict))]
    if bad:
        run.add("structure.context", "failure", "The credential's @context has an invalid entry.",
                 [problem("context-entry", "Invalid context entry", "Context entries must be URLs or objects.",
                           f"/@context/{bad[0]}")])
        raise Fatal
    if unknown:
        names = ", ".join(str(u)[:120] for u in unknown[:3])
        run.add("structure.context", "indeterminate",
                 f"The credential uses a vocabulary this verifier does not hold ({names}), so its signature "
                 "cannot be checked here.",
                 [problem("context-unknown", "Unknown context", f"Context {str(u)[:200]} is not available "
                           "offline.", "/@context") for u in unknown[:5]])
        raise Fatal
    version = "2.0" if items[0] == VC2_CONTEXT else "1.1"
    run.add("structure.context", "success", f"Uses the W3C Verifiable Credentials {version} vocabulary.")


def check_type(run: Run) -> None:
    cred = run.cred
    assert cred is not None
    types = as_list(cred.get("type"))
    problems = []
    if "VerifiableCredential" not in types:
        problems.append(problem("type", "Not a verifiable credential",
                                 "type must include VerifiableCredential.", "/type"))
    if issuer_id(cred) is None:
        problems.append(problem("issuer-missing", "No issuer", "The credential names no issuer id.", "/issuer"))
    subjects = as_list(cred.get("credentialSubject"))
    if not subjects or not all(isinstance(s, dict) for s in subjects):
        problems.append(problem("subject-missing", "No subject", "credentialSubject must be an object.",
                                 "/credentialSubject"))
    if problems:
        run.add("structure.type", "failure", "The credential is missing required parts.", problems)
        raise Fatal
    label = "an Open Badge" if any(t in types for t in ("OpenBadgeCredential", "AchievementCredential")) \
        else "a verifiable credential"
    run.add("structure.type", "success", f"Is {label} with an issuer and a subject.")


SUITE = Suite("structure", (check_context, check_type))
