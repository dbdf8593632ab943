"""Bad input: a 4xx problem-details answer that says what is wrong, and nothing written."""

import pytest
from django.db import connection

from households.models import Household, Member
from tests import factories as f
from tests.faults import deadlock_on_first_insert

pytestmark = pytest.mark.django_db

HEAD = {
    "full_name": "Đặng Thị Hoà",
    "date_of_birth": "1985-02-03",
    "sex": "female",
    "ethnicity": "01",
    "relationship": "head",
}


def post_household(api, commune, members, **extra):
    return api.post(
        "/api/v1/households/",
        {"commune": commune, "address": "Thôn 1", "members": members, **extra},
    )


def assert_problem(r, status, field=None, code=None):
    assert r.status_code == status, r.content
    assert r["Content-Type"] == "application/problem+json"
    p = r.json()
    assert p["status"] == status and p["title"] and p["detail"] and p["type"].startswith("http")
    if code:
        assert p["code"] == code
    if field:
        assert field in {e["field"] for e in p.get("errors", [])}, p
    return p


@pytest.mark.parametrize(
    ("citizen_id", "reason"),
    [
        ("02218500012", "exactly 12 ASCII digits"),
        ("abcdefghijkl", "exactly 12 ASCII digits"),
        ("022085000123", "sex male"),  # the member is female
        ("022186000123", "birth year 1986"),  # born 1985
    ],
)
def test_invalid_citizen_id(api, ward, citizen_id, reason):
    r = post_household(api, ward.code, [{**HEAD, "citizen_id": citizen_id}])
    p = assert_problem(r, 400, field="members.0.citizen_id")
    assert reason in str(p)
    assert not Household.objects.exists() and not Member.objects.exists()


def test_unknown_commune(api):
    p = assert_problem(post_household(api, "99999", [HEAD]), 400, field="commune")
    assert "99999" in p["detail"]


def test_two_heads(api, ward):
    p = assert_problem(
        post_household(api, ward.code, [HEAD, {**HEAD, "full_name": "B"}]),
        400,
        field="members",
        code="one_head_required",
    )
    assert "found 2" in str(p)
    assert not Household.objects.exists() and not Member.objects.exists()


def test_no_head(api, ward):
    assert_problem(
        post_household(api, ward.code, [{**HEAD, "relationship": "child"}]),
        400,
        code="one_head_required",
    )


def test_no_members(api, ward):
    assert_problem(post_household(api, ward.code, []), 400, field="members")


def test_malformed_json(api):
    r = api.post("/api/v1/households/", data="{not json", content_type="application/json")
    assert_problem(r, 400, code="parse_error")


@pytest.mark.parametrize(
    ("member", "field"),
    [
        ({**HEAD, "sex": "x"}, "members.0.sex"),
        ({**HEAD, "date_of_birth": "1985-13-40"}, "members.0.date_of_birth"),
        ({**HEAD, "date_of_birth": "2999-01-01"}, "members.0.date_of_birth"),
        ({**HEAD, "ethnicity": "99"}, "members.0.ethnicity"),
        ({k: v for k, v in HEAD.items() if k != "full_name"}, "members.0.full_name"),
    ],
)
def test_bad_member_fields(api, ward, member, field):
    assert_problem(post_household(api, ward.code, [member]), 400, field=field)
    assert not Member.objects.exists()


def test_bad_coordinates_and_village_of_other_commune(api, ward, rural):
    from geo.models import Village

    assert_problem(post_household(api, ward.code, [HEAD], latitude="123.5"), 400, field="latitude")
    v = Village.objects.create(commune=rural, name="Thôn 1")
    assert_problem(post_household(api, ward.code, [HEAD], village=str(v.id)), 400, field="village")
    assert not Household.objects.exists()


def test_citizen_id_already_registered_is_reported(api, ward):
    existing = f.household(ward, members=[f.member("Nguyễn Văn An")])
    cid = existing.members.get().citizen_id
    r = post_household(
        api,
        ward.code,
        [
            {
                **HEAD,
                "full_name": "Nguyễn Văn An",
                "sex": "male",
                "date_of_birth": "1980-05-01",
                "citizen_id": cid,
            }
        ],
    )
    p = assert_problem(r, 409, field="members.0.citizen_id", code="duplicate_citizen_id")
    assert existing.code in p["detail"]
    assert Household.objects.count() == 1


def test_failed_update_changes_nothing(api, ward):
    h = f.household(ward, address="Thôn 1")
    r = api.patch(
        f"/api/v1/households/{h.id}/",
        {"address": "Changed", "members": [{**HEAD, "full_name": "Second head"}]},
        HTTP_IF_MATCH='"1"',
    )
    assert_problem(r, 400, code="one_head_required")
    h.refresh_from_db()
    assert h.address == "Thôn 1" and h.version == 1 and h.members.count() == 1


def test_unknown_household_is_404_problem(api):
    assert_problem(api.get("/api/v1/households/00000000-0000-0000-0000-000000000000/"), 404)
    assert_problem(api.get("/api/v1/households/not-a-uuid/"), 404)


def test_unauthenticated_is_401_problem(client):
    r = client.get("/api/v1/households/")
    assert r.status_code in (401, 403)
    assert r["Content-Type"] == "application/problem+json"


def test_delete_is_not_allowed(api, ward):
    h = f.household(ward)
    assert_problem(api.delete(f"/api/v1/households/{h.id}/"), 405)
    assert Household.objects.filter(pk=h.pk).exists()


def test_a_write_the_database_stops_for_another_is_503_and_may_be_sent_again(api, ward):
    """A deadlock (or a serialization failure) stops one of the two transactions: that request
    gets a 503 problem with `Retry-After`, not a 500, and nothing of it is written; sent again,
    it is written once."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's deadlock error")
    stop_deadlocks = deadlock_on_first_insert("households_household")
    before = Household.objects.count()
    r = post_household(api, ward.code, [HEAD])
    p = assert_problem(r, 503, code="try_again")
    assert r["Retry-After"] == "1" and "Send the same request again" in p["detail"]
    assert (
        Household.objects.count() == before
        and not Member.objects.filter(full_name=HEAD["full_name"]).exists()
    )
    stop_deadlocks()
    assert post_household(api, ward.code, [HEAD]).status_code == 201
    assert Household.objects.count() == before + 1
