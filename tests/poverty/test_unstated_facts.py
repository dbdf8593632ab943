"""A survey that does not give a fact the class rests on is refused (400, naming the field),
never classified on a guessed value: no income stated is not an income of 0, and a household
with no present member has no income per person to compare with a line."""

from datetime import date
from decimal import Decimal

import pytest

from core.access import SYSTEM
from core.errors import InvalidInput
from households.choices import MemberStatus
from poverty import services
from poverty.fields import INCOME_FIELDS
from poverty.models import Assessment, Survey
from tests import factories as f

from .conftest import survey_body

pytestmark = pytest.mark.django_db


def _problem(r, field):
    assert r.status_code == 400, r.content
    assert field in {e["field"] for e in r.json()["errors"]}, r.json()
    assert not Survey.objects.exists() and not Assessment.objects.exists()


def test_a_survey_that_states_no_income_is_refused_not_classified_as_zero_income(ward_api, family):
    # Before: 201 and "near-poor" (income taken as 0 VND per person per month).
    body = survey_body(family)
    for name in INCOME_FIELDS:
        body.pop(name, None)
    r = ward_api.post("/api/v1/surveys/", body)
    _problem(r, "income_wages")
    reasons = {e["field"]: e["reason"] for e in r.json()["errors"]}
    assert "income is not stated" in reasons["income_wages"]


def test_a_stated_income_of_zero_is_classified(ward_api, family):
    r = ward_api.post("/api/v1/surveys/", survey_body(family, income=0))
    assert r.status_code == 201, r.json()
    assert Assessment.objects.get().classification == "near_poor"


def test_the_service_refuses_a_survey_without_income_whatever_the_door(family):
    """The admin and field uploads reach the same service: it refuses too."""
    values = {
        "survey_date": date(2026, 10, 1),
        "wall_material": "brick_stone",
        "frame_material": "concrete",
        "roof_material": "tile",
        "floor_area_m2": Decimal("80"),
        "water_source": "tap",
        "latrine": "septic",
        "uses_internet": True,
        "devices": ["tv"],
        "waste_treatment": "collected",
    }
    body = survey_body(family)
    members = [{**m, "member": family.members.get(pk=m["member"])} for m in body["members"]]
    with pytest.raises(InvalidInput) as caught:
        services.survey_submit(actor=SYSTEM, household=family, values=values, members=members)
    assert "income_wages" in caught.value.fields
    assert not Survey.objects.exists()


def test_a_household_with_no_present_member_is_refused_not_a_server_error(ward_api, ward):
    # Before: 500 (the engine cannot divide the income by no members).
    household = f.household(ward)
    household.members.update(status=MemberStatus.MOVED_OUT)
    r = ward_api.post("/api/v1/surveys/", survey_body(household))
    _problem(r, "members")
