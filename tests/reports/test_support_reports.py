"""Support reports against hand-computed figures: targets, the provincial uplift, budget
execution and coverage (the known data set of conftest, plus support)."""

from decimal import Decimal

from support.models import Target

ND07 = "VN-ND07-2021"


def report(client, slug, **params):
    r = client.get(f"/api/v1/reports/{slug}/", params)
    assert r.status_code == 200, r.content
    return r.json()


def test_uplift(api, paid, ward, rural):
    body = report(api, "uplift", date_from="2026-01-01", date_to="2026-12-31")
    assert body["standards"] == []
    w, r = body["rows"]
    # ward: 26,000,000 paid of 52,000,000 (base 40,000,000): base part 20,000,000
    assert (w["commune"], w["paid"], w["central_base"], w["uplift"], w["uplift_factor"]) == (
        ward.code,
        26_000_000,
        20_000_000,
        6_000_000,
        1.3,
    )
    assert (w["paid_minority"], w["minority_share"], w["households"]) == (0, 0.0, 1)
    # rural: 60,000,000 of 60,000,000 (×1.5): base 40,000,000, all to a Tày-headed household
    assert (r["paid"], r["central_base"], r["uplift"], r["uplift_factor"]) == (
        60_000_000,
        40_000_000,
        20_000_000,
        1.5,
    )
    assert (r["paid_minority"], r["uplift_minority"], r["minority_share"]) == (
        60_000_000,
        20_000_000,
        1.0,
    )
    t = body["total"]
    assert (t["paid"], t["central_base"], t["uplift"], t["uplift_factor"]) == (
        86_000_000,
        60_000_000,
        26_000_000,
        1.433,
    )
    assert (t["minority_share"], t["households"], t["households_minority"]) == (0.6977, 2, 1)
    by_type = report(api, "uplift", group_by="package_type")
    assert [(r["package_type"], r["paid"]) for r in by_type["rows"]] == [("housing", 86_000_000)]
    # the period counts the disbursement's date: only the ward's is in May
    may = report(api, "uplift", date_from="2026-05-01", date_to="2026-05-31", group_by="none")
    assert may["rows"] == [may["total"]]
    assert (may["total"]["paid"], may["total"]["uplift"]) == (26_000_000, 6_000_000)


def test_target_progress(api, ward_api, known, ward, rural):
    Target.objects.create(
        commune=ward,
        year=2026,
        standard_code=ND07,
        households_to_lift=3,
        poverty_rate_target=Decimal("10.000"),
    )
    Target.objects.create(
        commune=rural,
        year=2026,
        standard_code=ND07,
        households_to_lift=1,
        poverty_rate_target=Decimal("60.000"),
    )
    body = report(api, "target-progress", year=2026)
    assert [s["code"] for s in body["standards"]] == [ND07]
    w, r = body["rows"]
    # ward: 1 escape in 2026 of 3 to lift; 1 poor of 4 households (25%) against 10%
    assert {k: w[k] for k in w if k not in ("commune_name", "village", "village_name")} == {
        "commune": ward.code,
        "year": 2026,
        "standard": ND07,
        "households_to_lift": 3,
        "households_lifted": 1,
        "gap": 2,
        "lift_progress": 0.3333,
        "households": 4,
        "poor": 1,
        "poverty_rate": 0.25,
        "poverty_rate_target": 0.1,
        "rate_gap": 0.15,
    }
    # rural: nobody lifted; 1 poor of 2 households (50%), below the 60% target
    assert (r["households_lifted"], r["gap"], r["poverty_rate"], r["rate_gap"]) == (0, 1, 0.5, 0)
    assert [x["commune"] for x in report(ward_api, "target-progress")["rows"]] == [ward.code]
    assert report(api, "target-progress", year=2025)["rows"] == []


def test_budget_execution_groups_and_filters(api, paid, ward, rural):
    rows = api.get("/api/v1/reports/budget-execution/", {"group_by": "year"}).json()
    # approved 52,000,000 + 60,000,000 committed; 86,000,000 disbursed, in 2026
    assert rows == [
        {
            "key": "2026",
            "name": "2026",
            "allocated": 1_000_000_000,
            "committed": 112_000_000,
            "disbursed": 86_000_000,
            "available": 888_000_000,
        }
    ]
    by_commune = api.get("/api/v1/reports/budget-execution/", {"group_by": "commune"}).json()
    assert [(r["key"], r["name"]) for r in by_commune] == [("province 22", "Quảng Ninh")]
    # the allocations are province-wide: none is the ward's own
    only = api.get("/api/v1/reports/budget-execution/", {"commune": ward.code}).json()
    assert only == []


def test_coverage_by_package_type(api, paid, ward, rural):
    rows = api.get("/api/v1/reports/coverage/", {"period": 2026, "group_by": "package_type"}).json()
    # eligible (poor or near-poor under ND07): ward w_poor, w_near; rural r_poor
    assert rows == [
        {
            "commune": ward.code,
            "package": "housing",
            "eligible_households": 2,
            "covered": 1,
            "coverage": 0.5,
            "poor_households": 1,
            "poor_covered": 1,
            "near_poor_households": 1,
            "near_poor_covered": 0,
        },
        {
            "commune": rural.code,
            "package": "housing",
            "eligible_households": 1,
            "covered": 1,
            "coverage": 1.0,
            "poor_households": 1,
            "poor_covered": 1,
            "near_poor_households": 0,
            "near_poor_covered": 0,
        },
    ]


def test_query_counts_do_not_grow_with_rows(api, paid, ward, rural, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    calls = [
        ("/api/v1/reports/uplift/", {}),
        ("/api/v1/reports/target-progress/", {}),
        ("/api/v1/reports/budget-execution/", {"group_by": "commune"}),
        ("/api/v1/reports/coverage/", {"period": 2026}),
    ]
    Target.objects.create(
        commune=ward, year=2026, households_to_lift=1, poverty_rate_target=Decimal("1")
    )
    for url, params in calls:
        api.get(url, params)
    counts = []
    for url, params in calls:
        with CaptureQueriesContext(connection) as q:
            assert api.get(url, params).status_code == 200
        counts.append(len(q.captured_queries))
    Target.objects.create(
        commune=rural, year=2026, households_to_lift=1, poverty_rate_target=Decimal("1")
    )
    for (url, params), most in zip(calls, counts, strict=True):
        with django_assert_max_num_queries(most):
            api.get(url, params)
