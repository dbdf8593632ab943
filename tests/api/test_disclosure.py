"""No answer tells a caller about people or households outside their area: a citizen ID held
elsewhere is "registered elsewhere", with no code and no name, whichever door asked."""

from datetime import date

import pytest

from accounts.roles import Role
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def elsewhere(rural):
    """A household in another commune, holding a citizen ID."""
    return f.household(rural, members=[f.member("Hoàng Văn Xa", dob=date(1975, 4, 4))])


def _member_body(citizen_id: str, **extra) -> dict:
    return {
        "full_name": "Người Mới",
        "date_of_birth": "1975-04-04",
        "sex": "male",
        "ethnicity": "01",
        "relationship": "head",
        "citizen_id": citizen_id,
        **extra,
    }


def _assert_discloses_nothing(body: dict, household) -> None:
    text = str(body)
    head = household.members.get()
    assert household.code not in text
    assert head.full_name not in text and str(household.id) not in text
    assert "elsewhere; the province can resolve it" in text


def test_household_create_with_a_citizen_id_held_elsewhere(ward_api, ward, elsewhere):
    taken = elsewhere.members.get().citizen_id
    r = ward_api.post(
        "/api/v1/households/",
        {"commune": ward.code, "address": "x", "members": [_member_body(taken)]},
    )
    assert r.status_code == 409 and r.json()["code"] == "duplicate_citizen_id"
    _assert_discloses_nothing(r.json(), elsewhere)
    assert r.json()["errors"][0]["field"] == "members.0.citizen_id"


def test_member_writes_with_a_citizen_id_held_elsewhere(ward_api, ward, elsewhere):
    mine = f.household(ward)
    taken = elsewhere.members.get().citizen_id
    r = ward_api.post(
        "/api/v1/members/",
        {"household": str(mine.id), **_member_body(taken, relationship="child")},
    )
    assert r.status_code == 409
    _assert_discloses_nothing(r.json(), elsewhere)
    head = mine.members.get()
    r = ward_api.patch(
        f"/api/v1/members/{head.id}/",
        {"citizen_id": taken, "date_of_birth": "1975-04-04"},
        HTTP_IF_MATCH='"1"',
    )
    assert r.status_code == 409
    _assert_discloses_nothing(r.json(), elsewhere)


def test_a_citizen_id_held_inside_the_area_names_the_household(ward_api, ward):
    """What the caller may read anyway is said: the household that holds it (no name)."""
    mine = f.household(ward, members=[f.member("Trần Văn Gần", dob=date(1970, 1, 1))])
    head = mine.members.get()
    r = ward_api.post(
        "/api/v1/households/",
        {
            "commune": ward.code,
            "address": "x",
            "members": [_member_body(head.citizen_id, date_of_birth="1970-01-01")],
        },
    )
    assert r.status_code == 409 and mine.code in r.json()["detail"]
    assert head.full_name not in str(r.json())


def test_registry_sync_dry_run_with_a_citizen_id_held_elsewhere(ward, elsewhere):
    registry = f.client_for(f.user(Role.REGISTRY_SYSTEM, communes=[ward]))
    taken = elsewhere.members.get().citizen_id
    record = {
        "external_id": "HK-1",
        "commune": ward.code,
        "address": "Số 1",
        "members": [
            {
                "external_id": "CD-1",
                "full_name": "Người Mới",
                "date_of_birth": "1975-04-04",
                "sex": "male",
                "ethnicity": "01",
                "relationship": "head",
                "citizen_id": taken,
            }
        ],
    }
    r = registry.post("/api/v1/registry-sync/?dry_run=true", [record], format="json")
    assert r.status_code == 200
    outcome = r.json()["records"][0]
    assert outcome["outcome"] == "rejected"
    assert outcome["errors"][0]["field"] == "members.0.citizen_id"
    _assert_discloses_nothing(outcome, elsewhere)


def test_registry_sync_of_a_household_registered_outside_the_area(ward, rural):
    theirs = f.household(rural, external_id="HK-THEIRS")
    registry = f.client_for(f.user(Role.REGISTRY_SYSTEM, communes=[ward]))
    record = {
        "external_id": "HK-THEIRS",
        "commune": ward.code,
        "address": "Số 1",
        "members": [
            {
                "external_id": "CD-2",
                "full_name": "Người Khác",
                "date_of_birth": "1980-01-01",
                "sex": "male",
                "ethnicity": "01",
                "relationship": "head",
                "citizen_id": None,
            }
        ],
    }
    r = registry.post("/api/v1/registry-sync/?dry_run=true", [record], format="json")
    outcome = r.json()["records"][0]
    assert outcome["outcome"] == "rejected" and outcome["errors"][0]["code"] == "outside_area"
    assert theirs.code not in str(outcome) and rural.code not in str(outcome)
