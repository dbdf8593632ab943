"""A field upload that meets a change still in progress on another connection waits for it,
and is then compared with what that change committed: kept as a conflict for an officer,
never refused as stale and stored `rejected` (README, Field apps: "never applied over newer
data, never dropped"). The version an upload is compared with is read under the lock its
apply takes (integrations.field.services.current_version), taken as the registry and case
services take it, so that the upload and an API change of the same rows never deadlock.

PostgreSQL only: SQLite serialises writers (IMMEDIATE transactions), so there an upload cannot
start while another change is in progress; the window before the lock is also tested on
both databases in tests/poverty/test_field_apps.py ("overtaken")."""

import uuid
from collections.abc import Callable
from datetime import date

import pytest
from django.db import connection

from accounts.roles import Role
from cases import services as cases
from cases.models import Case
from core.access import SYSTEM
from households import services as registry
from households.models import Household
from poverty.models import FieldUpload
from tests import factories as f
from tests.poverty.conftest import decide
from tests.workers import while_in_progress

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

URL = "/api/v1/field/uploads/"
POOR = {"income": 10_000_000, "poor_housing": True}


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL")


def edit(household, version=1, **body):
    return {
        "client_id": str(uuid.uuid4()),
        "kind": "household_edit",
        "based_on_version": version,
        "captured_at": "2026-10-01T08:30:00+07:00",
        "body": {"household": str(household.pk), **body},
    }


def change_household(household, **values) -> Callable[[], object]:
    def change():
        current = Household.objects.get(pk=household.pk)
        return registry.household_update(
            actor=SYSTEM,
            household=current,
            expected_version=current.version,
            data=registry.HouseholdInput(values=values),
        )

    return change


def test_a_household_edit_waits_for_an_edit_in_progress_and_is_kept_as_a_conflict(ward):
    h = f.household(ward, address="Thôn 1")
    enumerator = f.client_for(f.user(Role.FIELD_ENUMERATOR, communes=[ward]))
    item = edit(h, address="Số 9 (từ thực địa)")
    r = while_in_progress(
        change_household(h, phone="0911111111"),
        lambda: enumerator.post(URL, item, format="json"),
    )
    stored = FieldUpload.objects.get(pk=item["client_id"])
    assert (r.status_code, stored.status) == (202, "conflict"), (r.status_code, stored.result)
    assert stored.result["current_version"] == 2
    h.refresh_from_db()
    assert (h.address, h.phone, h.version) == ("Thôn 1", "0911111111", 2)


def test_a_member_edit_waits_for_a_member_edit_in_progress_without_a_deadlock(ward):
    """The upload locks the member with its household, as households.services.member_update
    does (same statement, same order): it waits behind the API's change of the same member,
    neither stops the other, and the upload is kept as a conflict."""
    h = f.household(ward)
    head = h.members.get()
    enumerator = f.client_for(f.user(Role.FIELD_ENUMERATOR, communes=[ward]))
    item = {
        **edit(h),
        "kind": "member_edit",
        "body": {"member": str(head.pk), "version": 1, "full_name": "Tên Thực Địa"},
    }

    def change():
        registry.member_update(
            actor=SYSTEM, member=head, expected_version=1, values={"full_name": "Tên Văn Phòng"}
        )

    r = while_in_progress(change, lambda: enumerator.post(URL, item, format="json"))
    stored = FieldUpload.objects.get(pk=item["client_id"])
    assert (r.status_code, stored.status) == (202, "conflict"), (r.status_code, stored.result)
    head.refresh_from_db()
    assert (head.full_name, head.version) == ("Tên Văn Phòng", 2)


def test_a_visit_waits_for_a_change_of_its_follow_up_in_progress(ward):
    """A visit is compared with its follow-up's version: read under the lock
    cases.services.follow_up_record takes (the follow-up with its case)."""
    family = f.household(ward)
    leader = f.user(Role.COMMUNE_LEADER, communes=[ward])
    cadre = f.user(Role.FIELD_ENUMERATOR, communes=[ward])
    decide(family, leader, day="2026-10-01", decision="2026-10-10", **POOR)
    case = Case.objects.get(household=family)
    cases.case_assign_cadre(case=case, cadre_id=cadre.pk, expected_version=1, actor=SYSTEM)
    visit = cases.follow_up_schedule(case=case, scheduled_on=date(2026, 10, 15), actor=SYSTEM)
    item = {
        "client_id": str(uuid.uuid4()),
        "kind": "visit",
        "based_on_version": visit.version,
        "captured_at": "2026-10-15T09:00:00+07:00",
        "body": {"follow_up": str(visit.pk), "done_on": "2026-10-15", "findings": "Đã sửa mái"},
    }

    def change():
        cases.follow_up_record(
            follow_up=visit,
            done_on=date(2026, 10, 14),
            findings="Gọi điện",
            expected_version=visit.version,
            actor=SYSTEM,
        )

    r = while_in_progress(change, lambda: f.client_for(cadre).post(URL, item, format="json"))
    stored = FieldUpload.objects.get(pk=item["client_id"])
    assert (r.status_code, stored.status) == (202, "conflict"), (r.status_code, stored.result)
    visit.refresh_from_db()
    assert visit.findings == "Gọi điện"


def test_a_resolution_waits_for_an_edit_in_progress_and_applies_to_what_it_committed(ward):
    h = f.household(ward, address="Thôn 1")
    enumerator = f.client_for(f.user(Role.FIELD_ENUMERATOR, communes=[ward]))
    officer = f.client_for(f.user(Role.COMMUNE_OFFICER, communes=[ward]))
    change_household(h, phone="0900000000")()
    item = edit(h, address="Số 99")
    assert enumerator.post(URL, item, format="json").json()["status"] == "conflict"
    resolve = f"{URL}{item['client_id']}/resolve/"
    r = while_in_progress(
        change_household(h, phone="0922222222"),
        lambda: officer.post(resolve, {"action": "apply"}, format="json"),
    )
    assert r.status_code == 200 and r.json()["status"] == "resolved_applied", r.json()
    h.refresh_from_db()
    assert (h.address, h.phone, h.version) == ("Số 99", "0922222222", 4)
