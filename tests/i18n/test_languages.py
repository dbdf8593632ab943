"""Vietnamese first, English available: a request that names no language is answered in
Vietnamese (the API's problem messages, the admin, choices, explanations); `Accept-Language:
en` (or the language chosen in the admin) gives English. Codes and ISO dates in the API's JSON
do not change with the language. Dates are shown dd/mm/yyyy."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.utils import translation

from households.models import Household
from poverty.choices import Latrine, Material, WaterSource
from tests import factories as f
from tests.poverty.conftest import submit

pytestmark = pytest.mark.django_db

HOUSEHOLDS = "/api/v1/households/"


@pytest.fixture
def admin(db) -> Client:
    client = Client()
    client.force_login(f.user(None, superuser=True))
    return client


@pytest.fixture
def family(ward) -> Household:
    return f.household(ward, members=[f.member("Đinh Văn Hải", dob=date(1980, 1, 2))])


# ---------------------------------------------------------------------------- the API


def test_problem_messages_are_vietnamese_unless_english_is_asked_for(api):
    r = api.get(HOUSEHOLDS, {"colour": "red"})
    assert r.status_code == 400 and r["Content-Language"] == "vi"
    p = r.json()
    assert p["code"] == "validation_error"  # codes never change with the language
    assert p["title"] == "Dữ liệu không hợp lệ"
    assert p["errors"] == [
        {"field": "colour", "code": "unknown_parameter", "reason": "Tham số không xác định."}
    ]

    r = api.get(HOUSEHOLDS, {"colour": "red"}, HTTP_ACCEPT_LANGUAGE="en")
    assert r["Content-Language"] == "en"
    assert r.json()["title"] == "Invalid input"
    assert r.json()["errors"][0]["reason"] == "Unknown parameter."

    # A browser's list of languages: the first one the product speaks wins.
    r = api.get(HOUSEHOLDS, {"colour": "red"}, HTTP_ACCEPT_LANGUAGE="fr-FR, en;q=0.8, vi;q=0.5")
    assert r.json()["errors"][0]["reason"] == "Unknown parameter."


def test_a_body_that_is_not_json_is_explained_in_vietnamese(api):
    # Python's own words (`Expecting ',' delimiter: line 2 column 13 (char 14)`) are English.
    body = '{"commune": "1",\n "address" 1}'
    r = api.post(HOUSEHOLDS, body, content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "parse_error"
    assert r.json()["detail"] == "JSON không hợp lệ ở dòng 2, cột 12: thiếu dấu hai chấm."
    r = api.post(HOUSEHOLDS, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert r.json()["detail"] == "Not valid JSON at line 2, column 12: a colon was expected."
    r = api.post(HOUSEHOLDS, '{"latitude": NaN}', content_type="application/json")
    assert r.json()["detail"] == "NaN không phải là một giá trị JSON."


def test_too_many_query_parameters_are_refused_in_vietnamese(api):
    fields = "&".join(f"x{i}=1" for i in range(1_001))  # DATA_UPLOAD_MAX_NUMBER_FIELDS
    r = api.get(f"{HOUSEHOLDS}?{fields}")
    assert r.status_code == 400
    assert r.json()["detail"] == "Quá nhiều tham số hoặc trường biểu mẫu: chỉ nhận tối đa 1000."


def test_domain_errors_and_framework_messages_are_vietnamese(api, ward):
    head = {"date_of_birth": "1985-02-03", "sex": "female", "ethnicity": "01"}
    two_heads = {
        "commune": ward.code,
        "address": "Số 5, tổ 3",
        "members": [
            {**head, "full_name": "Đặng Thị Hoà", "relationship": "head"},
            {**head, "full_name": "Trần Thị Lan", "relationship": "head"},
        ],
    }
    p = api.post(HOUSEHOLDS, two_heads, format="json").json()
    assert p["code"] == "one_head_required" and p["title"] == "Yêu cầu không hợp lệ"
    assert p["detail"] == (
        "Hộ đang hoạt động phải có đúng một chủ hộ trong số thành viên đang cư trú; "
        "thay đổi này sẽ để lại 2 chủ hộ."
    )
    p = api.post(HOUSEHOLDS, two_heads, format="json", HTTP_ACCEPT_LANGUAGE="en").json()
    assert p["detail"].startswith("An active household has exactly one head")

    # DRF's own messages: in Vietnamese too (core's catalogue fills what DRF's lacks).
    p = api.post(HOUSEHOLDS, {}, format="json").json()
    assert {e["field"]: e["reason"] for e in p["errors"]}["commune"] == "Trường này là bắt buộc."
    p = api.get(f"{HOUSEHOLDS}00000000-0000-7000-8000-000000000000/").json()
    assert p["code"] == "not_found" and p["title"] == "Không tìm thấy."


def test_json_keeps_codes_and_iso_dates_whatever_the_language(api, family):
    vi = api.get(f"{HOUSEHOLDS}{family.pk}/").json()
    en = api.get(f"{HOUSEHOLDS}{family.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert vi == en
    assert vi["status"] == "active"
    member = api.get(f"/api/v1/members/?household={family.pk}").json()["results"][0]
    assert member["date_of_birth"] == "1980-01-02" and member["sex"] == "male"


@pytest.mark.parametrize(
    ("depth", "language", "detail"),
    [
        (1, "vi", "JSON lồng sâu quá 1 cấp."),
        (2, "vi", "JSON lồng sâu quá 2 cấp."),
        (1, "en", "JSON nested deeper than 1 level."),
        (2, "en", "JSON nested deeper than 2 levels."),
    ],
)
def test_a_count_in_a_message_is_pluralised_in_each_language(
    api, settings, depth, language, detail
):
    settings.API_MAX_JSON_DEPTH = depth
    body = '{"a": ' + "[" * depth + "]" * depth + "}"
    r = api.post(
        "/api/v1/villages/",
        data=body,
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert r.status_code == 400 and r.json()["code"] == "too_deeply_nested"
    assert r.json()["detail"] == detail


def test_ngettext_forms():
    """Vietnamese has one form for every count; English two."""
    from django.utils.translation import ngettext

    singular = "At most %(limit)s record in a body."
    plural = "At most %(limit)s records in a body."
    with translation.override("vi"):
        assert ngettext(singular, plural, 1) == ngettext(singular, plural, 7)
        assert ngettext(singular, plural, 7) % {"limit": 7} == "Tối đa 7 bản ghi trong một lần gửi."
    with translation.override("en"):
        assert ngettext(singular, plural, 1) % {"limit": 1} == "At most 1 record in a body."
        assert ngettext(singular, plural, 7) % {"limit": 7} == "At most 7 records in a body."


# ---------------------------------------------------------------------------- the admin


def test_admin_login_page_is_vietnamese_then_english(client):
    page = client.get("/admin/login/").content.decode()
    assert 'lang="vi"' in page and "Đăng nhập" in page
    page = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="en"' in page and "Log in" in page


def test_admin_household_pages_in_vietnamese(admin, family):
    index = admin.get("/admin/").content.decode()
    assert "Sổ đăng ký hộ gia đình" in index  # the app
    assert "Tình trạng chính thức" in index  # "Official statuss" is no more
    assert "Bút toán sổ vốn" in index  # nor "Ledger entrys"

    changelist = admin.get("/admin/households/household/").content.decode()
    assert "Chọn hộ gia đình để thay đổi" in changelist  # the model's name
    assert "Địa chỉ" in changelist  # a field's name
    assert "Đang hoạt động" in changelist  # a choice

    change = admin.get(f"/admin/households/household/{family.pk}/change/").content.decode()
    assert "Địa chỉ" in change and "Ngày sinh" in change and "Quan hệ với chủ hộ" in change
    assert '<option value="head" selected>Chủ hộ</option>' in change  # value kept, label vi
    assert 'value="02/01/1980"' in change  # date of birth, dd/mm/yyyy


def test_admin_in_english_on_request_and_by_choice(admin, family):
    page = admin.get("/admin/households/household/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Select household to change" in page and "Active" in page
    assert "Official statuses" in admin.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    # The language chosen in the admin (Django's set_language view) is kept in a cookie.
    r = admin.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    assert r.status_code == 302
    page = admin.get("/admin/households/household/").content.decode()
    assert "Select household to change" in page
    assert (
        'value="02/01/1980"'
        in admin.get(f"/admin/households/household/{family.pk}/change/").content.decode()
    )  # English screens keep day-first dates
    admin.post("/i18n/setlang/", {"language": "vi", "next": "/admin/"})
    assert "Chọn hộ gia đình" in admin.get("/admin/households/household/").content.decode()


def test_admin_dates_are_dd_mm_yyyy(admin, family):
    page = admin.get("/admin/households/member/").content.decode()
    assert "02/01/1980" in page and "1980-01-02" not in page
    day = family.created_at.astimezone().strftime("%d/%m/%Y")
    assert day in admin.get("/admin/households/household/").content.decode()


def test_admin_reads_dates_typed_dd_mm_yyyy():
    from django import forms

    class F(forms.Form):
        day = forms.DateField()

    with translation.override("vi"):
        assert F({"day": "29/11/2026"}).is_valid()
        assert F({"day": "2026-11-29"}).is_valid()
        form = F({"day": "29/11/2026"})
        form.is_valid()
        assert form.cleaned_data["day"] == date(2026, 11, 29)
        assert not F({"day": "11/29/2026"}).is_valid()  # never month first


# ---------------------------------------------------------------------------- explanations


def test_survey_explanation_uses_vietnamese_words_for_every_answer(family):
    survey = submit(
        family,
        poor_housing=True,
        wall_material="bamboo",
        roof_material="leaves_straw",
        latrine="simple_pit",
        water_source="surface",
    )
    a = survey.assessments.get(standard__code="VN-ND07-2021")
    reasons = {i["code"]: i for i in a.indicators}
    vi = " ".join(i["reason_vi"] for i in a.indicators) + a.explanation_vi
    en = " ".join(i["reason_en"] for i in a.indicators) + a.explanation_en
    assert "tường (tre, nứa)" in reasons["housing_quality"]["reason_vi"]
    assert "hố đào đơn giản" in reasons["latrine"]["reason_vi"]
    assert "nước sông, suối, ao, hồ" in reasons["domestic_water"]["reason_vi"]
    for code in ("bamboo", "leaves_straw", "simple_pit", "surface"):
        assert code not in vi
    assert "walls (bamboo)" in en and "simple pit" in en and "river, stream, pond" in en


@pytest.mark.parametrize(
    ("choices", "code", "vi", "en"),
    [
        (Material, "bamboo", "Tre, nứa", "Bamboo"),
        (WaterSource, "surface", "Nước sông, suối, ao, hồ", "River, stream, pond"),
        (Latrine, "simple_pit", "Hố đào đơn giản", "Simple pit"),
    ],
)
def test_answer_choices_follow_the_language(choices, code, vi, en):
    with translation.override("vi"):
        assert str(dict(choices.choices)[code]) == vi
    with translation.override("en"):
        assert str(dict(choices.choices)[code]) == en
