"""CSV export of the register (a background job): one row per present member with the
household's columns, for the requester's area; personal fields blank without the right.
Written as core.spreadsheet writes CSV (formula cells neutralised, UTF-8 with a BOM), to a
file of the run's own that replaces the export when the run's lease still holds."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from django.db import transaction

from core import audit, files, jobs, spreadsheet
from core.access import Perm, access_for
from core.models import Job
from core.personal import personal_fields

from .choices import MemberStatus
from .models import Household, Member

# (column, model, field): the field decides whether the column is personal (core.personal).
SOURCES = [
    ("household_code", Household, "code"),
    ("household_id", Household, "id"),
    ("external_id", Household, "external_id"),
    ("commune", Household, "commune"),
    ("village", Household, "village"),
    ("address", Household, "address"),
    ("household_status", Household, "status"),
    ("member_id", Member, "id"),
    ("full_name", Member, "full_name"),
    ("date_of_birth", Member, "date_of_birth"),
    ("sex", Member, "sex"),
    ("ethnicity", Member, "ethnicity"),
    ("relationship", Member, "relationship"),
    ("citizen_id", Member, "citizen_id"),
]
COLUMNS = [column for column, _, _ in SOURCES]
PERSONAL = {column for column, model, name in SOURCES if name in personal_fields(model)}
CHUNK = 20_000


def export_path(job: Job) -> Path:
    return files.media_path(f"exports/{job.pk}.csv")


def run_job(job: Job) -> None:
    access = access_for(job.created_by)
    households = Household.objects.filter(access.area_q("commune", "village"))
    if job.params.get("commune"):
        households = households.filter(commune_id=job.params["commune"])
    members = (
        Member.objects.filter(household__in=households.values("pk"), status=MemberStatus.PRESENT)
        .order_by("household__code", "id")
        .values_list(
            "household__code",
            "household_id",
            "household__external_id",
            "household__commune_id",
            "household__village__name",
            "household__address",
            "household__status",
            "id",
            "full_name",
            "date_of_birth",
            "sex",
            "ethnicity_id",
            "relationship",
            "citizen_id",
        )
    )
    hidden = set() if access.can(Perm.VIEW_PERSONAL) else PERSONAL
    path = export_path(job)
    part = path.with_name(f"{path.name}.{uuid.uuid4().hex}.part")  # this run's own
    total = members.count()
    jobs.progress(job, total=total, done=0)
    written = 0
    try:
        with files.open_private(part, "w", newline="", encoding="utf-8") as out:
            writer = spreadsheet.writer(out)
            writer.writerow(COLUMNS)
            for row in members.iterator(chunk_size=CHUNK):
                writer.writerow(
                    [None if col in hidden else v for col, v in zip(COLUMNS, row, strict=True)]
                )
                written += 1
                if written % CHUNK == 0:
                    jobs.progress(job, done=written)
                    jobs.check_stop()
        with transaction.atomic():
            jobs.progress(
                job,
                done=written,
                counts={"rows": written},
                report={"file": files.relative(path), "personal_data": not hidden},
            )
            if not hidden:
                audit.record_personal_read(
                    job.created_by, "export", job.kind, written, json.dumps(job.params)
                )
            part.replace(path)
    finally:
        part.unlink(missing_ok=True)
