"""Bounded batch input: many uploaded files or one ZIP of credentials, turned into named byte strings.

A ZIP is treated as hostile. Nothing is extracted to disk; every entry is read through a counting stream so the
declared sizes in the archive are never trusted; and the batch is bounded in the number of entries, the size of
each file, the total expanded size and the expansion ratio (zip bombs). Nested archives, encrypted entries, links
and unsafe paths (absolute, ``..``, drive letters) are refused one by one with a reason, without stopping the
rest of the batch.
"""

from __future__ import annotations

import io
import stat
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from mosaics_match.limits import LIMITS

__all__ = ["BatchLimits", "BatchItem", "BatchError", "read_zip", "collect", "ALLOWED_SUFFIXES"]

ALLOWED_SUFFIXES = (".json", ".jsonld", ".jwt", ".jws", ".txt", ".png", ".svg")
_ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!", b"BZh")


class BatchError(ValueError):
    """The batch as a whole is refused (``str(exc)`` is a plain-language message)."""


@dataclass(frozen=True)
class BatchLimits:
    """Bounds of one batch.

    Attributes
    ----------
    max_files : int
        Most credentials in one batch (files, or entries in the ZIP).
    max_file_bytes : int
        Largest single credential file (after decompression).
    max_upload_bytes : int
        Largest uploaded file (a ZIP included).
    max_total_bytes : int
        Largest total of all credentials after decompression.
    max_ratio : int
        Largest compression ratio of one ZIP entry (a credential is text or a small image; more is a bomb).
    max_entries : int
        Most entries read from a ZIP's directory (including ones that are skipped).
    """

    max_files: int = LIMITS.batch_files
    max_file_bytes: int = LIMITS.credential_bytes
    max_upload_bytes: int = LIMITS.batch_upload_bytes
    max_total_bytes: int = LIMITS.batch_total_bytes
    max_ratio: int = LIMITS.batch_zip_ratio
    max_entries: int = LIMITS.batch_zip_entries


@dataclass
class BatchItem:
    """One credential of a batch, or the reason it could not be read.

    Attributes
    ----------
    name : str
        The file name (inside the ZIP: its path there), for display only.
    data : bytes | None
        The file's bytes, ``None`` when it was refused.
    problem : str | None
        Plain-language reason it was refused.
    """

    name: str
    data: bytes | None = None
    problem: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.data is not None and self.problem is None


def _unsafe_path(name: str) -> str | None:
    if "\x00" in name:
        return "its name contains a NUL character"
    norm = name.replace("\\", "/")
    if norm.startswith("/") or (len(norm) > 1 and norm[1] == ":"):
        return "its path is absolute"
    if any(part == ".." for part in PurePosixPath(norm).parts):
        return "its path climbs out of the archive (..)"
    return None


def _is_archive(data: bytes) -> bool:
    return data.startswith(_ARCHIVE_MAGIC)


def _skippable(name: str) -> bool:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return any(p == "__MACOSX" or p.startswith(".") for p in parts)


def _read_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, *, limit: int, ratio_limit: int) -> bytes:
    # The header's file_size can lie; count what actually comes out and stop one byte past the limit.
    out = bytearray()
    ratio_cap = max(info.compress_size, 1) * ratio_limit
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(65536)
            if not chunk:
                break
            out += chunk
            if len(out) > limit:
                raise BatchError(f"it expands to more than {limit:,} bytes")
            if len(out) > ratio_cap and len(out) > 64_000:
                raise BatchError("it is compressed suspiciously well (a possible zip bomb)")
    return bytes(out)


def read_zip(data: bytes, *, limits: BatchLimits = BatchLimits(), budget: list[int] | None = None,
             prefix: str = "") -> list[BatchItem]:
    """Read the credential files of a ZIP archive, within ``limits``.

    Parameters
    ----------
    data : bytes
        The ZIP file.
    limits : BatchLimits
        Bounds; the total-size bound is shared through ``budget``.
    budget : list[int], optional
        ``[bytes left]`` shared across a whole batch (created when not given).
    prefix : str
        Shown before entry names (the ZIP's own file name).

    Returns
    -------
    list[BatchItem]
        One item per file entry (refused entries carry a ``problem``); directories and hidden files are skipped.

    Raises
    ------
    BatchError
        When the archive cannot be read at all or has too many entries.
    """
    if len(data) > limits.max_upload_bytes:
        raise BatchError(f"The ZIP file is larger than {limits.max_upload_bytes // 1_000_000} MB.")
    budget = budget if budget is not None else [limits.max_total_bytes]
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise BatchError("The file is not a readable ZIP archive.") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_entries:
            raise BatchError(f"The ZIP holds {len(infos):,} entries; at most {limits.max_entries:,} are read.")
        items: list[BatchItem] = []
        for info in infos:
            name = info.filename
            shown = f"{prefix}{name}" if prefix else name
            problem = _unsafe_path(name)
            if info.is_dir() or (problem is None and _skippable(name)):
                continue
            mode = (info.external_attr >> 16) & 0xFFFF
            if problem is None and stat.S_ISLNK(mode):
                problem = "it is a link, not a file"
            if problem is None and info.flag_bits & 0x1:
                problem = "it is encrypted"
            if problem is None and info.file_size > limits.max_file_bytes:
                problem = f"it is larger than {limits.max_file_bytes // 1_000_000} MB"
            if problem is None and info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                problem = "it uses a compression method that is not accepted"
            if problem is None and sum(1 for i in items if i.ok) >= limits.max_files:
                problem = f"the batch already has {limits.max_files} credentials (the most one batch may hold)"
            if problem is not None:
                items.append(BatchItem(shown, problem=f"Skipped: {problem}."))
                continue
            try:
                content = _read_entry(zf, info, limit=min(limits.max_file_bytes, budget[0]),
                                      ratio_limit=limits.max_ratio)
            except BatchError as exc:
                items.append(BatchItem(shown, problem=f"Skipped: {exc}."))
                if budget[0] < limits.max_file_bytes:
                    budget[0] = 0
                continue
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
                items.append(BatchItem(shown, problem=f"Skipped: the entry is damaged ({exc.__class__.__name__})."))
                continue
            if _is_archive(content):
                items.append(BatchItem(shown, problem="Skipped: archives inside the ZIP are not opened."))
                continue
            budget[0] -= len(content)
            items.append(BatchItem(shown, data=content))
        return items


def collect(files: Iterable[tuple[str, bytes]], *, limits: BatchLimits = BatchLimits()) -> list[BatchItem]:
    """Turn uploaded files (credentials and ZIPs of credentials) into batch items, within ``limits``.

    Parameters
    ----------
    files : iterable of (name, bytes)
        The uploads, in order.
    limits : BatchLimits
        Bounds on count and sizes.

    Returns
    -------
    list[BatchItem]
        In upload order; a ZIP contributes its entries (named ``zip/entry``).

    Raises
    ------
    BatchError
        When nothing usable is left, e.g. one unreadable ZIP was the whole batch.
    """
    budget = [limits.max_total_bytes]
    items: list[BatchItem] = []
    for name, data in files:
        if len(data) > limits.max_upload_bytes:
            items.append(BatchItem(name, problem=f"Skipped: larger than {limits.max_upload_bytes // 1_000_000} MB."))
            continue
        if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06") or name.lower().endswith(".zip"):
            try:
                items.extend(read_zip(data, limits=limits, budget=budget, prefix=f"{name}/"))
            except BatchError as exc:
                items.append(BatchItem(name, problem=str(exc)))
            continue
        if len(data) > limits.max_file_bytes:
            items.append(BatchItem(name, problem=f"Skipped: larger than {limits.max_file_bytes // 1_000_000} MB."))
            continue
        if sum(1 for i in items if i.ok) >= limits.max_files:
            items.append(BatchItem(name, problem=f"Skipped: the batch already has {limits.max_files} credentials."))
            continue
        if len(data) > budget[0]:
            items.append(BatchItem(name, problem="Skipped: the batch is too large in total."))
            continue
        budget[0] -= len(data)
        items.append(BatchItem(name, data=data))
    seen: dict[str, int] = {}
    for item in items:  # the same file twice must still give two distinct rows
        seen[item.name] = seen.get(item.name, 0) + 1
        if seen[item.name] > 1:
            item.name = f"{item.name} ({seen[item.name]})"
    return items


def usable(items: Sequence[BatchItem]) -> list[BatchItem]:
    """The items that can be verified."""
    return [i for i in items if i.ok]
