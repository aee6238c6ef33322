"""Error types raised by the credential engine's cryptographic core.

Every error carries a machine-readable ``code`` (dotted, e.g. ``"proof.signature"``), a human ``detail`` and,
where it points at a place in a document, a JSON ``pointer``. Callers report ``code`` and ``detail``; they
never need to parse the message.
"""

from __future__ import annotations


class CredentialError(Exception):
    """Base class for every credential-engine failure.

    Parameters
    ----------
    code
        Stable dotted identifier of the failure, e.g. ``"proof.signature"``.
    detail
        Human-readable explanation (no secrets, safe to display).
    pointer
        JSON pointer (RFC 6901) to the offending member, when there is one.
    """

    default_code = "credential.error"

    def __init__(self, detail: str, *, code: str | None = None, pointer: str | None = None) -> None:
        self.code: str = code or self.default_code
        self.detail: str = detail
        self.pointer: str | None = pointer
        super().__init__(f"{self.code}: {detail}" + (f" (at {pointer})" if pointer else ""))


class ProofError(CredentialError):
    """A proof (Data Integrity proof or JWS) is malformed or does not verify."""

    default_code = "proof.invalid"


class KeyFormatError(CredentialError):
    """A public key, multikey, JWK or did:key is malformed, unsupported or unsafe."""

    default_code = "key.format"


class ContextError(CredentialError):
    """A JSON-LD problem: unknown context URL, undefined term, or a document pyld rejects."""

    default_code = "jsonld.context"
