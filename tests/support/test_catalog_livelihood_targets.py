import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from tests import factories as f
from tests.poverty.conftest import decide

from .conftest import POOR

pytestmark = pytest.mark.django_db


def test_program_tree_allocations_and_packages(api, ward_api, tree, ward):
    r = api.get("/api/v1/programs/", {"parent": str(tree["project"].id)}).json()["results"]
    assert [p["code"] for p in r] == ["QN-DA5.1"]
    r = api.post("/api/v1/programs/", {"code": "X", "name": "x", "level": "sub_project"})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "parent"
    body = {
        "sub_project": str(tree["housing"].id),
        "source": "central",
        "year": 2026,
        "province": "22",
        "amount": 500_000_000,
    }
    r = api.post("/api/v1/budget-allocations/", body)
    assert r.status_code == 201 and r.json()["available"] == 500_000_000
    r = api.post("/api/v1/budget-allocations/", body)
    assert r.status_code == 409 and r.json()["code"] == "allocation_exists"
    key = ["sub_project", "source", "year", "province"]
    assert [e["field"] for e in r.json()["errors"]] == key
    assert ward_api.post("/api/v1/budget-allocations/", {**body, "year": 2027}).status_code == 403
    assert len(ward_api.get("/api/v1/budget-allocations/").json()["results"]) == 1
    pkg = {
        "code": "BHYT",
        "name": "Thẻ BHYT",
        "kind": "health_insurance",
        "sub_project": str(tree["housing"].id),
        "default_multiplier": "1.000",
        "eligibility": [{"standard_code": "VN-ND07-2021", "classification": "poor"}],
        "rates": [{"base_amount": 1_105_000, "valid_from": "2026-01-01"}],
        "funding": [
            {"source": "central", "share_percent": "60"},
            {"source": "local", "share_percent": "30"},
        ],
    }
    r = api.post("/api/v1/support-packages/", pkg)
    assert r.status_code == 400 and "funding" in {e["field"] for e in r.json()["errors"]}
    pkg["funding"][1]["share_percent"] = "40"
    r = api.post("/api/v1/support-packages/", pkg)
    assert r.status_code == 201, r.json()
    r = api.patch(
        f"/api/v1/support-packages/{r.json()['id']}/",
        {
            "rates": [
                {"base_amount": 1, "valid_from": "2026-01-01"},
                {"base_amount": 2, "valid_from": "2026-06-01"},
            ]
        },
    )
    assert r.status_code == 400  # the first rate has no end: periods overlap
    assert ward_api.post("/api/v1/support-packages/", {**pkg, "code": "Y"}).status_code == 403


def test_livelihood_models_and_participants(ward_api, ward, rural):
    h = f.household(ward)
    r = ward_api.post(
        "/api/v1/livelihood-models/",
        {
            "name": "Nuôi ong lấy mật",
            "type": "bees",
            "commune": ward.code,
            "start_date": "2026-03-01",
            "budget": 300_000_000,
        },
    )
    assert r.status_code == 201, r.json()
    mid = r.json()["id"]
    r = ward_api.post(
        f"/api/v1/livelihood-models/{mid}/participants/",
        {"household": str(h.id), "joined_on": "2026-03-01", "income_before": 30_000_000},
    )
    assert r.status_code == 201
    r = ward_api.post(
        f"/api/v1/livelihood-models/{mid}/participants/",
        {"household": str(h.id), "income_after": 48_000_000, "still_active": True},
    )
    assert r.status_code == 200 and r.json()["income_after"] == 48_000_000
    other = f.household(rural)
    r = ward_api.post(
        f"/api/v1/livelihood-models/{mid}/participants/",
        {"household": str(other.id), "joined_on": "2026-03-01", "income_before": 1},
    )
    assert r.status_code == 400
    model = ward_api.get(f"/api/v1/livelihood-models/{mid}/").json()
    assert len(model["participants"]) == 1
    assert (
        ward_api.post(
            "/api/v1/livelihood-models/",
            {"name": "x", "type": "bees", "commune": rural.code, "start_date": "2026-03-01"},
        ).status_code
        == 403
    )
    assert len(ward_api.get("/api/v1/livelihood-models/", {"type": "bees"}).json()["results"]) == 1


def test_targets_with_progress_from_official_statuses(api, ward_api, ward, leader):
    households = [f.household(ward) for _ in range(4)]
    for h in households[:3]:
        decide(h, leader, day="2025-10-01", decision="2025-10-10", **POOR)
    decide(households[0], leader, day="2026-10-01", decision="2026-10-10", income=200_000_000)
    r = api.post(
        "/api/v1/targets/",
        {"commune": ward.code, "year": 2026, "households_to_lift": 2, "poverty_rate_target": "40"},
    )
    assert r.status_code == 201, r.json()
    r = api.post(
        "/api/v1/targets/",
        {"commune": ward.code, "year": 2026, "households_to_lift": 2, "poverty_rate_target": "40"},
    )
    assert r.status_code == 409 and r.json()["code"] == "target_exists"
    assert [e["field"] for e in r.json()["errors"]] == ["commune", "year", "standard_code"]
    [t] = ward_api.get("/api/v1/targets/", {"year": 2026}).json()["results"]
    p = t["progress"]
    assert p["households_lifted"] == 1 and p["lift_progress"] == 0.5
    assert p["poor_households"] == 2 and p["households"] == 4
    assert p["poverty_rate"] == 50.0 and p["rate_target_met"] is False


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/assignments/",
        "/api/v1/budget-allocations/",
        "/api/v1/support-packages/",
        "/api/v1/livelihood-models/",
        "/api/v1/targets/",
        "/api/v1/disbursements/",
        "/api/v1/programs/",
    ],
)
def test_support_list_query_counts_are_flat(url, ward, tree, housing_package, leader):
    from support.models import BudgetAllocation, LivelihoodModel, Target
    from support.services import assignment_propose

    api = f.client_for(f.user(Role.PROVINCE_OFFICER, provinces=["22"]))

    def add(n, year):
        for i in range(n):
            h = f.household(ward)
            decide(h, leader, day="2026-10-01", decision="2026-10-10", **POOR)
            assignment_propose(household=h, package=housing_package, period=2026, actor=leader)
            BudgetAllocation.objects.create(
                sub_project=tree["housing"],
                source="central",
                year=year * 10 + i,
                province_id="22",
                amount=1,
            )
            LivelihoodModel.objects.create(
                name=f"m{year}{i}", type="bees", commune=ward, start_date="2026-01-01"
            )
            Target.objects.create(
                commune=ward, year=year * 10 + i, households_to_lift=1, poverty_rate_target=1
            )

    def queries():
        assert api.get(url).status_code == 200  # a token's first request records its last use
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(url).status_code == 200
        return len(ctx.captured_queries)

    add(2, 201)
    small = queries()
    add(5, 202)
    assert queries() == small


def test_support_admin_pages(client, housing_package):
    client.force_login(f.user(None, superuser=True))
    for url in [
        "/admin/support/program/",
        "/admin/support/budgetallocation/",
        "/admin/support/supportpackage/",
        f"/admin/support/supportpackage/{housing_package.pk}/change/",
        "/admin/support/assignment/",
        "/admin/support/ledgerentry/",
        "/admin/support/livelihoodmodel/",
        "/admin/support/target/",
    ]:
        assert client.get(url).status_code == 200, url
