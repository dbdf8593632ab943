"""Which survey is a household's latest is a value consumers read from the change feed:
every change of it is an event."""

import pytest

from core.models import ChangeEvent
from poverty.models import Survey

from .conftest import submit

pytestmark = pytest.mark.django_db


def latest_in_feed(household) -> dict[str, bool]:
    """Each survey's `is_latest` as a consumer of the feed last read it."""
    seen: dict[str, bool] = {}
    for event in ChangeEvent.objects.filter(entity="survey").order_by("id"):
        if event.payload["household_id"] == str(household.pk):
            seen[str(event.entity_id)] = event.payload["is_latest"]
    return seen


def test_the_survey_that_stops_being_the_latest_is_in_the_feed(family):
    """A newer survey makes the previous one not the latest: that was a bare UPDATE, with no
    history record and no event, so a field app following `survey` events held two latest
    surveys of the household; and a survey recorded after a newer one (an offline app's,
    sent late) was announced as the latest."""
    older = submit(family, day="2026-09-01")
    newer = submit(family, day="2026-10-01")
    assert latest_in_feed(family) == {str(older.pk): False, str(newer.pk): True}
    late = submit(family, day="2026-08-01")
    assert latest_in_feed(family) == {
        str(older.pk): False,
        str(newer.pk): True,
        str(late.pk): False,
    }
    assert dict(Survey.objects.values_list("pk", "is_latest")) == {
        older.pk: False,
        newer.pk: True,
        late.pk: False,
    }
    assert older.history.count() == 2 and older.history.first().is_latest is False
