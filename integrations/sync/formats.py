"""Registry files: a JSON array of records, NDJSON (one record per line) or CSV with one row
per member and the household columns repeated (the rows of a household are together: a
household's rows that come again after another household's are rejected)."""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext

from core.errors import InvalidInput
from core.text import json_reason, printable

FORMATS = ("json", "ndjson", "csv")
CSV_COLUMNS = (
    "household_external_id",
    "commune",
    "address",
    "member_external_id",
    "full_name",
    "date_of_birth",
    "sex",
    "ethnicity",
    "relationship",
    "citizen_id",
)


class MalformedFile(InvalidInput):
    """The input cannot be read at all (not a JSON array, CSV without its header ...)."""

    code = "malformed_file"


@dataclass(frozen=True)
class ParseProblem:
    """An item of a file that could not be read as a record (it is rejected, others go on)."""

    reason: str
    field: str = "record"
    external_id: str | None = None
    code: str = "malformed"


# ---------------------------------------------------------------------------- reading files


def detect_format(name: str = "", content_type: str = "") -> str | None:
    suffix = Path(name).suffix.lower()
    by_suffix = {".csv": "csv", ".ndjson": "ndjson", ".jsonl": "ndjson", ".json": "json"}
    if suffix in by_suffix:
        return by_suffix[suffix]
    content_type = (content_type or "").split(";")[0].strip().lower()
    return {
        "text/csv": "csv",
        "application/x-ndjson": "ndjson",
        "application/jsonl": "ndjson",
        "application/json": "json",
    }.get(content_type)


def iter_json_array(stream: IO[str], bufsize: int = 1 << 20) -> Iterator[Any]:
    """The items of a JSON array, decoded one at a time (the file is never held whole)."""
    decoder = json.JSONDecoder()
    buf, pos, eof = "", 0, False

    def more() -> None:
        nonlocal buf, pos, eof
        chunk = stream.read(bufsize)
        eof = not chunk
        buf, pos = buf[pos:] + chunk, 0

    def peek() -> str:
        nonlocal pos
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n\ufeff":
                pos += 1
            if pos < len(buf):
                return buf[pos]
            if eof:
                return ""
            more()

    if peek() != "[":
        raise MalformedFile(gettext("The file is not a JSON array of records."))
    pos += 1
    if peek() == "]":
        return
    index = -1
    while True:
        if peek() == "":
            raise MalformedFile(gettext("Invalid JSON: the array is not closed."))
        while True:
            try:
                item, end = decoder.raw_decode(buf, pos)
            except json.JSONDecodeError as exc:
                if eof:
                    raise MalformedFile(
                        gettext("Invalid JSON in record %(value)s: %(reason)s.")
                        % {"value": index + 1, "reason": json_reason(exc)}
                    ) from None
                more()
                continue
            except RecursionError:  # where such a record ends is not known: the file stops
                raise MalformedFile(
                    gettext("Invalid JSON: record %(value)s is nested too deeply.")
                    % {"value": index + 1}
                ) from None
            if end >= len(buf) and not eof:  # a number or literal may go on in the next read
                more()
                continue
            break
        pos = end
        index += 1
        yield item
        separator = peek()
        pos += 1
        if separator == "]":
            return
        if separator != ",":
            raise MalformedFile(gettext("Invalid JSON: expected ',' or ']' between records."))


def iter_ndjson(stream: IO[str]) -> Iterator[Any]:
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError as exc:
            yield ParseProblem(
                gettext("Line %(number)s, column %(column)s: %(reason)s.")
                % {"number": number, "column": exc.colno, "reason": json_reason(exc)}
            )
        except RecursionError:
            yield ParseProblem(
                gettext("Line %(number)s is nested too deeply.") % {"number": number}
            )


def iter_csv(stream: IO[str]) -> Iterator[Any]:
    reader = csv.DictReader(stream)
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise MalformedFile(
            gettext("The CSV header lacks the column(s) %(join)s.") % {"join": ", ".join(missing)}
        )
    # Each household's first record: a household whose rows are not together would otherwise
    # be two records, the later applied after the earlier as a household without the people
    # of the other rows (the registry stopped listing them).
    record_of: dict[str, int] = {}
    for number, (key, group) in enumerate(
        itertools.groupby(reader, key=lambda row: row["household_external_id"])
    ):
        rows = list(group)
        first = rows[0]
        if key and key in record_of:
            yield ParseProblem(
                gettext(
                    "The rows of household %(external_id)s are not together: its earlier "
                    "rows are record %(index)s; nothing of these rows was written."
                )
                % {"external_id": printable(key), "index": record_of[key]},
                field="external_id",
                external_id=printable(key) or None,
                code="rows_apart",
            )
            continue
        if key:
            record_of[key] = number
        differing = [
            c
            for c in ("commune", "address")
            if any((row[c] or "") != (first[c] or "") for row in rows[1:])
        ]
        if differing:
            yield ParseProblem(
                gettext("The rows of household %(external_id)s differ in %(columns)s.")
                % {"external_id": printable(key), "columns": ", ".join(differing)},
                field=differing[0],
                external_id=printable(key) or None,
                code="inconsistent_rows",
            )
            continue
        yield {
            "external_id": key,
            "commune": first["commune"],
            "address": first["address"],
            "members": [
                {
                    "external_id": row["member_external_id"],
                    "full_name": row["full_name"],
                    "date_of_birth": row["date_of_birth"],
                    "sex": row["sex"],
                    "ethnicity": row["ethnicity"],
                    "relationship": row["relationship"],
                    "citizen_id": row["citizen_id"] or None,
                }
                for row in rows
            ],
        }


# Files are UTF-8; bytes that are not are kept (as lone surrogates) so that the record holding
# them is rejected with the field's path (core.text) and the others go on.
_TEXT = {"encoding": "utf-8-sig", "errors": "surrogateescape"}


def read_records(path: Path, fmt: str) -> Iterator[Any]:
    if fmt not in FORMATS:
        raise MalformedFile(
            gettext("Unknown format %(fmt)s; one of %(join)s.")
            % {"fmt": f"{fmt!r}", "join": ", ".join(FORMATS)}
        )
    with open(path, **_TEXT, newline="" if fmt == "csv" else None) as stream:
        if fmt == "json":
            yield from iter_json_array(stream)
        elif fmt == "ndjson":
            yield from iter_ndjson(stream)
        else:
            yield from iter_csv(stream)


def count_records(path: Path, fmt: str) -> int:
    if fmt == "ndjson":
        with open(path, **_TEXT) as stream:
            return sum(1 for line in stream if line.strip())
    return sum(1 for _ in read_records(path, fmt))
