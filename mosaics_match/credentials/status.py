"""Credential status: Bitstring Status List v1.0, StatusList2021 and the 1EdTech revocation list.

A status list is a signed credential holding a GZIP-compressed bitstring; each issued credential points at one
index. The bit at index 0 is the most significant bit of the first byte. Lists shorter than 131,072 entries are
rejected (the spec's minimum, which gives holders herd privacy).
"""

from __future__ import annotations

import base64
import gzip
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "MIN_LIST_BITS",
    "StatusBits",
    "StatusError",
    "StatusEntry",
    "StatusList",
    "build_status_list_credential",
    "status_entry",
    "parse_status_entries",
    "parse_status_list",
    "read_status",
    "parse_revocation_list",
]

MIN_LIST_BITS = 131_072
BITSTRING_ENTRY = "BitstringStatusListEntry"
SL2021_ENTRY = "StatusList2021Entry"
EDTECH_REVOCATION = "1EdTechRevocationList"
STATUS_LIST_CONTEXT_2021 = "https://w3id.org/vc/status-list/2021/v1"
VC2_CONTEXT = "https://www.w3.org/ns/credentials/v2"


class StatusError(Exception):
    """A status list or status entry cannot be used.

    Attributes
    ----------
    code : str
        Stable machine code, e.g. ``list-too-short``, ``list-issuer-mismatch``, ``purpose-mismatch``.
    detail : str
        Plain-language explanation.
    """

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class StatusBits:
    """A fixed-length bitstring of status entries (each ``status_size`` bits wide).

    Parameters
    ----------
    length : int
        Number of entries (at least 131,072 for a publishable list).
    status_size : int
        Bits per entry.
    """

    def __init__(self, length: int = MIN_LIST_BITS, *, status_size: int = 1, data: bytes | None = None) -> None:
        if length <= 0 or status_size <= 0:
            raise ValueError("length and status_size must be positive")
        self.length = length
        self.status_size = status_size
        nbytes = (length * status_size + 7) // 8
        if data is None:
            self._buf = bytearray(nbytes)
        else:
            if len(data) != nbytes:
                raise ValueError("data size does not match length")
            self._buf = bytearray(data)

    def _check(self, index: int) -> None:
        if not isinstance(index, int) or index < 0 or index >= self.length:
            raise IndexError(f"status index {index} is outside 0..{self.length - 1}")

    def get(self, index: int) -> int:
        """Return the value stored at ``index`` (0/1 for one-bit lists)."""
        self._check(index)
        value = 0
        start = index * self.status_size
        for bit in range(start, start + self.status_size):
            value = (value << 1) | ((self._buf[bit >> 3] >> (7 - (bit & 7))) & 1)
        return value

    def set(self, index: int, value: int | bool = True) -> None:
        """Store ``value`` at ``index``."""
        self._check(index)
        value = int(value)
        if value < 0 or value >= (1 << self.status_size):
            raise ValueError("value does not fit in status_size bits")
        start = index * self.status_size
        for offset in range(self.status_size):
            bit = start + offset
            on = (value >> (self.status_size - 1 - offset)) & 1
            mask = 1 << (7 - (bit & 7))
            if on:
                self._buf[bit >> 3] |= mask
            else:
                self._buf[bit >> 3] &= ~mask & 0xFF

    def to_bytes(self) -> bytes:
        """The raw (uncompressed) bitstring."""
        return bytes(self._buf)

    def encode(self) -> str:
        """Multibase base64url (no padding) of the GZIP-compressed bitstring, as ``encodedList`` wants."""
        compressed = gzip.compress(bytes(self._buf), compresslevel=9, mtime=0)
        return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")

    @classmethod
    def decode(cls, encoded: object, *, status_size: int = 1, max_bits: int = 16 * 8 * 1024 * 1024,
               multibase: bool | None = None) -> StatusBits:
        """Decode an ``encodedList``.

        Parameters
        ----------
        encoded : str
            Multibase ``u`` + base64url (Bitstring Status List) or bare base64/base64url (StatusList2021).
        status_size : int
            Bits per entry.
        max_bits : int
            Decompression bound: larger bitstrings are refused.
        multibase : bool, optional
            Force (``True``) or forbid (``False``) the multibase prefix; ``None`` accepts both.

        Raises
        ------
        StatusError
            ``bad-encoding`` or ``list-too-large``.
        """
        if not isinstance(encoded, str) or not encoded:
            raise StatusError("bad-encoding", "The status list has no encoded list.")
        body = encoded
        if multibase is True or (multibase is None and encoded.startswith("u")):
            if not encoded.startswith("u"):
                raise StatusError("bad-encoding", "The status list is not multibase base64url encoded.")
            body = encoded[1:]
        try:
            text = body.strip().replace("+", "-").replace("/", "_").rstrip("=")
            compressed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (ValueError, TypeError):
            raise StatusError("bad-encoding", "The status list is not valid base64url.") from None
        max_bytes = (max_bits + 7) // 8
        try:
            d = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            raw = d.decompress(compressed, max_bytes + 1)
            if len(raw) > max_bytes or d.unconsumed_tail:
                raise StatusError("list-too-large", f"The status list expands beyond {max_bits:,} entries.")
            if not d.eof:
                raise StatusError("bad-encoding", "The status list is truncated.")
        except zlib.error:
            raise StatusError("bad-encoding", "The status list is not valid GZIP data.") from None
        if not raw:
            raise StatusError("bad-encoding", "The status list is empty.")
        length = (len(raw) * 8) // status_size
        return cls(length, status_size=status_size, data=raw[: (length * status_size + 7) // 8]) \
            if (length * status_size) % 8 == 0 else cls._ragged(raw, length, status_size)

    @classmethod
    def _ragged(cls, raw: bytes, length: int, status_size: int) -> StatusBits:
        obj = cls(length, status_size=status_size)
        obj._buf = bytearray(raw[: len(obj._buf)])
        return obj


def status_entry(*, list_url: str, index: int, purpose: str) -> dict:
    """A ``BitstringStatusListEntry`` pointing at ``list_url`` / ``index`` for ``purpose``."""
    return {
        "id": f"{list_url}#{index}",
        "type": BITSTRING_ENTRY,
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def build_status_list_credential(*, list_url: str, issuer: str | dict, purpose: str, bits: StatusBits,
                                 valid_from: datetime, valid_until: datetime | None = None) -> dict:
    """An unsigned ``BitstringStatusListCredential`` (VC Data Model 2.0) for ``bits``.

    Parameters
    ----------
    list_url : str
        Where the list will be published (also its ``id``).
    issuer : str | dict
        The issuer; must be the same issuer as the credentials that point at this list.
    purpose : str
        ``revocation`` or ``suspension`` (or ``message``).
    bits : StatusBits
        The list content.
    valid_from, valid_until : datetime
        Validity window of this list snapshot (aware datetimes).
    """
    if bits.length < MIN_LIST_BITS:
        raise ValueError(f"a status list needs at least {MIN_LIST_BITS} entries")
    subject: dict[str, Any] = {
        "id": f"{list_url}#list",
        "type": "BitstringStatusList",
        "statusPurpose": purpose,
        "encodedList": bits.encode(),
    }
    cred: dict[str, Any] = {
        "@context": [VC2_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": _iso(valid_from),
        "credentialSubject": subject,
    }
    if valid_until is not None:
        cred["validUntil"] = _iso(valid_until)
    return cred


def _iso(dt: datetime) -> str:
    if dt.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    text = dt.isoformat()
    return text.replace("+00:00", "Z")


@dataclass(frozen=True)
class StatusEntry:
    """One ``credentialStatus`` entry, normalised.

    Attributes
    ----------
    type : str
        Entry type (``BitstringStatusListEntry``, ``StatusList2021Entry``, ``1EdTechRevocationList``, other).
    purpose : str | None
        ``revocation``, ``suspension``, ``message``... (``revocation`` for the 1EdTech list).
    index : int | None
        Position in the list.
    list_url : str | None
        The status list credential (or revocation list) URL.
    status_size : int
        Bits per entry.
    pointer : str
        JSON pointer of the entry in the credential.
    problem : str | None
        Why the entry is malformed, if it is.
    """

    type: str
    purpose: str | None
    index: int | None
    list_url: str | None
    status_size: int = 1
    pointer: str = "/credentialStatus"
    problem: str | None = None


def _parse_index(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.isdigit() and len(value) <= 12:
        return int(value)
    return None


def parse_status_entries(credential: dict, *, max_entries: int = 16) -> list[StatusEntry]:
    """Normalise the ``credentialStatus`` of ``credential`` (object or list) into :class:`StatusEntry` items."""
    raw = credential.get("credentialStatus")
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else [raw]
    out: list[StatusEntry] = []
    for i, item in enumerate(items[:max_entries]):
        pointer = f"/credentialStatus/{i}" if isinstance(raw, list) else "/credentialStatus"
        if not isinstance(item, dict):
            out.append(StatusEntry("?", None, None, None, pointer=pointer, problem="entry is not an object"))
            continue
        types = item.get("type")
        tlist = types if isinstance(types, list) else [types]
        etype = next((t for t in tlist if t in (BITSTRING_ENTRY, SL2021_ENTRY, EDTECH_REVOCATION)),
                     tlist[0] if tlist and isinstance(tlist[0], str) else "?")
        if etype == EDTECH_REVOCATION:
            url = item.get("id")
            out.append(StatusEntry(etype, "revocation", None, url if isinstance(url, str) else None,
                                   pointer=pointer, problem=None if isinstance(url, str) else "entry has no id URL"))
            continue
        purpose = item.get("statusPurpose")
        purpose = purpose if isinstance(purpose, str) else None
        url = item.get("statusListCredential")
        url = url if isinstance(url, str) else None
        index = _parse_index(item.get("statusListIndex"))
        size_raw = item.get("statusSize", 1)
        size = _parse_index(size_raw) or 0
        problem = None
        if etype in (BITSTRING_ENTRY, SL2021_ENTRY):
            if purpose is None:
                problem = "entry has no statusPurpose"
            elif url is None:
                problem = "entry has no statusListCredential"
            elif index is None:
                problem = "statusListIndex is not a non-negative integer"
            elif not 1 <= size <= 16:
                problem = "statusSize is not between 1 and 16"
        out.append(StatusEntry(etype, purpose, index, url, status_size=max(size, 1), pointer=pointer,
                               problem=problem))
    return out


@dataclass
class StatusList:
    """A decoded, proof-checked status list credential (cacheable across credentials).

    Attributes
    ----------
    url : str
        Where it was fetched from.
    issuer : str | None
        Issuer id of the list credential.
    purposes : tuple[str, ...]
        Purposes declared by the list.
    bits : StatusBits | None
        The list (``None`` for a 1EdTech revocation list).
    valid_from, valid_until : datetime | None
        Validity window of the list credential.
    revoked_ids : dict[str, str]
        For a 1EdTech revocation list: credential id -> reason.
    kind : str
        ``bitstring``, ``statuslist2021`` or ``1edtech``.
    """

    url: str
    issuer: str | None
    purposes: tuple[str, ...]
    bits: StatusBits | None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    revoked_ids: dict[str, str] = field(default_factory=dict)
    kind: str = "bitstring"


def _issuer_id(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"]
    return None


def parse_status_list(url: str, doc: Any, *, entry_type: str, max_bits: int,
                      parse_date: Callable[[Any], datetime | None]) -> StatusList:
    """Decode a status list credential (proof is checked by the caller).

    Raises
    ------
    StatusError
        When the document is not a status list credential of the expected kind.
    """
    if not isinstance(doc, dict):
        raise StatusError("not-a-status-list", "The status list is not a JSON object.")
    types = doc.get("type")
    tlist = types if isinstance(types, list) else [types]
    subject = doc.get("credentialSubject")
    if isinstance(subject, list) and len(subject) == 1:
        subject = subject[0]
    if not isinstance(subject, dict):
        raise StatusError("not-a-status-list", "The status list has no credentialSubject.")
    stypes = subject.get("type")
    stlist = stypes if isinstance(stypes, list) else [stypes]
    if entry_type == SL2021_ENTRY:
        kind = "statuslist2021"
        if "StatusList2021Credential" not in tlist or "StatusList2021" not in stlist:
            raise StatusError("wrong-list-type", "The status list is not a StatusList2021Credential.")
    else:
        kind = "bitstring"
        if "BitstringStatusListCredential" not in tlist or "BitstringStatusList" not in stlist:
            raise StatusError("wrong-list-type",
                              "The status list is not a BitstringStatusListCredential.")
    purpose = subject.get("statusPurpose")
    purposes = tuple(p for p in (purpose if isinstance(purpose, list) else [purpose]) if isinstance(p, str))
    if not purposes:
        raise StatusError("not-a-status-list", "The status list declares no statusPurpose.")
    bits = StatusBits.decode(subject.get("encodedList"), max_bits=max_bits,
                             multibase=True if kind == "bitstring" else None)
    valid_from = parse_date(doc.get("validFrom") or doc.get("issuanceDate"))
    valid_until = parse_date(doc.get("validUntil") or doc.get("expirationDate"))
    return StatusList(url, _issuer_id(doc.get("issuer")), purposes, bits, valid_from, valid_until, kind=kind)


def parse_revocation_list(url: str, doc: Any) -> StatusList:
    """Read a 1EdTech revocation list ``{"id", "issuer", "revokedCredentials": [{"id", "revocationReason"?}]}``."""
    if not isinstance(doc, dict) or not isinstance(doc.get("revokedCredentials"), list):
        raise StatusError("not-a-status-list", "The revocation list has no revokedCredentials list.")
    revoked: dict[str, str] = {}
    for item in doc["revokedCredentials"]:
        if isinstance(item, str):
            revoked[item] = ""
        elif isinstance(item, dict) and isinstance(item.get("id"), str) and item.get("revoked", True) is not False:
            reason = item.get("revocationReason")
            revoked[item["id"]] = reason if isinstance(reason, str) else ""
    return StatusList(url, _issuer_id(doc.get("issuer")), ("revocation",), None, revoked_ids=revoked,
                      kind="1edtech")


def read_status(entry: StatusEntry, status_list: StatusList, *, credential_issuer: str | None,
                credential_id: str | None = None, now: datetime | None = None,
                min_bits: int = MIN_LIST_BITS) -> int:
    """Return the status value for ``entry`` (0 = not set) after the consistency checks.

    Checks: the list's issuer is the credential's issuer, the purpose matches, the list is long enough, the index
    is in range and (when ``now`` is given) the list is inside its validity window.

    Raises
    ------
    StatusError
        When any check fails; the caller must then treat the status as unknown, never as "not set".
    """
    if entry.problem:
        raise StatusError("bad-entry", f"The status entry is malformed: {entry.problem}.")
    if status_list.issuer is None:
        raise StatusError("list-issuer-missing", "The status list does not name its issuer.")
    if credential_issuer is None or status_list.issuer != credential_issuer:
        raise StatusError("list-issuer-mismatch",
                          f"The status list was published by {status_list.issuer}, not by the credential's "
                          f"issuer.")
    if now is not None:
        if status_list.valid_from is not None and now < status_list.valid_from:
            raise StatusError("list-not-yet-valid", "The status list is not valid yet.")
        if status_list.valid_until is not None and now > status_list.valid_until:
            raise StatusError("list-expired", "The status list has expired.")
    if status_list.kind == "1edtech":
        if not credential_id:
            raise StatusError("no-credential-id", "The credential has no id to look up in the revocation list.")
        return 1 if credential_id in status_list.revoked_ids else 0
    if entry.purpose not in status_list.purposes:
        raise StatusError("purpose-mismatch",
                          f"The status list is for {', '.join(status_list.purposes)}, not {entry.purpose}.")
    bits = status_list.bits
    assert bits is not None
    if entry.status_size != bits.status_size:
        bits = StatusBits(len(bits.to_bytes()) * 8 // entry.status_size, status_size=entry.status_size,
                          data=bits.to_bytes()) if (len(bits.to_bytes()) * 8) % entry.status_size == 0 else bits
    if bits.length < min_bits:
        raise StatusError("list-too-short",
                          f"The status list has {bits.length:,} entries; at least {min_bits:,} are required.")
    if entry.index is None or entry.index >= bits.length:
        raise StatusError("index-out-of-range", f"Status index {entry.index} is outside the list.")
    return bits.get(entry.index)
