"""A bulk proposal is a background job (issue 15: it profiles and proposes each qualifying
household, about 17 queries each, and a commune's hundreds took seconds inside the request).
The request checks the caller's right and area and queues the job; the finished job's report
holds one row per household; a job stopped part-way resumes without proposing twice."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import UserAccess
from core import jobs
from core.models import Job, JobStatus
from support import jobs as support_jobs
from support.models import Assignment
from tests import factories as f
from tests.jobs import run_jobs
from tests.poverty.conftest import decide

from .conftest import POOR
from .test_assignments import propose

pytestmark = pytest.mark.django_db

URL = "/api/v1/assignments/bulk-propose/"


def poor_households(commune, leader, count: int) -> list:
    made = [f.household(commune) for _ in range(count)]
    for h in made:
        decide(h, leader, day="2026-10-01", decision="2026-10-10", **POOR)
    return made


def start(client, package, commune, **headers):
    body = {"package": str(package.id), "commune": commune.code, "period": 2026}
    return client.post(URL, body, **headers)


def report(client, job_id) -> dict:
    job = client.get(f"/api/v1/jobs/{job_id}/").json()
    assert job["status"] == "succeeded", job
    return job


def test_the_job_reports_one_row_per_household(ward_api, ward, leader, housing_package):
    poor = poor_households(ward, leader, 3)
    propose(ward_api, poor[0], housing_package)
    f.household(ward)  # not poor: not a candidate
    r = start(ward_api, housing_package, ward)
    assert r.status_code == 202, r.json()
    assert r.json()["kind"] == "bulk_propose" and r.json()["status"] == "queued"
    assert Assignment.objects.count() == 1  # nothing proposed inside the request
    run_jobs()
    job = report(ward_api, r.json()["id"])
    assert job["counts"] == {"proposed": 2, "skipped": 1, "rejected": 0}
    rows = {row["household"]: row for row in job["report"]["results"]}
    assert {h: row["outcome"] for h, row in rows.items()} == {
        str(poor[0].id): "skipped",
        str(poor[1].id): "proposed",
        str(poor[2].id): "proposed",
    }
    proposed = rows[str(poor[1].id)]
    assert proposed["household_code"] == poor[1].code
    assert proposed["assignment"] == str(
        Assignment.objects.get(household=poor[1], package=housing_package).pk
    )
    assert proposed["reasons_vi"] == [
        "phân loại: hộ nghèo theo VN-ND07-2021",
        "đáp ứng các tiêu chí của gói hỗ trợ",
    ]
    assert proposed["reasons_en"][0] == "classification: poor under VN-ND07-2021"
    assert (
        proposed["explanation_en"]
        == proposed["detail"]
        == ("40,000,000 VND × 1.3 (default provincial multiplier) = 52,000,000 VND")
    )
    assert proposed["explanation_vi"] == (
        "40.000.000 đồng × 1,3 (hệ số mặc định của tỉnh) = 52.000.000 đồng"
    )
    skipped = rows[str(poor[0].id)]
    assert skipped["reasons_en"] == skipped["reasons_vi"] == []
    assert skipped["explanation_vi"] is None

    again = start(ward_api, housing_package, ward)
    run_jobs()
    rows = report(ward_api, again.json()["id"])["report"]["results"]
    assert {row["outcome"] for row in rows} == {"skipped"} and len(rows) == 3
    assert Assignment.objects.count() == 3


def test_messages_in_the_requesters_language(ward_api, ward, leader, housing_package):
    [h] = poor_households(ward, leader, 1)
    propose(ward_api, h, housing_package)
    r = start(ward_api, housing_package, ward, HTTP_ACCEPT_LANGUAGE="en")
    run_jobs()
    [row] = report(ward_api, r.json()["id"])["report"]["results"]
    assert row["detail"] == "Already assigned in the period."
    r = start(ward_api, housing_package, ward, HTTP_ACCEPT_LANGUAGE="vi")
    run_jobs()
    [row] = report(ward_api, r.json()["id"])["report"]["results"]
    assert row["detail"] != "Already assigned in the period." and row["detail"]


def test_a_proposal_is_explained_in_the_requesters_language(
    ward_api, ward, leader, housing_package
):
    poor_households(ward, leader, 1)
    r = start(ward_api, housing_package, ward, HTTP_ACCEPT_LANGUAGE="vi")
    run_jobs()
    [row] = report(ward_api, r.json()["id"])["report"]["results"]
    assert row["outcome"] == "proposed"
    assert (
        row["detail"]
        == row["explanation_vi"]
        == ("40.000.000 đồng × 1,3 (hệ số mặc định của tỉnh) = 52.000.000 đồng")
    )


def test_the_request_costs_the_same_for_any_number_of_households(
    ward_api, ward, leader, housing_package
):
    def queries_of_a_request() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert start(ward_api, housing_package, ward).status_code == 202
        Job.objects.all().delete()  # room for the next one (JOBS_MAX_PENDING_PER_USER)
        return len(queries)

    queries_of_a_request()  # warm: the caller's access, read once per token
    poor_households(ward, leader, 1)
    one = queries_of_a_request()
    poor_households(ward, leader, 6)
    assert queries_of_a_request() == one <= 10


def test_a_commune_outside_the_area_is_refused_before_queueing(
    ward_api, rural, leader, housing_package
):
    r = start(ward_api, housing_package, rural)
    assert r.status_code in (403, 404), r.content
    assert not Job.objects.exists()


def test_a_stopped_job_resumes_without_proposing_twice(
    ward_api, ward, leader, housing_package, monkeypatch
):
    poor = poor_households(ward, leader, 5)
    monkeypatch.setattr(support_jobs, "CHUNK", 2)
    stops = iter([False, False, True])  # before chunks 1, 2 and 3: stop before the third
    real_check = jobs.check_stop

    def check_stop():
        if next(stops, False):
            raise jobs.Stopping()
        real_check()

    monkeypatch.setattr(jobs, "check_stop", check_stop)
    r = start(ward_api, housing_package, ward)
    jobs.execute(jobs.claim(), heartbeat=False)  # one run, stopped before its third chunk
    job = Job.objects.get(pk=r.json()["id"])
    assert job.status == JobStatus.QUEUED and job.done == 4 and job.total == 5
    assert Assignment.objects.count() == 4
    run_jobs()  # resumed at its checkpoint
    job = report(ward_api, r.json()["id"])
    assert Assignment.objects.count() == 5
    rows = job["report"]["results"]
    assert [row["household"] for row in rows] == [str(h.pk) for h in sorted(poor, key=code)]
    assert {row["outcome"] for row in rows} == {"proposed"}
    assert job["counts"] == {"proposed": 5, "skipped": 0, "rejected": 0}


def code(household):
    return household.code


def test_a_job_of_a_requester_who_lost_the_right_fails_without_proposing(
    ward_api, ward, rural, ward_officer, leader, housing_package
):
    poor_households(ward, leader, 2)
    r = start(ward_api, housing_package, ward)
    UserAccess.objects.get(user=ward_officer).communes.set([rural])  # moved before it ran
    run_jobs()
    job = Job.objects.get(pk=r.json()["id"])
    assert job.status == JobStatus.FAILED
    assert not Assignment.objects.exists()
