"""The demo set-up that `./dev serve` runs: data a person can explore at once."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from households.models import Household
from poverty.models import Assessment, OfficialStatus, Survey
from support.models import BudgetAllocation, SupportPackage

POVERTY = ["poor", "near_poor"]


def printed_keys(output: str) -> dict[str, str]:
    return dict(re.findall(r"^  (\S+) .* Token (\S+)$", output, re.MULTILINE))


def get_with(key: str, path: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get(path)


@pytest.mark.django_db
def test_setup_demo_is_complete_and_idempotent():
    first, second = StringIO(), StringIO()
    call_command("setup_demo", households=300, stdout=first)
    call_command("setup_demo", households=300, stdout=second)  # a second run adds nothing
    assert Household.objects.count() == 300
    assert Survey.objects.count() == 300
    assert Assessment.objects.count() == 300
    assert OfficialStatus.objects.exists()
    assert SupportPackage.objects.count() == 3 and BudgetAllocation.objects.count() == 6
    users = {"admin", "province", "leader", "commune", "enumerator", "auditor", "analyst"}
    live = ApiToken.objects.filter(revoked_at__isnull=True).select_related("user")
    assert sorted(t.user.username for t in live) == sorted(users)  # one live token each
    old_keys, new_keys = printed_keys(first.getvalue()), printed_keys(second.getvalue())
    assert set(old_keys) == set(new_keys) == users
    # Keys are stored hashed: each run prints fresh keys and revokes the previous ones.
    for username in users:
        assert get_with(old_keys[username], "/api/v1/communes/").status_code == 401
    admin = get_with(new_keys["admin"], "/api/v1/communes/")
    assert admin.status_code == 200, admin.content
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {new_keys['province']}")
    poor = OfficialStatus.objects.filter(classification="poor").first()
    if poor is not None:
        rows = api.get(f"/api/v1/households/{poor.household_id}/eligible-packages/").json()
        assert {r["package_code"] for r in rows} == {"NHA-O", "BHYT", "SINH-KE"}
        assert any(r["eligible"] for r in rows)
    assert api.get("/api/v1/assessments/", {"classification": "poor"}).status_code == 200
    # Every household poor or near-poor under the national standard in force has its case.
    from cases.models import Case
    from poverty.selectors import national_standard_in_force

    standard = national_standard_in_force(timezone.localdate())
    in_poverty = OfficialStatus.objects.filter(
        standard__code=standard.code, valid_to__isnull=True, classification__in=POVERTY
    )
    assert in_poverty.exists() and Case.objects.count() == in_poverty.count()
    assert set(Case.objects.values_list("household_id", flat=True)) == set(
        in_poverty.values_list("household_id", flat=True)
    )
