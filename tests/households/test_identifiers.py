"""Citizen IDs, phone numbers and registry IDs are ASCII: digits of other scripts would let
the same person be registered twice, unseen by search and matching."""

from datetime import date

import pytest
from django.db import DataError, IntegrityError, transaction

from accounts.roles import Role
from households.identity import citizen_id_errors
from households.models import Household, Member
from tests import factories as f

pytestmark = pytest.mark.django_db

ASCII = "022090123456"  # born 1990, male
LOOKALIKES = {
    "fullwidth": "０２２０９０１２３４５６",
    "arabic-indic": "٠٢٢٠٩٠١٢٣٤٥٦",
    "devanagari": "०२२०९०१२३४५६",
    "trailing newline": ASCII[:11] + "\n",
}


@pytest.mark.parametrize("spelling", LOOKALIKES.values(), ids=LOOKALIKES.keys())
def test_the_rule_takes_ascii_digits_only(spelling):
    assert citizen_id_errors(spelling) == ["A citizen ID is exactly 12 ASCII digits (0-9)."]
    assert citizen_id_errors(ASCII, sex="male", date_of_birth=date(1990, 1, 1)) == []


@pytest.mark.parametrize("spelling", LOOKALIKES.values(), ids=LOOKALIKES.keys())
def test_the_api_refuses_other_digits(api, ward, spelling):
    member = {
        "full_name": "Lê Văn Số",
        "date_of_birth": "1990-01-01",
        "sex": "male",
        "ethnicity": "01",
        "relationship": "head",
    }
    f.household(
        ward, members=[f.member(dob=date(1990, 1, 1), citizen_id=ASCII, with_citizen_id=False)]
    )
    r = api.post(
        "/api/v1/households/",
        {"commune": ward.code, "address": "x", "members": [{**member, "citizen_id": spelling}]},
    )
    assert r.status_code == 400
    assert [e["field"] for e in r.json()["errors"]] == ["members.0.citizen_id"]
    assert Member.objects.filter(full_name="Lê Văn Số").count() == 0


@pytest.mark.parametrize("phone", ["０９１２３４５６７８", "0912 345 678", "+84912345678", "091"])
def test_phone_numbers_are_ascii_digits(api, ward, phone):
    h = f.household(ward)
    r = api.patch(f"/api/v1/households/{h.id}/", {"phone": phone}, HTTP_IF_MATCH='"1"')
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "phone"
    r = api.patch(f"/api/v1/households/{h.id}/", {"phone": "0912345678"}, HTTP_IF_MATCH='"1"')
    assert r.status_code == 200


def test_the_database_refuses_what_a_careless_writer_sends(ward):
    """The CHECK constraints hold even for a writer that skips every service."""
    h = f.household(ward)
    head = h.members.get()
    for model, pk, values in [
        (Member, head.pk, {"citizen_id": LOOKALIKES["fullwidth"]}),
        (Member, head.pk, {"external_id": "CD 1"}),
        (Household, h.pk, {"phone": "０９１２３４５６７８"}),
        (Household, h.pk, {"external_id": "HK-١"}),
        (Household, h.pk, {"external_id": ""}),
        (Household, h.pk, {"external_id": "HK-1\n"}),
        (Member, head.pk, {"external_id": "CD-1\n"}),
    ]:
        with pytest.raises(IntegrityError), transaction.atomic():
            model.objects.filter(pk=pk).update(**values)
    # 64 visible ASCII characters at most: the column's length on PostgreSQL, the CHECK's on
    # SQLite (which keeps any length in a varchar)
    for model, pk in [(Household, h.pk), (Member, head.pk)]:
        with pytest.raises((IntegrityError, DataError)), transaction.atomic():
            model.objects.filter(pk=pk).update(external_id="X" * 65)
        model.objects.filter(pk=pk).update(external_id="!" + "~" * 63)


def test_registry_sync_rejects_the_record_with_its_field_and_goes_on(ward):
    registry = f.client_for(f.user(Role.REGISTRY_SYSTEM, communes=[ward]))

    def record(n: int, citizen_id: str, person_id: str) -> dict:
        return {
            "external_id": f"HK-{n}",
            "commune": ward.code,
            "address": "Số 1",
            "members": [
                {
                    "external_id": person_id,
                    "full_name": f"Người {n}",
                    "date_of_birth": "1990-01-01",
                    "sex": "male",
                    "ethnicity": "01",
                    "relationship": "head",
                    "citizen_id": citizen_id,
                }
            ],
        }

    records = [
        record(1, LOOKALIKES["arabic-indic"], "CD-1"),
        record(2, ASCII, "CD-2"),
        record(3, None, "CD-３"),
    ]
    r = registry.post("/api/v1/registry-sync/", records, format="json")
    assert r.status_code == 200
    outcomes = r.json()["records"]
    assert [o["outcome"] for o in outcomes] == ["rejected", "created", "rejected"]
    assert outcomes[0]["errors"][0]["field"] == "members.0.citizen_id"
    assert outcomes[2]["errors"][0]["field"] == "members.0.external_id"
    assert list(Member.objects.filter(external_id__startswith="CD-").values_list("citizen_id")) == [
        (ASCII,)
    ]
