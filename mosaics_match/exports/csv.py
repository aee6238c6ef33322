"""The one CSV writer of the portal: every CSV a person downloads is written here.

Spreadsheet programs (Excel, LibreOffice, Google Sheets) run a cell as a formula when its text starts with
``=``, ``+``, ``-`` or ``@``, and some also when one of those follows a TAB, a carriage return or other leading
whitespace, or when the cell itself starts with TAB or CR (OWASP "CSV injection"). Every text cell that could be
read that way is written with a leading apostrophe, which spreadsheets show as plain text. Empty cells, numbers
and ordinary text are written as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["FORMULA_TRIGGERS", "safe_cell", "SafeWriter", "writer", "csv_text", "csv_bytes"]

#: First characters that make a spreadsheet treat a cell as a formula.
FORMULA_TRIGGERS = frozenset("=+-@")
#: Characters that start a formula context by themselves (and are also stripped before looking further).
_CONTROL_STARTS = frozenset("\t\r")


def safe_cell(value: Any) -> Any:
    """``value`` as it may be written to a CSV cell.

    Parameters
    ----------
    value : Any
        A cell. Only text is changed; numbers, booleans and ``None`` pass through.

    Returns
    -------
    Any
        Text that a spreadsheet would run as a formula, prefixed with ``'``; anything else unchanged. The rule is
        idempotent: a neutralised cell starts with ``'`` and is left alone the second time.

    Examples
    --------
    >>> safe_cell("=1+1"), safe_cell("  @SUM(A1)"), safe_cell(""), safe_cell("Ada"), safe_cell(-3)
    ("'=1+1", "'  @SUM(A1)", '', 'Ada', -3)
    """
    if not isinstance(value, str) or not value:
        return value
    if value[0] in _CONTROL_STARTS or value.lstrip()[:1] in FORMULA_TRIGGERS:
        return "'" + value
    return value


class SafeWriter:
    """A :func:`csv.writer` whose every row goes through :func:`safe_cell`.

    Parameters
    ----------
    out : file-like
        Where the CSV text goes (an ``io.StringIO`` for a download).
    """

    def __init__(self, out: Any) -> None:
        self._writer = csv.writer(out, lineterminator="\r\n")

    def writerow(self, row: Iterable[Any]) -> None:
        """Write one row, neutralising formula cells."""
        self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write several rows."""
        for row in rows:
            self.writerow(row)


def writer(out: Any) -> SafeWriter:
    """The portal's CSV writer on ``out`` (drop-in for ``csv.writer(out)``)."""
    return SafeWriter(out)


def csv_text(header: Sequence[str], rows: Iterable[Iterable[Any]]) -> str:
    """A whole CSV document as text: ``header`` then ``rows``, every cell neutralised."""
    out = io.StringIO()
    w = writer(out)
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue()


def csv_bytes(header: Sequence[str], rows: Iterable[Iterable[Any]], *, bom: bool = True) -> bytes:
    """:func:`csv_text` as UTF-8, with a byte-order mark by default so spreadsheet programs read accents."""
    return (("\ufeff" if bom else "") + csv_text(header, rows)).encode("utf-8")
