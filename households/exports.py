"""Export of the register (a background job): one row per present member with the
household's columns, and one row with the household's columns alone for a household that has
no present member (merged, dissolved, everyone moved out or deceased), so that no household
of the register is missing from it; for the requester's area and the household list's
filters (`filters`: the query parameters of GET /households/), as CSV or XLSX (`format`);
personal fields blank without the right, and a personal read recorded with them. Written as
core.spreadsheet writes (formula cells neutralised; CSV in UTF-8 with a BOM; XLSX with real
date cells, a sheet per million rows), to a file of the run's own that replaces the export
when the run's lease still holds."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Value
from django.db.models.functions import Cast
from django.http import QueryDict
from django.utils.translation import gettext

from core import audit, files, jobs, spreadsheet
from core.access import Perm, access_for
from core.api.views import filterset_params
from core.errors import InvalidInput
from core.models import Job
from core.personal import personal_fields

from .choices import MemberStatus
from .filtersets import HouseholdFilter
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
TYPES = ["date" if column == "date_of_birth" else "text" for column in COLUMNS]
CHUNK = 20_000
FORMATS = ("csv", "xlsx")
SHEET_ROWS = 1_000_000  # an XLSX sheet holds 1,048,576 rows: a new sheet after this many


def export_path(job: Job) -> Path:
    return files.media_path(f"exports/{job.pk}.{job.params.get('format') or 'csv'}")


def _filterset(filters: dict[str, Any], user, queryset) -> HouseholdFilter:
    """The household list's FilterSet over `filters` as if they were its query parameters
    (a list: a repeated parameter); it reads the user's rights (a name search needs
    personal-data rights)."""
    data = QueryDict(mutable=True)
    for name, value in filters.items():
        data.setlist(name, [str(v) for v in value] if isinstance(value, list) else [str(value)])
    return HouseholdFilter(data=data, queryset=queryset, request=SimpleNamespace(user=user))


def clean_params(params: dict[str, Any], user) -> dict[str, Any]:
    """Check an export request's household filters before it is queued (400 naming the
    filter: `filters.<name>`)."""
    filters = params.get("filters") or {}
    known = filterset_params(HouseholdFilter)
    problems = {f"filters.{k}": [gettext("Unknown filter.")] for k in filters if k not in known}
    if not problems:
        fs = _filterset(filters, user, Household.objects.none())
        if not fs.is_valid():
            problems = {f"filters.{k}": [str(e) for e in v] for k, v in fs.errors.items()}
    if problems:
        raise InvalidInput(gettext("Invalid household filters."), fields=problems)
    return params


def households_of(job: Job):
    access = access_for(job.created_by)
    households = Household.objects.filter(access.area_q("commune", "village"))
    if job.params.get("commune"):
        households = households.filter(commune_id=job.params["commune"])
    if job.params.get("filters"):
        households = _filterset(job.params["filters"], job.created_by, households).qs
    return households


HOUSEHOLD_VALUES = ["code", "id", "external_id", "commune_id", "village__name", "address", "status"]
MEMBER_VALUES = [
    "id",
    "full_name",
    "date_of_birth",
    "sex",
    "ethnicity_id",
    "relationship",
    "citizen_id",
]


def _typed_null(name: str) -> Cast:
    """A null cast to the member column's type (a key: its target's), so that both parts of
    the union agree on every database: a bare NULL in a branch that is resolved on its own
    (the household list's filters may make it DISTINCT) is text to PostgreSQL."""
    field = Member._meta.get_field(name)
    field = field.target_field if field.is_relation else field
    return Cast(Value(None), output_field=type(field)())


# The member columns of a household without a present member.
NO_MEMBER = {f"no_{name}": _typed_null(name) for name in MEMBER_VALUES}


def export_rows(households: QuerySet) -> QuerySet:
    """The export's rows for `households`, in household code order: each present member with
    its household's columns, and a household without a present member once, its member
    columns empty."""
    present = Member.objects.filter(status=MemberStatus.PRESENT).order_by()
    members = present.filter(household__in=households.values("pk")).values_list(
        *[f"household__{name}" for name in HOUSEHOLD_VALUES], *MEMBER_VALUES
    )
    alone = (
        households.order_by()
        .exclude(Exists(present.filter(household=OuterRef("pk"))))
        .annotate(**NO_MEMBER)
        .values_list(*HOUSEHOLD_VALUES, *NO_MEMBER)
    )
    return members.union(alone, all=True).order_by("household__code", "id")


def run_job(job: Job) -> None:
    access = access_for(job.created_by)
    members = export_rows(households_of(job))
    hidden = set() if access.can(Perm.VIEW_PERSONAL) else PERSONAL
    path = export_path(job)
    part = path.with_name(f"{path.name}.{uuid.uuid4().hex}.part")  # this run's own
    total = members.count()
    jobs.progress(job, total=total, done=0)
    written = 0

    def rows():
        nonlocal written
        for row in members.iterator(chunk_size=CHUNK):
            yield [None if col in hidden else v for col, v in zip(COLUMNS, row, strict=True)]
            written += 1
            if written % CHUNK == 0:
                jobs.progress(job, done=written)
                jobs.check_stop()

    try:
        if job.params.get("format") == "xlsx":
            with files.open_private(part, "wb") as out:
                spreadsheet.write_xlsx(
                    out, "households", COLUMNS, TYPES, rows(), sheet_rows=SHEET_ROWS
                )
        else:
            with files.open_private(part, "w", newline="", encoding="utf-8") as out:
                writer = spreadsheet.writer(out)
                writer.writerow(COLUMNS)
                writer.writerows(rows())
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
