from tests import factories


def test_register_and_read_household(api, ward):
    body = {
        "commune": ward.code,
        "address": "Số 5, tổ 3",
        "members": [
            {"full_name": "Đặng Thị Hoà", "date_of_birth": "1985-02-03", "sex": "female",
             "ethnicity": "01", "relationship": "head", "citizen_id": "022185000123"},
        ],
    }
    r = api.post("/api/v1/households/", body, format="json")
    assert r.status_code == 201, r.content
    hid = r.json()["id"]
    r = api.get(f"/api/v1/households/{hid}/")
    assert r.status_code == 200
    assert r.json()["members"][0]["full_name"] == "Đặng Thị Hoà"
    r = api.get("/api/v1/households/", {"q": "dang thi hoa"})
    assert [h["id"] for h in r.json()["results"]] == [hid]
    assert factories
