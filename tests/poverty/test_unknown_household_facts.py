"""A household fact the enumerator could not learn (the roof's material, the floor area, the
water source, the latrine, internet use) is sent as null, as the survey's own errors ask: the
indicator that reads it is unknown, never guessed, and the household's class is what the
known facts decide (or undetermined)."""

import pytest

from poverty.models import Assessment

from .conftest import survey_body

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("field", "indicator"),
    [
        ("floor_area_m2", "housing_area"),
        ("water_source", "domestic_water"),
        ("latrine", "latrine"),
        ("uses_internet", "telecom"),
    ],
)
def test_a_household_fact_not_known_is_recorded_as_unknown(ward_api, family, field, indicator):
    # Before: 400 "This field may not be null." (while omitting it is answered "send null if
    # it is not known"): the enumerator had to write some value to submit the survey.
    r = ward_api.post("/api/v1/surveys/", survey_body(family, income=0, **{field: None}))
    assert r.status_code == 201, r.json()
    a = Assessment.objects.get()
    decided = {i["code"]: i["deprived"] for i in a.indicators}
    assert decided[indicator] is None
    assert a.deprivation_count == 0 and a.classification == "near_poor"
    reason = next(i["reason_en"] for i in a.indicators if i["code"] == indicator)
    assert reason.startswith("Cannot assess: not recorded")


def test_one_roof_material_not_known_is_decided_by_the_other_two(ward_api, family):
    body = survey_body(family, income=0, wall_material="bamboo", roof_material=None)
    r = ward_api.post("/api/v1/surveys/", body)
    assert r.status_code == 201, r.json()
    decided = {i["code"]: i["deprived"] for i in Assessment.objects.get().indicators}
    assert decided["housing_quality"] is None  # 1 of 3 non-durable; the roof would decide
