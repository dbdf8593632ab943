"""Date-times read by core.pgtimes: the same values and errors as Django's own reader."""

from datetime import UTC, datetime

import pytest
from django.db import DataError, connection

from core.pgtimes import UtcTimestampLoader

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's timestamptz"),
]


def read(text: str):
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz", [text])
        return cursor.fetchone()[0]


def test_the_connection_reads_date_times_with_the_fast_reader():
    connection.ensure_connection()
    assert connection.connection.adapters.get_loader(1184, 0) is UtcTimestampLoader  # text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-30 03:55:12.555901+00", datetime(2026, 11, 30, 3, 55, 12, 555901, tzinfo=UTC)),
        ("2026-11-30 03:55:12+00", datetime(2026, 11, 30, 3, 55, 12, tzinfo=UTC)),
        ("2026-11-30 03:55:12.5+00", datetime(2026, 11, 30, 3, 55, 12, 500000, tzinfo=UTC)),
        ("2026-06-01 12:00:00+07", datetime(2026, 6, 1, 5, 0, tzinfo=UTC)),  # sent back in UTC
        ("0999-01-01 00:00:00+00", datetime(999, 1, 1, tzinfo=UTC)),
        ("9999-12-31 23:59:59.999999+00", datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
    ],
)
def test_values_are_those_django_reads(text, expected):
    value = read(text)
    assert value == expected and value.tzinfo is UTC


@pytest.mark.parametrize("text", ["infinity", "10000-01-01 00:00:00+00", "0044-03-15 BC"])
def test_what_python_cannot_hold_is_refused_as_before(text):
    with pytest.raises(DataError):
        read(text)
