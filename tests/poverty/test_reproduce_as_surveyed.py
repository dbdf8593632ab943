"""An assessment is reproduced from what its survey recorded on the survey date: the commune's
urban or rural kind then, and each member's birth date and sex as surveyed. A later change to
the commune or the register does not change what the old decision reproduces to, and the
what-if of the latest survey reads the same facts as its assessment."""

from datetime import date

import pytest

from core.access import SYSTEM
from geo.services import commune_set_urban
from households.services import member_update
from tests import factories as f
from tests.jobs import run_jobs

from .conftest import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def rural_mid(rural):
    """One person in a rural commune, 1,800,000 VND a month: above the rural line of Decree
    07 (1,500,000) and within its average band; below its urban line (2,000,000)."""
    household = f.household(rural, members=[f.member(with_citizen_id=False)])
    return submit(household, income=1_800_000 * 12).assessments.get(standard__code="VN-ND07-2021")


def test_a_commune_made_urban_after_the_survey_does_not_change_the_reproduced_decision(
    api, rural, rural_mid
):
    assert rural_mid.classification == "average" and rural_mid.is_urban is False
    commune_set_urban(actor=SYSTEM, commune=rural, is_urban=True, basis="NQ nâng cấp")
    r = api.get(f"/api/v1/assessments/{rural_mid.id}/reproduce/").json()
    # Before: identical false, "near_poor" (the urban line of 2,000,000 applied to a survey
    # taken when the commune was rural).
    assert r["identical"] is True and r["classification"] == "average"


def test_the_what_if_reads_the_communes_kind_on_the_survey_date(
    api, rural, rural_mid, decree07, decree351
):
    commune_set_urban(actor=SYSTEM, commune=rural, is_urban=True, basis="NQ nâng cấp")
    r = api.post("/api/v1/what-if/", {"standard": str(decree351.id), "baseline": str(decree07.id)})
    assert r.status_code == 202, r.json()
    run_jobs()
    job = api.get(f"/api/v1/jobs/{r.json()['id']}/").json()
    run = api.get(f"/api/v1/what-if/{job['report']['what_if_run']}/").json()
    # Before: from "near_poor" to "near_poor" (urban lines), while the household's real
    # assessment under Decree 07 says "average"; Decree 351's rural line is 2,200,000.
    assert run["summary"] == [
        {"commune": rural.code, "from_class": "average", "to_class": "near_poor", "households": 1}
    ]


def test_a_birth_date_corrected_after_the_survey_does_not_change_the_reproduced_decision(
    api, rural
):
    household = f.household(rural, members=[f.member(dob=date(1990, 5, 5), with_citizen_id=False)])
    a = submit(household, income=1_000_000 * 12).assessments.get()
    assert a.classification == "near_poor" and a.deprivation_count == 0
    member = household.members.get()
    member_update(
        actor=SYSTEM,
        member=member,
        expected_version=member.version,
        values={"date_of_birth": date(2016, 5, 5)},
    )
    r = api.get(f"/api/v1/assessments/{a.id}/reproduce/").json()
    # Before: identical false, "undetermined" (read as a child of 10 whose nutrition and
    # schooling the survey, taken of a 36-year-old, never recorded).
    assert r["identical"] is True and r["classification"] == "near_poor"


def test_reproduce_compares_the_explanation_and_reasons_too(api, rural_mid):
    r = api.get(f"/api/v1/assessments/{rural_mid.id}/reproduce/").json()
    assert r["identical"] is True and r["differences"] == []
    assert r["explanation_en"] == rural_mid.explanation_en and r["line"] == 1_500_000
    # A stored decision whose words are not what the rules give for its inputs (an
    # explanation or a reason changed without a new engine version): not identical.
    stored = rural_mid.indicators
    stored[0]["reason_en"] = "Every member has a job"
    type(rural_mid).objects.filter(pk=rural_mid.pk).update(
        indicators=stored, explanation_vi=rural_mid.explanation_vi + " (sửa)"
    )
    r = api.get(f"/api/v1/assessments/{rural_mid.id}/reproduce/").json()
    # Before: identical true (only the class, the count, the income and the deprived flags
    # were compared), and nothing of the re-run's words shown.
    assert r["identical"] is False
    assert r["differences"] == ["indicators", "explanation_vi"]
    assert r["indicators"][0]["reason_en"] != "Every member has a job"
    assert r["explanation_vi"] == rural_mid.explanation_vi
