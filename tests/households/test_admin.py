"""The admin: households with member inlines, folded search, filters, history, duplicates,
users with their areas and roles."""

from datetime import date

import pytest

from households.models import DuplicateCandidate, Household
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(f.user(None, superuser=True))
    return client


def test_household_changelist_search_and_filters(admin_client, ward, rural):
    f.household(ward, members=[f.member("Đặng Thị Hoà", sex="female")])
    f.household(rural, members=[f.member("Lê Văn Tám")])
    r = admin_client.get("/admin/households/household/", {"q": "dang thi hoa"})
    assert r.status_code == 200
    assert r.context["cl"].result_count == 1
    r = admin_client.get("/admin/households/household/", {"urban": "0"})
    assert r.context["cl"].result_count == 1
    r = admin_client.get(
        "/admin/households/household/", {"status": "active", "commune__code__exact": ward.code}
    )
    assert r.status_code == 200


def test_household_change_page_history_and_edit(admin_client, ward):
    h = f.household(ward, members=[f.member("Bùi Văn Khoa")])
    assert admin_client.get(f"/admin/households/household/{h.pk}/change/").status_code == 200
    assert admin_client.get(f"/admin/households/household/{h.pk}/history/").status_code == 200
    head = h.members.get()
    data = {
        "commune": ward.code,
        "village": "",
        "address": "Đổi địa chỉ",
        "phone": "",
        "external_id": "",
        "latitude": "",
        "longitude": "",
        "status": "active",
        "status_reason": "",
        "status_date": "",
        "members-TOTAL_FORMS": "1",
        "members-INITIAL_FORMS": "1",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
        "members-0-id": str(head.pk),
        "members-0-household": str(h.pk),
        "members-0-full_name": "Bùi Văn Khoa",
        "members-0-date_of_birth": "1980-05-01",
        "members-0-sex": "male",
        "members-0-ethnicity": "01",
        "members-0-relationship": "head",
        "members-0-citizen_id": head.citizen_id,
        "members-0-status": "present",
        "members-0-status_date": "",
        "members-0-based_on_version": "1",
        "based_on_version": "1",
    }
    r = admin_client.post(f"/admin/households/household/{h.pk}/change/", data)
    assert r.status_code == 302, r.context["adminform"].errors if r.context else r
    h.refresh_from_db()
    assert h.address == "Đổi địa chỉ" and h.version == 2
    latest = h.history.first()
    assert latest.history_channel == "admin" and latest.history_user is not None
    # a second head in the inline is refused with a message, nothing saved
    data.update(
        {
            "members-TOTAL_FORMS": "2",
            "members-1-full_name": "Bùi Thị Hai",
            "members-1-date_of_birth": "1982-01-01",
            "members-1-sex": "female",
            "members-1-ethnicity": "01",
            "members-1-relationship": "head",
            "members-1-status": "present",
            "members-1-household": str(h.pk),
            "address": "Không lưu",
            "based_on_version": "2",
        }
    )
    r = admin_client.post(f"/admin/households/household/{h.pk}/change/", data)
    assert r.status_code == 200 and b"exactly one present head" in r.content
    h.refresh_from_db()
    assert h.address == "Đổi địa chỉ" and h.members.count() == 1


def test_admin_creates_household_with_code(admin_client, ward):
    data = {
        "commune": ward.code,
        "village": "",
        "address": "Mới",
        "phone": "",
        "external_id": "",
        "latitude": "",
        "longitude": "",
        "status": "active",
        "status_reason": "",
        "status_date": "",
        "members-TOTAL_FORMS": "1",
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
        "members-0-full_name": "Ngô Thị Yến",
        "members-0-date_of_birth": "1990-02-02",
        "members-0-sex": "female",
        "members-0-ethnicity": "01",
        "members-0-relationship": "head",
        "members-0-citizen_id": "022190123456",
        "members-0-status": "present",
        "members-0-status_date": "",
    }
    r = admin_client.post("/admin/households/household/add/", data)
    assert r.status_code == 302
    h = Household.objects.get()
    assert h.code == f"{ward.code}-000001" and h.source == "admin"
    assert "ngo thi yen" in h.search_text


def test_duplicates_review_and_user_areas(admin_client, ward):
    f.household(ward, members=[f.member("Lý Văn Tư", dob=date(1960, 1, 1))])
    f.household(ward, members=[f.member("Lý Văn Tư", dob=date(1960, 1, 1), with_citizen_id=False)])
    d = DuplicateCandidate.objects.get()
    assert admin_client.get("/admin/households/duplicatecandidate/").status_code == 200
    r = admin_client.post(
        "/admin/households/duplicatecandidate/",
        {"action": "dismiss", "_selected_action": [str(d.pk)]},
    )
    assert r.status_code == 302
    d.refresh_from_db()
    assert d.status == "dismissed"
    officer = f.user("commune_officer", communes=[ward])
    r = admin_client.get(f"/admin/auth/user/{officer.pk}/change/")
    assert r.status_code == 200 and b"area and role" in r.content.lower()
    assert admin_client.get("/admin/auth/user/").status_code == 200
