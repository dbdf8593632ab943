"""The relapse watchlist says why a household is on it in the officer's language, with the
figures it compared."""

import pytest

from tests import factories as f

from .conftest import decide

pytestmark = pytest.mark.django_db

POOR = {"income": 10_000_000, "poor_housing": True}


@pytest.fixture
def near(ward, leader):
    """One person in a ward who escaped in 2024 at 2,166,666 VND a month, 8.3% above the
    urban line of 2,000,000, with 6 deprivations (poor from 3)."""
    household = f.household(ward, members=[f.member("Hà Văn Cận")])
    decide(household, leader, day="2023-10-01", decision="2023-10-20", **POOR)
    decide(household, leader, day="2024-10-01", decision="2024-10-20", income=26_000_000)
    return household


def test_the_watchlist_reasons_are_vietnamese_by_default(ward_api, near):
    r = ward_api.get(
        "/api/v1/relapse-watchlist/",
        {"income_margin": 0.1, "deprivation_margin": 3},
        HTTP_ACCEPT_LANGUAGE="vi",
    )
    reasons = r.json()["results"][0]["reasons"]
    # Before: English only, whatever the language ("income 2,166,666 VND is within 10% ...").
    assert reasons == [
        "thu nhập 2.166.666 ₫/người/tháng, cách chuẩn nghèo 2.000.000 ₫ không quá 10%",
        "thiếu hụt 0 chỉ số (hộ nghèo khi từ 3 chỉ số trở lên)",
    ]


def test_the_watchlist_reasons_in_english(ward_api, near):
    r = ward_api.get("/api/v1/relapse-watchlist/", {"income_margin": 0.1, "deprivation_margin": 3})
    assert r.json()["results"][0]["reasons"] == [
        "income 2.166.666 ₫ per person per month is within 10% of the line of 2.000.000 ₫",
        "0 deprivations (poor from 3)",
    ]
