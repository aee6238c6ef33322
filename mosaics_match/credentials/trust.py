"""The employer's list of trusted issuers.

Trust is a separate question from validity: a credential can be perfectly valid and signed by an issuer the
employer has never heard of. The registry only answers "is this issuer on my list, and under what name?".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["TrustRegistry", "TrustedIssuer"]


@dataclass(frozen=True)
class TrustedIssuer:
    """One trusted issuer entry."""

    id: str
    name: str
    notes: str = ""


def _normalise(issuer_id: str) -> str:
    # URLs are compared without a trailing slash; DIDs exactly
    return issuer_id.rstrip("/") if issuer_id.startswith(("http://", "https://")) else issuer_id


@dataclass
class TrustRegistry:
    """Trusted issuers by identifier (DID or URL).

    Parameters
    ----------
    issuers : dict[str, str | dict | TrustedIssuer]
        Identifier -> display name, or a dict with ``name`` and optional ``notes``.
    """

    issuers: dict[str, TrustedIssuer] = field(default_factory=dict)

    def __init__(self, issuers: dict | None = None) -> None:
        self.issuers = {}
        for key, value in (issuers or {}).items():
            self.add(key, value)

    def add(self, issuer_id: str, value: str | dict | TrustedIssuer) -> None:
        """Add or replace an issuer."""
        if isinstance(value, TrustedIssuer):
            entry = value
        elif isinstance(value, dict):
            entry = TrustedIssuer(issuer_id, str(value.get("name", "")), str(value.get("notes", "")))
        else:
            entry = TrustedIssuer(issuer_id, str(value))
        self.issuers[_normalise(issuer_id)] = entry

    def lookup(self, issuer_id: str | None) -> TrustedIssuer | None:
        """Return the entry for ``issuer_id`` or ``None``."""
        if not issuer_id:
            return None
        return self.issuers.get(_normalise(issuer_id))

    def is_trusted(self, issuer_id: str | None) -> bool:
        """True when ``issuer_id`` is on the list."""
        return self.lookup(issuer_id) is not None

    def __len__(self) -> int:
        return len(self.issuers)

    @classmethod
    def from_json(cls, data: str | bytes | dict) -> TrustRegistry:
        """Parse ``{"issuers": [{"id": ..., "name": ..., "notes"?: ...}]}``.

        Raises
        ------
        ValueError
            When the document does not have that shape.
        """
        doc = json.loads(data) if isinstance(data, (str, bytes)) else data
        if not isinstance(doc, dict) or not isinstance(doc.get("issuers"), list):
            raise ValueError('trust file must be an object with an "issuers" list')
        reg = cls()
        for i, item in enumerate(doc["issuers"]):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
                raise ValueError(f"issuers[{i}] needs a non-empty string id")
            reg.add(item["id"], {"name": item.get("name", ""), "notes": item.get("notes", "")})
        return reg

    @classmethod
    def load(cls, path: str | Path) -> TrustRegistry:
        """Read a trust file (see :meth:`from_json`)."""
        return cls.from_json(Path(path).read_text(encoding="utf-8"))

    def to_json(self) -> dict:
        """The JSON form accepted by :meth:`from_json`."""
        out = []
        for entry in sorted(self.issuers.values(), key=lambda e: e.id):
            item = {"id": entry.id, "name": entry.name}
            if entry.notes:
                item["notes"] = entry.notes
            out.append(item)
        return {"issuers": out}

    def dump(self, path: str | Path) -> None:
        """Write the registry to ``path`` as JSON."""
        Path(path).write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
