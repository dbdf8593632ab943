"""Possible duplicates: detected on write, listed, dismissed, resolved by merging."""

from datetime import date
from uuid import UUID

import pytest

from households.models import DuplicateCandidate, Household
from households.services import detect_all_duplicates
from tests import factories as f

pytestmark = pytest.mark.django_db

DOB = date(1975, 3, 9)


@pytest.fixture
def pair(ward):
    a = f.household(ward, members=[f.member("Hoàng Văn Đông", dob=DOB)])
    b = f.household(ward, members=[f.member("HOANG VAN DONG", dob=DOB, with_citizen_id=False)])
    return a, b


def test_same_folded_name_and_birth_date_in_commune_is_reported(api, pair):
    a, b = pair
    r = api.get("/api/v1/duplicates/").json()["results"]
    assert len(r) == 1
    d = r[0]
    assert d["reason"] == "name_birth_date" and d["status"] == "open"
    assert {d["member_a"]["household"], d["member_b"]["household"]} == {str(a.id), str(b.id)}
    # reported on the household and on the member too
    assert api.get(f"/api/v1/households/{a.id}/").json()["has_possible_duplicates"] is True
    assert flags_in_list(api) == {a.id: [True, True], b.id: [True, True]}
    member = api.get("/api/v1/members/", {"household": str(b.id)}).json()["results"][0]
    assert member["has_possible_duplicates"] is True
    assert len(api.get("/api/v1/duplicates/", {"household": str(a.id)}).json()["results"]) == 1


def flags_in_list(api) -> dict:
    """Each household of the list page: its own flag, then its members' flags."""
    page = api.get("/api/v1/households/").json()["results"]
    return {
        UUID(h["id"]): [h["has_possible_duplicates"]]
        + [m["has_possible_duplicates"] for m in h["members"]]
        for h in page
    }


def test_flags_of_both_sides_in_the_list_and_the_detail(api, ward):
    """A member on either side of an open candidate is flagged, and so is its household; not
    its housemates, nor other households; after a dismissal, nobody."""
    a = f.household(
        ward,
        members=[
            f.member("Hoàng Văn Đông", dob=DOB),
            f.member("Hoàng Thị Lan", relationship="spouse", sex="female"),
        ],
    )
    b = f.household(ward, members=[f.member("HOANG VAN DONG", dob=DOB, with_citizen_id=False)])
    other = f.household(ward, members=[f.member("Lý Thị Mai", sex="female")])
    expected = {
        a.id: [True, True, False],  # the household, then its head and the spouse
        b.id: [True, True],
        other.id: [False, False],
    }
    candidate = DuplicateCandidate.objects.get()
    a_head, b_head = (h.members.get(relationship="head") for h in (a, b))
    assert {candidate.member_a_id, candidate.member_b_id} == {a_head.id, b_head.id}
    assert flags_in_list(api) == expected
    for household in (a, b, other):
        body = api.get(f"/api/v1/households/{household.id}/").json()
        assert [body["has_possible_duplicates"]] + [
            m["has_possible_duplicates"] for m in body["members"]
        ] == expected[household.id]
    members = api.get("/api/v1/members/").json()["results"]
    assert {m["full_name"]: m["has_possible_duplicates"] for m in members} == {
        "Hoàng Văn Đông": True,
        "HOANG VAN DONG": True,
        "Hoàng Thị Lan": False,
        "Lý Thị Mai": False,
    }
    searched = api.get("/api/v1/members/", {"q": "hoang"}).json()["results"]
    assert {m["full_name"]: m["has_possible_duplicates"] for m in searched} == {
        "Hoàng Văn Đông": True,
        "HOANG VAN DONG": True,
        "Hoàng Thị Lan": False,
    }
    r = api.post(f"/api/v1/duplicates/{candidate.id}/dismiss/", {"note": "Two people"})
    assert r.status_code == 200
    assert all(not any(flags) for flags in flags_in_list(api).values())
    members = api.get("/api/v1/members/").json()["results"]
    assert not any(m["has_possible_duplicates"] for m in members)


def test_different_commune_or_birth_date_is_not_a_duplicate(api, ward, rural):
    f.household(ward, members=[f.member("Hoàng Văn Đông", dob=DOB)])
    f.household(rural, members=[f.member("Hoàng Văn Đông", dob=DOB, with_citizen_id=False)])
    f.household(
        ward, members=[f.member("Hoàng Văn Đông", dob=date(1975, 3, 10), with_citizen_id=False)]
    )
    assert api.get("/api/v1/duplicates/").json()["results"] == []
    assert detect_all_duplicates() == 0


def test_set_based_scan_finds_the_same_pairs(pair):
    DuplicateCandidate.objects.all().delete()
    assert detect_all_duplicates() == 1
    assert detect_all_duplicates() == 0  # idempotent


def test_dismiss(api, pair, province_officer):
    d = api.get("/api/v1/duplicates/").json()["results"][0]
    r = api.post(f"/api/v1/duplicates/{d['id']}/dismiss/", {"note": "Two different people"})
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
    assert r.json()["resolved_by"] == province_officer.username
    assert api.get("/api/v1/duplicates/", {"status": "open"}).json()["results"] == []
    assert api.post(f"/api/v1/duplicates/{d['id']}/dismiss/", {"note": "again"}).status_code == 409
    assert api.get(f"/api/v1/households/{pair[0].id}/").json()["has_possible_duplicates"] is False


def test_merge_keeps_both_histories(api, pair):
    a, b = pair
    api.patch(f"/api/v1/households/{b.id}/", {"address": "Before merge"}, HTTP_IF_MATCH='"1"')
    r = api.post(
        f"/api/v1/households/{b.id}/merge/",
        {"into": str(a.id), "reason": "Registered twice", "date": "2026-11-01", "version": 2},
    )
    assert r.status_code == 200, r.json()
    assert len(r.json()["members"]) == 2
    b.refresh_from_db()
    assert b.status == "merged" and b.merged_into_id == a.id
    # the merged-away household and its history remain readable
    history_b = api.get(f"/api/v1/households/{b.id}/history/").json()
    assert any(c["new"] == "Before merge" for e in history_b for c in e["changes"])
    assert any(
        c["field"] == "status" and c["new"] == "merged" for e in history_b for c in e["changes"]
    )
    # the moved member's whole history (from before the merge) is on the target household
    history_a = api.get(f"/api/v1/households/{a.id}/history/").json()
    moved = b.members.model.objects.get(full_name="HOANG VAN DONG")
    assert any(e["object_id"] == str(moved.id) and e["change"] == "created" for e in history_a)
    assert any(
        e["object_id"] == str(moved.id) and e["reason"].startswith("Merged from") for e in history_a
    )
    d = DuplicateCandidate.objects.get()
    assert d.status == "merged"
    assert Household.objects.get(pk=a.pk).members.filter(relationship="head").count() == 1


def test_a_pair_whose_person_moved_out_of_the_area_is_not_shown_there(
    api, ward_api, pair, rural, ward_officer, client
):
    """A pair shows both people's personal data: once one has moved to a commune outside the
    ward officer's area, the ward sees no more of it (list, detail, dismiss, admin); the
    province officer, whose area holds both, still does."""
    _, b = pair
    elsewhere = f.household(rural)
    moved = b.members.get()
    d = api.get("/api/v1/duplicates/").json()["results"][0]
    assert ward_api.get("/api/v1/duplicates/").json()["results"] != []
    r = api.post(
        f"/api/v1/members/{moved.id}/move/",
        {"household": str(elsewhere.id), "relationship": "other_relative", "version": 1},
    )
    assert r.status_code == 200, r.json()
    assert ward_api.get("/api/v1/duplicates/").json()["results"] == []
    assert ward_api.get(f"/api/v1/duplicates/{d['id']}/").status_code == 404
    dismiss = ward_api.post(f"/api/v1/duplicates/{d['id']}/dismiss/", {"note": "x"})
    assert dismiss.status_code == 404
    ward_officer.is_staff = True
    ward_officer.save()
    client.force_login(ward_officer)
    page = client.get("/admin/households/duplicatecandidate/")
    assert page.status_code == 200 and moved.full_name not in page.content.decode()
    assert client.get(f"/admin/households/duplicatecandidate/{d['id']}/change/").status_code in (
        302,
        404,
    )
    # the province officer's area holds both: the pair is theirs to weigh
    [still] = api.get("/api/v1/duplicates/").json()["results"]
    assert still["id"] == d["id"]
    assert moved.full_name in {still["member_a"]["full_name"], still["member_b"]["full_name"]}
    assert DuplicateCandidate.objects.get(pk=d["id"]).status == "open"
