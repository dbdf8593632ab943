"""Surveys: posted, validated, kept as submitted, assessed under every applicable standard."""

import pytest

from poverty.models import Assessment, Survey
from tests import factories as f

from .conftest import survey_body

pytestmark = pytest.mark.django_db


def test_survey_is_assessed_under_every_standard_in_force(ward_api, family):
    r = ward_api.post("/api/v1/surveys/", survey_body(family, day="2025-10-01"))
    assert r.status_code == 201, r.json()
    survey = r.json()
    assert survey["annual_income"] == 60_000_000 and survey["is_latest"] is True
    assessments = Assessment.objects.filter(survey_id=survey["id"])
    # 2025: the national Decree 07 and Quảng Ninh's Resolution 13 both apply
    assert {a.standard.code for a in assessments} == {"VN-ND07-2021", "QN-NQ13-2023"}
    stored = Survey.objects.get(pk=survey["id"])
    assert stored.submitted["income_wages"] == 60_000_000  # kept as submitted
    r = ward_api.post("/api/v1/surveys/", survey_body(family, day="2026-10-01"))
    assert {a.standard.code for a in Assessment.objects.filter(survey_id=r.json()["id"])} == {
        "VN-ND07-2021"
    }
    assert Survey.objects.get(pk=survey["id"]).is_latest is False


def test_poor_household_classification_and_explanation(ward_api, family):
    # 3 members, 50,000,000 VND a year: 1,388,888 per person per month, under the urban line
    body = survey_body(family, income=50_000_000, poor_housing=True)
    r = ward_api.post("/api/v1/surveys/", body)
    a = ward_api.get(f"/api/v1/assessments/{r.json()['assessments'][0]}/").json()
    assert a["classification"] == "poor"
    assert a["income_per_person_month"] == 1_388_888 and a["line"] == 2_000_000
    assert a["is_urban"] is True and a["household_size"] == 3
    deprived = {i["code"] for i in a["indicators"] if i["deprived"]}
    assert {
        "housing_quality",
        "housing_area",
        "domestic_water",
        "latrine",
        "telecom",
        "info_devices",
    } <= deprived
    assert a["deprivation_count"] == len(deprived)
    assert a["explanation_vi"] and a["explanation_en"]
    assert a["engine_version"] and a["state"] == "surveyed"
    assert ward_api.get(f"/api/v1/assessments/{a['id']}/reproduce/").json()["identical"] is True


def _problem(r, field):
    assert r.status_code == 400, r.content
    assert r["Content-Type"] == "application/problem+json"
    assert field in {e["field"] for e in r.json()["errors"]}, r.json()


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"income_wages": -1}, "income_wages"),
        ({"floor_area_m2": "0"}, "floor_area_m2"),
        ({"wall_material": "gold"}, "wall_material"),
        ({"devices": ["telepathy"]}, "devices.0"),
        ({"survey_date": "2999-01-01"}, "survey_date"),
        ({"survey_date": "2019-01-01"}, "survey_date"),  # no standard in force
    ],
)
def test_impossible_household_values(ward_api, family, override, field):
    _problem(ward_api.post("/api/v1/surveys/", survey_body(family, **override)), field)
    assert not Survey.objects.exists() and not Assessment.objects.exists()


def test_member_facts_are_checked(ward_api, family, ward):
    body = survey_body(family)
    adult = next(
        i
        for i, m in enumerate(body["members"])
        if family.members.get(pk=m["member"]).full_name == "Đinh Văn Hải"
    )
    body["members"][adult]["nutrition"] = "stunted"
    _problem(ward_api.post("/api/v1/surveys/", body), f"members.{adult}.nutrition")
    other = f.household(ward)
    body = survey_body(family)
    body["members"][0]["member"] = str(other.members.get().id)
    _problem(ward_api.post("/api/v1/surveys/", body), "members.0.member")
    body = survey_body(family)
    body["members"].pop()
    _problem(ward_api.post("/api/v1/surveys/", body), "members")
    assert not Survey.objects.exists()


def test_surveys_outside_the_area_are_refused_and_invisible(ward_api, api, rural):
    theirs = f.household(rural)
    r = ward_api.post("/api/v1/surveys/", survey_body(theirs))
    assert r.status_code == 400  # as if the household and its member did not exist
    assert [e["field"] for e in r.json()["errors"]] == ["household", "members.0.member"]
    assert all("does not exist" in e["reason"] for e in r.json()["errors"])
    api.post("/api/v1/surveys/", survey_body(theirs))
    assert ward_api.get("/api/v1/surveys/").json()["results"] == []
    assert ward_api.get("/api/v1/assessments/").json()["results"] == []
    assert len(api.get("/api/v1/assessments/").json()["results"]) == 1


def test_survey_and_assessment_filters(api, family, ward, rural):
    other = f.household(rural)
    api.post("/api/v1/surveys/", survey_body(family, income=10_000_000, poor_housing=True))
    api.post("/api/v1/surveys/", survey_body(other, day="2025-11-01"))

    def count(url, **params):
        return len(api.get(url, params).json()["results"])

    assert count("/api/v1/surveys/", commune=ward.code) == 1
    assert count("/api/v1/surveys/", date_from="2026-01-01") == 1
    assert count("/api/v1/surveys/", household=str(other.id)) == 1
    assert count("/api/v1/assessments/", classification="poor") == 1
    assert count("/api/v1/assessments/", standard_code="QN-NQ13-2023") == 1
    assert count("/api/v1/assessments/", commune=rural.code) == 2
    assert count("/api/v1/assessments/", state="surveyed") == 3
    assert count("/api/v1/assessments/", date_to="2025-12-31") == 2
