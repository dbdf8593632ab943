import pytest

from accounts.roles import Role
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
