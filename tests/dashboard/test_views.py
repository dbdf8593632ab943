"""The dashboard page without a browser: who may open it, what it offers, in which language,
and that nothing it serves points outside the app."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

from accounts.roles import Role
from geo.models import Commune
from tests import factories as f

ROOT = Path(settings.BASE_DIR)
DASHBOARD = "/dashboard/"


def staff(role, **area):
    user = f.user(role, **area)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def browser_for(user, **headers) -> Client:
    client = Client(**headers)
    client.force_login(user)
    return client


@pytest.fixture
def officer(ward):
    return staff(Role.COMMUNE_OFFICER, communes=[ward])


def test_anonymous_is_sent_to_the_admin_login(db):
    response = Client().get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/dashboard/"


def test_a_user_who_is_not_staff_is_sent_to_the_admin_login(ward):
    user = f.user(Role.COMMUNE_OFFICER, communes=[ward])
    response = browser_for(user).get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_commune_filter_offers_only_the_users_area(officer, ward, rural):
    page = browser_for(officer).get(DASHBOARD).content.decode()
    offered = re.findall(r'<option value="(\d{5})"', page)
    assert offered == [ward.code]
    assert rural.name not in page


def test_a_province_officer_is_offered_the_communes_of_the_province_only(db):
    officer = staff(Role.PROVINCE_OFFICER, provinces=["22"])
    page = browser_for(officer).get(DASHBOARD).content.decode()
    offered = set(re.findall(r'<option value="(\d{5})"', page))
    assert offered == set(Commune.objects.filter(province_id="22").values_list("pk", flat=True))
    assert len(offered) > 1


def test_a_village_officer_is_offered_the_villages_commune(rural):
    from geo.models import Village

    village = Village.objects.create(commune=rural, name="Thôn Đồng Tâm")
    officer = staff(Role.COMMUNE_OFFICER, villages=[village])
    page = browser_for(officer).get(DASHBOARD).content.decode()
    assert re.findall(r'<option value="(\d{5})"', page) == [rural.code]


def test_a_commune_outside_the_area_in_the_query_is_not_applied_nor_echoed(officer, rural):
    page = browser_for(officer).get(DASHBOARD, {"commune": rural.code, "year": "1999"})
    assert page.status_code == 200
    text = page.content.decode()
    assert rural.code not in text
    assert rural.name not in text
    config = re.search(r'id="dashboard-config"[^>]*>(.*?)</script>', text).group(1)
    assert '"commune": ""' in config


def test_the_page_is_vietnamese_by_default(officer):
    response = browser_for(officer).get(DASHBOARD)
    text = response.content.decode()
    assert response["Content-Language"] == "vi"
    assert '<html lang="vi">' in text
    assert "Bảng điều khiển giảm nghèo" in text
    assert "Tỷ lệ hộ nghèo và cận nghèo theo thời gian" in text
    assert "Poverty reduction dashboard" not in text


def test_the_page_is_english_when_the_browser_asks_for_it(officer):
    response = browser_for(officer, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8").get(DASHBOARD)
    text = response.content.decode()
    assert response["Content-Language"] == "en"
    assert "Poverty reduction dashboard" in text
    assert "Poverty and near-poverty rates over time" in text
    assert "Bảng điều khiển" not in text


def test_the_admin_header_links_to_the_dashboard(officer):
    page = browser_for(officer).get("/admin/").content.decode()
    assert 'id="dashboard-link" href="/dashboard/"' in page
    assert "Quản lý hộ nghèo, hộ cận nghèo" in page  # the project's own site header, translated


# An absolute or protocol-relative URL naming a host (http://…, https://…, //cdn.…).
URL = re.compile(r"(?:https?:)?//[a-z0-9-]+(?:\.[a-z0-9-]+)+", re.IGNORECASE)


def served_assets() -> list[Path]:
    templates = sorted((ROOT / "dashboard" / "templates").rglob("*.html"))
    static = sorted((ROOT / "dashboard" / "static").rglob("*.*"))
    return templates + static


def test_no_asset_points_to_another_host():
    assets = served_assets()
    assert any(p.suffix == ".js" for p in assets) and any(p.suffix == ".css" for p in assets)
    for path in assets:
        found = URL.findall(path.read_text())
        assert found == [], f"{path.relative_to(ROOT)} refers to {found}"


def test_the_rendered_page_loads_only_its_own_assets(officer):
    text = browser_for(officer).get(DASHBOARD).content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', text)
    assert sources, "the page links its script and stylesheet"
    for source in sources:
        if source == "data:,":  # the empty favicon: no request for /favicon.ico
            continue
        assert source.startswith("/"), source
        assert not source.startswith("//"), source
    assert finders.find("dashboard/dashboard.js") and finders.find("dashboard/dashboard.css")


def test_staff_without_a_role_that_may_view_reports_is_refused(db):
    nobody = staff(None)
    assert browser_for(nobody).get(DASHBOARD).status_code == 403


def test_the_standard_filter_offers_the_published_standards_of_the_area(officer):
    from poverty.choices import Scope, StandardStatus
    from poverty.models import PovertyStandard

    ours = PovertyStandard.objects.get(code="QN-NQ13-2023")
    other = PovertyStandard.objects.create(
        code="HN-TEST-2026",
        name="Chuẩn của tỉnh khác",
        legal_basis="-",
        scope=Scope.PROVINCIAL,
        province_id="01",
        valid_from="2026-01-01",
        rural_line=1,
        urban_line=1,
        status=StandardStatus.PUBLISHED,
    )
    page = browser_for(officer).get(DASHBOARD).content.decode()
    offered = re.findall(r'<option value="([A-Z]{2}-[^"]+)"', page)
    assert offered == ["VN-ND07-2021", "VN-ND351-2025", ours.code]
    assert other.code not in page


def test_the_language_cookie_chooses_english(officer):
    client = browser_for(officer)
    client.cookies["django_language"] = "en"
    text = client.get(DASHBOARD).content.decode()
    assert "Poverty reduction dashboard" in text


def test_the_year_and_date_offered_are_vietnams_on_new_years_night(officer):
    # 31 December 17:30 UTC is 00:30 on 1 January in Vietnam: the page offers the new year
    # and its first day as the figures' date, as the reports it calls count them
    # (timezone.localdate()), whatever the server's process clock says.
    from datetime import UTC, date, datetime
    from unittest import mock

    moment = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        response = browser_for(officer).get(DASHBOARD)
    assert response.context["filters"].year == 2027
    assert response.context["as_of"] == date(2027, 1, 1)
    assert response.context["years"][0] == 2027
