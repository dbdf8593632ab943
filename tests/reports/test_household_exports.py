"""The household export job takes the household list's filters and a format (CSV or XLSX);
personal columns stay blank without the right, and a personal read is still recorded."""

import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from accounts.roles import Role
from core.models import PersonalDataRead
from geo.models import Village
from households.exports import COLUMNS
from tests import factories as f
from tests.jobs import run_jobs


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"
    return settings.MEDIA_ROOT


@pytest.fixture
def register(ward):
    village = Village.objects.create(commune=ward, name="Thôn Đông")
    inside = f.household(
        ward,
        village=village,
        members=[
            f.member("Chu Văn An"),
            f.member("Chu Thị Bình", relationship="spouse", sex="female"),
        ],
    )
    outside = f.household(ward, members=[f.member("Đào Văn Cường")])
    return {"village": village, "inside": inside, "outside": outside}


def export(client, **body):
    r = client.post("/api/v1/jobs/", {"kind": "export_households", **body}, format="json")
    assert r.status_code == 202, r.json()
    run_jobs()
    job = client.get(f"/api/v1/jobs/{r.json()['id']}/").json()
    assert job["status"] == "succeeded", job
    return job


def sheet_of(client, job):
    r = client.get(f"/api/v1/jobs/{job['id']}/download/")
    assert r.status_code == 200
    assert r["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert job["report"]["file"].endswith(".xlsx")
    return load_workbook(io.BytesIO(b"".join(r.streaming_content))).active


def test_filtered_xlsx_export(ward_api, register, ward):
    job = export(ward_api, filters={"village": str(register["village"].id)}, format="xlsx")
    assert job["params"]["filters"] == {"village": str(register["village"].id)}
    ws = sheet_of(ward_api, job)
    assert [c.value for c in ws[1]] == COLUMNS
    rows = [dict(zip(COLUMNS, (c.value for c in row), strict=True)) for row in ws.iter_rows(2)]
    assert {r["household_code"] for r in rows} == {register["inside"].code}
    assert {r["full_name"] for r in rows} == {"Chu Văn An", "Chu Thị Bình"}
    assert {r["village"] for r in rows} == {"Thôn Đông"}
    born = ws.cell(row=2, column=COLUMNS.index("date_of_birth") + 1)
    assert isinstance(born.value, datetime) and born.number_format == "dd/mm/yyyy"
    assert PersonalDataRead.objects.filter(channel="export", records=2).exists()  # recorded


def test_filters_take_lists_and_personal_columns_stay_blank(register, ward):
    analyst = f.client_for(f.user(Role.ANALYST, communes=[ward]))
    job = export(analyst, filters={"status": ["active"]}, format="xlsx")
    ws = sheet_of(analyst, job)
    rows = [dict(zip(COLUMNS, (c.value for c in row), strict=True)) for row in ws.iter_rows(2)]
    assert len(rows) == 3
    assert {r["full_name"] for r in rows} == {None}
    assert {r["sex"] for r in rows} == {"male", "female"}


def test_bad_filters_are_refused_before_queueing(ward_api):
    r = ward_api.post(
        "/api/v1/jobs/",
        {"kind": "export_households", "filters": {"villag": "x"}},
        format="json",
    )
    assert r.status_code == 400
    assert {e["field"] for e in r.json()["errors"]} == {"filters.villag"}
    r = ward_api.post(
        "/api/v1/jobs/",
        {"kind": "export_households", "filters": {"village": "not-a-uuid"}},
        format="json",
    )
    assert r.status_code == 400
    assert {e["field"] for e in r.json()["errors"]} == {"filters.village"}
    r = ward_api.post("/api/v1/jobs/", {"kind": "export_households", "format": "pdf"})
    assert r.status_code == 400
