import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from poverty.models import Assessment
from tests import factories as f

from .conftest import submit

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/surveys/",
    "/api/v1/assessments/",
    "/api/v1/poverty-standards/",
    "/api/v1/review-rounds/",
    "/api/v1/complaints/",
    "/api/v1/relapse-watchlist/",
]


def _queries(api, url) -> int:
    assert api.get(url).status_code == 200  # a token's first request records its last use
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", LISTS)
def test_list_query_counts_are_flat(ward_api, ward, url):
    for _ in range(2):
        submit(f.household(ward), income=1_000_000)
    small = _queries(ward_api, url)
    for _ in range(8):
        submit(f.household(ward), income=1_000_000)
    assert _queries(ward_api, url) == small
    assert small <= 12


def test_admin_pages(client, family):
    client.force_login(f.user(None, superuser=True))
    submit(family)
    a = Assessment.objects.first()
    for url in [
        "/admin/poverty/povertystandard/",
        "/admin/poverty/survey/",
        "/admin/poverty/assessment/",
        f"/admin/poverty/assessment/{a.pk}/change/",
        "/admin/poverty/officialstatus/",
        "/admin/poverty/reviewround/",
        "/admin/poverty/whatifrun/",
        f"/admin/poverty/povertystandard/{a.standard_id}/change/",
    ]:
        assert client.get(url).status_code == 200, url
    # a published standard cannot be edited in the admin either
    r = client.get(f"/admin/poverty/povertystandard/{a.standard_id}/change/")
    assert b'name="rural_line"' not in r.content


def _admin_survey_form(household, members, **extra):
    data = {
        "household": str(household.pk),
        "survey_date": "2026-10-01",
        "form": "b2",
        "enumerator_name": "",
        "income_wages": "1000000",
        "income_agriculture": "0",
        "income_business": "0",
        "income_allowances": "0",
        "income_other": "0",
        "wall_material": "bamboo",
        "frame_material": "timber",
        "roof_material": "tile",
        "floor_area_m2": "30",
        "water_source": "tap",
        "latrine": "septic",
        "uses_internet": "true",  # a Yes / No / Unknown choice
        "devices": "[]",
        "waste_treatment": "collected",
        "members-TOTAL_FORMS": str(len(members)),
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
    }
    for i, m in enumerate(members):
        child = m.date_of_birth.year > 2010
        data.update(
            {
                f"members-{i}-member": str(m.pk),
                f"members-{i}-has_health_insurance": "true",
                f"members-{i}-education_level": "primary" if child else "upper_secondary",
                f"members-{i}-employment": "not_in_labour_force" if child else "wage_contract",
                f"members-{i}-schooling": "attending" if child else "",
                f"members-{i}-nutrition": "normal" if child else "",
                f"members-{i}-receives_social_allowance": "false",
            }
        )
    data.update(extra)
    return data


def test_admin_survey_entry_is_validated_and_assessed(client, family):
    from poverty.models import Survey

    client.force_login(f.user(None, superuser=True))
    members = list(family.members.all())
    r = client.post("/admin/poverty/survey/add/", _admin_survey_form(family, members[:2]))
    assert r.status_code == 200 and b"Every present member is surveyed" in r.content
    assert not Survey.objects.exists()
    r = client.post("/admin/poverty/survey/add/", _admin_survey_form(family, members))
    assert r.status_code == 302
    survey = Survey.objects.get()
    # 1,000,000 VND a year for 3 people in a ward: far under the line
    assert survey.assessments.get().classification in {"poor", "near_poor"}


@pytest.mark.parametrize(
    ("devices", "field"), [('["tv", "spaceship"]', "devices.1"), ('"tv"', "devices")]
)
def test_admin_survey_refuses_device_codes_the_api_refuses(client, family, devices, field):
    """Devices are null or a list of known device codes whichever door a survey comes in by:
    the admin's field takes any JSON, and the service refuses there what the API's list of
    choices refuses (tests/poverty/test_surveys.py), naming the entry as the API does."""
    from poverty.models import Survey

    client.force_login(f.user(None, superuser=True))
    members = list(family.members.all())
    r = client.post(
        "/admin/poverty/survey/add/", _admin_survey_form(family, members, devices=devices)
    )
    assert r.status_code == 200 and f"{field}:" in r.content.decode()
    assert not Survey.objects.exists()
