"""Assignments through their states, against the commitment ledger."""

import pytest
from django.test import Client

from support.models import Assignment, BudgetAllocation, LedgerEntry
from support.selectors import ledger_balances
from tests import factories as f
from tests.api.test_errors import assert_problem

from .conftest import allocate

pytestmark = pytest.mark.django_db


def propose(client, household, package, period=2026):
    return client.post(
        "/api/v1/assignments/",
        {"household": str(household.id), "package": str(package.id), "period": period},
    )


def act(client, assignment_id, action, body, version):
    return client.post(
        f"/api/v1/assignments/{assignment_id}/{action}/", body, HTTP_IF_MATCH=f'"{version}"'
    )


def balances():
    rows = {(a.source, a.commune_id): a for a in BudgetAllocation.objects.all()}
    ledger = ledger_balances(BudgetAllocation.objects.all())
    for a in rows.values():  # the running totals always equal the ledger
        assert (a.committed, a.disbursed) == (ledger[a.pk]["committed"], ledger[a.pk]["disbursed"])
    return {k: (a.amount, a.committed, a.disbursed, a.available) for k, a in rows.items()}


def test_eligible_packages_with_reasons_and_amount(ward_api, poor_household, housing_package):
    rows = ward_api.get(
        f"/api/v1/households/{poor_household.id}/eligible-packages/", {"period": 2026}
    ).json()
    [row] = rows
    assert row["eligible"] is True and row["package_code"] == "NHA-O"
    # the head is Tày (02): the ethnic-minority multiplier applies
    assert row["base_amount"] == 40_000_000 and row["multiplier"] == "1.500"
    assert row["amount"] == 60_000_000
    assert row["explanation"] == "40,000,000 VND × 1.5 (ethnic-minority household) = 60,000,000 VND"
    assert row["explanation_en"] == row["explanation"]
    # no label_vi on the package's rule: its conditions, in Vietnamese
    assert row["explanation_vi"] == (
        "40.000.000 đồng × 1,5 (hộ dân tộc thiểu số) = 60.000.000 đồng"
    )
    assert (
        row["reasons_en"]
        == row["reasons"]
        == [
            "classification: poor under VN-ND07-2021",
            "meets the package's criteria",
        ]
    )
    assert row["reasons_vi"] == [
        "phân loại: hộ nghèo theo VN-ND07-2021",
        "đáp ứng các tiêu chí của gói hỗ trợ",
    ]


def test_not_poor_household_does_not_qualify(ward_api, ward, housing_package):
    h = f.household(ward)
    [row] = ward_api.get(f"/api/v1/households/{h.id}/eligible-packages/").json()
    assert row["eligible"] is False
    r = propose(ward_api, h, housing_package)
    p = assert_problem(r, 400, field="household", code="not_eligible")
    assert p["reasons_en"] == row["reasons_en"] == row["reasons"]
    assert p["reasons_vi"] == row["reasons_vi"]
    assert p["reasons_vi"][0].startswith("không đủ điều kiện theo phân loại (cần VN-ND07-2021: ")
    assert p["reasons_vi"][1] == "chưa đáp ứng tiêu chí: không thiếu hụt chỉ số housing_quality"
    assert not Assignment.objects.exists()


def test_an_assignment_keeps_its_explanation_in_vietnamese(
    ward_api, poor_household, housing_package
):
    r = propose(ward_api, poor_household, housing_package)
    assert r.status_code == 201, r.content
    assert r.json()["explanation"] == (
        "40,000,000 VND × 1.5 (ethnic-minority household) = 60,000,000 VND"
    )
    assert r.json()["explanation_vi"] == (
        "40.000.000 đồng × 1,5 (hộ dân tộc thiểu số) = 60.000.000 đồng"
    )
    again = ward_api.get(f"/api/v1/assignments/{r.json()['id']}/", HTTP_ACCEPT_LANGUAGE="vi")
    assert again.json()["explanation_vi"] == r.json()["explanation_vi"]


def test_a_vietnamese_officer_reads_why_a_household_does_not_qualify(
    ward_api, ward, housing_package
):
    h = f.household(ward)
    body = {"household": str(h.id), "package": str(housing_package.id), "period": 2026}
    r = ward_api.post("/api/v1/assignments/", body, HTTP_ACCEPT_LANGUAGE="vi")
    p = assert_problem(r, 400, field="household", code="not_eligible")
    assert p["detail"] == (
        f"Hộ {h.code} không đủ điều kiện nhận gói hỗ trợ {housing_package.code}: "
        + "; ".join(p["reasons_vi"])
    )
    assert [e["reason"] for e in p["errors"]] == p["reasons_vi"]
    assert p["reasons_en"][0].startswith("not eligible by classification")  # both stay

    r = ward_api.post("/api/v1/assignments/", body, HTTP_ACCEPT_LANGUAGE="en")
    p = r.json()
    assert p["detail"] == (
        f"Household {h.code} does not qualify for {housing_package.code}: "
        + "; ".join(p["reasons_en"])
    )
    assert [e["reason"] for e in p["errors"]] == p["reasons_en"]


def test_full_lifecycle_balances_to_the_dong(
    ward_api, leader_api, poor_household, housing_package, tree, ward
):
    allocate(tree, ward, central=100_000_000, local=50_000_000)
    r = propose(ward_api, poor_household, housing_package)
    assert r.status_code == 201, r.json()
    a = r.json()
    assert a["state"] == "proposed" and a["amount"] == 60_000_000
    assert a["split"] == [
        {"source": "central", "amount": 42_000_000},
        {"source": "local", "amount": 18_000_000},
    ]
    assert balances()[("central", None)] == (100_000_000, 0, 0, 100_000_000)
    # proposing the same again is refused
    r = propose(ward_api, poor_household, housing_package)
    assert r.status_code == 409 and r.json()["code"] == "duplicate_assignment"
    # the commune officer cannot approve; the chairperson can
    assert act(ward_api, a["id"], "approve", {}, 1).status_code == 403
    r = act(leader_api, a["id"], "approve", {"notes": "QĐ 45"}, 1)
    assert r.status_code == 200 and r.json()["state"] == "approved"
    assert balances()[("central", None)] == (100_000_000, 42_000_000, 0, 58_000_000)
    assert balances()[("local", None)] == (50_000_000, 18_000_000, 0, 32_000_000)
    r = act(
        ward_api,
        a["id"],
        "disburse",
        {"date": "2026-11-01", "amount": 20_000_000, "evidence_reference": "PC-001"},
        2,
    )
    assert r.status_code == 201, r.json()
    assert Assignment.objects.get(pk=a["id"]).state == "delivered"
    assert balances()[("central", None)] == (100_000_000, 42_000_000, 14_000_000, 58_000_000)
    assert balances()[("local", None)] == (50_000_000, 18_000_000, 6_000_000, 32_000_000)
    r = act(
        ward_api,
        a["id"],
        "disburse",
        {"date": "2026-11-02", "amount": 50_000_000, "evidence_reference": "PC-002"},
        3,
    )
    assert r.status_code == 400  # more than is left
    # completing early releases what was not disbursed
    r = act(ward_api, a["id"], "complete", {}, 3)
    assert r.json()["state"] == "completed"
    assert balances()[("central", None)] == (100_000_000, 14_000_000, 14_000_000, 86_000_000)
    assert balances()[("local", None)] == (50_000_000, 6_000_000, 6_000_000, 44_000_000)
    steps = ward_api.get(f"/api/v1/assignments/{a['id']}/").json()["steps"]
    assert [s["action"] for s in steps] == ["propose", "approve", "deliver", "complete"]
    assert (
        len(ward_api.get("/api/v1/disbursements/", {"assignment": a["id"]}).json()["results"]) == 1
    )


def test_full_disbursement_completes(
    ward_api, leader_api, poor_household, housing_package, tree, ward
):
    allocate(tree, ward, central=42_000_000, local=18_000_000)
    a = propose(ward_api, poor_household, housing_package).json()
    act(leader_api, a["id"], "approve", {}, 1)
    r = act(
        ward_api,
        a["id"],
        "disburse",
        {"date": "2026-11-01", "amount": 60_000_000, "evidence_reference": "PC-9"},
        2,
    )
    assert r.status_code == 201
    assert Assignment.objects.get(pk=a["id"]).state == "completed"
    assert balances()[("central", None)] == (42_000_000, 42_000_000, 42_000_000, 0)


def test_cancel_releases_and_reject(
    ward_api, leader_api, poor_household, housing_package, tree, ward
):
    allocate(tree, ward, central=100_000_000, local=50_000_000)
    a = propose(ward_api, poor_household, housing_package).json()
    act(leader_api, a["id"], "approve", {}, 1)
    r = act(leader_api, a["id"], "cancel", {"reason": "Household moved"}, 2)
    assert r.json()["state"] == "cancelled" and r.json()["reason"] == "Household moved"
    assert balances()[("central", None)] == (100_000_000, 0, 0, 100_000_000)
    assert LedgerEntry.objects.filter(kind="release").count() == 2
    # after cancelling, a new proposal is allowed; it can be rejected
    b = propose(ward_api, poor_household, housing_package).json()
    r = act(leader_api, b["id"], "reject", {"reason": "Not a priority"}, 1)
    assert r.json()["state"] == "rejected"
    assert act(leader_api, b["id"], "approve", {}, 2).status_code == 409


def test_insufficient_budget_commits_nothing(
    ward_api, leader_api, poor_household, housing_package, tree, ward
):
    allocate(tree, ward, central=100_000_000, local=10_000_000)  # local cannot cover 18 M
    a = propose(ward_api, poor_household, housing_package).json()
    r = act(leader_api, a["id"], "approve", {}, 1)
    assert r.status_code == 409 and r.json()["code"] == "insufficient_budget"
    assert balances()[("central", None)] == (100_000_000, 0, 0, 100_000_000)
    assert Assignment.objects.get(pk=a["id"]).state == "proposed"
    assert not LedgerEntry.objects.exists()


def test_commune_allocation_is_used_before_province_wide(
    ward_api, leader_api, poor_household, housing_package, tree, ward
):
    allocate(tree, ward, central=100_000_000, local=50_000_000)
    allocate(tree, ward, central=42_000_000, local=18_000_000, commune=ward)
    a = propose(ward_api, poor_household, housing_package).json()
    act(leader_api, a["id"], "approve", {}, 1)
    b = balances()
    assert b[("central", ward.code)][1] == 42_000_000 and b[("central", None)][1] == 0


def test_coverage_gap_and_reports(
    ward_api, api, leader_api, poor_household, housing_package, tree, ward
):
    allocate(tree, ward, central=100_000_000, local=50_000_000)
    gap = ward_api.get(
        f"/api/v1/support-packages/{housing_package.id}/coverage-gap/", {"period": 2026}
    ).json()
    assert [g["household"] for g in gap] == [str(poor_household.id)]
    a = propose(ward_api, poor_household, housing_package).json()
    act(leader_api, a["id"], "approve", {}, 1)
    assert (
        ward_api.get(
            f"/api/v1/support-packages/{housing_package.id}/coverage-gap/", {"period": 2026}
        ).json()
        == []
    )
    coverage = ward_api.get("/api/v1/reports/coverage/", {"period": 2026}).json()
    assert coverage == [
        {
            "commune": ward.code,
            "package": "NHA-O",
            "eligible_households": 1,
            "covered": 1,
            "coverage": 1.0,
            "poor_households": 1,
            "poor_covered": 1,
            "near_poor_households": 0,
            "near_poor_covered": 0,
        }
    ]
    by_source = {
        r["key"]: r
        for r in api.get(
            "/api/v1/reports/budget-execution/", {"year": 2026, "group_by": "source"}
        ).json()
    }
    assert by_source["central"] == {
        "key": "central",
        "name": "Central budget",
        "allocated": 100_000_000,
        "committed": 42_000_000,
        "disbursed": 0,
        "available": 58_000_000,
    }
    by_program = api.get("/api/v1/reports/budget-execution/", {"group_by": "program"}).json()
    assert by_program == [
        {
            "key": "QN-GNBV",
            "name": "Giảm nghèo bền vững 2021–2025",
            "allocated": 150_000_000,
            "committed": 60_000_000,
            "disbursed": 0,
            "available": 90_000_000,
        }
    ]


def test_support_is_area_scoped(poor_household, housing_package, rural):
    other = f.client_for(f.user("commune_officer", communes=[rural]))
    assert (
        other.get(f"/api/v1/households/{poor_household.id}/eligible-packages/").status_code == 404
    )
    r = other.post(
        "/api/v1/assignments/",
        {"household": str(poor_household.id), "package": str(housing_package.id), "period": 2026},
    )
    assert r.status_code == 400  # as if the household did not exist
    assert "does not exist" in r.json()["errors"][0]["reason"]
    assert other.get("/api/v1/reports/coverage/", {"period": 2026}).json() == []


def test_the_proposer_cannot_approve_their_own_proposal(
    leader_api, poor_household, housing_package, tree, ward
):
    """Four eyes: a chairperson who proposes support needs another to approve it, in the API
    and in the admin alike."""
    allocate(tree, ward, central=100_000_000, local=50_000_000)
    a = propose(leader_api, poor_household, housing_package).json()
    r = act(leader_api, a["id"], "approve", {}, 1)
    assert r.status_code == 403 and r.json()["code"] == "proposer_cannot_approve"
    assert balances()[("central", None)] == (100_000_000, 0, 0, 100_000_000)
    leader = Assignment.objects.get(pk=a["id"]).steps.get().actor
    leader.is_staff = True
    leader.save()
    admin = Client()  # same user, the other door
    admin.force_login(leader)
    r = admin.post(
        "/admin/support/assignment/", {"action": "approve", "_selected_action": [a["id"]]}
    )
    assert r.status_code == 302
    assert Assignment.objects.get(pk=a["id"]).state == "proposed"
    other = f.client_for(f.user("commune_leader", communes=[ward]))
    assert act(other, a["id"], "approve", {}, 1).json()["state"] == "approved"


def test_an_admin_action_acts_on_the_version_its_list_showed(
    ward_api, leader_api, poor_household, housing_package, tree, ward
):
    """An approved assignment is listed in the admin; a disbursement is recorded through the
    API; a cancellation chosen from the list as it was is refused as stale (the money the
    officer saw undisbursed is not what cancelling would release now). From the list as it
    is, it goes through."""
    allocate(tree, ward, central=100_000_000, local=50_000_000)
    a = propose(ward_api, poor_household, housing_package).json()
    act(leader_api, a["id"], "approve", {}, 1)
    leader = Assignment.objects.get(pk=a["id"]).steps.get(action="approve").actor
    leader.is_staff = True
    leader.save()
    admin = Client()
    admin.force_login(leader)
    seen = f"{a['id']}:2"
    page = admin.get("/admin/support/assignment/").content.decode()
    assert f'name="_seen_version" value="{seen}"' in page
    disbursed = {"date": "2026-11-01", "amount": 20_000_000, "evidence_reference": "PC-001"}
    assert act(ward_api, a["id"], "disburse", disbursed, 2).status_code == 201

    cancel = {"action": "cancel", "_selected_action": [a["id"]], "_seen_version": [seen]}
    r = admin.post("/admin/support/assignment/", cancel, follow=True)

    assert "version 2" in r.content.decode() and "version 3" in r.content.decode()
    assert Assignment.objects.get(pk=a["id"]).state == "delivered"
    page = admin.get("/admin/support/assignment/").content.decode()
    assert f'value="{a["id"]}:3"' in page
    cancel["_seen_version"] = [f"{a['id']}:3"]
    admin.post("/admin/support/assignment/", cancel)
    assert Assignment.objects.get(pk=a["id"]).state == "cancelled"


def test_what_an_allocation_funds_stays_once_something_is_committed_against_it(
    api, ward_api, leader_api, poor_household, housing_package, tree, ward, rural
):
    """Its amount may change (never below the committed); its commune, year, source or
    sub-project may not: the commitments were made against those."""
    allocate(tree, ward, central=100_000_000, local=50_000_000)
    central = BudgetAllocation.objects.get(source="central")
    url = f"/api/v1/budget-allocations/{central.pk}/"
    assert api.patch(url, {"year": 2027}).status_code == 200  # nothing committed yet
    assert api.patch(url, {"year": 2026}).status_code == 200
    a = propose(ward_api, poor_household, housing_package).json()
    assert act(leader_api, a["id"], "approve", {}, 1).status_code == 200
    for change in ({"commune": rural.code}, {"year": 2027}, {"source": "social"}):
        r = api.patch(url, change)
        assert_problem(r, 409, code="allocation_committed")
    assert balances()[("central", None)] == (100_000_000, 42_000_000, 0, 58_000_000)
    assert api.patch(url, {"amount": 90_000_000}).status_code == 200
    assert balances()[("central", None)] == (90_000_000, 42_000_000, 0, 48_000_000)
