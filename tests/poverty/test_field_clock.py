"""A field app's clock near Vietnam's midnight: the protocol accepts a device clock running up
to CLOCK_SKEW ahead of the server's (`captured_at`), so the dates the device recorded on its
own day are not in the future for the server either; a day later still is."""

import uuid
from datetime import UTC, datetime
from unittest import mock

import pytest

from accounts.roles import Role
from poverty.models import Survey
from tests import factories as f

from .conftest import survey_body

pytestmark = pytest.mark.django_db

URL = "/api/v1/field/uploads/"
# 23:55 on 1 December in Vietnam (16:55 UTC); the phone's clock, 8 minutes fast, says 00:03
# on 2 December and dates the survey it captures then 2 December.
SERVER_NOW = datetime(2026, 12, 1, 16, 55, tzinfo=UTC)
PHONE_NOW = "2026-12-02T00:03:00+07:00"


def upload(household, day: str, captured_at: str = PHONE_NOW) -> dict:
    return {
        "client_id": str(uuid.uuid4()),
        "kind": "survey",
        "based_on_version": household.version,
        "captured_at": captured_at,
        "body": survey_body(household, day=day),
    }


@pytest.fixture
def at_midnight(ward):
    with mock.patch("django.utils.timezone.now", return_value=SERVER_NOW):
        yield f.client_for(f.user(Role.FIELD_ENUMERATOR, communes=[ward]))


def test_a_survey_dated_the_phones_day_a_few_minutes_before_vietnams_midnight(at_midnight, family):
    r = at_midnight.post(URL, upload(family, "2026-12-02"))
    assert r.status_code == 201, r.json()["result"]
    assert r.json()["status"] == "applied", r.json()["result"]
    survey = Survey.objects.get(pk=r.json()["result"]["survey"])
    assert survey.survey_date.isoformat() == "2026-12-02"


def test_a_survey_dated_after_the_phones_day_is_still_in_the_future(at_midnight, family):
    r = at_midnight.post(URL, upload(family, "2026-12-03"))
    assert r.status_code == 400 and r.json()["status"] == "rejected", r.json()
    assert "survey_date" in r.json()["result"]["fields"]


def test_a_phone_on_the_servers_day_gets_no_day_ahead(at_midnight, family):
    r = at_midnight.post(URL, upload(family, "2026-12-02", captured_at="2026-12-01T23:50+07:00"))
    assert r.status_code == 400 and r.json()["status"] == "rejected", r.json()
    assert "survey_date" in r.json()["result"]["fields"]


def test_the_device_clock_reads_a_captured_at_given_as_text():
    """A service caller's upload still holds the `captured_at` text it was given (the API's
    serializer parses it first): the allowance reads it as the instant it names."""
    from django.utils import timezone

    from core import dates

    ahead = timezone.now() + dates.CLOCK_SKEW / 2
    with dates.device_clock(ahead.isoformat()):
        assert dates.today() == timezone.localdate(ahead)
    # naive: Vietnam's time, here 7 hours behind the UTC time it was written from
    with dates.device_clock(ahead.replace(tzinfo=None).isoformat()):
        assert dates.today() == timezone.localdate()
