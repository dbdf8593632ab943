"""SQL helpers of the sync's reads and writes: portable `IN` lists, plain-cursor reads, and
index-only lookups on PostgreSQL."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from django.db import connection

# ---------------------------------------------------------------------------- SQL helpers


def is_pg() -> bool:
    return connection.vendor == "postgresql"


def _pg_array(values: Iterable[Any]) -> str:
    """A PostgreSQL array literal, every item quoted (cheaper than letting the driver dump a
    list, which runs regular expressions over each item)."""
    return (
        "{"
        + ",".join('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
        + "}"
    )


def any_of(column: str, values: list, cast: str = "text") -> tuple[str, list]:
    """`column` is one of `values`, as one parameter (no limit on the number of values)."""
    if not values:
        return "1 = 0", []
    if is_pg():
        return f"{quote(column)} = ANY(%s::{cast}[])", [_pg_array(values)]
    plain = [v.hex if isinstance(v, uuid.UUID) else v for v in values]
    return f"{quote(column)} IN (SELECT value FROM json_each(%s))", [json.dumps(plain)]


def or_(*conditions: tuple[str, list]) -> tuple[str, list]:
    sql = " OR ".join(f"({c})" for c, _ in conditions)
    return sql, [p for _, ps in conditions for p in ps]


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def concrete_fields(model) -> list:
    return list(model._meta.concrete_fields)


def _to_uuid(value: Any) -> Any:
    return value if value is None or isinstance(value, uuid.UUID) else uuid.UUID(value)


def _to_date(value: Any) -> Any:
    return date.fromisoformat(value) if isinstance(value, str) else value


_UUID_COLUMNS = {"id", "household_id", "village_id", "merged_into_id"}
_DATE_COLUMNS = {"date_of_birth", "status_date"}


def select_rows(model, columns: tuple[str, ...], where: tuple[str, list]) -> list[dict[str, Any]]:
    """Rows as dicts through a plain cursor (no model instances; snapshots as JSON text)."""
    pg = is_pg()
    names = ", ".join(
        f"{quote(c)}::text" if pg and c == "registry_snapshot" else quote(c) for c in columns
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {names} FROM {quote(model._meta.db_table)} WHERE {where[0]}", where[1]
        )
        rows = cursor.fetchall()
    if not pg:
        converters = [
            _to_uuid if c in _UUID_COLUMNS else _to_date if c in _DATE_COLUMNS else None
            for c in columns
        ]
        rows = [
            [
                v if convert is None else convert(v)
                for v, convert in zip(row, converters, strict=True)
            ]
            for row in rows
        ]
    return [dict(zip(columns, row, strict=True)) for row in rows]


@contextlib.contextmanager
def index_lookups() -> Iterator[None]:
    """Reads by key that go through the indexes. A chunk looks up thousands of keys at once,
    most of which match nothing (new people); PostgreSQL, expecting a row for each, would
    rather read the whole table, once per chunk: a cost that grows with the register."""
    if not is_pg():
        yield
        return
    # Local to the chunk's transaction (a savepoint): an error rolls the setting back too.
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_seqscan')")
        before = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('enable_seqscan', 'off', true)")
        yield
        cursor.execute("SELECT set_config('enable_seqscan', %s, true)", [before])
