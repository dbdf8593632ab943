"""A commune officer never sees or changes another commune's households."""

import uuid

import pytest

from accounts.roles import Role
from geo.models import Village
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_communes(ward, rural):
    mine = f.household(ward, members=[f.member("Phạm Văn Mình")])
    theirs = f.household(rural, members=[f.member("Phạm Văn Người")])
    f.household(
        ward,
        members=[
            f.member(
                "Phạm Văn Người", dob=theirs.members.get().date_of_birth, with_citizen_id=False
            )
        ],
    )
    return mine, theirs


def test_lists_search_and_filters_stay_inside_the_area(ward_api, two_communes, rural):
    mine, theirs = two_communes
    codes = {h["code"] for h in ward_api.get("/api/v1/households/").json()["results"]}
    assert mine.code in codes and theirs.code not in codes
    assert ward_api.get("/api/v1/households/", {"commune": rural.code}).json()["results"] == []
    found = ward_api.get("/api/v1/households/", {"q": "pham van nguoi"}).json()["results"]
    assert theirs.code not in {h["code"] for h in found}
    members = ward_api.get("/api/v1/members/", {"q": "nguoi"}).json()["results"]
    assert all(m["household"] != str(theirs.id) for m in members)


def test_detail_history_and_actions_outside_the_area_are_404(ward_api, two_communes):
    _, theirs = two_communes
    member = theirs.members.get()
    for url in [
        f"/api/v1/households/{theirs.id}/",
        f"/api/v1/households/{theirs.id}/history/",
        f"/api/v1/members/{member.id}/",
    ]:
        assert ward_api.get(url).status_code == 404, url
    r = ward_api.patch(f"/api/v1/households/{theirs.id}/", {"address": "x"}, HTTP_IF_MATCH='"1"')
    assert r.status_code == 404
    r = ward_api.post(
        f"/api/v1/households/{theirs.id}/close/",
        {"status": "dissolved", "reason": "x", "date": "2026-01-01", "version": 1},
    )
    assert r.status_code == 404
    theirs.refresh_from_db()
    assert theirs.address == "Thôn 1" and theirs.status == "active"


def test_writes_into_another_commune_are_refused(ward_api, two_communes, rural):
    mine, theirs = two_communes
    r = ward_api.post(
        "/api/v1/households/",
        {
            "commune": rural.code,
            "address": "x",
            "members": [
                {
                    "full_name": "X",
                    "date_of_birth": "1990-01-01",
                    "sex": "male",
                    "ethnicity": "01",
                    "relationship": "head",
                }
            ],
        },
    )
    assert r.status_code == 403 and r.json()["code"] == "outside_area"
    # moving one's own household to another commune is refused too
    r = ward_api.patch(
        f"/api/v1/households/{mine.id}/", {"commune": rural.code}, HTTP_IF_MATCH='"1"'
    )
    assert r.status_code == 403
    # adding a member to, moving a member into, or merging into a household outside the area:
    # refused exactly as if the household did not exist (nothing tells it is there)
    mine_member = mine.members.get()
    writes = [
        (
            "/api/v1/members/",
            "household",
            {
                "full_name": "Y",
                "date_of_birth": "1990-01-01",
                "sex": "male",
                "ethnicity": "01",
                "relationship": "child",
            },
        ),
        (
            f"/api/v1/members/{mine_member.id}/move/",
            "household",
            {"relationship": "child", "version": 1},
        ),
        (
            f"/api/v1/households/{mine.id}/merge/",
            "into",
            {"reason": "dup", "date": "2026-01-01", "version": 1},
        ),
    ]
    for url, field, body in writes:
        unknown = str(uuid.uuid4())
        outside = ward_api.post(url, {**body, field: str(theirs.id)})
        nowhere = ward_api.post(url, {**body, field: unknown})
        assert outside.status_code == nowhere.status_code == 400
        assert outside.json()["errors"] == [
            {**e, "reason": e["reason"].replace(unknown, str(theirs.id))}
            for e in nowhere.json()["errors"]
        ]
    assert theirs.members.count() == 1 and mine.members.count() == 1


def test_duplicates_outside_the_area_are_invisible(ward_api, api, two_communes, rural):
    f.household(
        rural,
        members=[
            f.member(
                "Phạm Văn Người",
                with_citizen_id=False,
                dob=two_communes[1].members.get().date_of_birth,
            )
        ],
    )
    everything = api.get("/api/v1/duplicates/").json()["results"]
    assert {d["commune"] for d in everything} == {rural.code}
    assert ward_api.get("/api/v1/duplicates/").json()["results"] == []
    assert ward_api.get(f"/api/v1/duplicates/{everything[0]['id']}/").status_code == 404


def test_village_scoped_enumerator(ward):
    v1 = Village.objects.create(commune=ward, name="Tổ 1")
    v2 = Village.objects.create(commune=ward, name="Tổ 2")
    in_v1 = f.household(ward, village=v1)
    in_v2 = f.household(ward, village=v2)
    api = f.client_for(f.user(Role.FIELD_ENUMERATOR, villages=[v1]))
    codes = {h["code"] for h in api.get("/api/v1/households/").json()["results"]}
    assert codes == {in_v1.code}
    assert api.get(f"/api/v1/households/{in_v2.id}/").status_code == 404
    assert {v["name"] for v in api.get("/api/v1/villages/").json()["results"]} == {"Tổ 1"}


def test_roles_limit_operations(ward, two_communes):
    mine, _ = two_communes
    auditor = f.client_for(f.user(Role.AUDITOR, communes=[ward]))
    assert auditor.get(f"/api/v1/households/{mine.id}/").status_code == 200
    r = auditor.patch(f"/api/v1/households/{mine.id}/", {"address": "x"}, HTTP_IF_MATCH='"1"')
    assert r.status_code == 403
    enumerator = f.client_for(f.user(Role.FIELD_ENUMERATOR, communes=[ward]))
    r = enumerator.post(
        f"/api/v1/households/{mine.id}/close/",
        {"status": "dissolved", "reason": "x", "date": "2026-01-01"},
    )
    assert r.status_code == 403
    nobody = f.client_for(f.user(None))
    assert nobody.get("/api/v1/households/").status_code == 403


def test_analyst_sees_no_personal_data(ward, two_communes):
    mine, _ = two_communes
    analyst = f.client_for(f.user(Role.ANALYST, communes=[ward]))
    data = analyst.get(f"/api/v1/households/{mine.id}/").json()
    assert data["address"] is None and data["phone"] is None
    member = data["members"][0]
    assert member["full_name"] is None and member["citizen_id"] is None
    assert member["date_of_birth"] is None and member["birth_year"] == 1980
    assert member["sex"] == "male"  # aggregate attributes remain
    # searching by name would reveal who lives where: it finds nothing
    assert analyst.get("/api/v1/members/", {"q": "pham"}).json()["results"] == []
    assert analyst.get("/api/v1/households/", {"q": "pham"}).json()["results"] == []
    assert analyst.get(f"/api/v1/households/{mine.id}/history/").status_code == 403


def test_reference_data_readable_by_any_role(ward_api):
    assert len(ward_api.get("/api/v1/provinces/", {"page_size": 100}).json()["results"]) == 34
    qn = ward_api.get("/api/v1/communes/", {"province": "22", "page_size": 100}).json()
    assert len(qn["results"]) == 54
    kinds = {c["kind"] for c in qn["results"]}
    assert kinds == {"phuong", "xa", "dac_khu"}
    assert all(c["is_urban"] == (c["kind"] == "phuong") for c in qn["results"])
    assert [
        c["code"] for c in ward_api.get("/api/v1/communes/", {"q": "van don"}).json()["results"]
    ] == ["06994"]
    groups = ward_api.get("/api/v1/ethnic-groups/", {"page_size": 100}).json()["results"]
    assert len(groups) == 54
    assert [g["is_minority"] for g in groups if g["code"] == "01"] == [False]
