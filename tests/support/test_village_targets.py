"""Targets down to the village, beside the commune's: one per village, year and standard; the
progress counts the village's households only."""

import pytest

from core.access import SYSTEM
from geo import services as geo
from geo.models import Commune
from tests import factories as f
from tests.poverty.conftest import decide

from .conftest import POOR

pytestmark = pytest.mark.django_db


def test_a_villages_target_beside_the_communes(api, ward_api, ward, leader):
    upper, lower = (
        geo.village_save(actor=SYSTEM, village=None, values={"commune": ward, "name": n})
        for n in ("Khu 1", "Khu 2")
    )
    in_upper = [f.household(ward, village=upper) for _ in range(2)]
    f.household(ward, village=lower)
    for h in in_upper:
        decide(h, leader, day="2025-10-01", decision="2025-10-10", **POOR)
    decide(in_upper[0], leader, day="2026-10-01", decision="2026-10-10", income=200_000_000)
    body = {
        "commune": ward.code,
        "year": 2026,
        "households_to_lift": 1,
        "poverty_rate_target": "10",
    }
    assert api.post("/api/v1/targets/", body).status_code == 201
    r = api.post("/api/v1/targets/", {**body, "village": str(upper.pk)})
    assert r.status_code == 201, r.json()
    r = api.post("/api/v1/targets/", {**body, "village": str(upper.pk)})
    assert r.status_code == 409 and r.json()["code"] == "target_exists"
    assert [e["field"] for e in r.json()["errors"]] == [
        "commune",
        "village",
        "year",
        "standard_code",
    ]
    assert "village" in r.json()["detail"]
    assert api.post("/api/v1/targets/", {**body, "village": str(lower.pk)}).status_code == 201
    other = Commune.objects.filter(province_id="22").exclude(pk=ward.pk).first()
    r = api.post("/api/v1/targets/", {**body, "commune": other.code, "village": str(upper.pk)})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "village"
    rows = ward_api.get("/api/v1/targets/", {"village": str(upper.pk)}).json()["results"]
    assert [t["progress"] for t in rows] == [
        {
            "households_lifted": 1,
            "lift_progress": 1.0,
            "poor_households": 1,
            "households": 2,
            "poverty_rate": 50.0,
            "rate_target_met": False,
        }
    ]
    [commune] = ward_api.get("/api/v1/targets/", {"commune_wide": "true"}).json()["results"]
    assert commune["village"] is None
    assert (commune["progress"]["households"], commune["progress"]["poor_households"]) == (3, 1)
