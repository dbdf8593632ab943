"""Dates the system accepts: none before 1900 (`MIN_DATE`), none in the future (`today`). One
rule for every door: the API's date fields and query parameters (core.api.fields), the
services behind the API and the admin (e.g. households.services for members' dates, the
survey service), the registry sync's records.

"The future" starts after Vietnam's date (timezone.localdate()). A field app's device clock
may run up to CLOCK_SKEW ahead of the server's (its `captured_at` is accepted so far ahead):
while an upload is applied (`device_clock`), the date the device had when it captured it
is not in the future either, or an upload captured in the minutes before Vietnam's midnight
on a clock already past it would be refused for the date the device wrote.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime

MIN_DATE = date(1900, 1, 1)
CLOCK_SKEW = timedelta(minutes=10)  # how far ahead of the server a device's clock may be

_device_now: ContextVar[datetime | None] = ContextVar("device_now", default=None)


def today() -> date:
    """The latest date that is not in the future: Vietnam's date now, or, in `device_clock`,
    the device's date at capture when its clock ran ahead (by at most CLOCK_SKEW)."""
    now = timezone.now()
    device = _device_now.get()
    if device is not None:
        now = max(now, min(device, now + CLOCK_SKEW))
    return timezone.localdate(now)


def _instant(value: datetime | str | None) -> datetime | None:
    """An aware datetime from a stored or just-received `captured_at` (an upload made by a
    service caller still holds the text it was given); None when it is none."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


@contextmanager
def device_clock(captured_at: datetime | str | None) -> Iterator[None]:
    """Within it, `today` allows for the device that captured a field upload at `captured_at`
    (by its own clock)."""
    token = _device_now.set(_instant(captured_at))
    try:
        yield
    finally:
        _device_now.reset(token)
