"""Every change to a case's records is in its history and the change feed, whichever use
case makes it."""

from datetime import date

import pytest

from accounts.roles import Role
from cases import services
from cases.models import Case, FollowUp
from core.access import SYSTEM
from core.models import ChangeEvent
from tests import factories as f
from tests.poverty.conftest import decide

pytestmark = pytest.mark.django_db

POOR = {"income": 10_000_000, "poor_housing": True}


def test_giving_a_case_a_cadre_records_the_change_of_its_open_follow_ups(family, leader, ward):
    """The case's open follow-ups with no cadre go to the cadre: each one's change was written
    with a bare UPDATE, so no history record, no change-feed event and no new version. The
    cadre's app following `follow_up` events never learnt the visit was now theirs."""
    decide(family, leader, day="2026-10-01", decision="2026-10-10", **POOR)
    case = Case.objects.get(household=family)
    visit = services.follow_up_schedule(case=case, scheduled_on=date(2026, 10, 15), actor=SYSTEM)
    done = services.follow_up_schedule(case=case, scheduled_on=date(2026, 10, 12), actor=SYSTEM)
    done, _ = services.follow_up_record(
        follow_up=done, done_on=date(2026, 10, 12), findings="", expected_version=1, actor=SYSTEM
    )
    last = ChangeEvent.objects.order_by("-id").first().id
    cadre = f.user(Role.FIELD_ENUMERATOR, communes=[ward])
    services.case_assign_cadre(case=case, cadre_id=cadre.pk, expected_version=1, actor=SYSTEM)
    visit.refresh_from_db()
    assert (visit.cadre_id, visit.version) == (cadre.pk, 2)
    assert visit.history.count() == 2 and visit.history.first().cadre_id == cadre.pk
    events = ChangeEvent.objects.filter(id__gt=last, entity="follow_up")
    assert [(e.entity_id, e.action, e.payload["cadre_id"]) for e in events] == [
        (visit.pk, "updated", cadre.pk)
    ]
    assert events[0].commune == ward.code
    # A done follow-up keeps whoever recorded it (nobody here): not changed, not recorded.
    assert FollowUp.objects.get(pk=done.pk).cadre_id is None
