"""Bad input to budgets, assignments and livelihood models: 400 naming the field, never a
database overflow, and nothing written."""

from datetime import timedelta

import pytest
from django.utils import timezone

from support.models import BudgetAllocation, Disbursement, LivelihoodModel
from tests.api.test_errors import assert_problem

from .conftest import allocate
from .test_assignments import act, propose

pytestmark = pytest.mark.django_db


def tomorrow() -> str:
    """Tomorrow in the server's time zone, when the test runs (not when it was imported: a
    run crossing midnight in Vietnam would send today)."""
    return (timezone.localdate() + timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("amount", "ok"), [(2**63, False), (10**15 + 1, False), (-1, False), (10**15, True)]
)
def test_allocation_amounts_are_range_checked(api, tree, amount, ok):
    body = {
        "sub_project": str(tree["housing"].id),
        "source": "central",
        "year": 2026,
        "province": "22",
        "amount": amount,
    }
    r = api.post("/api/v1/budget-allocations/", body)
    if ok:
        assert r.status_code == 201, r.json()
    else:
        assert_problem(r, 400, field="amount")
        assert not BudgetAllocation.objects.exists()


@pytest.mark.parametrize(("year", "ok"), [(2**31, False), (32768, False), (2026, True)])
def test_allocation_years_are_range_checked(api, tree, year, ok):
    body = {
        "sub_project": str(tree["housing"].id),
        "source": "central",
        "year": year,
        "province": "22",
        "amount": 1,
    }
    r = api.post("/api/v1/budget-allocations/", body)
    if ok:
        assert r.status_code == 201, r.json()
    else:
        assert_problem(r, 400, field="year")


def test_disbursements_are_range_checked_and_not_in_the_future(
    ward_api, leader_api, poor_household, housing_package, tree, ward
):
    allocate(tree, ward, central=100_000_000, local=50_000_000)
    a = propose(ward_api, poor_household, housing_package).json()
    assert act(leader_api, a["id"], "approve", {}, 1).status_code == 200
    for body, field in [
        ({"date": "2026-11-01", "amount": 2**63}, "amount"),
        ({"date": tomorrow(), "amount": 1}, "date"),
        ({"date": "1899-12-31", "amount": 1}, "date"),
        ({"date": "2026-11-01", "amount": 1, "version": 2**63}, "version"),
    ]:
        r = act(ward_api, a["id"], "disburse", {**body, "evidence_reference": "PC-1"}, 2)
        assert_problem(r, 400, field=field)
    assert not Disbursement.objects.exists()


@pytest.mark.parametrize("period", [2**63, 1999, 2101])
def test_assignment_periods_are_range_checked(ward_api, poor_household, housing_package, period):
    assert_problem(propose(ward_api, poor_household, housing_package, period), 400, field="period")
    r = ward_api.get(f"/api/v1/households/{poor_household.id}/eligible-packages/?period={period}")
    assert_problem(r, 400, field="period")


def test_livelihood_outcomes_are_range_checked(api, ward, poor_household):
    model = {"name": "Gà", "type": "livestock", "commune": ward.code, "start_date": "2026-01-01"}
    r = api.post("/api/v1/livelihood-models/", {**model, "budget": 2**63})
    assert_problem(r, 400, field="budget")
    assert not LivelihoodModel.objects.exists()
    r = api.post("/api/v1/livelihood-models/", model)
    assert r.status_code == 201, r.json()
    participant = {"household": str(poor_household.id), "joined_on": "2026-02-01"}
    url = f"/api/v1/livelihood-models/{r.json()['id']}/participants/"
    r2 = api.post(url, {**participant, "income_before": 2**63})
    assert_problem(r2, 400, field="income_before")
    r2 = api.post(url, {**participant, "joined_on": tomorrow(), "income_before": 1})
    assert_problem(r2, 400, field="joined_on")


def test_participants_with_a_body_that_is_not_an_object_or_an_id_are_400(api, ward):
    model = {"name": "Gà", "type": "livestock", "commune": ward.code, "start_date": "2026-01-01"}
    url = f"/api/v1/livelihood-models/{api.post('/api/v1/livelihood-models/', model).json()['id']}"
    r = api.post(f"{url}/participants/", [], format="json")
    assert_problem(r, 400, field="non_field_errors")
    r = api.post(f"{url}/participants/", {"household": "abc", "joined_on": "2026-02-01"})
    assert_problem(r, 400, field="household")


def _package(tree, **extra) -> dict:
    return {
        "code": "BHYT",
        "name": "Thẻ BHYT",
        "kind": "health_insurance",
        "sub_project": str(tree["housing"].id),
        "default_multiplier": "1.000",
        "eligibility": [{"standard_code": "VN-ND07-2021", "classification": "poor"}],
        "rates": [{"base_amount": 1_105_000, "valid_from": "2026-01-01"}],
        "funding": [{"source": "central", "share_percent": "100"}],
        **extra,
    }


@pytest.mark.parametrize(
    ("lists", "field"),
    [
        (
            {"eligibility": [{"standard_code": "VN-ND07-2021", "classification": "poor"}] * 2},
            "eligibility",
        ),
        ({"funding": [{"source": "central", "share_percent": "50"}] * 2}, "funding"),
    ],
)
def test_a_package_listing_a_row_twice_is_400_naming_the_list(api, tree, lists, field):
    """The same eligibility (standard and class) or the same capital source twice in a
    package's lists is refused on that list, on a create and a change alike, with nothing
    written (not the generic conflict a broken unique key gives)."""
    from support.models import SupportPackage

    r = api.post("/api/v1/support-packages/", _package(tree, **lists), format="json")
    assert_problem(r, 400, field=field)
    assert not SupportPackage.objects.filter(code="BHYT").exists()
    created = api.post("/api/v1/support-packages/", _package(tree), format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    r = api.patch(f"/api/v1/support-packages/{pk}/", lists, format="json")
    assert_problem(r, 400, field=field)
    package = SupportPackage.objects.get(pk=pk)
    assert package.eligibility.count() == 1 and package.funding.count() == 1
