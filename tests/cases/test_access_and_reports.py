"""Who may do what on cases, what each role sees, the reports' figures (counted by hand) and
the lists' query counts."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.roles import Role
from cases import services
from cases.models import Case, FollowUp, PlanGoal
from core.access import SYSTEM
from geo import services as geo
from geo.models import Commune
from poverty.models import PovertyStandard
from tests import factories as f
from tests.poverty.conftest import decide

pytestmark = pytest.mark.django_db

POOR = {"income": 10_000_000, "poor_housing": True}


def etag(n: int) -> dict:
    return {"HTTP_IF_MATCH": f'"{n}"'}


@pytest.fixture
def opened(family, leader):
    decide(family, leader, day="2026-10-01", decision="2026-10-10", **POOR)
    case = Case.objects.get(household=family)
    visit = services.follow_up_schedule(case=case, scheduled_on=date(2026, 10, 12), actor=SYSTEM)
    return case, visit


def test_field_enumerators_record_visits_but_do_not_manage_cases(opened, ward):
    case, visit = opened
    enumerator = f.client_for(f.user(Role.FIELD_ENUMERATOR, communes=[ward]))
    r = enumerator.post(
        f"/api/v1/cases/{case.pk}/assign-cadre/", {"cadre": None}, format="json", **etag(1)
    )
    assert r.status_code == 403 and "cases_manage" in r.json()["detail"]
    r = enumerator.patch(f"/api/v1/cases/{case.pk}/", {"commitments": "x"}, format="json")
    assert r.status_code == 403
    r = enumerator.post(
        f"/api/v1/follow-ups/{visit.pk}/record/",
        {"done_on": "2026-10-12", "findings": "Gia đình khỏe"},
        format="json",
        **etag(1),
    )
    assert r.status_code == 200 and r.json()["follow_up"]["findings"] == "Gia đình khỏe"


def test_other_areas_see_nothing_and_analysts_no_personal_data(opened, ward):
    case, visit = opened
    services.follow_up_record(
        follow_up=visit,
        done_on=date(2026, 10, 12),
        findings="Thu nhập 800 nghìn",
        expected_version=1,
        actor=SYSTEM,
    )
    elsewhere = Commune.objects.filter(province_id="22").exclude(pk=ward.pk).first()
    other = f.client_for(f.user(Role.COMMUNE_OFFICER, communes=[elsewhere]))
    assert other.get(f"/api/v1/cases/{case.pk}/").status_code == 404
    assert other.get(f"/api/v1/follow-ups/{visit.pk}/").status_code == 404
    assert other.get("/api/v1/cases/").json()["results"] == []
    r = other.post(
        f"/api/v1/follow-ups/{visit.pk}/record/", {"done_on": "2026-10-13", "findings": "x"}
    )
    assert r.status_code == 404
    assert other.get("/api/v1/reports/case-progress/").json() == []
    analyst = f.client_for(f.user(Role.ANALYST, communes=[ward]))
    r = analyst.get(f"/api/v1/cases/{case.pk}/")
    assert r.status_code == 200
    assert {g["text"] for g in r.json()["goals"]} == {None}
    assert r.json()["follow_ups"][0]["findings"] is None and r.json()["commitments"] is None
    r = analyst.post(f"/api/v1/cases/{case.pk}/follow-ups/", {"scheduled_on": "2026-12-01"})
    assert r.status_code == 403


def test_a_goals_assignment_must_be_the_households(opened, ward):
    case, _ = opened
    goal = case.goals.first()
    neighbour = f.household(ward)
    from support.models import Assignment, Program, SupportPackage

    sub = Program.objects.create(code="S", name="S", level="program")
    package = SupportPackage.objects.create(code="P", name="P", kind="housing", sub_project=sub)
    theirs = Assignment.objects.create(
        household=neighbour, package=package, period=2026, amount=1, base_amount=1, multiplier=1
    )
    api = f.client_for(f.user(Role.COMMUNE_OFFICER, communes=[ward]))
    r = api.patch(
        f"/api/v1/plan-goals/{goal.pk}/", {"assignment": str(theirs.pk)}, format="json", **etag(1)
    )
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "assignment"
    ours = Assignment.objects.create(
        household=case.household,
        package=package,
        period=2026,
        amount=1,
        base_amount=1,
        multiplier=1,
    )
    r = api.patch(
        f"/api/v1/plan-goals/{goal.pk}/", {"assignment": str(ours.pk)}, format="json", **etag(1)
    )
    assert r.status_code == 200 and r.json()["package"] == str(package.pk)


# ---------------------------------------------------------------------------- reports


def _case(household, cadre=None, **fields) -> Case:
    defaults = {
        "standard": PovertyStandard.objects.get(code="VN-ND07-2021"),
        "classification": "poor",
        "opened_on": date(2026, 1, 1),
    }
    return Case.objects.create(household=household, cadre=cadre, **{**defaults, **fields})


def test_case_progress_by_village_commune_and_cadre(ward):
    today = timezone.localdate()
    past, future = today - timedelta(days=10), today + timedelta(days=365)
    va, vb = (
        geo.village_save(actor=SYSTEM, village=None, values={"commune": ward, "name": n})
        for n in ("Thôn A", "Thôn B")
    )
    cadre = f.user(Role.COMMUNE_OFFICER, communes=[ward])
    api = f.client_for(f.user(Role.COMMUNE_OFFICER, communes=[ward]))

    def household(village):
        return f.household(ward, village=village)

    _case(household(va), cadre, target_date=future)  # on track
    _case(household(va), cadre, target_date=past)  # late: target date passed
    c3 = _case(household(va), target_date=future, reopened_count=1)  # late, relapsed
    PlanGoal.objects.create(case=c3, indicator="water", text="x", due_date=past)
    _case(household(va), state="monitoring", escaped_on=past, monitoring_until=future)
    c5 = _case(household(vb), target_date=future, reopened_count=1)  # on track, relapsed
    PlanGoal.objects.create(case=c5, indicator="water", text="x", due_date=past, status="achieved")
    _case(household(vb), state="closed", closed_on=past)
    _case(household(vb), cadre)  # on track: no target date, no goal
    outside = Commune.objects.filter(province_id="01").first()
    _case(f.household(outside), target_date=past)  # not in the area

    def rows(group_by):
        r = api.get("/api/v1/reports/case-progress/", {"group_by": group_by})
        assert r.status_code == 200
        return {row.pop("group"): row for row in r.json() if row.pop("group_by") == group_by}

    counts = ("on_track", "late", "escaped", "relapsed", "closed")
    assert rows("village") == {
        str(va.pk): dict(zip(counts, (1, 2, 1, 1, 0), strict=True)),
        str(vb.pk): dict(zip(counts, (2, 0, 0, 1, 1), strict=True)),
    }
    assert rows("commune") == {ward.code: dict(zip(counts, (3, 2, 1, 2, 1), strict=True))}
    assert rows("cadre") == {
        str(cadre.pk): dict(zip(counts, (2, 1, 0, 0, 0), strict=True)),
        None: dict(zip(counts, (1, 1, 1, 2, 1), strict=True)),
    }


def _queries(api, url) -> int:
    assert api.get(url).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(url).status_code == 200
    return len(ctx.captured_queries)


LISTS = [
    "/api/v1/cases/",
    "/api/v1/cases/?overdue=true",
    "/api/v1/follow-ups/?overdue=true",
    "/api/v1/reports/overdue-follow-ups/?group_by=commune",
    "/api/v1/reports/case-progress/?group_by=cadre",
]


@pytest.mark.parametrize("url", LISTS)
def test_list_query_counts_are_flat(ward, url):
    cadre = f.user(Role.COMMUNE_OFFICER, communes=[ward])
    api = f.client_for(f.user(Role.COMMUNE_OFFICER, communes=[ward]))

    def add(n):
        for _ in range(n):
            case = _case(f.household(ward), cadre, target_date=date(2027, 12, 31))
            PlanGoal.objects.create(case=case, indicator="income", text="x")
            FollowUp.objects.create(case=case, cadre=cadre, scheduled_on=date(2026, 10, 1))

    add(2)
    small = _queries(api, url)
    add(8)
    assert _queries(api, url) == small
    assert small <= 10
