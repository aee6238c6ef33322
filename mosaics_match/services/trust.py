"""Staff's trust registry as use cases: list, add, edit, remove, import and export trusted issuers, and decide per
issuer whether the credentials earners add from it count in partner searches.

Trust answers two questions. *Is this issuer known?* is shown beside every verification. *Does it count?* decides
whether an earner's added credential from that issuer enters partner searches: only issuers on the list with
"counts in partner search" switched on do. Seneca's own credentials always count (they are issued here). Every
function opens and commits its own transaction and writes the audit log through the repository.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from mosaics_match.store import repo

__all__ = ["MAX_FILE_BYTES", "MAX_ENTRIES", "TrustError", "TrustedIssuerRow", "ImportPreview", "list_trusted",
           "export_json", "add_issuer", "update_issuer", "remove_issuer", "set_counts_in_search",
           "preview_import", "import_issuers"]

TrustError = repo.TrustFileError
MAX_FILE_BYTES = repo.MAX_TRUST_FILE_BYTES
MAX_ENTRIES = repo.MAX_TRUST_ENTRIES


def _factory(db: Any) -> sessionmaker[Session]:
    return db.Session if hasattr(db, "Session") else db


@dataclass(frozen=True)
class TrustedIssuerRow:
    """One trusted issuer as staff see it.

    Attributes
    ----------
    identifier, name, notes
        DID or web address, display name, staff's notes.
    kind
        ``this portal``, ``Seneca (retired key)`` or ``external``.
    counts_in_search
        Whether earners' added credentials from it count in partner searches (always ``True`` for this portal).
    is_local
        This portal's own issuer (cannot be removed, always counts).
    """

    identifier: str
    name: str
    notes: str
    kind: str
    counts_in_search: bool
    is_local: bool


def list_trusted(db: Any) -> list[TrustedIssuerRow]:
    """The trusted issuers, by name."""
    with _factory(db)() as session:
        return [TrustedIssuerRow(
            identifier=i.identifier, name=i.name, notes=i.notes or "",
            kind="this portal" if i.is_local else ("Seneca (retired key)" if i.keys else "external"),
            counts_in_search=bool(i.is_local or i.counts_in_search), is_local=bool(i.is_local),
        ) for i in repo.trusted_issuers(session)]


def export_json(db: Any) -> str:
    """The registry in its import format (``{"issuers": [...]}``), with each issuer's ``counts_in_search``."""
    with _factory(db)() as session:
        doc = repo.export_trust_registry(session)
        counts = {i.identifier: bool(i.is_local or i.counts_in_search) for i in repo.trusted_issuers(session)}
    for item in doc["issuers"]:
        item["counts_in_search"] = counts.get(item["id"], False)
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def add_issuer(db: Any, *, identifier: str, name: str, notes: str = "", counts_in_search: bool = False,
               actor: str, actor_role: str = "staff") -> str:
    """Trust an issuer (or update one already known); returns its normal identifier.

    Raises
    ------
    TrustError
        For an identifier that is neither a DID nor a web address, or an empty name.
    """
    normal = repo.normalise_issuer_identifier(identifier)
    if not (name or "").strip():
        raise TrustError("Give the issuer's name.")
    with _factory(db).begin() as session:
        repo.trust_issuer(session, entry=repo.TrustEntry(normal, name.strip(), (notes or "").strip() or None),
                          actor=actor, actor_role=actor_role)
        repo.set_counts_in_search(session, identifier=normal, counts=counts_in_search, actor=actor,
                                  actor_role=actor_role)
    return normal


def update_issuer(db: Any, *, identifier: str, name: str, notes: str, actor: str, actor_role: str = "staff") -> None:
    """Change a trusted issuer's name and notes.

    Raises
    ------
    TrustError
        For an empty name.
    """
    if not (name or "").strip():
        raise TrustError("The name cannot be empty.")
    with _factory(db).begin() as session:
        repo.trust_issuer(session, entry=repo.TrustEntry(identifier, name.strip(), (notes or "").strip()),
                          actor=actor, actor_role=actor_role)


def remove_issuer(db: Any, *, identifier: str, actor: str, actor_role: str = "staff") -> None:
    """Take an issuer off the list; its added credentials stop counting at the next search.

    Raises
    ------
    TrustError
        For an unknown issuer or this portal's own.
    """
    with _factory(db).begin() as session:
        repo.untrust_issuer(session, identifier=identifier, actor=actor, actor_role=actor_role)
        repo.bump_data_version(session)


def set_counts_in_search(db: Any, *, identifier: str, counts: bool, actor: str, actor_role: str = "staff") -> None:
    """Switch "counts in partner search" for a trusted issuer (audited; the next search uses it).

    Raises
    ------
    TrustError
        For an issuer not on the list, or this portal's own (its credentials always count).
    """
    with _factory(db).begin() as session:
        issuer = repo.get_issuer(session, identifier=identifier)
        if issuer is not None and issuer.is_local:
            raise TrustError("Credentials issued by this portal always count in partner searches.")
        repo.set_counts_in_search(session, identifier=identifier, counts=counts, actor=actor,
                                  actor_role=actor_role)


@dataclass(frozen=True)
class ImportPreview:
    """A parsed trust file: its entries (identifier, name, notes), ready for :func:`import_issuers`."""

    entries: tuple[repo.TrustEntry, ...]


def preview_import(data: bytes) -> ImportPreview:
    """Parse a trust file, bounded (size, entry count) and validated.

    Raises
    ------
    TrustError
        Naming the first problems found; nothing is imported.
    """
    return ImportPreview(tuple(repo.parse_trust_document(data)))


def import_issuers(db: Any, *, preview: ImportPreview, actor: str, actor_role: str = "staff") -> dict[str, int]:
    """Add or update every entry of a parsed file in one transaction; counts added / updated / unchanged."""
    with _factory(db).begin() as session:
        return repo.import_trust_registry(session, entries=list(preview.entries), actor=actor, actor_role=actor_role)
