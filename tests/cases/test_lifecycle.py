"""A household's case from the approval that makes it poor to its closing, through the API:
plan drafted from the deprivations, a cadre, visits scheduled and recorded, overdue lists,
escape → monitoring, relapse → reopened, monitoring end → closed by the daily job."""

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.roles import Role
from cases.models import Case, FollowUp
from core import jobs
from core.models import Job
from poverty import services as poverty
from poverty.models import OfficialStatus
from tests import factories as f
from tests.poverty.conftest import approve, decide, submit

pytestmark = pytest.mark.django_db

POOR = {"income": 10_000_000, "poor_housing": True}
ESCAPED = {"income": 120_000_000}  # 3.3 million VND per person per month: above the line


def etag(n: int) -> dict:
    return {"HTTP_IF_MATCH": f'"{n}"'}


def test_the_whole_case(family, ward, leader, ward_api, ward_officer):
    # The commune chairperson's approval of a poor assessment (POST .../approve/) opens the
    # case, its plan drafted from the deprivations.
    survey = submit(family, day="2026-10-01", **POOR)
    assessment = survey.assessments.get(standard__code="VN-ND07-2021")
    assessment = poverty.assessment_record_meeting(
        assessment=assessment,
        expected_version=1,
        actor=leader,
        meeting_date=date(2026, 10, 1),
        attendees=10,
        agreeing=8,
    )
    poverty.assessment_post(
        assessment=assessment,
        expected_version=2,
        actor=leader,
        posted_from=date(2026, 10, 1),
        posted_to=date(2026, 10, 7),
    )
    r = f.client_for(leader).post(
        f"/api/v1/assessments/{assessment.pk}/approve/",
        {"decision_number": "12/QĐ-UBND", "decision_date": "2026-10-10"},
        format="json",
        **etag(3),
    )
    assert r.status_code == 200, r.content
    assessment.refresh_from_db()
    r = ward_api.get("/api/v1/cases/", {"household": str(family.pk)})
    assert r.status_code == 200
    [row] = r.json()["results"]
    assert row["state"] == "active" and row["classification"] == "poor"
    assert row["opened_on"] == "2026-10-10" and row["target_date"] == "2027-12-31"
    assert row["standard_code"] == "VN-ND07-2021" and row["cadre"] is None
    case_url = f"/api/v1/cases/{row['id']}/"
    r = ward_api.get(case_url)
    assert r.status_code == 200 and r["ETag"] == '"1"'
    goals = {g["indicator"]: g for g in r.json()["goals"]}
    deprived = {i["code"] for i in assessment.indicators if i["deprived"] is True}
    assert deprived and set(goals) == deprived | {"income"}
    assert all(g["due_date"] == "2027-12-31" and g["status"] == "planned" for g in goals.values())
    housing = next(iter(deprived))
    assert (
        "Hết thiếu hụt" in goals[housing]["text"] and "No longer deprived" in goals[housing]["text"]
    )
    gap = assessment.line - assessment.income_per_person_month
    assert f"{gap:,} VND per person per month short" in goals["income"]["text"]

    # A cadre: of the area, active; If-Match required.
    cadre = f.user(Role.COMMUNE_OFFICER, communes=[ward])
    r = ward_api.post(f"{case_url}assign-cadre/", {"cadre": cadre.pk}, format="json")
    assert r.status_code == 428
    stranger = f.user(Role.COMMUNE_OFFICER, provinces=["01"])
    r = ward_api.post(f"{case_url}assign-cadre/", {"cadre": stranger.pk}, format="json", **etag(1))
    missing = ward_api.post(
        f"{case_url}assign-cadre/", {"cadre": 2**31 - 1}, format="json", **etag(1)
    )
    assert r.status_code == missing.status_code == 400
    assert r.json()["detail"] == missing.json()["detail"]  # another area's user: as no user
    assert "Quảng" not in r.json()["detail"] and stranger.username not in r.content.decode()
    analyst = f.user(Role.ANALYST, communes=[ward])  # may not record follow-ups
    r = ward_api.post(f"{case_url}assign-cadre/", {"cadre": analyst.pk}, format="json", **etag(1))
    assert r.status_code == 400
    r = ward_api.post(f"{case_url}assign-cadre/", {"cadre": cadre.pk}, format="json", **etag(1))
    assert r.status_code == 200 and r.json()["cadre"] == cadre.pk and r["ETag"] == '"2"'

    # The plan: target date and commitments; a goal's progress.
    r = ward_api.patch(
        case_url,
        {"target_date": "2027-06-30", "commitments": "Nuôi 20 con gà"},
        format="json",
        **etag(2),
    )
    assert r.status_code == 200 and r.json()["target_date"] == "2027-06-30"
    goal = goals[housing]
    r = ward_api.patch(
        f"/api/v1/plan-goals/{goal['id']}/",
        {"status": "in_progress", "progress": 40, "progress_note": "Đã có gạch"},
        format="json",
        **etag(goal["version"]),
    )
    assert r.status_code == 200 and r.json()["progress"] == 40 and r["ETag"] == '"2"'
    r = ward_api.post(
        f"{case_url}goals/",
        {"indicator": "livelihood", "text": "Tham gia mô hình nuôi ong"},
        format="json",
    )
    assert r.status_code == 201 and r.json()["due_date"] == "2027-06-30"
    r = ward_api.post(f"{case_url}goals/", {"indicator": "income", "text": "x"}, format="json")
    assert r.status_code == 409

    # Visits: scheduled in the past and not done = overdue, per cadre and commune.
    r = ward_api.post(f"{case_url}follow-ups/", {"scheduled_on": "2026-10-20"}, format="json")
    assert r.status_code == 201 and r.json()["cadre"] == cadre.pk and r.json()["overdue"]
    visit = r.json()
    r = ward_api.get("/api/v1/follow-ups/", {"overdue": "true", "cadre": cadre.pk})
    assert [v["id"] for v in r.json()["results"]] == [visit["id"]]
    r = ward_api.get("/api/v1/follow-ups/", {"overdue": "true", "commune": ward.code})
    assert len(r.json()["results"]) == 1
    r = ward_api.get("/api/v1/cases/", {"overdue": "true", "cadre": cadre.pk})
    assert [c["overdue_follow_ups"] for c in r.json()["results"]] == [1]
    r = ward_api.get("/api/v1/reports/overdue-follow-ups/", {"group_by": "cadre"})
    assert r.json() == [
        {
            "group_by": "cadre",
            "group": str(cadre.pk),
            "overdue": 1,
            "cases": 1,
            "oldest_scheduled_on": "2026-10-20",
        }
    ]
    r = ward_api.get("/api/v1/reports/overdue-follow-ups/", {"group_by": "commune"})
    assert [(x["group"], x["overdue"]) for x in r.json()] == [(ward.code, 1)]

    # Recorded, with the next visit: nothing overdue any more.
    next_visit = (timezone.localdate() + timedelta(days=30)).isoformat()
    r = ward_api.post(
        f"/api/v1/follow-ups/{visit['id']}/record/",
        {
            "done_on": "2026-10-21",
            "findings": "Nhà dột, cần hỗ trợ",
            "next_step": "Đề xuất hỗ trợ nhà ở",
            "next_visit_on": next_visit,
        },
        format="json",
        **etag(1),
    )
    assert r.status_code == 200, r.content
    assert r.json()["follow_up"]["done_on"] == "2026-10-21"
    assert r.json()["next"]["scheduled_on"] == next_visit and not r.json()["next"]["overdue"]
    r = ward_api.post(
        f"/api/v1/follow-ups/{visit['id']}/record/",
        {"done_on": "2026-10-22", "findings": "x"},
        format="json",
        **etag(2),
    )
    assert r.status_code == 409
    assert ward_api.get("/api/v1/follow-ups/", {"overdue": "true"}).json()["results"] == []
    assert ward_api.get("/api/v1/reports/overdue-follow-ups/").json() == []

    # Escape → monitoring for CASE_MONITORING_YEARS.
    decide(family, leader, day="2026-11-01", decision="2026-11-08", **ESCAPED)
    case = Case.objects.get(household=family)
    assert (case.state, case.escaped_on, case.monitoring_until) == (
        "monitoring",
        date(2026, 11, 8),
        date(2028, 11, 8),
    )
    assert ward_api.get("/api/v1/cases/", {"state": "monitoring"}).json()["results"][0][
        "id"
    ] == str(case.pk)

    # Relapse → the same case, active again.
    decide(family, leader, day="2026-11-10", decision="2026-11-17", **POOR)
    case.refresh_from_db()
    assert (case.state, case.reopened_count, case.escaped_on, case.monitoring_until) == (
        "active",
        1,
        None,
        None,
    )
    assert OfficialStatus.objects.get(household=family, valid_to__isnull=True).event == "relapsed"
    assert case.goals.get(indicator=housing).status == "in_progress"  # kept: still worked on

    # Escape again; monitoring ends → closed by the daily job (and the command).
    decide(family, leader, day="2026-11-18", decision="2026-11-25", **ESCAPED)
    case.refresh_from_db()
    assert case.state == "monitoring" and case.monitoring_until == date(2028, 11, 25)
    call_command("cases_daily", "--today", "2028-11-25")
    case.refresh_from_db()
    assert case.state == "monitoring"  # the last day is still monitored
    call_command("cases_daily", "--today", "2028-11-26")
    case.refresh_from_db()
    assert (case.state, case.closed_on) == ("closed", date(2028, 11, 26))
    r = ward_api.get(case_url)
    assert r.json()["state"] == "closed" and r.json()["reopened_count"] == 1


def test_the_provinces_own_standard_opens_the_case_and_holds_it_until_escape_under_both(
    family, leader
):
    """Quảng Ninh's own standard (in force to 2025, a higher line) is applicable to its
    households: poor under it opens the case. Escaping under the national standard alone is
    no escape while the provincial status still holds the household poor; escaping under both
    is."""
    survey = submit(family, day="2025-10-01", **POOR)
    provincial = survey.assessments.get(standard__code="QN-NQ13-2023")
    approve(provincial, leader, decision="2025-10-10")
    case = Case.objects.get(household=family)
    assert (case.standard.code, case.state) == ("QN-NQ13-2023", "active")
    approve(survey.assessments.get(standard__code="VN-ND07-2021"), leader, decision="2025-10-10")
    case.refresh_from_db()
    assert (case.standard.code, case.reopened_count) == ("VN-ND07-2021", 0)

    better = submit(family, day="2025-11-03", income=200_000_000)
    approve(better.assessments.get(standard__code="VN-ND07-2021"), leader, decision="2025-11-10")
    case.refresh_from_db()
    statuses = dict(
        OfficialStatus.objects.filter(household=family, valid_to__isnull=True).values_list(
            "standard__code", "classification"
        )
    )
    assert statuses["VN-ND07-2021"] not in ("poor", "near_poor")
    assert statuses["QN-NQ13-2023"] == "poor" and case.state == "active"
    approve(better.assessments.get(standard__code="QN-NQ13-2023"), leader, decision="2025-11-10")
    case.refresh_from_db()
    assert (case.state, case.escaped_on) == ("monitoring", date(2025, 11, 10))


def test_another_provinces_standard_does_not_drive_the_case(family):
    from cases.services.lifecycle import applicable_codes

    codes = applicable_codes(family.id, date(2025, 10, 10))
    assert "QN-NQ13-2023" in codes and all(not c.startswith("HN") for c in codes)


def test_the_worker_runs_the_daily_job_and_it_schedules_watchlist_visits(
    family, leader, monkeypatch
):
    monkeypatch.setattr(jobs, "PERIODIC", {"cases_daily": jobs.PERIODIC["cases_daily"]})
    decide(family, leader, day="2026-10-01", decision="2026-10-10", **POOR)
    # Escapes just above the line (within 20%): on the relapse watchlist.
    decide(family, leader, day="2026-10-20", decision="2026-10-27", income=80_000_000)
    case = Case.objects.get(household=family)
    assert case.state == "monitoring"
    queued = jobs.enqueue_periodic()
    assert [j.kind for j in queued] == ["cases_daily"]
    assert jobs.enqueue_periodic() == []  # one is waiting: none more
    jobs.work(until_empty=True, heartbeat=False)
    job = Job.objects.get(kind="cases_daily")
    assert job.status == "succeeded" and job.counts == {
        "opened": 0,
        "closed": 0,
        "visits_scheduled": 1,
    }
    visit = FollowUp.objects.get(case=case)
    assert visit.scheduled_on == timezone.localdate() and visit.done_on is None
    call_command("cases_daily")  # again: the visit is still open, nothing scheduled twice
    assert FollowUp.objects.filter(case=case).count() == 1
    assert jobs.enqueue_periodic() == []  # the last one is less than a day old


def test_the_daily_run_opens_the_cases_of_statuses_recorded_without_one(family, leader):
    decide(family, leader, day="2026-10-01", decision="2026-10-10", **POOR)
    Case.objects.filter(household=family).delete()  # as if recorded before cases existed
    call_command("cases_daily", "--today", "2026-11-01")
    case = Case.objects.get(household=family)
    assert (case.state, case.opened_on) == ("active", date(2026, 10, 10))
    assert case.goals.filter(indicator="income").exists()
    call_command("cases_daily", "--today", "2026-11-01")
    assert Case.objects.filter(household=family).count() == 1


def test_the_daily_run_leaves_closed_households_alone(family, leader, ward):
    """One that escaped just above the line is not on the relapse watchlist once it moved
    out (no visit scheduled), and no case is opened for a dissolved household: a household
    that no longer exists cannot be visited or fall back."""
    decide(family, leader, day="2026-10-01", decision="2026-10-10", **POOR)
    decide(family, leader, day="2026-10-20", decision="2026-10-27", income=80_000_000)
    assert Case.objects.get(household=family).state == "monitoring"
    f.close(family, "moved_out")
    call_command("cases_daily")
    assert not FollowUp.objects.filter(case__household=family).exists()

    poor = f.household(ward)
    decide(poor, leader, day="2026-10-01", decision="2026-10-10", **POOR)
    Case.objects.filter(household=poor).delete()  # as if recorded before cases existed
    f.close(poor, "dissolved")
    call_command("cases_daily", "--today", "2026-11-01")
    assert not Case.objects.filter(household=poor).exists()
