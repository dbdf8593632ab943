"""A coverage gap checks at most `COVERAGE_GAP_MAX` candidate households (each is profiled:
two queries, and matched in Python; unpaginated). Before, a province officer or national
administrator asking without a commune had every poor household of their area profiled in
one request (queries grew by two per household). More candidates is a 400 naming `commune`,
after one count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from support import selectors
from tests import factories as f
from tests.poverty.conftest import decide

from ..api.test_errors import assert_problem
from .conftest import POOR

pytestmark = pytest.mark.django_db


@pytest.fixture
def poor(ward, leader):
    made = [f.household(ward) for _ in range(3)]
    for h in made:
        decide(h, leader, day="2026-10-01", decision="2026-10-10", **POOR)
    return made


def gap(client, package, **params):
    return client.get(
        f"/api/v1/support-packages/{package.id}/coverage-gap/", {"period": 2026, **params}
    )


def test_more_candidates_than_the_limit_is_400_naming_commune(
    api, poor, housing_package, monkeypatch
):
    monkeypatch.setattr(selectors, "COVERAGE_GAP_MAX", 2)
    with CaptureQueriesContext(connection) as queries:
        r = gap(api, housing_package)
    p = assert_problem(r, 400, field="commune")
    assert "3 households" in p["detail"]
    assert len(queries) < 15  # no household profiled


def test_up_to_the_limit_the_gap_is_answered(api, ward, poor, housing_package, monkeypatch):
    monkeypatch.setattr(selectors, "COVERAGE_GAP_MAX", 3)
    r = gap(api, housing_package, commune=ward.code)
    assert r.status_code == 200, r.content
    assert sorted(row["household"] for row in r.json()) == sorted(str(h.pk) for h in poor)


def test_the_default_limit(db):
    assert selectors.COVERAGE_GAP_MAX == 5_000
