"""A change to a member is a change to its household: its new version reaches the feed, so a
field app holding the household learns the version it must send back, whichever way the member
changed (API, move, registry sync)."""

import pytest

from core.models import ChangeEvent
from households.models import Household
from integrations import sync
from tests import factories as f

from .test_changes import read_all

pytestmark = pytest.mark.django_db


def household_events(client, household, after):
    events, _ = read_all(client, after, types="household")
    return [e for e in events if e["entity_id"] == str(household.id)]


def last_seq() -> int:
    return ChangeEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_a_member_change_sends_its_household_new_version(api, ward):
    household = f.household(ward, members=[f.member("Hà Văn Một")])
    head = household.members.get()
    after = last_seq()

    r = api.patch(f"/api/v1/members/{head.id}/", {"full_name": "Hà Văn Hai", "version": 1})
    assert r.status_code == 200, r.json()

    [event] = household_events(api, household, after)
    current = api.get(f"/api/v1/households/{household.id}/").json()["version"]
    assert (event["action"], event["payload"]["version"], current) == ("updated", 2, 2)
    # The field app sends that version back and its change is taken, not kept as a conflict.
    r = api.patch(f"/api/v1/households/{household.id}/", {"address": "Tổ 9"}, HTTP_IF_MATCH='"2"')
    assert r.status_code == 200, r.json()
    change = Household.history.filter(id=household.id).order_by("history_date")[1]
    assert (change.version, change.history_change_reason) == (2, "Member changed")


def test_a_member_moved_sends_both_households_new_versions(api, ward):
    origin = f.household(
        ward, members=[f.member("Hà Văn Một"), f.member("Hà Thị Hai", relationship="spouse")]
    )
    to = f.household(ward, members=[f.member("Lê Văn Ba")])
    spouse = origin.members.get(relationship="spouse")
    after = last_seq()

    r = api.post(
        f"/api/v1/members/{spouse.id}/move/",
        {"household": str(to.id), "relationship": "other_relative", "version": 1},
    )
    assert r.status_code == 200, r.json()

    for household, reason in (
        (origin, f"Member moved to household {to.code}"),
        (to, f"Member moved from household {origin.code}"),
    ):
        [event] = household_events(api, household, after)
        assert event["payload"]["version"] == 2 == Household.objects.get(pk=household.pk).version
        assert Household.history.filter(id=household.id).latest().history_change_reason == reason


def test_a_member_changed_by_the_registry_sends_its_household_new_version(
    api, ward, province_officer
):
    record = {
        "external_id": "HK-1",
        "commune": ward.code,
        "address": "Tổ 1",
        "members": [
            {
                "external_id": "P-1",
                "full_name": "Hà Văn Một",
                "date_of_birth": "1970-01-01",
                "sex": "male",
                "ethnicity": "01",
                "relationship": "head",
            }
        ],
    }
    sync.sync_records([record], actor=province_officer)
    household = Household.objects.get(external_id="HK-1")
    after = last_seq()

    record["members"][0]["full_name"] = "Hà Văn Hai"
    report = sync.sync_records([record], actor=province_officer)
    assert [o.outcome for o in report.outcomes] == ["updated"]

    [event] = household_events(api, household, after)
    assert event["payload"]["version"] == 2 == Household.objects.get(pk=household.pk).version
