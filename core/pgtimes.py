"""Date-times read from PostgreSQL at half the cost of Django's reader.

Django reads every `timestamptz` column through its own subclass of psycopg's pure-Python
loader (`psycopg_any.BaseTzLoader`): a regular expression and a dozen Python steps per value.
Every row the API reads carries two (created, updated): on a page of 50 households with
their 190 members, that reading took more time than the rows' SQL (issue 15's profile:
about a quarter of the members' query).

The session's time zone is UTC (Django sets it), so PostgreSQL writes each value as
`2026-11-30 03:55:12.555901+00`, which `datetime.fromisoformat` reads in C. Any other text
(another zone, years before 1000, `infinity`) goes to Django's reader as before, so the
values and their errors are the same: a `datetime` in `datetime.timezone.utc`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.backends.postgresql.psycopg_any import BaseTzLoader


class UtcTimestampLoader(BaseTzLoader):
    # Django's create_cursor compares this with the connection's zone, and registers its own
    # reader on every cursor where they differ.
    timezone = UTC

    def load(self, data: Any) -> datetime:
        text = bytes(data).decode()
        if text.endswith("+00") and len(text) >= 22:  # 'YYYY-MM-DD HH:MM:SS+00'
            try:
                return datetime.fromisoformat(text[:-3]).replace(tzinfo=UTC)
            except ValueError:
                pass
        return super().load(data)


def use_fast_reader(sender: Any, connection: Any, **kwargs: Any) -> None:
    """`connection_created`: read this connection's date-times with `UtcTimestampLoader`."""
    if connection.vendor != "postgresql" or connection.timezone is not UTC:
        return  # naive date-times (USE_TZ off) or a database TIME_ZONE: Django's reader
    connection.connection.adapters.register_loader("timestamptz", UtcTimestampLoader)
