"""Official-status timeline, its events, and the relapse watchlist."""

from datetime import date

import pytest
from django.test import override_settings

from poverty import services
from poverty.models import OfficialStatus, ReviewRound
from poverty.timeline import status_event
from tests import factories as f

from .conftest import decide, submit

pytestmark = pytest.mark.django_db


POOR = {"income": 10_000_000, "poor_housing": True}
WELL_OFF = {"income": 200_000_000}


@pytest.mark.parametrize(
    ("previous", "new", "voluntary", "escaped", "event"),
    [
        (None, "poor", False, False, "newly_poor"),
        (None, "near_poor", False, False, "first_recognised"),
        ("poor", "poor", False, False, "confirmed"),
        ("poor", "near_poor", False, False, "escaped"),
        ("poor", "not_poor", False, False, "escaped"),
        ("not_poor", "poor", False, True, "relapsed"),
        ("not_poor", "poor", False, False, "newly_poor"),
        ("near_poor", "not_poor", False, False, "reclassified"),
        ("poor", "not_poor", True, False, "voluntary_exit"),
    ],
)
def test_status_events(previous, new, voluntary, escaped, event):
    assert (
        status_event(previous=previous, new=new, voluntary=voluntary, escaped_within_window=escaped)
        == event
    )


def test_timeline_newly_poor_escaped_relapsed(ward_api, family, leader):
    decide(family, leader, day="2022-10-01", decision="2022-10-20", **POOR)
    decide(family, leader, day="2023-10-01", decision="2023-10-20", **WELL_OFF)
    decide(family, leader, day="2025-10-01", decision="2025-10-20", **POOR)
    periods = ward_api.get(f"/api/v1/households/{family.id}/poverty-status/").json()
    national = [p for p in periods if p["standard_code"] == "VN-ND07-2021"]
    assert [
        (p["classification"], p["event"], p["valid_from"], p["valid_to"]) for p in national
    ] == [
        ("poor", "newly_poor", "2022-10-20", "2023-10-20"),
        ("not_poor", "escaped", "2023-10-20", "2025-10-20"),
        ("poor", "relapsed", "2025-10-20", None),
    ]


@override_settings(POVERTY_RELAPSE_YEARS=1)
def test_relapse_window_is_configurable(family, leader):
    decide(family, leader, day="2022-10-01", decision="2022-10-20", **POOR)
    decide(family, leader, day="2023-10-01", decision="2023-10-20", **WELL_OFF)
    a = decide(family, leader, day="2025-10-01", decision="2025-10-20", **POOR)
    assert a.official_status.event == "newly_poor"  # escaped more than a year before


def test_voluntary_exit(family, leader, ward):
    decide(family, leader, day="2024-10-01", decision="2024-10-20", **POOR)
    rnd = ReviewRound.objects.create(
        province_id="22",
        kind="regular",
        year=2026,
        month=3,
        opens=date(2026, 3, 15),
        closes=date(2026, 4, 14),
        name="Regular 2026-03",
    )
    a = submit(
        family, day="2026-03-20", review_round=str(rnd.id), application="voluntary_exit", **POOR
    ).assessments.get()
    assert a.classification == "poor"  # the facts still say poor...
    for step, kwargs in [
        (
            services.assessment_record_meeting,
            {"meeting_date": date(2026, 3, 21), "attendees": 4, "agreeing": 4},
        ),
        (
            services.assessment_post,
            {
                "posted_from": date(2026, 3, 22),
                "posted_to": date(2026, 3, 25),
            },  # Sun–Wed: 3 working days
        ),
        (
            services.assessment_approve,
            {"decision_number": "9/QĐ", "decision_date": date(2026, 3, 30)},
        ),
    ]:
        a = step(assessment=a, expected_version=a.version, actor=leader, **kwargs)
    current = OfficialStatus.objects.get(household=family, valid_to__isnull=True)
    assert current.classification == "not_poor" and current.event == "voluntary_exit"


def test_an_older_decision_cannot_overwrite_a_newer_one(family, leader):
    decide(family, leader, day="2025-10-01", decision="2025-10-20", **POOR)
    with pytest.raises(Exception) as exc:
        decide(family, leader, day="2025-10-02", decision="2025-10-10", **WELL_OFF)
    assert "later decision" in str(exc.value)


def test_relapse_watchlist(ward_api, family, ward, leader):
    near = f.household(ward, members=[f.member("Hà Văn Cận")])
    decide(family, leader, day="2023-10-01", decision="2023-10-20", **POOR)
    decide(near, leader, day="2023-10-01", decision="2023-10-20", **POOR)
    # both escaped in 2024; `family` is now far above the line, `near` just above it
    decide(family, leader, day="2024-10-01", decision="2024-10-20", **WELL_OFF)
    decide(near, leader, day="2024-10-01", decision="2024-10-20", income=26_000_000)
    rows = ward_api.get("/api/v1/relapse-watchlist/", {"income_margin": 0.1}).json()["results"]
    assert [r["household_code"] for r in rows] == [near.code]
    row = rows[0]
    assert row["escaped_on"] == "2024-10-20" and row["line"] == 2_000_000
    assert 0 < row["income_margin"] <= 0.1 and row["reasons"]
    assert (
        ward_api.get("/api/v1/relapse-watchlist/", {"income_margin": 0.05}).json()["results"] == []
    )
    assert ward_api.get("/api/v1/relapse-watchlist/", {"years": 0}).status_code == 400
