"""did:web identifiers and where their DID documents live (did:web method specification, §3.2 "Read").

One home for reading a did:web DID: the verifier fetches the document from :func:`document_url`, the portal's
HTTP routes publish its own at :func:`document_path`. ``did:web:example.com`` → ``https://example.com/.well-known/
did.json``; ``did:web:example.com:issuers:seneca`` → ``https://example.com/issuers/seneca/did.json``; a port is
percent-encoded in the host part (``did:web:localhost%3A8443``).
"""

from __future__ import annotations

import urllib.parse

__all__ = ["PREFIX", "DidWebError", "document_path", "document_url"]

PREFIX = "did:web:"


class DidWebError(ValueError):
    """The text is not a well-formed did:web identifier."""


def _parts(did: str) -> tuple[str, list[str]]:
    if not did.startswith(PREFIX):
        raise DidWebError("not a did:web identifier")
    host, *path = did[len(PREFIX):].split(":")
    host = urllib.parse.unquote(host)
    # a host with a path, user info or nothing at all would send the fetch somewhere the DID does not name
    if not host or "/" in host or "@" in host or "?" in host or "#" in host:
        raise DidWebError("malformed did:web host")
    parts = [urllib.parse.unquote(p) for p in path]
    if any(not p or "/" in p for p in parts):
        raise DidWebError("malformed did:web path")
    return host, parts


def document_path(did: str) -> str | None:
    """The URL path at which the DID document of ``did`` is published, or ``None`` when ``did`` is not a
    well-formed did:web identifier.

    Parameters
    ----------
    did : str
        A DID of any method.

    Returns
    -------
    str or None
        ``/.well-known/did.json`` for a bare host, else ``/<path segments>/did.json`` (decoded).
    """
    try:
        _, parts = _parts(did)
    except DidWebError:
        return None
    return "/" + "/".join(parts) + "/did.json" if parts else "/.well-known/did.json"


def document_url(did: str) -> str:
    """The https URL of the DID document of ``did``.

    Raises
    ------
    DidWebError
        When ``did`` is not a well-formed did:web identifier.
    """
    host, parts = _parts(did)
    path = "/".join(urllib.parse.quote(p, safe="") for p in parts)
    return f"https://{host}/{path}/did.json" if path else f"https://{host}/.well-known/did.json"
