"""Households and members through the API: create, read, filter, search, update."""

from datetime import date

import pytest

from accounts.roles import Role
from geo.models import Village
from households.models import Household, Member
from tests import factories as f

pytestmark = pytest.mark.django_db


def body(commune, **extra):
    data = {
        "commune": commune.code,
        "address": "Số 5, tổ 3",
        "phone": "0912345678",
        "members": [
            {
                "full_name": "Đặng Thị Hoà",
                "date_of_birth": "1985-02-03",
                "sex": "female",
                "ethnicity": "01",
                "relationship": "head",
                "citizen_id": "022185000123",
            },
            {
                "full_name": "Trần Văn Nam",
                "date_of_birth": "2012-09-01",
                "sex": "male",
                "ethnicity": "01",
                "relationship": "child",
            },
        ],
    }
    data.update(extra)
    return data


def test_register_household_with_members(api, ward):
    village = Village.objects.create(commune=ward, name="Tổ 3")
    r = api.post("/api/v1/households/", body(ward, village=str(village.id), external_id="BCA-1"))
    assert r.status_code == 201, r.json()
    data = r.json()
    assert data["code"] == f"{ward.code}-000001"
    assert data["commune"] == ward.code and data["is_urban"] is True
    assert data["village"] == str(village.id)
    assert data["version"] == 1 and r["ETag"] == '"1"'
    assert data["source"] == "api"
    assert {m["full_name"]: m["relationship"] for m in data["members"]} == {
        "Đặng Thị Hoà": "head",
        "Trần Văn Nam": "child",
    }
    # the next household in the commune gets the next number
    r2 = api.post(
        "/api/v1/households/",
        body(
            ward,
            members=[
                {
                    "full_name": "Lê Văn Ba",
                    "date_of_birth": "1970-01-01",
                    "sex": "male",
                    "ethnicity": "02",
                    "relationship": "head",
                }
            ],
        ),
    )
    assert r2.json()["code"] == f"{ward.code}-000002"


def test_detail_and_members_endpoints(api, ward):
    h = f.household(
        ward,
        members=[
            f.member("Vũ Thị Lan", sex="female"),
            f.member(
                "Vũ Văn Tú", relationship="child", dob=date(2015, 1, 1), with_citizen_id=False
            ),
        ],
    )
    r = api.get(f"/api/v1/households/{h.id}/")
    assert r.status_code == 200 and r["ETag"] == '"1"'
    assert len(r.json()["members"]) == 2
    r = api.get("/api/v1/members/", {"household": str(h.id)})
    assert {m["full_name"] for m in r.json()["results"]} == {"Vũ Thị Lan", "Vũ Văn Tú"}
    m = Member.objects.get(full_name="Vũ Văn Tú")
    r = api.get(f"/api/v1/members/{m.id}/")
    assert r.json()["birth_year"] == 2015 and r.json()["citizen_id"] is None


@pytest.mark.parametrize("q", ["dang thi hoa", "Đặng Thị Hoà", "DANG THI", "hoa", "022185000123"])
def test_search_with_and_without_diacritics(api, ward, q):
    api.post("/api/v1/households/", body(ward))
    f.household(ward, members=[f.member("Nguyễn Văn Hùng")])
    r = api.get("/api/v1/households/", {"q": q})
    assert [
        m["full_name"]
        for h in r.json()["results"]
        for m in h["members"]
        if m["relationship"] == "head"
    ] == ["Đặng Thị Hoà"]


def test_search_by_code_and_address(api, ward):
    h = f.household(ward, address="Khu phố Cao Xanh")
    f.household(ward, address="Thôn Đồng Đăng")
    assert [
        x["id"] for x in api.get("/api/v1/households/", {"q": "cao xanh"}).json()["results"]
    ] == [str(h.id)]
    assert [x["id"] for x in api.get("/api/v1/households/", {"q": h.code}).json()["results"]] == [
        str(h.id)
    ]


def test_member_search(api, ward):
    f.household(ward, members=[f.member("Đỗ Thị Thu Hằng", sex="female")])
    f.household(ward, members=[f.member("Đỗ Văn Hằng")])
    r = api.get("/api/v1/members/", {"q": "thu hang"})
    assert [m["full_name"] for m in r.json()["results"]] == ["Đỗ Thị Thu Hằng"]


def test_household_filters(api, ward, rural):
    v = Village.objects.create(commune=rural, name="Bản Khe")
    urban_kinh = f.household(ward)
    rural_dao = f.household(rural, village=v, members=[f.member("Triệu Văn Sinh", ethnicity="11")])
    closed = f.household(rural)
    closed.status = "dissolved"
    closed.save()

    def ids(**params):
        return {h["id"] for h in api.get("/api/v1/households/", params).json()["results"]}

    assert ids(commune=ward.code) == {str(urban_kinh.id)}
    assert ids(village=str(v.id)) == {str(rural_dao.id)}
    assert ids(is_urban="true") == {str(urban_kinh.id)}
    assert ids(is_urban="false") == {str(rural_dao.id), str(closed.id)}
    assert ids(ethnicity="11") == {str(rural_dao.id)}
    assert ids(status="dissolved") == {str(closed.id)}
    assert ids(status="active") == {str(urban_kinh.id), str(rural_dao.id)}
    assert ids(province="22") == {str(urban_kinh.id), str(rural_dao.id), str(closed.id)}
    Household.objects.filter(pk=urban_kinh.pk).update(updated_at="2020-01-01T00:00:00Z")
    assert str(urban_kinh.id) not in ids(updated_since="2025-01-01T00:00:00Z")
    assert ids(updated_since="2019-01-01T00:00:00Z") >= {str(urban_kinh.id)}


def test_member_filters(api, ward, rural):
    f.household(
        ward,
        members=[
            f.member("A Head"),
            f.member("A Wife", relationship="spouse", sex="female", ethnicity="02"),
        ],
    )
    f.household(rural, members=[f.member("B Head", sex="female")])

    def names(**params):
        return {m["full_name"] for m in api.get("/api/v1/members/", params).json()["results"]}

    assert names(commune=ward.code) == {"A Head", "A Wife"}
    assert names(is_urban="false") == {"B Head"}
    assert names(ethnicity="02") == {"A Wife"}
    assert names(sex="female") == {"A Wife", "B Head"}
    assert names(relationship="spouse") == {"A Wife"}
    assert names(status="present") == {"A Head", "A Wife", "B Head"}


def test_cursor_pagination_is_deterministic(api, ward):
    for i in range(7):
        f.household(ward, address=f"Nhà {i}")
    seen, url = [], "/api/v1/households/?page_size=3"
    while url:
        page = api.get(url).json()
        assert "count" not in page
        seen += [h["code"] for h in page["results"]]
        url = page["next"]
    assert seen == sorted(seen) and len(seen) == 7


def test_update_household_and_members(api, ward):
    h = f.household(
        ward,
        members=[f.member("Old Head"), f.member("Son", relationship="child", dob=date(2000, 1, 1))],
    )
    head = h.members.get(full_name="Old Head")
    son = h.members.get(full_name="Son")
    # the son becomes head, the old head is recorded as deceased, a baby is added
    r = api.patch(
        f"/api/v1/households/{h.id}/",
        {
            "address": "Số 9",
            "members": [
                {
                    "id": str(head.id),
                    "status": "deceased",
                    "status_date": "2026-01-05",
                    "relationship": "parent",
                },
                {"id": str(son.id), "relationship": "head"},
                {
                    "full_name": "Baby",
                    "date_of_birth": "2026-03-01",
                    "sex": "female",
                    "ethnicity": "01",
                    "relationship": "grandchild",
                },
            ],
        },
        HTTP_IF_MATCH='"1"',
    )
    assert r.status_code == 200, r.json()
    data = r.json()
    assert data["version"] == 2 and data["address"] == "Số 9"
    by_name = {m["full_name"]: m for m in data["members"]}
    assert by_name["Son"]["relationship"] == "head"
    assert by_name["Old Head"]["status"] == "deceased"
    assert "Baby" in by_name


def test_member_create_update_and_move(api, ward):
    a = f.household(ward)
    b = f.household(ward, members=[f.member("Trần Thị Mai", sex="female")])
    r = api.post(
        "/api/v1/members/",
        {
            "household": str(a.id),
            "full_name": "Lê Thị Cúc",
            "date_of_birth": "1990-04-04",
            "sex": "female",
            "ethnicity": "01",
            "relationship": "spouse",
        },
    )
    assert r.status_code == 201, r.json()
    mid = r.json()["id"]
    r = api.patch(f"/api/v1/members/{mid}/", {"full_name": "Lê Thị Cúc Phương", "version": 1})
    assert r.status_code == 200 and r.json()["version"] == 2
    r = api.post(
        f"/api/v1/members/{mid}/move/",
        {
            "household": str(b.id),
            "relationship": "other_relative",
            "reason": "Marriage",
            "version": 2,
        },
    )
    assert r.status_code == 200, r.json()
    assert r.json()["household"] == str(b.id)
    # the member's history stays with the member and shows in both households' histories
    history_b = api.get(f"/api/v1/households/{b.id}/history/").json()
    moved = [e for e in history_b if e["object_id"] == mid]
    assert any(c["field"] == "household" for e in moved for c in e["changes"])
    history_a = api.get(f"/api/v1/households/{a.id}/history/").json()
    assert any(e["object_id"] == mid and e["change"] == "created" for e in history_a)
    assert api.get("/api/v1/households/", {"q": "cuc phuong"}).json()["results"][0]["id"] == str(
        b.id
    )


def test_close_household(api, ward):
    h = f.household(ward)
    r = api.post(
        f"/api/v1/households/{h.id}/close/",
        {"status": "moved_out", "reason": "Moved to Hà Nội", "date": "2026-10-01", "version": 1},
    )
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "moved_out" and r.json()["status_reason"] == "Moved to Hà Nội"
    r = api.post(
        f"/api/v1/households/{h.id}/close/",
        {"status": "dissolved", "reason": "x", "date": "2026-10-02", "version": 2},
    )
    assert r.status_code == 409 and r.json()["code"] == "not_active"


def test_history_records_who_when_channel_and_changes(api, province_officer, ward):
    r = api.post("/api/v1/households/", body(ward))
    hid = r.json()["id"]
    api.patch(f"/api/v1/households/{hid}/", {"address": "Số 7"}, HTTP_IF_MATCH='"1"')
    history = api.get(f"/api/v1/households/{hid}/history/").json()
    latest = history[0]
    assert latest["object_type"] == "household" and latest["change"] == "changed"
    assert latest["user"] == province_officer.username and latest["channel"] == "api"
    assert {"field": "address", "old": "Số 5, tổ 3", "new": "Số 7"} in latest["changes"]
    created = [e for e in history if e["change"] == "created"]
    assert {e["object_type"] for e in created} == {"household", "member"}


def test_a_household_moved_to_another_commune_leaves_its_village_behind(api, ward, rural):
    """A village belongs to one commune: a household that moves commune without naming a new
    village has none, and whoever was granted the old village no longer sees it."""
    village = Village.objects.create(commune=ward, name="Tổ 9")
    household = f.household(ward, village=village)
    village_head = f.client_for(f.user(Role.COMMUNE_OFFICER, villages=[village]))
    assert village_head.get(f"/api/v1/households/{household.id}/").status_code == 200
    r = api.patch(f"/api/v1/households/{household.id}/", {"commune": rural.code, "version": 1})
    assert r.status_code == 200, r.json()
    assert r.json()["commune"] == rural.code and r.json()["village"] is None
    assert village_head.get(f"/api/v1/households/{household.id}/").status_code == 404
    # naming the commune it is already in keeps its village
    r = api.patch(f"/api/v1/households/{household.id}/", {"address": "Số 2", "version": 2})
    household.refresh_from_db()
    assert household.village_id is None and household.commune_id == rural.code
    kept = f.household(ward, village=village)
    r = api.patch(f"/api/v1/households/{kept.id}/", {"commune": ward.code, "version": 1})
    assert r.status_code == 200 and r.json()["village"] == str(village.id)


def test_a_village_of_another_commune_is_refused_without_naming_it(api, ward, rural):
    elsewhere = Village.objects.create(commune=rural, name="Bản Riêng")
    household = f.household(ward)
    r = api.patch(
        f"/api/v1/households/{household.id}/", {"village": str(elsewhere.id), "version": 1}
    )
    assert r.status_code == 400
    assert "Bản Riêng" not in r.content.decode() and rural.code not in r.content.decode()


def test_finding_a_household_by_its_registry_id_needs_personal_data_rights(api, ward):
    """The registry ID is personal: an analyst cannot learn which household holds one."""
    household = f.household(ward)
    Household.objects.filter(pk=household.pk).update(external_id="HK-REG-1")
    analyst = f.client_for(f.user(Role.ANALYST, communes=[ward]))
    found = analyst.get("/api/v1/households/", {"external_id": "HK-REG-1"})
    assert found.status_code == 200 and found.json()["results"] == []
    officer = api.get("/api/v1/households/", {"external_id": "HK-REG-1"}).json()["results"]
    assert [h["code"] for h in officer] == [household.code]


@pytest.mark.parametrize("status", ["moved_out", "dissolved", "merged"])
def test_a_closed_household_and_its_members_do_not_change(api, ward, status):
    """Every API write to a closed household's fields or members answers the same 409
    (`not_active`) and writes nothing: no version, no history row, no feed event. The
    household beside it, still active, changes as before."""
    other = f.household(
        ward,
        members=[
            f.member("Vũ Văn Khác"),
            f.member("Vũ Thị Con", relationship="child", sex="female", dob=date(2010, 1, 1)),
        ],
    )
    h = f.close(
        f.household_with_deceased_elder(ward, "Phạm Văn Chủ", "Phạm Thị Bà"), status, into=other
    )
    elder = h.members.get(full_name="Phạm Thị Bà")
    child = other.members.get(full_name="Vũ Thị Con")
    newcomer = {
        "full_name": "Phạm Văn Mới",
        "date_of_birth": "2026-01-01",
        "sex": "male",
        "ethnicity": "01",
        "relationship": "grandchild",
    }
    url = f"/api/v1/households/{h.id}/"
    before = f.traces(h)
    answers = [
        api.patch(url, {"address": "Số 2"}, HTTP_IF_MATCH=f'"{h.version}"'),
        api.put(url, {"commune": ward.code, "address": "Số 2", "version": h.version}),
        api.patch(
            url,
            {
                "version": h.version,
                "members": [{"id": str(elder.id), "full_name": "Phạm Thị Bà Nội"}, newcomer],
            },
        ),
        api.post("/api/v1/members/", {"household": str(h.id), **newcomer}),
        api.patch(f"/api/v1/members/{elder.id}/", {"full_name": "Bà Nội", "version": 1}),
        api.post(
            f"/api/v1/members/{child.id}/move/",
            {"household": str(h.id), "relationship": "grandchild", "version": child.version},
        ),
    ]
    for r in answers:
        assert r.status_code == 409, r.json()
        assert (r.json()["code"], r.json()["detail"]) == (
            "not_active",
            f"Household {h.code} is {status}.",
        )
    assert f.traces(h) == before
    other.refresh_from_db()
    r = api.patch(f"/api/v1/households/{other.id}/", {"address": "Số 3", "version": other.version})
    assert r.status_code == 200 and r.json()["address"] == "Số 3"


def test_a_present_member_moves_out_of_a_closed_household(api, ward):
    """The people of a dissolved household live somewhere else now: the move follows them
    there (registering them again would make two of each), and the household stays closed."""
    h = f.close(f.household(ward, members=[f.member("Hà Văn Ở")]), "dissolved")
    to = f.household(ward)
    person = h.members.get()
    r = api.post(
        f"/api/v1/members/{person.id}/move/",
        {"household": str(to.id), "relationship": "parent", "version": person.version},
    )
    assert r.status_code == 200, r.json()
    assert r.json()["household"] == str(to.id)
    h.refresh_from_db()
    assert h.status == "dissolved" and not h.members.exists()


def test_one_citizen_id_given_to_two_members_of_a_request_is_400_naming_the_second(api, ward):
    """Two members of one registration with the same citizen ID: the request's own mistake,
    refused on the second one's field; not "already registered in household X", X being
    the household this request would have made and did not."""
    twins = body(ward)
    twins["members"][1].update(
        {"full_name": "Đặng Thị Hoa", "sex": "female", "date_of_birth": "1985-02-03"}
    )
    twins["members"][1]["citizen_id"] = twins["members"][0]["citizen_id"]
    r = api.post("/api/v1/households/", twins, format="json")
    assert r.status_code == 400, r.json()
    errors = r.json()["errors"]
    assert [e["field"] for e in errors] == ["members.1.citizen_id"], errors
    assert f"{ward.code}-" not in str(r.json())
    assert not Household.objects.exists() and not Member.objects.exists()
