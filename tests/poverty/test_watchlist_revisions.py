"""The relapse watchlist reads a household's latest assessment under its standard whichever
revision of it decided: a new revision of the standard does not hide the newer surveys."""

import pytest

from core.access import SYSTEM
from poverty import services
from poverty.models import PovertyStandard
from tests import factories as f

from .conftest import decide, submit

pytestmark = pytest.mark.django_db

POOR = {"income": 10_000_000, "poor_housing": True}


def test_a_survey_under_a_new_revision_is_what_the_watchlist_reads(ward_api, ward, leader):
    household = f.household(ward, members=[f.member("Hà Văn Cận")])
    decide(household, leader, day="2023-10-01", decision="2023-10-20", **POOR)
    # escaped in 2024 at 2,166,666 VND a month, 8.3% above the urban line: watched
    decide(household, leader, day="2024-10-01", decision="2024-10-20", income=26_000_000)
    listed = ward_api.get("/api/v1/relapse-watchlist/", {"income_margin": 0.1}).json()
    assert [r["household_code"] for r in listed["results"]] == [household.code]
    # Decree 07 gets a revision (same lines); the household, surveyed again, is far above
    old = PovertyStandard.objects.get(code="VN-ND07-2021")
    services.standard_publish(
        actor=SYSTEM, standard=services.standard_new_revision(actor=SYSTEM, standard=old)
    )
    submit(household, day="2025-10-01", income=200_000_000)
    listed = ward_api.get("/api/v1/relapse-watchlist/", {"income_margin": 0.1}).json()
    # Before: still listed at 2,166,666 VND (the 2024 assessment, the latest under revision
    # 1), the 2025 survey under revision 2 unseen.
    assert listed["results"] == []
