"""A what-if of a provincial standard counts only the households of that province: the real
assessments never classify a household of another province under it."""

import pytest

from geo.models import Commune
from poverty.models import PovertyStandard
from tests import factories as f
from tests.jobs import run_jobs

from .conftest import submit

pytestmark = pytest.mark.django_db


def test_a_provincial_what_if_counts_only_that_provinces_households(rural, decree07):
    national_admin = f.client_for(f.user(None, superuser=True))
    elsewhere = Commune.objects.exclude(province_id="22").filter(kind="xa").order_by("code")[0]
    for commune in (rural, elsewhere):
        household = f.household(commune, members=[f.member(with_citizen_id=False)])
        submit(household, income=1_800_000 * 12, day="2025-10-01")
    quang_ninh = PovertyStandard.objects.get(code="QN-NQ13-2023")
    r = national_admin.post(
        "/api/v1/what-if/", {"standard": str(quang_ninh.id), "baseline": str(decree07.id)}
    )
    assert r.status_code == 202, r.json()
    run_jobs()
    job = national_admin.get(f"/api/v1/jobs/{r.json()['id']}/").json()
    assert job["status"] == "succeeded", job
    run = national_admin.get(f"/api/v1/what-if/{job['report']['what_if_run']}/").json()
    # Before: 2 households, the one of another province counted "average" -> "near_poor"
    # under Quảng Ninh's resolution, which does not apply to it.
    assert run["households"] == 1 and run["changed"] == 1
    assert run["summary"] == [
        {"commune": rural.code, "from_class": "average", "to_class": "near_poor", "households": 1}
    ]
