"""The case page of the admin: read-mostly; the cadre, target date and commitments change
through the services, with the version the form was based on."""

from datetime import date

import pytest

from accounts.roles import Role
from cases.models import Case
from tests import factories as f
from tests.poverty.conftest import decide

pytestmark = pytest.mark.django_db

POOR = {"income": 10_000_000, "poor_housing": True}


def messages_of(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


@pytest.fixture
def case(family, leader):
    decide(family, leader, day="2026-10-01", decision="2026-10-10", **POOR)
    return Case.objects.get(household=family)


def test_an_officer_changes_cadre_and_plan_through_the_services(client, ward, case):
    officer = f.staff_login(client, Role.COMMUNE_OFFICER, communes=[ward])
    url = f"/admin/cases/case/{case.pk}/change/"
    page = officer.get(url)
    assert page.status_code == 200 and "income" in page.content.decode()  # goals inline
    cadre = f.user(Role.COMMUNE_OFFICER, communes=[ward])
    form = {
        "cadre": cadre.pk,
        "target_date": "2027-06-30",
        "commitments": "Trồng rau",
        "based_on_version": 1,
        "goals-TOTAL_FORMS": 0,
        "goals-INITIAL_FORMS": 0,
        "follow_ups-TOTAL_FORMS": 0,
        "follow_ups-INITIAL_FORMS": 0,
    }
    r = officer.post(url, form)
    assert r.status_code == 302, messages_of(r)
    case.refresh_from_db()
    assert (case.cadre, case.target_date, case.commitments, case.version) == (
        cadre,
        date(2027, 6, 30),
        "Trồng rau",
        3,
    )
    assert case.history.count() == 3  # opened, cadre, plan
    # Based on an old version: nothing saved.
    r = officer.post(url, {**form, "commitments": "Khác"})
    assert any("Nothing was saved" in m for m in messages_of(r))
    case.refresh_from_db()
    assert case.commitments == "Trồng rau"
    # A cadre from elsewhere is refused as a user that does not exist, and the page names
    # neither (user ids are sequential: a label would tell who holds each one).
    stranger = f.user(Role.COMMUNE_OFFICER, provinces=["01"])
    answers = []
    for typed in (stranger.pk, stranger.pk + 1000):
        r = officer.post(url, {**form, "cadre": typed, "based_on_version": 3})
        assert r.status_code == 200 and stranger.username not in r.content.decode()
        answers.append(r.context["adminform"].form.errors["cadre"])
    assert answers[0] == answers[1]
    case.refresh_from_db()
    assert case.cadre == cadre
    # inside the area, the service's own rule still speaks (a user who records no follow-ups)
    reader = f.user(Role.ANALYST, communes=[ward])
    r = officer.post(url, {**form, "cadre": reader.pk, "based_on_version": 3})
    assert any("cannot be the household's cadre" in m for m in messages_of(r))


def test_roles_without_cases_manage_only_read(client, ward, case):
    analyst = f.staff_login(client, Role.ANALYST, communes=[ward])
    assert analyst.get("/admin/cases/case/").status_code == 200
    url = f"/admin/cases/case/{case.pk}/change/"
    assert analyst.get(url).status_code == 200
    assert analyst.post(url, {"commitments": "x", "based_on_version": 1}).status_code == 403
    assert analyst.get("/admin/cases/case/add/").status_code == 403
