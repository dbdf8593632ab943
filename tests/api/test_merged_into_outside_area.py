"""A household merged into one of another commune: its `merged_into` is a link to a household
outside the area of a reader who holds the merged one only. It reads null to them wherever the
household is read live (detail, list, field download, change feed), as in its history
(tests/api/test_history.py); whoever's area holds both reads the link."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from tests import factories as f
from tests.api.test_history import merge

pytestmark = pytest.mark.django_db


@pytest.fixture
def merged(ward, rural):
    """A ward household merged into a rural one by a province officer."""
    source = f.household(ward, members=[f.member("Bùi Văn Nguồn")])
    target = f.household(rural, members=[f.member("Bùi Văn Đích", dob=date(1977, 7, 7))])
    merge(source, target)
    return source, target


def links_read_by(client, source) -> dict[str, object]:
    """`merged_into` of the merged household as each live read shows it."""
    detail = client.get(f"/api/v1/households/{source.id}/")
    listed = client.get("/api/v1/households/", {"status": "merged"})
    download = client.get("/api/v1/field/households/")
    feed = client.get("/api/v1/changes/", {"after": 0, "types": "household"})
    for r in (detail, listed, download, feed):
        assert r.status_code == 200, r.content
    [row] = [h for h in listed.json()["results"] if h["id"] == str(source.id)]
    [downloaded] = [h for h in download.json()["results"] if h["id"] == str(source.id)]
    [event] = [
        e
        for e in feed.json()["results"]
        if e["entity_id"] == str(source.id) and e["payload"]["status"] == "merged"
    ]
    return {
        "detail": detail.json()["merged_into"],
        "list": row["merged_into"],
        "download": downloaded["merged_into"],
        "feed": event["payload"]["merged_into_id"],
    }


def test_a_reader_of_the_merged_household_alone_is_not_given_the_link(merged, ward_api):
    source, target = merged
    assert ward_api.get(f"/api/v1/households/{target.id}/").status_code == 404
    read = links_read_by(ward_api, source)
    assert read == dict.fromkeys(["detail", "list", "download", "feed"], None)


@pytest.mark.parametrize("reader", ["province", "superuser"])
def test_a_reader_whose_area_holds_both_reads_the_link(merged, reader):
    source, target = merged
    user = (
        f.user(Role.PROVINCE_OFFICER, provinces=["22"])
        if reader == "province"
        else f.user(None, superuser=True)
    )
    read = links_read_by(f.client_for(user), source)
    assert read == dict.fromkeys(["detail", "list", "download", "feed"], str(target.id))


def test_the_links_cost_one_query_a_page_however_many_merged_households_it_holds(
    merged, ward, rural, ward_api
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert ward_api.get("/api/v1/households/").status_code == 200
        return len(ctx.captured_queries)

    ward_api.get("/api/v1/households/")  # the token's first use is recorded once
    one = queries()
    for n in range(3):
        merge(
            f.household(ward, members=[f.member(f"Bùi Văn Nguồn {n}")]),
            f.household(rural, members=[f.member(f"Bùi Văn Đích {n}", dob=date(1970, 1, n + 1))]),
        )
    assert queries() == one
