"""No guessed answers, plausible facts, standards that describe themselves, and decisions of
the previous engine reproduced as they were taken (issue 11), through the API."""

from datetime import date

import pytest

from core.access import FULL_ACCESS, SYSTEM
from core.errors import InvalidInput
from poverty import rules, services
from poverty.api.serializers import SurveySerializer
from poverty.models import Assessment, Indicator, PovertyStandard, Survey, WhatIfRun
from tests import factories as f
from tests.jobs import run_jobs

from .conftest import submit, survey_body

pytestmark = pytest.mark.django_db


def _fields(r) -> dict[str, str]:
    assert r.status_code == 400, r.content
    return {e["field"]: e["reason"] for e in r.json()["errors"]}


# ----------------------------------------------------------------------------- no guessed answers


def test_each_fact_an_indicator_reads_is_required_with_the_member_named(ward_api, family):
    """An omission is a 400 naming the member and the field; null is an explicit "unknown"."""
    child = family.members.get(relationship="child")
    body = survey_body(family, income=1_000_000_000)
    row = next(m for m in body["members"] if m["member"] == str(child.id))
    index = body["members"].index(row)
    del row["schooling"], row["nutrition"]
    del body["waste_treatment"]  # read by no standard in force in 2026: not required
    del body["devices"]  # read by Decree 07's information-devices indicator
    errors = _fields(ward_api.post("/api/v1/surveys/", body))
    assert set(errors) == {
        f"members.{index}.schooling",
        f"members.{index}.nutrition",
        "devices",
    }
    assert "age 10" in errors[f"members.{index}.schooling"]
    assert "send null if it is not known" in errors["devices"]
    assert not Survey.objects.exists()
    row.update(schooling=None, nutrition=None)
    body["devices"] = None
    r = ward_api.post("/api/v1/surveys/", body)
    assert r.status_code == 201, r.content


def test_an_unknown_fact_is_never_a_deprivation_and_may_leave_the_class_undetermined(
    ward_api, family
):
    child = family.members.get(relationship="child")
    # Within the line, with two deprivations known (internet, devices) and the child's
    # schooling and nutrition unknown: poor or near-poor depends on them.
    body = survey_body(family, income=10_000_000, uses_internet=False, devices=[])
    for row in body["members"]:
        if row["member"] == str(child.id):
            row.update(schooling=None, nutrition=None)
    r = ward_api.post("/api/v1/surveys/", body)
    a = Assessment.objects.get(survey_id=r.json()["id"])
    assert a.classification == "undetermined" and a.deprivation_count == 2
    unknown = {i["code"] for i in a.indicators if i["deprived"] is None}
    assert unknown == {"child_schooling", "nutrition"}
    assert "Cannot assess (facts missing)" in a.explanation_en
    assert "Không đánh giá được" in a.explanation_vi and "cần khảo sát lại" in a.explanation_vi
    # an undetermined class is surveyed again, not reviewed: only rejection is open
    r = ward_api.post(
        f"/api/v1/assessments/{a.id}/village-meeting/",
        {"meeting_date": "2026-10-05", "attendees": 10, "agreeing": 9},
        HTTP_IF_MATCH='"1"',
    )
    assert r.status_code == 409 and r.json()["code"] == "undetermined"
    assert r.json()["allowed"] == ["reject"]
    # with one more deprivation known, the unknowns no longer decide: poor
    body = survey_body(
        family, day="2026-10-02", income=10_000_000, uses_internet=False, devices=[],
        latrine="none",
    )  # fmt: skip
    for row in body["members"]:
        if row["member"] == str(child.id):
            row.update(schooling=None, nutrition=None)
    r = ward_api.post("/api/v1/surveys/", body)
    assert Assessment.objects.get(survey_id=r.json()["id"]).classification == "poor"


# ----------------------------------------------------------------------------- plausible facts


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"floor_area_m2": "999999.99"}, "floor_area_m2"),
        ({"floor_area_m2": "2.00"}, "floor_area_m2"),  # 3 people in 2 m²
        ({"income_wages": 10**15}, "income_wages"),
        ({"devices": ["tv", "tv"]}, "devices"),
    ],
)
def test_implausible_facts_are_refused_with_the_field(ward_api, family, override, field):
    errors = _fields(ward_api.post("/api/v1/surveys/", survey_body(family, **override)))
    assert field in errors


@pytest.mark.parametrize(
    ("devices", "fields"),
    [(["tv", "spaceship"], {"devices.1"}), ([["tv"]], {"devices.0"}), ("tv", {"devices"})],
)
def test_device_codes_are_checked_by_the_service(family, devices, fields):
    """Devices are null or a list of known codes (poverty.rules.CODES) whichever door a
    survey comes in by: the service names each unknown entry by its position, as the API's
    serializer does (the admin's form takes any JSON)."""
    serializer = SurveySerializer(data=survey_body(family), context={"access": FULL_ACCESS})
    serializer.is_valid(raise_exception=True)
    values = dict(serializer.validated_data)
    household, members = values.pop("household"), values.pop("members")
    with pytest.raises(InvalidInput) as refused:
        services.survey_submit(
            actor=SYSTEM,
            household=household,
            values={**values, "devices": devices},
            members=members,
        )
    assert set(refused.value.fields) == fields
    assert not Survey.objects.exists()


def test_a_member_born_after_the_survey_is_refused(ward_api, family):
    baby = services_member(family, date(2026, 10, 20))
    body = survey_body(family, day="2026-10-01")
    body["members"].append({"member": str(baby.id), "has_health_insurance": True})
    errors = _fields(ward_api.post("/api/v1/surveys/", body))
    assert any("after the survey date" in reason for reason in errors.values())


def services_member(household, born):
    from households import services as registry

    return registry.member_add(
        actor=SYSTEM,
        household=household,
        values=f.member("Đinh Văn Sơ Sinh", relationship="child", dob=born, with_citizen_id=False),
    )


def test_a_survey_dated_when_no_standard_applies_says_exactly_that(ward_api, family):
    errors = _fields(ward_api.post("/api/v1/surveys/", survey_body(family, day="2019-10-01")))
    assert errors == {"survey_date": "No standard in force on 2019-10-01."}


# ----------------------------------------------------------------------------- standards


def _indicator(**params):
    return {
        "code": "housing_area",
        "dimension": "housing",
        "name_vi": "Diện tích nhà ở",
        "name_en": "Housing area",
        "rule": "housing_area",
        "params": params,
    }


@pytest.mark.parametrize(
    ("params", "field", "reason"),
    [
        ({"min_m2_per_persn": 8}, "indicators.0.params.min_m2_per_persn", "not a parameter"),
        ({"min_m2_per_person": "eight"}, "indicators.0.params.min_m2_per_person", "not a number"),
        ({}, "indicators.0.params.min_m2_per_person", "missing"),
    ],
)
def test_publishing_compiles_every_rule(api, params, field, reason):
    draft = api.post(
        "/api/v1/poverty-standards/",
        {
            "code": "QN-DRAFT",
            "name": "Thử",
            "legal_basis": "—",
            "scope": "provincial",
            "province": "22",
            "valid_from": "2027-01-01",
            "rural_line": 2_500_000,
            "urban_line": 3_000_000,
            "indicators": [_indicator(**params)],
        },
    ).json()
    r = api.post(f"/api/v1/poverty-standards/{draft['id']}/publish/")
    assert r.status_code == 400 and r.json()["code"] == "standard_not_evaluable"
    assert reason in _fields(r)[field]
    assert "housing_area" in r.json()["detail"]
    assert PovertyStandard.objects.get(pk=draft["id"]).status == "draft"


def test_the_rules_and_their_parameters_are_listed(api):
    rows = {r["rule"]: r for r in api.get("/api/v1/poverty-standards/rules/").json()}
    assert set(rows) == set(rules.RULES)
    employment = {p["name"]: p for p in rows["employment"]["parameters"]}
    assert employment["retirement_age"]["default"]["male"]["start"] == 60 * 12 + 3
    assert "Nghị định 135/2020" in employment["retirement_age"]["source"]
    latrine = rows["latrine"]["parameters"][0]
    assert "biogas" in latrine["default"] and latrine["to_confirm"] is True


def test_shipped_standards_store_every_parameter_with_its_source():
    for indicator in Indicator.objects.filter(standard__status="published"):
        rules.compile_params(indicator.rule, indicator.params)  # raises if it would not
        assert set(indicator.sources) == set(rules.PARAMETERS[indicator.rule])


# ----------------------------------------------------------------------------- the previous engine

LEGACY_PARAMS = {"employment": {"min_age": 15, "max_age_male": 61, "max_age_female": 56}}


@pytest.fixture
def legacy_standard(db):
    """A published standard as engine 1.0.0's data migration shipped it: only some
    parameters stored, working age a fixed window."""
    current = PovertyStandard.objects.get(code="VN-ND07-2021")
    old = PovertyStandard.objects.create(
        code="VN-OLD",
        revision=1,
        name=current.name,
        legal_basis=current.legal_basis,
        scope="national",
        valid_from=date(2022, 1, 1),
        valid_to=date(2022, 12, 31),
        rural_line=current.rural_line,
        urban_line=current.urban_line,
        rural_average_max=current.rural_average_max,
        urban_average_max=current.urban_average_max,
        min_deprivations=3,
        status="published",
    )
    for i in current.indicators.all():
        Indicator.objects.create(
            standard=old,
            code=i.code,
            position=i.position,
            dimension=i.dimension,
            name_vi=i.name_vi,
            name_en=i.name_en,
            rule=i.rule,
            params=LEGACY_PARAMS.get(i.rule, {}),
        )
    return old


def test_a_decision_of_engine_1_is_reproduced_as_it_was_taken(api, family, legacy_standard):
    """Under 1.0.0 a child whose schooling was not recorded counted as deprived; 2.0.0 calls it
    unknown. Reproducing the old decision gives the old answer."""
    child = family.members.get(relationship="child")
    survey = submit(family, income=10_000_000, uses_internet=False, devices=[])
    survey.members.filter(member=child).update(schooling=None)
    facts = services.survey_facts_for(survey)
    spec = services.standard_spec(legacy_standard, checked=False)
    old = rules.assess(facts, spec, engine=rules.LEGACY_ENGINE)
    assert old.classification == "poor" and old.deprivation_count == 3
    a = Assessment.objects.create(
        household=family,
        survey=survey,
        standard=legacy_standard,
        engine_version=old.engine_version,
        is_urban=old.is_urban,
        household_size=old.household_size,
        income_per_person_month=old.income_per_person_month,
        line=old.line,
        deprivation_count=old.deprivation_count,
        classification=old.classification,
        indicators=[{"code": i.code, "deprived": i.deprived} for i in old.indicators],
        explanation_vi=old.explanation_vi,
        explanation_en=old.explanation_en,
    )
    r = api.get(f"/api/v1/assessments/{a.id}/reproduce/").json()
    assert r["identical"] is True and r["engine_version"] == "1.0.0"
    assert r["classification"] == "poor"
    # the same facts under engine 2.0.0 (and the standard's new revision) are not guessed
    new = rules.assess(
        facts, services.standard_spec(PovertyStandard.objects.get(code="VN-ND07-2021"))
    )
    assert new.classification == "undetermined" and new.engine_version == "2.0.0"


# ----------------------------------------------------------------------------- what-if


def test_what_if_lists_households_lacking_a_fact_apart_from_those_changing_class(api, ward):
    """Surveys of 2026 record no waste treatment (Decree 07 has no such indicator); under
    Decree 351 a household within its line then lacks it."""
    lacking = f.household(ward)
    submit(
        lacking, income=1_000_000, uses_internet=False, latrine="none", waste_treatment=None
    )  # two deprivations known under Decree 351, the third could be waste
    well_off = f.household(ward)
    submit(well_off, income=10**9, waste_treatment=None)
    d351 = PovertyStandard.objects.get(code="VN-ND351-2025")
    job = api.post("/api/v1/what-if/", {"standard": str(d351.id)}).json()
    run_jobs()
    run = WhatIfRun.objects.get(
        pk=api.get(f"/api/v1/jobs/{job['id']}/").json()["report"]["what_if_run"]
    )
    assert run.lacking == 1 and run.households == 2
    rows = api.get(f"/api/v1/what-if/{run.id}/changes/", {"to_class": "undetermined"}).json()
    assert [row["household"] for row in rows["results"]] == [str(lacking.id)]
