"""The admin: households with member inlines, folded search, filters, history, duplicates,
users with their areas and roles."""

from datetime import date

import pytest

from households.models import DuplicateCandidate, Household, Member
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(f.user(None, superuser=True))
    return client


def member_form(m: Member, **changes) -> dict[str, str]:
    """The member page's form as shown (with the version it was read at), with `changes`; a
    member row of the household page (`household_form`) shows the same."""
    return {
        "full_name": m.full_name,
        "date_of_birth": m.date_of_birth.isoformat(),
        "sex": m.sex,
        "ethnicity": m.ethnicity_id,
        "relationship": m.relationship,
        "citizen_id": m.citizen_id or "",
        "status": m.status,
        "status_date": m.status_date.isoformat() if m.status_date else "",
        "based_on_version": str(m.version),
        **changes,
    }


def household_form(household: Household, *, members=None, new=(), **changes) -> dict[str, str]:
    """The household page's form as shown (the household and a row per member, with the
    versions they were read at), with `changes` to the household's fields, `members`
    ({member id: {field: value}}) to its rows, and `new` member rows."""
    rows = []
    for m in household.members.order_by("pk"):
        row = {"id": str(m.pk), **member_form(m)}
        rows.append({**row, **(members or {}).get(m.pk, {})})
    initial = len(rows)
    rows += [{"status": "present", **row} for row in new]
    data = {
        "commune": household.commune_id,
        "village": household.village_id or "",
        "address": household.address,
        "phone": household.phone,
        "external_id": household.external_id or "",
        "latitude": "",
        "longitude": "",
        "based_on_version": str(household.version),
        "members-TOTAL_FORMS": str(len(rows)),
        "members-INITIAL_FORMS": str(initial),
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
        **changes,
    }
    for i, row in enumerate(rows):
        data.update({f"members-{i}-{k}": v for k, v in {"household": household.pk, **row}.items()})
    return data


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


def test_a_second_head_is_refused_in_vietnamese_for_a_vietnamese_officer(admin_client, ward):
    h = f.household(ward, members=[f.member("Bùi Văn Khoa")])
    second_head = {
        "full_name": "Bùi Thị Hai",
        "date_of_birth": "1982-01-01",
        "sex": "female",
        "ethnicity": "01",
        "relationship": "head",
    }
    data = household_form(h, address="Không lưu", new=[second_head])
    url = f"/admin/households/household/{h.pk}/change/"
    r = admin_client.post(url, data, HTTP_ACCEPT_LANGUAGE="vi")
    assert r.status_code == 200
    assert "Hộ đang hoạt động phải có đúng một chủ hộ đang cư trú (hiện có 2)." in (
        r.content.decode()
    )


def test_household_change_page_history_and_edit(admin_client, ward):
    h = f.household(ward, members=[f.member("Bùi Văn Khoa")])
    assert admin_client.get(f"/admin/households/household/{h.pk}/change/").status_code == 200
    assert admin_client.get(f"/admin/households/household/{h.pk}/history/").status_code == 200
    data = household_form(h, address="Đổi địa chỉ")
    r = admin_client.post(f"/admin/households/household/{h.pk}/change/", data)
    assert r.status_code == 302, r.context["adminform"].errors if r.context else r
    h.refresh_from_db()
    assert h.address == "Đổi địa chỉ" and h.version == 2
    latest = h.history.first()
    assert latest.history_channel == "admin" and latest.history_user is not None
    # a second head in the inline is refused with a message, nothing saved
    second_head = {
        "full_name": "Bùi Thị Hai",
        "date_of_birth": "1982-01-01",
        "sex": "female",
        "ethnicity": "01",
        "relationship": "head",
    }
    data = household_form(h, address="Không lưu", new=[second_head])
    r = admin_client.post(f"/admin/households/household/{h.pk}/change/", data)
    assert r.status_code == 200 and b"exactly one present head" in r.content
    h.refresh_from_db()
    assert h.address == "Đổi địa chỉ" and h.members.count() == 1


def test_admin_creates_household_with_code(admin_client, ward):
    data = f.admin_household(ward)
    r = admin_client.post("/admin/households/household/add/", data)
    assert r.status_code == 302
    h = Household.objects.get()
    assert h.code == f"{ward.code}-000001" and h.source == "admin"
    assert h.search_text == "moi"  # the folded address (households.search)


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


def staff(role, **area):
    u = f.user(role, **area)
    u.is_staff = True
    u.save()
    return u


@pytest.fixture
def logged_in(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def _household_form(h, head, **changes):
    data = {
        "commune": h.commune_id,
        "village": "",
        "address": h.address,
        "phone": "",
        "external_id": "",
        "latitude": "",
        "longitude": "",
        "based_on_version": str(h.version),
        "members-TOTAL_FORMS": "1",
        "members-INITIAL_FORMS": "1",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
        "members-0-id": str(head.pk),
        "members-0-household": str(h.pk),
        "members-0-full_name": head.full_name,
        "members-0-date_of_birth": head.date_of_birth.isoformat(),
        "members-0-sex": head.sex,
        "members-0-ethnicity": head.ethnicity_id,
        "members-0-relationship": head.relationship,
        "members-0-citizen_id": head.citizen_id or "",
        "members-0-status": head.status,
        "members-0-status_date": "",
        "members-0-based_on_version": str(head.version),
    }
    data.update(changes)
    return data


def test_area_limited_staff_see_and_change_only_their_area(logged_in, ward, rural):
    mine = f.household(ward, members=[f.member("Vũ Văn Mình")])
    theirs = f.household(rural, members=[f.member("Vũ Văn Người")])
    client = logged_in(staff("commune_officer", communes=[ward]))
    r = client.get("/admin/households/household/")
    assert r.status_code == 200 and r.context["cl"].result_count == 1
    assert theirs.code not in r.content.decode()
    # another commune's household, its history and its members: as if they did not exist
    r = client.get(f"/admin/households/household/{theirs.pk}/change/")
    assert r.status_code == 302 and theirs.code not in r.content.decode()
    assert client.get(f"/admin/households/household/{theirs.pk}/history/").status_code == 404
    member = theirs.members.get()
    assert client.get(f"/admin/households/member/{member.pk}/history/").status_code == 404
    assert client.get(f"/admin/households/member/{member.pk}/change/").status_code == 302
    # a write into another commune is refused with a message; nothing is saved
    head = mine.members.get()
    r = client.post(
        f"/admin/households/household/{mine.pk}/change/",
        _household_form(mine, head, commune=rural.code),
    )
    assert r.status_code == 302
    mine.refresh_from_db()
    assert mine.commune_id == ward.code and mine.version == 1
    messages = [str(m) for m in r.wsgi_request._messages]
    assert any("outside your area" in m for m in messages)
    # and users, their roles and areas are for superusers only
    assert client.get("/admin/auth/user/").status_code == 403


def test_the_admin_checks_the_version_the_form_was_based_on(admin_client, ward):
    h = f.household(ward)
    head = h.members.get()
    form = _household_form(h, head, address="Sửa ở trang quản trị")
    services_update = {"address": "Sửa qua API"}
    api = f.client_for(f.user(None, superuser=True))
    r = api.patch(f"/api/v1/households/{h.pk}/", services_update, HTTP_IF_MATCH='"1"')
    assert r.status_code == 200
    r = admin_client.post(f"/admin/households/household/{h.pk}/change/", form)
    assert r.status_code == 302
    h.refresh_from_db()
    assert h.address == "Sửa qua API" and h.version == 2  # the admin did not overwrite it
    assert any("version" in str(m) for m in r.wsgi_request._messages)


def test_a_duplicate_citizen_id_in_the_admin_is_a_message_not_a_500(admin_client, ward):
    holder = f.household(ward).members.get()
    h = f.household(ward, members=[f.member("Đỗ Văn Hai", dob=holder.date_of_birth)])
    head = h.members.get()
    r = admin_client.post(
        f"/admin/households/household/{h.pk}/change/",
        _household_form(h, head, **{"members-0-citizen_id": holder.citizen_id}),
    )
    assert r.status_code == 200  # the form again, with the error on the row
    assert "already exists" in r.content.decode()
    head.refresh_from_db()
    assert head.citizen_id != holder.citizen_id


def test_an_analyst_sees_no_personal_data_in_the_admin(logged_in, ward):
    h = f.household(ward, members=[f.member("Tạ Thị Riêng", sex="female")], address="Số 9 Ngõ 3")
    head = h.members.get()
    client = logged_in(staff("analyst", provinces=["22"]))
    pages = [
        "/admin/households/household/",
        f"/admin/households/household/{h.pk}/change/",
        "/admin/households/member/",
        f"/admin/households/member/{head.pk}/change/",
    ]
    for url in pages:
        r = client.get(url)
        assert r.status_code == 200, url
        body = r.content.decode()
        for secret in (head.full_name, head.citizen_id, h.address):
            assert secret not in body, (url, secret)
    assert client.get(f"/admin/households/household/{h.pk}/history/").status_code == 403
    assert client.get("/admin/households/duplicatecandidate/").status_code == 403
    # searching by a name finds nothing for a role that may not search by names
    r = client.get("/admin/households/household/", {"q": "ta thi rieng"})
    assert r.context["cl"].result_count == 0
    # and reading is all it may do
    r = client.post(
        f"/admin/households/household/{h.pk}/change/", _household_form(h, head, address="x")
    )
    assert r.status_code == 403


def test_an_analyst_cannot_filter_the_admin_lists_by_personal_fields(logged_in, ward):
    """Django's lists filter by any field of the model's own named in the address: by a
    birth date, a name, a citizen ID or an address, which rows match would tell the analyst
    what the columns hide. Refused to them (400); the other filters work as before."""
    born = date(2001, 7, 9)
    h = f.household(
        ward,
        members=[f.member("Tạ Thị Riêng", sex="female", dob=born)],
        address="Số 9 Ngõ 3",
        phone="0912345678",
    )
    f.household(ward, members=[f.member("Lê Văn Bình", dob=date(1970, 1, 1))])
    head = h.members.get()
    members, households = "/admin/households/member/", "/admin/households/household/"
    probes = [
        (members, {"date_of_birth__gte": born.isoformat()}),
        (members, {"date_of_birth": born.isoformat()}),
        (members, {"date_of_birth__year": "2001", "date_of_birth__month": "7"}),
        (members, {"full_name__startswith": "Tạ"}),
        (members, {"citizen_id__startswith": head.citizen_id[:6]}),
        (members, {"citizen_id": head.citizen_id}),
        (households, {"address__startswith": "Số 9"}),
        (households, {"phone": "0912345678"}),
    ]
    officer = logged_in(staff("commune_officer", communes=[ward]))
    for url, params in probes:  # for a role that may read them, they filter
        r = officer.get(url, params)
        assert r.status_code == 200 and r.context["cl"].result_count == 1, params
    analyst = logged_in(staff("analyst", provinces=["22"]))
    for url, params in probes:
        r = analyst.get(url, params)
        assert r.status_code == 400, params
        assert head.full_name not in r.content.decode()
    r = analyst.get(members, {"sex": "female", "relationship": "head"})
    assert r.status_code == 200 and r.context["cl"].result_count == 1


def test_workflow_records_are_read_only_in_the_admin(admin_client, ward):
    from poverty.models import OfficialStatus
    from support.models import LedgerEntry

    assert admin_client.get("/admin/poverty/officialstatus/add/").status_code == 403
    assert admin_client.get("/admin/support/ledgerentry/add/").status_code == 403
    assert admin_client.get("/admin/poverty/assessment/add/").status_code == 403
    for model in (OfficialStatus, LedgerEntry):
        admin = __import__("django.contrib.admin", fromlist=["site"]).site._registry[model]
        request = type("R", (), {"user": f.user(None, superuser=True)})()
        assert not admin.has_change_permission(request) and not admin.has_delete_permission(request)


def test_admin_lists_with_personal_data_are_recorded(logged_in, ward):
    from core.models import PersonalDataRead

    f.household(ward)
    officer = staff("commune_officer", communes=[ward])
    logged_in(officer).get("/admin/households/household/", {"status": "active"})
    logged_in(staff("analyst", communes=[ward])).get("/admin/households/household/")
    [read] = PersonalDataRead.objects.all()
    assert (read.user, read.channel, read.records, read.query) == (
        officer,
        "admin",
        1,
        "status=active",
    )


def test_a_household_search_box_showing_names_is_recorded_as_a_read(logged_in, ward):
    """The search box of a form's household field (the survey page's) lists households as
    the list page does, each labelled with its head's name: recorded as a read, unless the
    labels are codes alone (no personal-data rights)."""
    from core.models import PersonalDataRead

    for n in range(3):
        f.household(ward, members=[f.member(f"Nguyễn Văn Tự {n}")])
    search = {"app_label": "poverty", "model_name": "survey", "field_name": "household"}
    analyst = logged_in(staff("analyst", communes=[ward])).get(
        "/admin/autocomplete/", {**search, "term": f"{ward.code}-"}
    )
    assert analyst.status_code == 200 and len(analyst.json()["results"]) == 3
    assert not any("Tự" in row["text"] for row in analyst.json()["results"])
    assert not PersonalDataRead.objects.exists()

    officer = staff("commune_officer", communes=[ward])
    r = logged_in(officer).get("/admin/autocomplete/", {**search, "term": "tu"})
    labels = [row["text"] for row in r.json()["results"]]
    assert len(labels) == 3 and all("Nguyễn Văn Tự" in label for label in labels)
    [read] = PersonalDataRead.objects.all()
    assert (read.user, read.channel, read.resource, read.records) == (
        officer,
        "admin",
        "/admin/autocomplete/",
        3,
    )


@pytest.mark.parametrize("status", ["moved_out", "dissolved", "merged"])
def test_a_closed_household_is_not_changed_in_the_admin(admin_client, ward, status):
    """The household page (its fields, a member row, a new member row) and the member page
    of a closed household are drawn read-only (no form to fill, no save button), and a save
    posted anyway is refused (403) with nothing written; the services refuse it too (the API
    and field-upload tests)."""
    into = f.household(ward, members=[f.member("Vũ Văn Nhận")])
    h = f.household_with_deceased_elder(ward, "Bùi Văn Đóng", "Bùi Thị Cụ")
    h = f.close(h, status, into=into)
    elder = h.members.get(full_name="Bùi Thị Cụ")
    page = f"/admin/households/household/{h.pk}/change/"
    member_page = f"/admin/households/member/{elder.pk}/change/"
    for url in (page, member_page):
        r = admin_client.get(url)
        assert r.status_code == 200 and r.context["has_change_permission"] is False
        assert 'name="_save"' not in r.content.decode()
    inline = admin_client.get(page).context["inline_admin_formsets"][0]
    assert not inline.has_add_permission and not inline.has_change_permission
    before = f.traces(h)
    newcomer = {
        "full_name": "Bùi Văn Mới",
        "date_of_birth": "2026-01-01",
        "sex": "male",
        "ethnicity": "01",
        "relationship": "grandchild",
    }
    member = {
        "full_name": "Bùi Thị Cụ Bà",
        "date_of_birth": "1940-01-01",
        "sex": "female",
        "ethnicity": "01",
        "relationship": "grandparent",
        "citizen_id": elder.citizen_id,
        "status": "deceased",
        "status_date": "2025-01-01",
        "based_on_version": str(elder.version),
    }
    posts = [
        (page, household_form(h, address="Không lưu")),
        (page, household_form(h, members={elder.pk: {"full_name": "Bùi Thị Cụ Bà"}})),
        (page, household_form(h, new=[newcomer])),
        (member_page, member),
    ]
    for url, data in posts:
        assert admin_client.post(url, data).status_code == 403
    assert f.traces(h) == before
    # the household beside it, still active, is changed on the same page as before
    into.refresh_from_db()
    r = admin_client.post(
        f"/admin/households/household/{into.pk}/change/",
        household_form(into, address="Đã đổi"),
    )
    assert r.status_code == 302 and r["Location"] == "/admin/households/household/"
    into.refresh_from_db()
    assert into.address == "Đã đổi"


def test_history_pages_show_nothing_of_a_household_outside_the_area(logged_in, ward, rural):
    """The admin's history pages follow the API's history (docs/security.md §3): another
    area's household is not named in a change reason, a change or a past version; a member who
    moved in shows from the move; the province officer sees it all."""
    from tests.api.test_history import merge, move

    before = f.household(
        rural,
        members=[
            f.member("Phạm Văn Cũ"),
            f.member("Phạm Thị Chuyển", relationship="spouse", sex="female", dob=date(1986, 4, 5)),
        ],
    )
    here = f.household(ward, members=[f.member("Đỗ Văn Đây", dob=date(1975, 6, 7))])
    came = move(before.members.get(full_name="Phạm Thị Chuyển"), here)
    source = f.household(ward, members=[f.member("Bùi Văn Nguồn", dob=date(1970, 1, 1))])
    target = f.household(rural, members=[f.member("Bùi Văn Đích", dob=date(1977, 7, 7))])
    merge(source, target)
    first = came.history.order_by("history_date", "history_id").first().history_id  # over there
    last = source.history.order_by("history_date", "history_id").last().history_id  # merged
    pages = [
        f"/admin/households/member/{came.pk}/history/",
        f"/admin/households/household/{source.pk}/history/",
        f"/admin/households/household/{source.pk}/history/{last}/",
        f"/admin/households/household/{source.pk}/change/",
    ]

    client = logged_in(staff("commune_officer", communes=[ward]))
    for page in pages:
        r = client.get(page)
        text = r.content.decode()
        assert r.status_code == 200, page
        for leak in (before.code, target.code, str(before.pk), str(target.pk)):
            assert leak not in text, f"{page} names {leak}"
    reasons = client.get(pages[0]).content.decode() + client.get(pages[1]).content.decode()
    assert "Moved from household [outside your area]" in reasons
    assert "Merged into [outside your area]" in reasons
    r = client.get(f"/admin/households/member/{came.pk}/history/{first}/")
    assert r.status_code == 404  # her version recorded in the other commune

    client = logged_in(staff("province_officer", provinces=["22"]))
    assert f"Moved from household {before.code}" in client.get(pages[0]).content.decode()
    assert f"Merged into {target.code}" in client.get(pages[1]).content.decode()
    for page in pages[2:]:
        assert target.code in client.get(page).content.decode(), page
    r = client.get(f"/admin/households/member/{came.pk}/history/{first}/")
    assert r.status_code == 200 and before.code in r.content.decode()


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"date_of_birth": "1850-01-01"}, "date_of_birth", "Dates before 1900 are not accepted."),
        (
            {"status": "deceased", "status_date": "2099-01-01"},
            "status_date",
            "Cannot be in the future.",
        ),
        (
            {"status": "deceased", "status_date": "1850-01-01"},
            "status_date",
            "Dates before 1900 are not accepted.",
        ),
    ],
)
def test_a_members_dates_the_api_refuses_are_refused_in_the_admin(
    admin_client, ward, changes, field, reason
):
    """A member is born, and their status (moved out, deceased) dated, neither in the future
    nor before 1900, whichever door: the API's date fields answer first (a 400 naming the
    field, as before), the service refuses it for every door, so the member page and the
    household page's member rows (changed or new) save nothing and say why."""
    h = f.household(
        ward,
        members=[
            f.member("Lê Văn Chủ"),
            f.member("Lê Thị Bà", relationship="spouse", sex="female", with_citizen_id=False),
        ],
    )
    spouse = h.members.get(relationship="spouse")
    api = f.client_for(f.user(None, superuser=True))
    r = api.patch(f"/api/v1/members/{spouse.pk}/", changes, HTTP_IF_MATCH='"1"')
    assert r.status_code == 400, r.json()
    assert [(e["field"], e["reason"]) for e in r.json()["errors"]] == [(field, reason)]
    before = f.traces(h)
    page = f"/admin/households/household/{h.pk}/change/"
    newcomer = {
        "full_name": "Lê Văn Mới",
        "date_of_birth": "2001-01-01",
        "sex": "male",
        "ethnicity": "01",
        "relationship": "child",
        **changes,
    }
    posts = [
        (f"/admin/households/member/{spouse.pk}/change/", member_form(spouse, **changes)),
        (page, household_form(h, members={spouse.pk: changes})),
        (page, household_form(h, new=[newcomer])),
    ]
    for url, data in posts:
        r = admin_client.post(url, data, follow=True)
        shown = " ".join(str(m) for m in r.context["messages"])
        # The field by its label, in a household's members by the member's position too.
        label = str(Member._meta.get_field(field).verbose_name)
        assert "Nothing was saved" in shown and label in shown, (url, shown)
        assert field not in shown and ("member 1 › " in shown) == (url == page), (url, shown)
    assert f.traces(h) == before
    spouse.refresh_from_db()
    assert (spouse.date_of_birth, spouse.status, spouse.status_date) == (
        date(1980, 5, 1),
        "present",
        None,
    )
