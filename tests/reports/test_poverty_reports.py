"""Poverty reports against figures counted by hand from the known data set (conftest)."""

import pytest

from tests import factories as f

ND07 = "VN-ND07-2021"
QN = "QN-NQ13-2023"
RATES = "/api/v1/reports/poverty-rates/"


def get(client, slug, **params):
    r = client.get(f"/api/v1/reports/{slug}/", params)
    assert r.status_code == 200, r.content
    return r.json()


def pick(row: dict, *keys: str) -> dict:
    return {k: row[k] for k in keys}


RATE_KEYS = (f"poor__{ND07}", f"near_poor__{ND07}", f"poor_rate__{ND07}", f"near_poor_rate__{ND07}")


def test_poverty_rates_by_commune(api, known, ward, rural):
    body = get(api, "poverty-rates", as_of="2026-07-01")
    assert body["report"] == "poverty-rates"
    assert body["title"] == "Poverty and near-poverty rates"
    assert body["filters"] == {"as_of": "2026-07-01", "group_by": "commune"}
    # the national standard in force, and the province's own latest (ended 2025) beside it
    assert [(s["code"], s["scope"]) for s in body["standards"]] == [
        (ND07, "national"),
        (QN, "provincial"),
    ]
    keys = [c["key"] for c in body["columns"]]
    assert keys[:3] == ["commune", "commune_name", "households"]
    assert f"poor_rate__{ND07}" in keys and f"poor_rate__{QN}" in keys
    assert {c["key"]: c["type"] for c in body["columns"]}[f"poor_rate__{ND07}"] == "rate"
    # ward: 4 households; on 1 July w_poor poor, w_near near-poor, w_escaped escaped (20 June)
    # rural: 2 households, r_poor poor
    w, r = body["rows"]
    assert (w["commune"], w["commune_name"], w["households"]) == (ward.code, ward.name, 4)
    assert pick(w, *RATE_KEYS) == dict(zip(RATE_KEYS, (1, 1, 0.25, 0.25), strict=True))
    assert (r["commune"], r["households"]) == (rural.code, 2)
    assert pick(r, *RATE_KEYS) == dict(zip(RATE_KEYS, (1, 0, 0.5, 0.0), strict=True))
    assert body["total"]["households"] == 6
    assert pick(body["total"], *RATE_KEYS) == dict(
        zip(RATE_KEYS, (2, 1, 0.3333, 0.1667), strict=True)
    )
    assert body["total"][f"poor__{QN}"] == 0  # nobody was decided under it


@pytest.mark.parametrize(
    ("as_of", "ward_poor", "ward_near", "rural_poor"),
    [
        ("2026-03-09", 0, 0, 0),  # before any decision
        ("2026-03-10", 2, 1, 0),  # the day of the ward's decisions: in force from that day
        ("2026-05-01", 2, 1, 1),  # w_escaped still poor
        ("2026-06-20", 1, 1, 1),  # the escape takes effect on its decision date
    ],
)
def test_poverty_rates_as_of(api, known, as_of, ward_poor, ward_near, rural_poor):
    w, r = get(api, "poverty-rates", as_of=as_of)["rows"]
    assert (w[f"poor__{ND07}"], w[f"near_poor__{ND07}"]) == (ward_poor, ward_near)
    assert r[f"poor__{ND07}"] == rural_poor


def test_poverty_rates_by_year(api, known):
    body = get(api, "poverty-rates", group_by="year", year_from=2025, year_to=2026, standard=ND07)
    assert [s["code"] for s in body["standards"]] == [ND07]
    assert body["total"] is None
    assert [(r["year"], r["households"], *pick(r, *RATE_KEYS).values()) for r in body["rows"]] == [
        (2025, 6, 0, 0, 0.0, 0.0),
        (2026, 6, 2, 1, 0.3333, 0.1667),
    ]


def test_poverty_rates_by_head(api, known, ward, rural):
    # Dao head: w_near only
    body = get(api, "poverty-rates", as_of="2026-07-01", ethnicity="02", standard=ND07)
    near = f"near_poor_rate__{ND07}"
    assert [(r["commune"], r["households"], r[near]) for r in body["rows"]] == [(ward.code, 1, 1.0)]
    # women heads: w_near (ward), r_poor (rural)
    body = get(api, "poverty-rates", as_of="2026-07-01", head_sex="female", standard=ND07)
    assert [(r["commune"], r["households"], r[f"poor__{ND07}"]) for r in body["rows"]] == [
        (ward.code, 1, 0),
        (rural.code, 1, 1),
    ]
    none = get(api, "poverty-rates", as_of="2026-07-01", group_by="none", standard=ND07)
    assert none["rows"] == [none["total"]]
    assert none["total"]["households"] == 6


def test_transitions(api, known, ward, rural):
    body = get(api, "transitions", standard=ND07)
    assert body["filters"]["date_from"] == f"{body['filters']['date_to'][:4]}-01-01"
    year = get(api, "transitions", standard=ND07, date_from="2026-01-01", date_to="2026-12-31")
    keys = [f"{e}__{ND07}" for e in ("newly_poor", "escaped", "relapsed", "voluntary_exit")]
    # w_poor and w_escaped newly poor, w_escaped escaped; w_near first recognised (near-poor)
    assert [(r["commune"], *pick(r, *keys).values()) for r in year["rows"]] == [
        (ward.code, 2, 1, 0, 0),
        (rural.code, 1, 0, 0, 0),
    ]
    assert list(pick(year["total"], *keys).values()) == [3, 1, 0, 0]
    late = get(api, "transitions", standard=ND07, date_from="2026-06-20", date_to="2026-12-31")
    assert [(r["commune"], *pick(r, *keys).values()) for r in late["rows"]] == [
        (ward.code, 0, 1, 0, 0)
    ]


def test_alkire_foster(api, known, ward, rural):
    body = get(api, "alkire-foster", as_of="2026-07-01", standard=ND07)
    # ward: 3 assessed (w_poor 6 deprivations of 12, w_near 0, w_escaped's latest 0)
    # H = 1/3, A = 6/(1×12) = 0.5, M0 = 6/(3×12) = 1/6; rural: 1 assessed, 6 of 12
    w, r = body["rows"]
    keys = [f"{m}__{ND07}" for m in ("assessed", "mpoor", "H", "A", "M0")]
    assert list(pick(w, *keys).values()) == [3, 1, 0.3333, 0.5, 0.1667]
    assert list(pick(r, *keys).values()) == [1, 1, 1.0, 0.5, 0.5]
    assert list(pick(body["total"], *keys).values()) == [4, 2, 0.5, 0.5, 0.25]
    assert w[f"ch_housing_quality__{ND07}"] == 0.3333
    assert w[f"ch_employment__{ND07}"] == 0.0
    assert body["total"][f"ch_latrine__{ND07}"] == 0.5
    # the censored headcounts add up to M0 × d (12 indicators)
    ch = [v for k, v in body["total"].items() if k.startswith("ch_")]
    assert round(sum(ch), 4) == round(0.25 * 12, 4)


def test_deprivation_profile(api, known, ward, rural):
    body = get(api, "deprivation-profile", as_of="2026-07-01", standard=ND07)
    rows = {(r["commune"], r["indicator"]): r for r in body["rows"]}
    assert len(rows) == 2 * 12
    measures = ("assessed", "deprived", "deprived_share", "poor", "deprived_poor")
    keys = [f"{m}__{ND07}" for m in (*measures, "deprived_share_poor")]

    def figures(commune, indicator):
        return list(pick(rows[(commune.code, indicator)], *keys).values())

    assert figures(ward, "housing_quality") == [3, 1, 0.3333, 1, 1, 1.0]
    assert figures(ward, "employment") == [3, 0, 0.0, 1, 0, 0.0]
    assert figures(rural, "latrine") == [1, 1, 1.0, 1, 1, 1.0]
    assert rows[(ward.code, "latrine")]["indicator_name"] == "Hygienic latrine"
    # rows: communes in code order, indicators in the standard's order
    assert body["rows"][0]["indicator"] == "employment"
    village = get(api, "deprivation-profile", as_of="2026-07-01", standard=ND07, group_by="village")
    assert {r["village"] for r in village["rows"]} == {None}  # no household has a village


def test_a_commune_officer_sees_only_their_commune(ward_api, known, ward, rural):
    body = get(ward_api, "poverty-rates", as_of="2026-07-01")
    assert [r["commune"] for r in body["rows"]] == [ward.code]
    assert body["total"]["households"] == 4
    # another commune: empty figures, as if it held no households
    other = get(ward_api, "poverty-rates", as_of="2026-07-01", commune=rural.code)
    assert other["rows"] == []
    assert other["total"]["households"] == 0
    assert other["total"][f"poor_rate__{ND07}"] is None
    for slug in ("transitions", "alkire-foster", "deprivation-profile"):
        assert get(ward_api, slug, commune=rural.code)["rows"] == [], slug


@pytest.mark.parametrize(
    ("slug", "params", "field"),
    [
        ("poverty-rates", {"standard": "NOPE"}, "standard"),
        ("poverty-rates", {"commune": "99999"}, "commune"),
        ("poverty-rates", {"village": "not-a-uuid"}, "village"),
        ("poverty-rates", {"ethnicity": "99"}, "ethnicity"),
        ("poverty-rates", {"head_sex": "x"}, "head_sex"),
        ("poverty-rates", {"as_of": "2026-02-30"}, "as_of"),
        ("poverty-rates", {"as_of": "1800-01-01"}, "as_of"),
        ("poverty-rates", {"group_by": "district"}, "group_by"),
        ("poverty-rates", {"year_from": 2020}, "year_from"),  # only with group_by=year
        ("poverty-rates", {"group_by": "year", "year_from": 1990, "year_to": 2026}, "year_from"),
        ("poverty-rates", {"group_by": "year", "year_from": 2026, "year_to": 2025}, "year_to"),
        ("poverty-rates", {"commune": ""}, "commune"),
        ("poverty-rates", {"date_from": "2026-01-01"}, "date_from"),  # a flow's parameter
        ("poverty-rates", {"format": "pdf"}, "format"),
        ("transitions", {"date_from": "2026-05-01", "date_to": "2026-04-01"}, "date_to"),
        ("transitions", {"as_of": "2026-05-01"}, "as_of"),
        ("alkire-foster", {"group_by": "village"}, "group_by"),
        ("deprivation-profile", {"group_by": "year"}, "group_by"),
        ("target-progress", {"ethnicity": "01"}, "ethnicity"),
        ("uplift", {"standard": ND07}, "standard"),
    ],
)
def test_bad_filters_are_400s(api, slug, params, field):
    r = api.get(f"/api/v1/reports/{slug}/", params)
    assert r.status_code == 400, r.content
    assert r["Content-Type"].startswith("application/problem+json")
    assert field in {e["field"] for e in r.json()["errors"]}, r.json()


@pytest.mark.parametrize(
    ("slug", "params", "field", "vi", "en"),
    [
        (
            "poverty-rates",
            {"standard": "NOPE"},
            "standard",
            "Không có chuẩn nghèo đã ban hành nào có mã này.",
            "No published standard has this code.",
        ),
        (
            "poverty-rates",
            {"commune": "99999"},
            "commune",
            "Không có xã, phường nào có mã này.",
            "No commune has this code.",
        ),
        (
            "poverty-rates",
            {"ethnicity": "99"},
            "ethnicity",
            "Không có dân tộc nào có mã này.",
            "No ethnic group has this code.",
        ),
        (
            "poverty-rates",
            {"year_from": 2020},
            "year_from",
            "Chỉ dùng với group_by=year.",
            "Only with group_by=year.",
        ),
        (
            "poverty-rates",
            {"group_by": "year", "year_from": 1990, "year_to": 2026},
            "year_from",
            "Tối đa 30 năm.",
            "At most 30 years.",
        ),
        (
            "poverty-rates",
            {"group_by": "year", "year_from": 2026, "year_to": 2025},
            "year_to",
            "Không được trước year_from.",
            "Must not be before year_from.",
        ),
        (
            "poverty-rates",
            {"format": "pdf"},
            "format",
            "Định dạng không xác định: dùng json, csv hoặc xlsx.",
            "Unknown format: give json, csv or xlsx.",
        ),
        (
            "transitions",
            {"date_from": "2026-05-01", "date_to": "2026-04-01"},
            "date_to",
            "Không được trước date_from.",
            "Must not be before date_from.",
        ),
    ],
)
def test_bad_filters_are_explained_in_the_callers_language(api, slug, params, field, vi, en):
    for language, reason in (("vi", vi), ("en", en)):
        r = api.get(f"/api/v1/reports/{slug}/", params, HTTP_ACCEPT_LANGUAGE=language)
        assert r.status_code == 400, r.content
        reasons = {e["field"]: e["reason"] for e in r.json()["errors"]}
        assert reasons[field] == reason


def test_reports_need_the_view_permission(db, known):
    nobody = f.client_for(f.user(None))
    assert nobody.get(RATES).status_code == 403


@pytest.mark.parametrize(
    ("slug", "params", "most"),
    [
        ("poverty-rates", {"as_of": "2026-07-01"}, 2),
        ("poverty-rates", {"group_by": "year"}, 2),
        ("transitions", {}, 1),
        ("alkire-foster", {}, 1),
        ("deprivation-profile", {}, 1),
    ],
)
def test_query_counts_stay_flat(api, known, django_assert_max_num_queries, slug, params, most):
    """The report's own queries (besides the token, the area and the standards' look-ups) do
    not grow with households: counted with the data set, then again with more households."""
    api.get(f"/api/v1/reports/{slug}/", params)  # warm the caller's access
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        api.get(f"/api/v1/reports/{slug}/", params)
    for i in range(3):
        f.household(known["w_poor"].commune, members=[f.member(f"Thêm {i}")])
    with django_assert_max_num_queries(len(before.captured_queries)):
        api.get(f"/api/v1/reports/{slug}/", params)
    own = [q for q in before.captured_queries if "poverty_officialstatus" in q["sql"]]
    assert len(own) <= most


def test_deprivation_profile_by_village(api, ward):
    from datetime import date

    from accounts.roles import Role
    from geo.models import Village
    from tests.poverty.conftest import decide

    village = Village.objects.create(commune=ward, name="Thôn Tây")
    h = f.household(ward, village=village, members=[f.member("Vi Văn Bảy", dob=date(1980, 1, 1))])
    decide(
        h,
        f.user(Role.COMMUNE_LEADER, communes=[ward]),
        day="2026-03-01",
        decision="2026-03-10",
        income=10_000_000,
        poor_housing=True,
    )
    body = get(api, "deprivation-profile", standard=ND07, group_by="village", as_of="2026-07-01")
    row = next(r for r in body["rows"] if r["indicator"] == "latrine")
    assert (row["village"], row["village_name"]) == (str(village.id), "Thôn Tây")
    assert (row[f"assessed__{ND07}"], row[f"deprived__{ND07}"], row[f"deprived_share__{ND07}"]) == (
        1,
        1,
        1.0,
    )


def test_a_period_defaults_to_the_year_of_the_date_given(api, known):
    body = get(api, "transitions", date_to="2025-06-30")
    assert (body["filters"]["date_from"], body["filters"]["date_to"]) == (
        "2025-01-01",
        "2025-06-30",
    )


def test_relapses_and_voluntary_exits(api, known, ward):
    from datetime import date

    from accounts.roles import Role
    from poverty.models import ReviewRound
    from tests.poverty.conftest import decide

    leader = f.user(Role.COMMUNE_LEADER, communes=[ward])
    # w_escaped (escaped on 20 June) is poor again on 10 September: a relapse
    decide(
        known["w_escaped"],
        leader,
        day="2026-09-01",
        decision="2026-09-10",
        income=10_000_000,
        poor_housing=True,
    )
    # w_poor leaves the list at its own request (a regular review) on 30 September
    september = ReviewRound.objects.create(
        province_id="22",
        kind="regular",
        year=2026,
        month=9,
        opens=date(2026, 9, 15),
        closes=date(2026, 10, 14),
        name="Regular 2026-09",
    )
    decide(
        known["w_poor"],
        leader,
        day="2026-09-16",
        decision="2026-09-30",
        income=10_000_000,
        poor_housing=True,
        review_round=str(september.id),
        application="voluntary_exit",
    )
    body = get(api, "transitions", standard=ND07, date_from="2026-09-01", date_to="2026-09-30")
    keys = [f"{e}__{ND07}" for e in ("newly_poor", "escaped", "relapsed", "voluntary_exit")]
    assert [(r["commune"], *pick(r, *keys).values()) for r in body["rows"]] == [
        (ward.code, 0, 0, 1, 1)
    ]
    # on 1 October: w_escaped poor again, w_poor not poor (its own exit), w_near near-poor
    w = get(api, "poverty-rates", as_of="2026-10-01", standard=ND07)["rows"][0]
    assert (w[f"poor__{ND07}"], w[f"near_poor__{ND07}"]) == (1, 1)
