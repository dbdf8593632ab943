"""A citizen ID or a household registry ID taken by another write at the same moment: the
services' check before writing cannot see a registration still in progress, so the database's
unique key stops the second write. Its answer is the one the check gives (409 on the field,
naming nothing outside the caller's area), by every door: not the generic conflict of the
API, not a server error in the admin, and nothing written.

PostgreSQL only: SQLite serialises writers, so there a write cannot start while another is in
progress (the check then sees the first write, tests/api/test_disclosure.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.db import connection
from django.test import Client

from accounts.roles import Role
from households.models import Household, Member
from tests import factories as f
from tests.workers import while_in_progress

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CITIZEN_ID = "022075000123"  # male, born 1975


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL")


def member_body(**extra) -> dict:
    return {
        "full_name": "Người Mới",
        "date_of_birth": "1975-04-04",
        "sex": "male",
        "ethnicity": "01",
        "relationship": "head",
        "citizen_id": CITIZEN_ID,
        **extra,
    }


def register_elsewhere(commune, **extra) -> Callable[[], object]:
    """A registration in another commune holding CITIZEN_ID (by the system: a sync, a
    loader, an officer of that commune)."""
    return lambda: f.household(
        commune,
        members=[f.member("Hoàng Văn Xa", dob=date(1975, 4, 4), citizen_id=CITIZEN_ID)],
        **extra,
    )


def assert_taken_elsewhere(r, field: str, code: str = "duplicate_citizen_id") -> None:
    assert r.status_code == 409, (r.status_code, r.content)
    body = r.json()
    assert body["code"] == code, body
    assert [e["field"] for e in body["errors"]] == [field], body
    assert "Hoàng Văn Xa" not in str(body) and CITIZEN_ID not in str(body)


def test_a_household_registered_with_a_citizen_id_taken_meanwhile(ward, rural):
    api = f.client_for(f.user(Role.COMMUNE_OFFICER, communes=[ward]))
    body = {"commune": ward.code, "address": "x", "members": [member_body()]}
    r = while_in_progress(
        register_elsewhere(rural), lambda: api.post("/api/v1/households/", body, format="json")
    )
    assert_taken_elsewhere(r, "members.0.citizen_id")
    assert Member.objects.filter(citizen_id=CITIZEN_ID).count() == 1
    assert not Household.objects.filter(commune=ward).exists()


def test_a_member_added_with_a_citizen_id_taken_meanwhile(ward, rural):
    mine = f.household(ward)
    api = f.client_for(f.user(Role.COMMUNE_OFFICER, communes=[ward]))
    body = {"household": str(mine.id), **member_body(relationship="child")}
    r = while_in_progress(
        register_elsewhere(rural), lambda: api.post("/api/v1/members/", body, format="json")
    )
    assert_taken_elsewhere(r, "citizen_id")
    assert mine.members.count() == 1
    mine.refresh_from_db()
    assert mine.version == 1


def test_a_registry_id_taken_meanwhile(ward, rural):
    api = f.client_for(f.user(Role.COMMUNE_OFFICER, communes=[ward]))
    body = {
        "commune": ward.code,
        "address": "x",
        "external_id": "HK-22-000777",
        "members": [member_body(citizen_id=None)],
    }

    def elsewhere():
        f.household(rural, external_id="HK-22-000777")

    r = while_in_progress(elsewhere, lambda: api.post("/api/v1/households/", body, format="json"))
    assert r.status_code == 409, r.content
    assert r.json()["code"] == "duplicate_external_id"
    assert [e["field"] for e in r.json()["errors"]] == ["external_id"]
    assert Household.objects.filter(external_id="HK-22-000777").count() == 1


def test_the_admin_refuses_a_citizen_id_taken_meanwhile_without_a_server_error(ward, rural):
    client = f.staff_login(Client(), Role.COMMUNE_OFFICER, communes=[ward])
    form = {**f.admin_household(ward), "members-0-citizen_id": CITIZEN_ID}
    form.update({"members-0-date_of_birth": "1975-04-04", "members-0-sex": "male"})
    r = while_in_progress(
        register_elsewhere(rural),
        lambda: client.post("/admin/households/household/add/", form, follow=True),
    )
    assert not isinstance(r, Exception), repr(r)
    assert r.status_code == 200
    shown = [str(m) for m in r.context["messages"]]
    assert any("already registered elsewhere" in m for m in shown), shown
    assert Member.objects.filter(citizen_id=CITIZEN_ID).count() == 1
    assert not Household.objects.filter(commune=ward).exists()
