"""The admin as an officer works in it: filters and autocompletes limited to the area,
readable titles, amounts in VND and dates dd/mm/yyyy, JSON as tables, the household page with
its poverty status, surveys, assessments, support and case, and lists whose query count stays
flat as rows grow."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from accounts.roles import Role
from core.access import SYSTEM
from core.formatting import format_date, format_vnd
from geo.models import Commune, Village
from poverty.models import Assessment, Survey
from support import services as support
from tests import factories as f
from tests.poverty.conftest import decide, family, leader, submit  # noqa: F401 (fixtures)
from tests.support.conftest import (  # noqa: F401 (fixtures)
    POOR,
    allocate,
    housing_package,
    poor_household,
    tree,
)

pytestmark = pytest.mark.django_db


def body(response) -> str:
    return response.content.decode()


def autocomplete(client, model_name, field_name, term="", app_label="households"):
    r = client.get(
        "/admin/autocomplete/",
        {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": term},
    )
    assert r.status_code == 200, r.status_code
    data = r.json()
    ids = [row["id"] for row in data["results"]]
    while data["pagination"]["more"]:
        page = len(ids) // 20 + 1
        data = client.get(
            "/admin/autocomplete/",
            {
                "app_label": app_label,
                "model_name": model_name,
                "field_name": field_name,
                "term": term,
                "page": page,
            },
        ).json()
        ids += [row["id"] for row in data["results"]]
    return ids


@pytest.fixture
def supported(poor_household, housing_package, tree, ward):  # noqa: F811
    """The poor ward household with its housing support approved and 20 million disbursed."""
    allocate(tree, ward, central=100_000_000, local=50_000_000)
    a = support.assignment_propose(
        household=poor_household, package=housing_package, period=2026, actor=SYSTEM
    )
    a = support.assignment_approve(assignment=a, expected_version=1, actor=SYSTEM)
    support.disbursement_record(
        assignment=a,
        expected_version=a.version,
        actor=SYSTEM,
        on=date(2026, 11, 1),
        amount=20_000_000,
        evidence_reference="PC-001",
    )
    return poor_household


# ------------------------------------------------------------------ formatting


@pytest.mark.parametrize(
    "amount, shown",
    [
        (206_100_672, "206.100.672 ₫"),
        (0, "0 ₫"),
        (999, "999 ₫"),
        (1_000, "1.000 ₫"),
        (-1_500_000, "-1.500.000 ₫"),
        (None, "—"),
    ],
)
def test_amounts_read_as_vnd(amount, shown):
    assert format_vnd(amount) == shown


def test_dates_read_dd_mm_yyyy():
    assert format_date(date(2026, 1, 5)) == "05/01/2026"
    assert format_date(None) == "—"


# ------------------------------------------------------------ filters and autocompletes


def test_the_household_list_filters_by_units_of_the_area_with_autocomplete(client, ward, rural):
    mine = f.household(ward, members=[f.member("Hoàng Văn Chủ")])
    f.household(rural, members=[f.member("Hoàng Văn Khác")])
    officer = f.staff_login(client, Role.COMMUNE_OFFICER, communes=[ward])
    r = officer.get("/admin/households/household/")
    page = body(r)
    assert r.status_code == 200
    # no list of the country's 3,321 communes: autocomplete widgets, and no other commune
    assert "admin-autocomplete" in page and "commune__code__exact" not in page
    assert rural.name not in page and Commune.objects.exclude(pk=ward.pk).first().name not in page
    assert len(page) < 60_000
    # the commune filter works by its code
    r = officer.get("/admin/households/household/", {"commune": ward.code})
    assert r.context["cl"].result_count == 1 and mine.code in body(r)
    # the autocomplete offers only the officer's commune, whatever is typed
    assert autocomplete(officer, "household", "commune") == [ward.code]
    assert autocomplete(officer, "household", "commune", rural.name) == []


def test_autocompletes_of_a_province_officer_stay_in_the_province(client, ward, rural):
    mine = Village.objects.create(commune=ward, name="Khu 1")
    theirs = Village.objects.create(commune=Commune.objects.get(pk="00004"), name="Khu 1")
    officer = f.staff_login(client, Role.PROVINCE_OFFICER, provinces=["22"])
    communes = autocomplete(officer, "household", "commune")
    assert len(communes) == 54 and set(communes) == set(
        Commune.objects.filter(province_id="22").values_list("pk", flat=True)
    )
    assert autocomplete(officer, "household", "village", "khu") == [str(mine.pk)]
    # the same endpoint behind other pages' commune fields (targets, livelihood models)
    assert len(autocomplete(officer, "target", "commune", app_label="support")) == 54
    # a commune officer of another commune sees neither
    other = f.staff_login(client, Role.COMMUNE_OFFICER, communes=[rural])
    assert autocomplete(other, "household", "village", "khu") == []
    assert str(theirs.pk) not in autocomplete(other, "household", "village")


def test_household_autocomplete_shows_names_only_with_the_right(client, ward, rural):
    h = f.household(ward, members=[f.member("Phạm Thị Tên", sex="female")])
    f.household(rural)
    officer = f.staff_login(client, Role.COMMUNE_OFFICER, communes=[ward])
    r = officer.get(
        "/admin/autocomplete/",
        {"app_label": "poverty", "model_name": "survey", "field_name": "household"},
    )
    assert [row["text"] for row in r.json()["results"]] == [f"{h.code} — Phạm Thị Tên"]
    analyst = f.staff_login(client, Role.ANALYST, provinces=["22"])
    r = analyst.get(
        "/admin/autocomplete/",
        {"app_label": "poverty", "model_name": "survey", "field_name": "household"},
    )
    texts = [row["text"] for row in r.json()["results"]]
    assert h.code in texts and not any("Phạm" in t for t in texts)


# ------------------------------------------------------------------ titles and columns


def test_household_titles_and_head_column(client, ward):
    h = f.household(ward, members=[f.member("Đặng Thị Hoà", sex="female")], address="Số 1")
    officer = f.staff_login(client, Role.COMMUNE_OFFICER, communes=[ward])
    page = body(officer.get("/admin/households/household/"))
    assert "head of household" in page.lower() and "Đặng Thị Hoà" in page
    page = body(officer.get(f"/admin/households/household/{h.pk}/change/"))
    assert f"{h.code} — Đặng Thị Hoà" in page
    analyst = f.staff_login(client, Role.ANALYST, provinces=["22"])
    for url in ("/admin/households/household/", f"/admin/households/household/{h.pk}/change/"):
        page = body(analyst.get(url))
        assert h.code in page and "Đặng Thị Hoà" not in page and "head of household" not in page


def test_survey_and_assessment_titles_are_codes_and_dates(client, family, leader):  # noqa: F811
    decide(family, leader, day="2026-10-01", decision="2026-10-10", **POOR)
    survey = Survey.objects.get(household=family)
    a = Assessment.objects.get(household=family, standard__code="VN-ND07-2021")
    officer = f.staff_login(client, Role.COMMUNE_OFFICER, communes=[family.commune])
    page = body(officer.get("/admin/poverty/survey/"))
    assert f"{family.code} · 01/10/2026" in page
    assert f"of {family.pk}" not in page
    page = body(officer.get("/admin/poverty/assessment/"))
    assert f"{family.code} · VN-ND07-2021 · Poor" in page
    assert f"{family.pk} " not in page
    page = body(officer.get("/admin/poverty/officialstatus/"))
    assert "10/10/2026" in page or "01/10/2026" in page
    # a survey's page: incomes in VND, devices as a table of names, not JSON
    page = body(officer.get(f"/admin/poverty/survey/{survey.pk}/change/"))
    assert "10.000.000 ₫" in page and "devices owned" in page.lower()
    assert "10000000" not in page
    later = submit(family, day="2026-11-02")  # well-off facts: a television and a smartphone
    page = body(officer.get(f"/admin/poverty/survey/{later.pk}/change/"))
    assert "officers-table" in page and "Television" in page and "Smartphone" in page
    assert "&quot;tv&quot;" not in page and '["tv"' not in page
    analyst = f.staff_login(client, Role.ANALYST, provinces=["22"])
    page = body(analyst.get(f"/admin/poverty/survey/{later.pk}/change/"))
    assert "Television" in page and "60.000.000 ₫" not in page  # incomes are personal
    # an assessment's indicators: names, deprived yes / no / unknown, reasons
    page = body(officer.get(f"/admin/poverty/assessment/{a.pk}/change/"))
    names = list(a.standard.indicators.values_list("name_en", flat=True))
    assert names and all(escape(name) in page for name in names)
    assert "<th scope='col'>deprived</th>" in page.replace('"', "'")
    assert all(escape(i["reason_en"]) in page for i in a.indicators if i["reason_en"])
    assert '"reason_en"' not in page and "&quot;reason_en&quot;" not in page
    assert "10/10/2026" in page and "01/10/2026" in page  # decided; met on the survey date
    assert "&quot;code&quot;" not in page


def test_support_pages_show_vnd_and_the_funding_split(client, supported, ward):
    officer = f.staff_login(client, Role.COMMUNE_OFFICER, communes=[ward])
    page = body(officer.get("/admin/support/assignment/"))
    assert "60.000.000 ₫" in page and "20.000.000 ₫" in page
    a = supported.assignments.get()
    page = body(officer.get(f"/admin/support/assignment/{a.pk}/change/"))
    assert "42.000.000 ₫" in page and "18.000.000 ₫" in page and "Central budget" in page
    assert "&quot;source&quot;" not in page and '"source":' not in page
    assert "01/11/2026" in page  # the disbursement's date
    province = f.staff_login(client, Role.PROVINCE_OFFICER, provinces=["22"])
    page = body(province.get("/admin/support/budgetallocation/"))
    assert "100.000.000 ₫" in page and "58.000.000 ₫" in page
    page = body(province.get("/admin/support/ledgerentry/"))
    assert "42.000.000 ₫" in page and "14.000.000 ₫" in page


# ------------------------------------------------------------------ the household page


def test_the_household_page_shows_status_surveys_assessments_support_and_case(
    client, supported, ward, rural
):
    officer = f.staff_login(client, Role.COMMUNE_OFFICER, communes=[ward])
    page = body(officer.get(f"/admin/households/household/{supported.pk}/change/"))
    for title in (
        "Poverty status timeline",
        "Surveys",
        "Assessments",
        "Support assignments",
        "Disbursements",
        "Case",
    ):
        assert f"<h2>{title}" in page, title
    sections = page[page.index("household-sections") :]
    assert "VN-ND07-2021" in sections and "Poor" in sections and "current" in sections
    assert "01/10/2026" in sections  # the survey
    assert "NHA-O" in sections and "60.000.000 ₫" in sections and "20.000.000 ₫" in sections
    assert "PC-001" in sections and "01/11/2026" in sections
    assert "42.000.000 ₫" in sections  # the split inside the assignment's row
    # an officer of another commune reaches neither the page nor its sections
    other = f.staff_login(client, Role.COMMUNE_OFFICER, communes=[rural])
    r = other.get(f"/admin/households/household/{supported.pk}/change/")
    assert r.status_code == 302 and "PC-001" not in body(r) and supported.code not in body(r)
    # an analyst sees the sections, without personal data
    analyst = f.staff_login(client, Role.ANALYST, provinces=["22"])
    page = body(analyst.get(f"/admin/households/household/{supported.pk}/change/"))
    assert "Support assignments" in page and "60.000.000 ₫" in page
    assert "Sầm Văn Nghèo" not in page


# ------------------------------------------------------------------ query counts


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    assert r.status_code == 200, url
    return len(ctx.captured_queries)


LISTS = [
    "/admin/households/household/",
    "/admin/poverty/survey/",
    "/admin/poverty/assessment/",
    "/admin/poverty/officialstatus/",
    "/admin/support/assignment/",
    "/admin/support/ledgerentry/",
    "/admin/cases/case/",
]


def test_list_pages_query_counts_stay_flat(client, ward, leader, housing_package, tree):  # noqa: F811
    allocate(tree, ward, central=1_000_000_000, local=1_000_000_000)
    officer = f.staff_login(client, Role.PROVINCE_OFFICER, provinces=["22"])

    def add_poor_household(name):
        h = f.household(ward, members=[f.member(name)])
        decide(h, leader, day="2026-10-01", decision="2026-10-10", **POOR)
        a = support.assignment_propose(
            household=h, package=housing_package, period=2026, actor=SYSTEM
        )
        support.assignment_approve(assignment=a, expected_version=1, actor=SYSTEM)

    add_poor_household("Lưu Văn Một")
    for url in LISTS:  # the officer's area is resolved by the first request, then kept
        _queries(officer, url)
    before = {url: _queries(officer, url) for url in LISTS}
    for name in ("Lưu Văn Hai", "Lưu Văn Ba", "Lưu Văn Bốn"):
        add_poor_household(name)
    after = {url: _queries(officer, url) for url in LISTS}
    assert after == before
    assert max(after.values()) <= 20, after


def test_the_household_page_query_count_stays_flat(client, supported, ward):
    officer = f.staff_login(client, Role.COMMUNE_OFFICER, communes=[ward])
    url = f"/admin/households/household/{supported.pk}/change/"
    officer.get(url)  # the first request of a session fills caches
    before = _queries(officer, url)
    a = supported.assignments.get()
    support.disbursement_record(
        assignment=a,
        expected_version=a.version,
        actor=SYSTEM,
        on=date(2026, 11, 2),
        amount=5_000_000,
        evidence_reference="PC-002",
    )
    submit(supported, day="2026-11-03")  # another survey, with its assessments
    after = _queries(officer, url)
    assert "PC-002" in body(officer.get(url)) and after == before, (before, after)
