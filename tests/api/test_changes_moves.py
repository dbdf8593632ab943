"""A household that moves takes its people with it, in the change feed too: the new area's
readers receive each of its members (not only the household's row), and the old area's
readers learn that each one left."""

import pytest

from accounts.roles import Role
from core.access import SYSTEM
from households import services
from households.models import Household
from integrations import sync
from tests import factories as f
from tests.integrations.test_sync import family

from .test_changes import read_all

pytestmark = pytest.mark.django_db


def readers(ward, rural):
    old = f.client_for(f.user(Role.COMMUNE_OFFICER, communes=[ward]))
    new = f.client_for(f.user(Role.COMMUNE_OFFICER, communes=[rural]))
    return (old, read_all(old)[1]), (new, read_all(new)[1])


def check_move(household: Household, old, new, ward, rural) -> None:
    (old_reader, old_cursor), (new_reader, new_cursor) = old, new
    people = {str(pk) for pk in household.members.values_list("pk", flat=True)}
    arrived = read_all(new_reader, after=new_cursor)[0]
    seen = {e["entity_id"] for e in arrived if e["entity"] == "member"}
    assert seen == people, "the new area never received these people"
    for event in arrived:
        assert (event["commune"], event["previous_commune"]) == (rural.code, ward.code)
        assert event["payload"] is not None
    members = {
        e["entity_id"]: e["payload"]["full_name"] for e in arrived if e["entity"] == "member"
    }
    assert set(members.values()) == set(household.members.values_list("full_name", flat=True))
    left = read_all(old_reader, after=old_cursor)[0]
    assert {e["entity_id"] for e in left if e["entity"] == "member"} == people
    assert all(
        (e["previous_commune"], e["commune"], e["payload"]) == (ward.code, None, None) for e in left
    )


def test_a_household_moved_by_an_officer_takes_its_members_to_the_new_area(ward, rural):
    household = f.household(
        ward,
        members=[
            f.member("Vi Văn Một"),
            f.member("Vi Thị Hai", relationship="spouse", sex="female"),
        ],
    )
    old, new = readers(ward, rural)
    services.household_update(
        actor=SYSTEM,
        household=household,
        expected_version=1,
        data=services.HouseholdInput(values={"commune": rural, "address": "Thôn 9"}),
    )
    check_move(household, old, new, ward, rural)


def test_a_household_moved_by_the_registry_takes_its_members_to_the_new_area(
    province_officer, ward, rural
):
    sync.sync_records([family("HK-M", ward)], actor=province_officer)
    old, new = readers(ward, rural)
    moved = family("HK-M", rural, address="Thôn 9")
    moved["members"][2]["full_name"] = "Nguyễn Minh Khang"  # one of them changed as well
    report = sync.sync_records([moved], actor=province_officer)
    assert [o.outcome for o in report.outcomes] == ["updated"]
    check_move(Household.objects.get(external_id="HK-M"), old, new, ward, rural)
