"""Registry sync with bad text: a record with a NUL or bytes that are not UTF-8 is rejected
with its field path, and the other records go on (bodies and files, JSON, NDJSON and CSV)."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.roles import Role
from households.models import Household
from integrations import sync
from tests import factories as f
from tests.jobs import run_jobs

from .test_sync import csv_file, family

pytestmark = pytest.mark.django_db

NUL_NAME = "members.1.full_name"
BAD_ADDRESS = "address"
MARK = "@@BAD@@"  # replaced by bytes that are not UTF-8 once the records are serialised


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def registry(ward):
    return f.client_for(f.user(Role.REGISTRY_SYSTEM, communes=[ward]))


def records(ward) -> list[dict]:
    """A good record, one with a NUL in a name, one whose address is not UTF-8, a good one."""
    nul = family("HK-NUL", ward)
    nul["members"][1]["full_name"] = "Trần Thị\x00Hoa"
    bad = family("HK-BAD", ward, address=f"Số 1 {MARK}")
    return [family("HK-1", ward), nul, bad, family("HK-2", ward, "Lê")]


def to_bytes(text: str) -> bytes:
    return text.encode().replace(MARK.encode(), b"\xff\xfe\xc3")


def assert_outcomes(rows: list[dict]) -> None:
    by_id = {row["external_id"]: row for row in rows}
    assert [by_id[x]["outcome"] for x in ("HK-1", "HK-NUL", "HK-BAD", "HK-2")] == [
        "created",
        "rejected",
        "rejected",
        "created",
    ]
    assert by_id["HK-NUL"]["errors"] == [
        {"field": NUL_NAME, "code": "null_character", "reason": "Contains a NUL character."}
    ]
    assert by_id["HK-BAD"]["errors"] == [
        {"field": BAD_ADDRESS, "code": "invalid_utf8", "reason": "Is not valid UTF-8 text."}
    ]
    assert set(Household.objects.values_list("external_id", flat=True)) == {"HK-1", "HK-2"}


def test_json_body(registry, ward):
    body = to_bytes(json.dumps(records(ward), ensure_ascii=False))
    r = registry.post("/api/v1/registry-sync/", body, content_type="application/json")
    assert r.status_code == 200, r.content
    assert_outcomes(r.json()["records"])


def test_ndjson_body(registry, ward):
    body = to_bytes("\n".join(json.dumps(x, ensure_ascii=False) for x in records(ward)))
    r = registry.post("/api/v1/registry-sync/", body, content_type="application/x-ndjson")
    assert r.status_code == 200, r.content
    assert_outcomes(r.json()["records"])


def test_a_body_larger_than_a_request_becomes_a_job_with_the_same_outcomes(
    registry, ward, media, monkeypatch
):
    from integrations.api import sync as view

    monkeypatch.setattr(view, "INLINE_LIMIT", 2)
    body = to_bytes(json.dumps(records(ward), ensure_ascii=False))
    r = registry.post("/api/v1/registry-sync/", body, content_type="application/json")
    assert r.status_code == 202 and r.json()["status"] == "queued", r.content
    r = finished(registry, r)
    assert r.json()["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 2}
    job = r.json()["id"]
    csv_rows = registry.get(f"/api/v1/registry-sync/{job}/rejected.csv").content.decode()
    assert f"1,HK-NUL,{NUL_NAME},null_character" in csv_rows
    assert f"2,HK-BAD,{BAD_ADDRESS},invalid_utf8" in csv_rows


@pytest.mark.parametrize("fmt", ["json", "ndjson", "csv"])
def test_files(registry, ward, media, fmt):
    rows = records(ward)
    if fmt == "csv":
        content = to_bytes(csv_file(rows).read().decode())
    elif fmt == "json":
        content = to_bytes(json.dumps(rows, ensure_ascii=False))
    else:
        content = to_bytes("\n".join(json.dumps(x, ensure_ascii=False) for x in rows))
    upload = SimpleUploadedFile(f"registry.{fmt}", content)
    r = registry.post("/api/v1/registry-sync/", {"file": upload}, format="multipart")
    assert r.status_code == 202 and r.json()["status"] == "queued", r.content
    r = finished(registry, r)
    assert r.json()["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 2}
    assert r.json()["total"] == 4
    assert_outcomes([*r.json()["report"]["rejected"], *created_rows()])


def finished(client, accepted):
    """The job the 202 named, once the worker has run it."""
    run_jobs()
    r = client.get(f"/api/v1/jobs/{accepted.json()['id']}/")
    assert r.json()["status"] == "succeeded", r.content
    return r


def created_rows() -> list[dict]:
    return [
        {"external_id": h, "outcome": "created", "errors": []}
        for h in Household.objects.values_list("external_id", flat=True)
    ]


def test_an_external_id_that_is_not_text_is_reported_escaped(registry, ward):
    bad = family("HK-\x00", ward)
    r = registry.post("/api/v1/registry-sync/", [bad, family("HK-1", ward)], format="json")
    assert r.status_code == 200, r.content
    first, second = r.json()["records"]
    assert first["external_id"] == "HK-\\x00" and first["outcome"] == "rejected"
    assert first["errors"][0]["field"] == "external_id"
    assert second["outcome"] == "created"


def test_ndjson_lines_nested_too_deeply_are_rejected_alone(officer_records_path):
    path, officer = officer_records_path
    report = sync.sync_records(sync.read_records(path, "ndjson"), actor=officer)
    assert [o.outcome for o in report.outcomes] == ["rejected", "created"]
    assert report.outcomes[0].errors[0]["reason"] == "Line 1 is nested too deeply."


@pytest.fixture
def officer_records_path(media, ward, province_officer):
    path = media / "deep.ndjson"
    path.write_text("[" * 100_000 + "]" * 100_000 + "\n" + json.dumps(family("HK-1", ward)))
    return path, province_officer


def test_values_of_the_wrong_type_are_rejected_with_their_path(registry, ward):
    bad = family("HK-BAD", ward)
    bad["members"][0]["relationship"] = {}
    bad["members"][1]["sex"] = ["female"]
    r = registry.post("/api/v1/registry-sync/", [bad, family("HK-1", ward)], format="json")
    assert r.status_code == 200, r.content
    first, second = r.json()["records"]
    assert {e["field"] for e in first["errors"]} == {"members.0.relationship", "members.1.sex"}
    assert second["outcome"] == "created"
