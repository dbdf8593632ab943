"""The demo set-up that `./dev serve` runs: data a person can explore at once."""

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from households.models import Household
from poverty.models import Assessment, OfficialStatus, Survey
from support.models import BudgetAllocation, SupportPackage
from tests import factories as f


@pytest.mark.django_db
def test_setup_demo_is_complete_and_idempotent():
    call_command("setup_demo", households=300)
    call_command("setup_demo", households=300)  # a second run adds nothing
    assert Household.objects.count() == 300
    assert Survey.objects.count() == 300
    assert Assessment.objects.count() == 300
    assert OfficialStatus.objects.exists()
    assert SupportPackage.objects.count() == 3 and BudgetAllocation.objects.count() == 6
    tokens = {t.user.username: t for t in Token.objects.select_related("user")}
    assert {"admin", "province", "leader", "commune", "enumerator", "auditor", "analyst"} <= set(
        tokens
    )
    api = f.client_for(tokens["province"].user)
    poor = OfficialStatus.objects.filter(classification="poor").first()
    if poor is not None:
        rows = api.get(f"/api/v1/households/{poor.household_id}/eligible-packages/").json()
        assert {r["package_code"] for r in rows} == {"NHA-O", "BHYT", "SINH-KE"}
        assert any(r["eligible"] for r in rows)
    assert api.get("/api/v1/assessments/", {"classification": "poor"}).status_code == 200
