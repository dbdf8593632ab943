"""Messages made away from a plain request/response: the registry sync's per-record reasons
and notes (also when a background job writes them) and a standard's rule-parameter errors
(raised by the pure rules module, translated where the service shows them). Vietnamese when
the request names no language, English with `Accept-Language: en`; codes never change."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from accounts.roles import Role
from core import jobs
from core.models import Job
from households.models import Member
from integrations import sync
from tests import factories as f
from tests.integrations.test_sync import family, record
from tests.jobs import run_jobs

pytestmark = pytest.mark.django_db

SYNC = "/api/v1/registry-sync/"


@pytest.fixture
def registry(ward):
    return f.client_for(f.user(Role.REGISTRY_SYSTEM, communes=[ward]))


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def bad_records(ward) -> list[dict]:
    """A good record and one whose head belongs to no ethnic group we know."""
    bad = family("HK-BAD", ward)
    bad["members"][0]["ethnicity"] = "99"
    return [family("HK-1", ward), bad]


def errors_of(rows: list[dict]) -> list[dict]:
    return [e for row in rows for e in row["errors"]]


# ---------------------------------------------------------------------------- registry sync


def test_a_rejected_record_is_explained_in_vietnamese_unless_english_is_asked_for(registry, ward):
    registry.get("/api/v1/")  # the token's first use of the minute is recorded: not counted
    with CaptureQueriesContext(connection) as vi_queries:
        r = registry.post(f"{SYNC}?dry_run=true", bad_records(ward), format="json")
    assert r.status_code == 200 and r["Content-Language"] == "vi", r.content
    assert errors_of(r.json()["records"]) == [
        {
            "field": "members.0.ethnicity",
            "code": "invalid_choice",  # codes never change with the language
            "reason": "Không có dân tộc có mã '99'.",
        }
    ]

    with CaptureQueriesContext(connection) as en_queries:
        r = registry.post(
            f"{SYNC}?dry_run=true", bad_records(ward), format="json", HTTP_ACCEPT_LANGUAGE="en"
        )
    assert r["Content-Language"] == "en"
    assert errors_of(r.json()["records"]) == [
        {
            "field": "members.0.ethnicity",
            "code": "invalid_choice",
            "reason": "No ethnic group '99'.",
        }
    ]
    assert len(vi_queries) == len(en_queries)  # the language costs no query


def test_a_citizen_id_that_contradicts_the_record_is_explained_in_vietnamese(registry, ward):
    bad = family("HK-CCCD", ward)
    bad["members"][0]["citizen_id"] = "034180000123"  # digit 4 = 1: a woman born in 1980
    r = registry.post(f"{SYNC}?dry_run=true", [bad], format="json")
    assert errors_of(r.json()["records"]) == [
        {
            "field": "members.0.citizen_id",
            "code": "invalid_citizen_id",
            "reason": "Chữ số thứ 4 (1) ứng với giới tính female, nhưng thành viên được ghi "
            "nhận là male.",
        }
    ]


def test_notes_are_vietnamese_and_history_reasons_stay_english(registry, ward):
    first = family("HK-1", ward)
    assert registry.post(SYNC, [first], format="json").status_code == 200
    without_child = record("HK-1", ward, *first["members"][:2])

    r = registry.post(SYNC, [without_child], format="json")
    [outcome] = r.json()["records"]
    assert outcome["outcome"] == "updated"
    assert outcome["notes"] == [
        "Thành viên HK-1-3 không còn trong hồ sơ của Bộ Nội vụ: đã ghi nhận là chuyển đi."
    ]
    # The history row is data: written in English whoever's language the sync ran in, as
    # every service writes its history reasons.
    child = Member.objects.get(external_id="HK-1-3")
    latest = child.history.order_by("-history_id").first()
    assert latest.history_change_reason == "Not in the Home Affairs record: moved out"


def test_a_record_refused_by_the_database_is_explained_in_vietnamese(province_officer, ward):
    """A race lost on a unique constraint (as in tests/integrations/test_sync.py): the reason
    is the product's sentence, not the database's English message."""
    taken = family("HK-2", ward)
    citizen_id = taken["members"][0]["citizen_id"]
    f.household(ward, members=[f.member("Người Khác", citizen_id=citizen_id)])

    def load_missing_the_holder(records):
        state = sync.load_state(records)
        state.member_by_citizen_id.pop(citizen_id, None)
        return state

    with translation.override("vi"):
        report = sync.sync_records(
            [taken], actor=province_officer, read_state=load_missing_the_holder
        )
    [e] = report.outcomes[0].errors
    assert e["code"] == "integrity_conflict"
    assert e["reason"].startswith(
        "Bản ghi xung đột với dữ liệu vừa được một thao tác khác lưu; không phần nào của bản "
        "ghi này được lưu."
    )


def _csv_upload(rows: list[list[str]]) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(sync.CSV_COLUMNS)
    writer.writerows(rows)
    return SimpleUploadedFile("registry.csv", out.getvalue().encode())


def _csv_rows(ward) -> list[list[str]]:
    """A household whose two rows disagree on its address."""
    rows = []
    for n, m in enumerate(family("HK-ROWS", ward)["members"][:2]):
        rows.append(
            [
                "HK-ROWS",
                ward.code,
                f"Số {n + 1}, Tổ 1",
                m["external_id"],
                m["full_name"],
                m["date_of_birth"],
                m["sex"],
                m["ethnicity"],
                m["relationship"],
                m["citizen_id"] or "",
            ]
        )
    return rows


@pytest.mark.parametrize(
    ("headers", "language", "reason"),
    [
        ({}, "vi", "Các dòng của hộ HK-ROWS không thống nhất ở cột address."),
        ({"HTTP_ACCEPT_LANGUAGE": "en"}, "en", "The rows of household HK-ROWS differ in address."),
    ],
)
def test_a_file_job_reports_in_the_language_of_the_request_that_queued_it(
    registry, ward, media, headers, language, reason
):
    r = registry.post(SYNC, {"file": _csv_upload(_csv_rows(ward))}, format="multipart", **headers)
    assert r.status_code == 202, r.content
    job = r.json()
    assert job["params"]["language"] == language
    run_jobs()  # the worker has no request: it writes the report in the job's language

    # Read back in the other language: the report is the document the job wrote.
    other = "en" if language == "vi" else "vi"
    done = registry.get(f"/api/v1/jobs/{job['id']}/", HTTP_ACCEPT_LANGUAGE=other).json()
    assert done["status"] == "succeeded"
    assert errors_of(done["report"]["rejected"]) == [
        {"field": "address", "code": "inconsistent_rows", "reason": reason}
    ]
    rejected = registry.get(f"{SYNC}{job['id']}/rejected.csv").content.decode("utf-8-sig")
    assert f"0,HK-ROWS,address,inconsistent_rows,{reason}" in rejected


def test_a_job_queued_without_a_language_reports_in_vietnamese(ward, media, province_officer):
    content = _csv_upload(_csv_rows(ward)).read()
    job = sync.stage_upload(content, "csv", actor=province_officer)
    job.params.pop("language")  # a job queued before jobs named their language
    job.save(update_fields=["params"])
    run_jobs()
    job.refresh_from_db()
    assert [e["reason"] for e in errors_of(job.report["rejected"])] == [
        "Các dòng của hộ HK-ROWS không thống nhất ở cột address."
    ]


@pytest.mark.parametrize(
    ("headers", "start"),
    [
        ({}, "Một lỗi không lường trước (RuntimeError) đã dừng công việc"),
        ({"HTTP_ACCEPT_LANGUAGE": "en"}, "An unexpected error (RuntimeError) stopped the job"),
    ],
)
def test_a_job_that_crashes_says_so_in_the_requesters_language_and_no_more(
    registry, ward, media, monkeypatch, headers, start
):
    # What an unexpected exception says is for the log: a database's message may quote rows
    # of any area. The requester reads that the job stopped, on what kind of error.
    def crash(*args, **kwargs):
        raise RuntimeError("duplicate key (citizen_id)=(022080001234) of another province")

    monkeypatch.setattr(jobs, "progress", crash)
    r = registry.post(SYNC, {"file": _csv_upload(_csv_rows(ward))}, format="multipart", **headers)
    assert r.status_code == 202, r.content
    run_jobs()
    done = registry.get(f"/api/v1/jobs/{r.json()['id']}/").json()
    assert done["status"] == "failed" and done["error"].startswith(start), done["error"]
    assert "022080001234" not in done["error"]


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({}, "Tiến trình chạy công việc này đã ngừng phản hồi 5 lần"),
        ({"HTTP_ACCEPT_LANGUAGE": "en"}, "Its worker stopped answering 5 times"),
    ],
)
def test_every_job_writes_in_the_language_it_was_asked_in(ward, media, headers, error):
    # An export, a what-if, a supervision run...: each job records its requester's language,
    # as a registry file's does, for what the worker writes with no request to go by.
    officer = f.client_for(f.user(Role.COMMUNE_OFFICER, communes=[ward]))
    r = officer.post("/api/v1/jobs/", {"kind": "export_households"}, format="json", **headers)
    assert r.status_code == 202, r.content
    for _ in range(jobs.MAX_RUNS):  # ... and each worker that takes it dies
        assert str(jobs.claim().pk) == r.json()["id"]
        Job.objects.filter(pk=r.json()["id"]).update(lease_expires_at=timezone.now())
    assert jobs.claim() is None
    done = officer.get(f"/api/v1/jobs/{r.json()['id']}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert done["status"] == "failed" and done["error"].startswith(error), done["error"]


# ---------------------------------------------------------------------------- rule parameters


def _draft_standard(api, params: dict) -> str:
    body = {
        "code": "QN-DRAFT",
        "name": "Thử",
        "legal_basis": "—",
        "scope": "provincial",
        "province": "22",
        "valid_from": "2027-01-01",
        "rural_line": 2_500_000,
        "urban_line": 3_000_000,
        "indicators": [
            {
                "code": "housing_area",
                "dimension": "housing",
                "name_vi": "Diện tích nhà ở",
                "name_en": "Housing area",
                "rule": "housing_area",
                "params": params,
            }
        ],
    }
    r = api.post("/api/v1/poverty-standards/", body, format="json")
    assert r.status_code == 201, r.content
    return r.json()["id"]


def test_a_bad_rule_parameter_is_explained_in_vietnamese_unless_english_is_asked_for(api):
    draft = _draft_standard(api, {"min_m2_per_person": "eight"})
    field = "indicators.0.params.min_m2_per_person"

    r = api.post(f"/api/v1/poverty-standards/{draft}/publish/")
    assert r.status_code == 400 and r["Content-Language"] == "vi", r.content
    p = r.json()
    assert p["code"] == "standard_not_evaluable"
    assert {e["field"]: e["reason"] for e in p["errors"]} == {field: "'eight' không phải là số"}
    assert p["detail"] == (
        "Không thể áp dụng chuẩn QN-DRAFT r1: chỉ số housing_area, tham số min_m2_per_person: "
        "'eight' không phải là số."
    )

    r = api.post(f"/api/v1/poverty-standards/{draft}/publish/", HTTP_ACCEPT_LANGUAGE="en")
    p = r.json()
    assert {e["field"]: e["reason"] for e in p["errors"]} == {field: "'eight' is not a number"}
    assert p["detail"].startswith("Standard QN-DRAFT r1 cannot be evaluated: indicator")


def test_an_unknown_rule_parameter_names_the_known_ones_in_vietnamese(api):
    draft = _draft_standard(api, {"min_m2_per_persn": 8})
    r = api.post(f"/api/v1/poverty-standards/{draft}/publish/")
    assert {e["field"]: e["reason"] for e in r.json()["errors"]} == {
        "indicators.0.params.min_m2_per_persn": (
            "không phải tham số của quy tắc housing_area (các tham số của quy tắc: "
            "min_m2_per_person)"
        )
    }
