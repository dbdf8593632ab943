"""A request lists at most `households.limits.MAX_MEMBERS` members: each member listed costs
several queries (its checks, its row, its history, duplicate detection), and a 5 MiB body
holds about 44,000 of them. More is a 400 naming `members`, answered before any member is
looked at, and nothing is written — whichever door: API, field upload, admin (the service)."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.access import SYSTEM
from core.errors import InvalidInput
from core.ids import new_id
from households import services
from households.limits import MAX_MEMBERS
from households.models import Household, Member
from poverty.models import FieldUpload
from tests import factories as f

from .test_errors import HEAD, assert_problem, post_household

pytestmark = pytest.mark.django_db

MAX = MAX_MEMBERS


def children(n: int) -> list[dict]:
    return [{**HEAD, "relationship": "child", "full_name": f"Con {i}"} for i in range(n)]


def test_a_household_of_too_many_members_is_400_before_any_is_checked(api, ward):
    members = [HEAD, *children(MAX)]
    with CaptureQueriesContext(connection) as queries:
        r = post_household(api, ward.code, members)
    p = assert_problem(r, 400, field="members")
    assert str(MAX) in p["detail"]
    assert len(queries) < 20  # was about 8 per member: 811 for these 101
    assert not Household.objects.exists() and not Member.objects.exists()


def test_a_household_of_the_most_members_is_registered(api, ward):
    r = post_household(api, ward.code, [HEAD, *children(MAX - 1)])
    assert r.status_code == 201, r.content
    assert Member.objects.count() == MAX


def test_an_update_listing_too_many_members_is_400(api, ward):
    household = f.household(ward)
    r = api.patch(
        f"/api/v1/households/{household.pk}/",
        {"members": children(MAX + 1)},
        format="json",
        HTTP_IF_MATCH=f'"{household.version}"',
    )
    assert_problem(r, 400, field="members")
    assert household.members.count() == 1


def test_a_field_registration_of_too_many_members_is_refused(ward):
    from accounts.roles import Role

    enumerator = f.client_for(f.user(Role.FIELD_ENUMERATOR, communes=[ward]))
    members = [{**m, "id": str(new_id())} for m in [HEAD, *children(MAX)]]
    body = {"id": str(new_id()), "commune": ward.code, "address": "Thôn 3", "members": members}
    upload = {
        "client_id": str(uuid.uuid4()),
        "kind": "household_create",
        "captured_at": "2026-10-01T08:30:00+07:00",
        "body": body,
    }
    r = enumerator.post("/api/v1/field/uploads/", upload, format="json")
    assert r.status_code == 400, r.content
    assert [e["field"] for e in r.json()["errors"]] == ["body.members"]
    assert not Household.objects.exists() and not FieldUpload.objects.exists()


def test_the_service_refuses_too_many_members_whatever_the_door(ward):
    data = services.HouseholdInput(
        values={"commune": ward, "address": "Thôn 1"},
        members=[services.MemberInput(values=dict(m)) for m in [HEAD, *children(MAX)]],
    )
    with pytest.raises(InvalidInput) as refused:
        services.household_register(actor=SYSTEM, data=data, source="admin")
    assert list(refused.value.fields) == ["members"]
    assert not Household.objects.exists()
