"""A registry record lists at most `households.limits.MAX_MEMBERS` members, the limit of
every other door. Before, one JSON body (up to 100 MiB, synced inline up to 1,000 records)
could register a household of hundreds of thousands of members: every later edit of it ran
duplicate detection over all of them (one query per member: 1,017 queries for a PATCH of an
address at 1,000 members), and every read returned them all. Such a record is rejected,
naming `members`, and the others of the batch go on."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from households.limits import MAX_MEMBERS
from households.models import Household, Member

pytestmark = pytest.mark.django_db


def record(ward, external_id: str, n: int) -> dict:
    members = [
        {
            "external_id": f"{external_id}-{i}",
            "full_name": f"Nguyễn Văn {i}",
            "date_of_birth": "1980-05-01",
            "sex": "male",
            "ethnicity": "01",
            "relationship": "head" if i == 0 else "child",
            "citizen_id": None,
        }
        for i in range(n)
    ]
    return {"external_id": external_id, "commune": ward.code, "address": "Số 1", "members": members}


def test_a_record_of_too_many_members_is_rejected_and_the_others_synced(api, ward):
    body = [record(ward, "HK-BIG", 5_000), record(ward, "HK-OK", MAX_MEMBERS)]
    with CaptureQueriesContext(connection) as queries:
        r = api.post("/api/v1/registry-sync/", body, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    big = next(o for o in r.json()["records"] if o["external_id"] == "HK-BIG")
    assert big["outcome"] == "rejected"
    assert [(e["field"], e["code"]) for e in big["errors"]] == [("members", "too_many_members")]
    assert str(MAX_MEMBERS) in big["errors"][0]["reason"]
    assert list(Household.objects.values_list("external_id", flat=True)) == ["HK-OK"]
    assert Member.objects.count() == MAX_MEMBERS
    assert len(queries) < 100
