"""Optimistic concurrency: an update names the version it was based on."""

import threading

import pytest
from django.db import connection

from core.access import SYSTEM
from core.errors import StaleVersion
from households import services
from households.models import Household
from tests import factories as f


@pytest.mark.django_db
def test_if_match_stale_gets_412_and_changes_nothing(api, ward):
    h = f.household(ward, address="A")
    assert (
        api.patch(f"/api/v1/households/{h.id}/", {"address": "B"}, HTTP_IF_MATCH='"1"').status_code
        == 200
    )
    r = api.patch(f"/api/v1/households/{h.id}/", {"address": "C"}, HTTP_IF_MATCH='"1"')
    assert r.status_code == 412 and r.json()["code"] == "stale_version"
    assert r["ETag"] == '"2"'
    h.refresh_from_db()
    assert h.address == "B" and h.version == 2


@pytest.mark.django_db
def test_body_version_stale_gets_409(api, ward):
    h = f.household(ward, address="A")
    api.patch(f"/api/v1/households/{h.id}/", {"address": "B", "version": 1})
    r = api.patch(f"/api/v1/households/{h.id}/", {"address": "C", "version": 1})
    assert r.status_code == 409 and r.json()["code"] == "stale_version"
    assert Household.objects.get(pk=h.pk).address == "B"


@pytest.mark.django_db
def test_update_without_version_gets_428(api, ward):
    h = f.household(ward, address="A")
    r = api.patch(f"/api/v1/households/{h.id}/", {"address": "B"})
    assert r.status_code == 428 and r.json()["code"] == "version_required"
    r = api.patch(f"/api/v1/households/{h.id}/", {"address": "B"}, HTTP_IF_MATCH='"abc"')
    assert r.status_code == 400
    assert Household.objects.get(pk=h.pk).address == "A"


@pytest.mark.django_db
def test_stale_member_version_inside_household_update(api, ward):
    h = f.household(ward)
    head = h.members.get()
    api.patch(f"/api/v1/members/{head.id}/", {"full_name": "New name", "version": 1})
    r = api.patch(
        f"/api/v1/households/{h.id}/",
        {"members": [{"id": str(head.id), "version": 1, "full_name": "Other name"}]},
        HTTP_IF_MATCH='"2"',
    )
    assert r.status_code == 412
    head.refresh_from_db()
    assert head.full_name == "New name"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_updates_exactly_one_wins(ward):
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite serialises writers)")
    h = f.household(ward, address="start")
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def update(i: int) -> None:
        barrier.wait()
        try:
            services.household_update(
                actor=SYSTEM,
                household=h,
                expected_version=1,
                data=services.HouseholdInput(values={"address": f"w{i}"}),
            )
            outcomes.append("ok")
        except StaleVersion:
            outcomes.append("stale")
        finally:
            connection.close()

    threads = [threading.Thread(target=update, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] + ["stale"] * 5
    h.refresh_from_db()
    assert h.version == 2 and h.address.startswith("w")
    assert h.history.count() == 2  # created + one change: no lost update
