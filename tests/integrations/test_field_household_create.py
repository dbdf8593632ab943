"""Field apps register households offline (`household_create`): ids generated on the device,
the registry's rules, and the protocol's replay and conflict rules."""

import uuid

import pytest

from accounts.roles import Role
from core.ids import new_id
from geo.models import Commune
from households.models import Household, Member
from poverty.models import FieldUpload
from tests import factories as f

pytestmark = pytest.mark.django_db

URL = "/api/v1/field/uploads/"


@pytest.fixture
def enumerator(ward):
    return f.client_for(f.user(Role.FIELD_ENUMERATOR, communes=[ward]))


def registration(commune, **extra):
    return {
        "id": str(new_id()),  # UUIDv7, as a device would make it
        "commune": commune.code,
        "address": "Thôn 3",
        "members": [
            {
                "id": str(new_id()),
                "full_name": "Lý Thị Mai",
                "date_of_birth": "1990-04-02",
                "sex": "female",
                "ethnicity": "01",
                "relationship": "head",
                "citizen_id": "022190000777",
            },
            {
                "id": str(uuid.uuid4()),  # v4 is accepted too
                "full_name": "Lý Văn Tú",
                "date_of_birth": "2015-06-01",
                "sex": "male",
                "ethnicity": "01",
                "relationship": "child",
            },
        ],
        **extra,
    }


def item(body, **extra):
    return {
        "client_id": str(extra.pop("client_id", uuid.uuid4())),
        "kind": "household_create",
        "captured_at": "2026-10-01T08:30:00+07:00",
        "body": body,
        **extra,
    }


def test_a_household_is_registered_under_the_devices_ids(enumerator, ward):
    body = registration(ward)
    r = enumerator.post(URL, item(body), format="json")
    assert r.status_code == 201, r.json()
    upload = r.json()
    assert upload["status"] == "applied"
    assert upload["household"] == body["id"] == upload["result"]["household"]
    assert upload["based_on_version"] is None
    household = Household.objects.get(pk=body["id"])
    assert household.source == "field_survey" and household.commune_id == ward.code
    assert upload["result"]["code"] == household.code
    assert sorted(str(pk) for pk in household.members.values_list("pk", flat=True)) == sorted(
        m["id"] for m in body["members"]
    )
    assert sorted(upload["result"]["members"]) == sorted(m["id"] for m in body["members"])


def test_replay_returns_the_original_result_and_another_body_is_refused(enumerator, ward):
    upload = item(registration(ward))
    first = enumerator.post(URL, upload, format="json")
    assert first.status_code == 201, first.json()
    again = enumerator.post(URL, upload, format="json")  # the phone retries
    assert again.status_code == 200 and again.json() == first.json()
    changed = {**upload, "body": {**upload["body"], "address": "Thôn 4"}}
    r = enumerator.post(URL, changed, format="json")
    assert r.status_code == 409 and r.json()["code"] == "client_id_reused"
    assert Household.objects.count() == 1 and Member.objects.count() == 2
    assert FieldUpload.objects.count() == 1
    # in a batch too
    rows = enumerator.post(f"{URL}batch/", {"items": [upload]}, format="json").json()
    assert rows[0]["replayed"] is True and rows[0]["household"] == upload["body"]["id"]


def test_outside_the_area_is_refused_and_nothing_is_created(enumerator, rural):
    r = enumerator.post(URL, item(registration(rural)), format="json")
    assert r.status_code == 403, r.json()
    assert r.json()["errors"][0]["field"] == "commune"
    assert not Household.objects.exists() and not Member.objects.exists()
    assert not FieldUpload.objects.exists()
    rows = enumerator.post(
        f"{URL}batch/", {"items": [item(registration(rural))]}, format="json"
    ).json()
    assert rows[0]["status"] == "refused"
    assert not Household.objects.exists() and not FieldUpload.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: b.pop("id"), "body.id"),
        (lambda b: b.update(id=str(uuid.uuid1())), "body.id"),  # not made on a device
        (lambda b: b["members"][1].pop("id"), "body.members.1.id"),
        (lambda b: b["members"][1].update(id=b["members"][0]["id"]), "body.members.1.id"),
        (lambda b: b.update(members=[]), "body.members"),
    ],
)
def test_ids_generated_on_the_device_are_required(enumerator, ward, change, field):
    body = registration(ward)
    change(body)
    r = enumerator.post(URL, item(body), format="json")
    assert r.status_code == 400
    assert [e["field"] for e in r.json()["errors"]] == [field]
    assert not Household.objects.exists() and not FieldUpload.objects.exists()


def test_a_version_is_not_sent_with_a_registration(enumerator, ward):
    r = enumerator.post(URL, item(registration(ward), based_on_version=1), format="json")
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "based_on_version"


def test_the_registry_rules_apply_and_a_rejection_is_kept(enumerator, ward):
    body = registration(ward)
    body["members"][0]["citizen_id"] = "022190000000"[:11]  # not 12 digits
    upload = item(body)
    r = enumerator.post(URL, upload, format="json")
    assert r.status_code == 400 and r.json()["status"] == "rejected"
    assert r.json()["household"] is None
    assert not Household.objects.exists() and not Member.objects.exists()
    assert enumerator.post(URL, upload, format="json").json() == r.json()  # replayed


def test_ids_already_in_use_are_rejected(enumerator, ward):
    existing = f.household(ward)
    body = registration(ward)
    body["members"][1]["id"] = str(existing.members.get().pk)
    r = enumerator.post(URL, item(body), format="json")
    assert r.status_code == 400 and r.json()["result"]["code"] == "id_taken"
    body = registration(ward, id=str(existing.pk))
    r = enumerator.post(URL, item(body), format="json")
    assert r.status_code == 400 and r.json()["result"]["code"] == "id_taken"
    assert Household.objects.count() == 1 and Member.objects.count() == 1


def test_a_registry_id_held_elsewhere_is_rejected_and_nothing_is_created(enumerator, ward):
    """The database's unique key refuses a registry ID held in another province: a rejection
    kept for replay, the household and its members rolled back, nothing said of the holder."""
    hanoi = Commune.objects.filter(province_id="01").order_by("code").first()
    holder = f.household(hanoi, external_id="HN-0002")
    body = registration(ward, external_id="HN-0002")
    upload = item(body)
    r = enumerator.post(URL, upload, format="json")
    assert r.status_code == 400, r.json()
    assert r.json()["status"] == "rejected" and r.json()["household"] is None
    assert r.json()["result"] == {
        "code": "duplicate_external_id",
        "detail": "This registry ID is already used.",
        "fields": {"external_id": ["This registry ID is already used."]},
    }
    assert "HN-0002" not in r.content.decode() and holder.code not in r.content.decode()
    assert list(Household.objects.all()) == [holder] and Member.objects.count() == 1
    assert enumerator.post(URL, upload, format="json").json() == r.json()  # replayed
    assert FieldUpload.objects.count() == 1 and Household.objects.count() == 1
