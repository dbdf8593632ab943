import pytest

from accounts.roles import Role
from geo.models import Village
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_create_list_filter_and_rename_villages(ward_api, ward, rural):
    r = ward_api.post(
        "/api/v1/villages/", {"commune": ward.code, "name": "Tổ 7", "kind": "to_dan_pho"}
    )
    assert r.status_code == 201, r.json()
    vid = r.json()["id"]
    r = ward_api.post("/api/v1/villages/", {"commune": ward.code, "name": "Tổ 7"})
    assert r.status_code == 400  # names are unique within a commune
    r = ward_api.post("/api/v1/villages/", {"commune": rural.code, "name": "Thôn 1"})
    assert r.status_code == 403 and r.json()["code"] == "outside_area"
    assert [
        v["name"]
        for v in ward_api.get("/api/v1/villages/", {"commune": ward.code}).json()["results"]
    ] == ["Tổ 7"]
    r = ward_api.patch(f"/api/v1/villages/{vid}/", {"name": "Tổ dân phố 7"})
    assert r.status_code == 200 and r.json()["name"] == "Tổ dân phố 7"


def test_enumerator_cannot_manage_villages(ward):
    api = f.client_for(f.user(Role.FIELD_ENUMERATOR, communes=[ward]))
    assert api.post("/api/v1/villages/", {"commune": ward.code, "name": "X"}).status_code == 403


def test_a_village_grant_renames_its_village_but_cannot_move_it_to_another_commune(ward, rural):
    """A user granted one village (not its commune) may edit the village, but a change of
    commune is the communes' business: moving it out would carry their grant with it."""
    village = Village.objects.create(commune=ward, name="Tổ 3")
    api = f.client_for(f.user(Role.COMMUNE_OFFICER, villages=[village]))
    r = api.patch(f"/api/v1/villages/{village.id}/", {"name": "Tổ dân phố 3"})
    assert r.status_code == 200, r.json()
    r = api.patch(f"/api/v1/villages/{village.id}/", {"commune": rural.code})
    assert r.status_code == 403 and r.json()["code"] == "outside_area"
    village.refresh_from_db()
    assert village.commune_id == ward.code
