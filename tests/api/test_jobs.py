"""Background jobs through the API: exports, progress and report, download, resume."""

import csv
import io

import pytest

from config.access import Role
from config.models import Job
from tests import factories as f

pytestmark = pytest.mark.django_db


def export(client, **params):
    r = client.post("/api/v1/jobs/", {"kind": "export_households", **params})
    assert r.status_code == 202, r.json()
    return r.json()


def rows_of(client, job_id):
    r = client.get(f"/api/v1/jobs/{job_id}/download/")
    assert r.status_code == 200 and r["Content-Type"] == "text/csv"
    return list(csv.DictReader(io.StringIO(b"".join(r.streaming_content).decode())))


def test_export_of_the_area_with_progress_and_download(ward_api, ward, rural):
    mine = f.household(
        ward,
        members=[
            f.member("Chu Văn An"),
            f.member("Chu Thị Bình", relationship="spouse", sex="female"),
        ],
    )
    f.household(rural)
    job = export(ward_api)
    assert job["status"] == "succeeded" and job["done"] == job["total"] == 2
    assert job["progress"] == 1.0 and job["counts"] == {"rows": 2}
    rows = rows_of(ward_api, job["id"])
    assert {r["household_code"] for r in rows} == {mine.code}
    assert {r["full_name"] for r in rows} == {"Chu Văn An", "Chu Thị Bình"}
    analyst = f.client_for(f.user(Role.ANALYST, communes=[ward]))
    masked = rows_of(analyst, export(analyst)["id"])
    assert {r["full_name"] for r in masked} == {""} and {r["sex"] for r in masked} == {
        "male",
        "female",
    }
    # jobs are private to who started them
    assert analyst.get(f"/api/v1/jobs/{job['id']}/").status_code == 404


def test_failed_job_resumes(ward_api, ward, ward_officer):
    f.household(ward)
    job = Job.objects.create(
        kind="export_households",
        params={},
        created_by=ward_officer,
        status="failed",
        error="worker lost",
    )
    assert ward_api.get(f"/api/v1/jobs/{job.id}/download/").status_code == 409
    r = ward_api.post(f"/api/v1/jobs/{job.id}/resume/")
    assert r.status_code == 200 and r.json()["status"] == "succeeded"
    assert r.json()["attempts"] == 1 and r.json()["error"] == ""
    assert ward_api.post(f"/api/v1/jobs/{job.id}/resume/").status_code == 409
