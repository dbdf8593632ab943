"""Bad input to surveys, the review workflow and field apps: 400 naming the field, never a
database error; in a batch, the bad item alone is refused."""

import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from poverty.models import Assessment, FieldUpload, Survey
from tests import factories as f
from tests.api.test_errors import assert_problem

from .conftest import submit, survey_body
from .test_field_apps import item
from .test_workflow import act

pytestmark = pytest.mark.django_db


def tomorrow() -> str:
    """Tomorrow in the server's time zone, when the test runs (not when it was imported: a
    run crossing midnight in Vietnam would send today)."""
    return (timezone.localdate() + timedelta(days=1)).isoformat()


@pytest.fixture
def enumerator(ward):
    return f.client_for(f.user(Role.FIELD_ENUMERATOR, communes=[ward]))


@pytest.fixture
def assessment(family) -> Assessment:
    return submit(family).assessments.get(standard__code="VN-ND07-2021")


@pytest.mark.parametrize(
    ("attendees", "agreeing", "field"),
    [
        (2**63, 1, "attendees"),
        (2**31, 1, "attendees"),
        (10, 2**40, "agreeing"),
        (0, 0, "attendees"),
    ],
)
def test_meeting_numbers_are_range_checked(ward_api, assessment, attendees, agreeing, field):
    body = {"meeting_date": "2026-10-05", "attendees": attendees, "agreeing": agreeing}
    assert_problem(act(ward_api, assessment, "village-meeting", body, 1), 400, field=field)
    assessment.refresh_from_db()
    assert assessment.version == 1 and assessment.meeting_attendees is None


def test_workflow_dates_cannot_be_in_the_future(ward_api, leader_api, assessment):
    meeting = {"meeting_date": tomorrow(), "attendees": 10, "agreeing": 8}
    assert_problem(
        act(ward_api, assessment, "village-meeting", meeting, 1), 400, field="meeting_date"
    )
    meeting["meeting_date"] = "2026-10-05"
    assert act(ward_api, assessment, "village-meeting", meeting, 1).status_code == 200
    # A posting period may end in the future.
    posting = {"posted_from": "2026-10-06", "posted_to": tomorrow()}
    assert act(ward_api, assessment, "post", posting, 2).status_code == 200
    complaint = {"lodged_by": "X", "lodged_on": tomorrow(), "text": "Sai"}
    r = ward_api.post(f"/api/v1/assessments/{assessment.id}/complaints/", complaint)
    assert_problem(r, 400, field="lodged_on")
    approval = {"decision_number": "1/QĐ", "decision_date": tomorrow()}
    assert_problem(act(leader_api, assessment, "approve", approval, 3), 400, field="decision_date")
    approval["decision_date"] = "1899-12-31"
    assert_problem(act(leader_api, assessment, "approve", approval, 3), 400, field="decision_date")


@pytest.mark.parametrize("day", [tomorrow(), "1899-12-31"])
def test_survey_dates_are_checked(ward_api, family, day):
    r = ward_api.post("/api/v1/surveys/", survey_body(family, day=day))
    assert_problem(r, 400, field="survey_date")
    assert not Survey.objects.exists()


@pytest.mark.parametrize("income", [2**63, 10**15 + 1, -1])
def test_survey_amounts_are_range_checked(ward_api, family, income):
    r = ward_api.post("/api/v1/surveys/", survey_body(family, income=income))
    assert_problem(r, 400, field="income_wages")


@pytest.mark.parametrize(
    ("captured_at", "ok"),
    [
        ("2026-10-01T08:30:00+18:52", False),  # no such offset
        ("2026-10-01T08:30:00-14:01", False),
        ("1899-12-31T23:59:59+07:00", False),
        ("9999-12-31T23:59:59-14:00", False),  # beyond the calendar once in UTC
        (None, False),  # an hour ahead of the server's clock
        ("2026-10-01T08:30:00+14:00", True),
        ("2026-10-01T08:30:00-12:00", True),
    ],
)
def test_device_capture_times_are_parsed_strictly(enumerator, family, captured_at, ok):
    if captured_at is None:
        captured_at = (timezone.now() + timedelta(hours=1)).isoformat()
    r = enumerator.post("/api/v1/field/uploads/", item(family, captured_at=captured_at))
    if ok:
        assert r.status_code == 201, r.json()
    else:
        assert_problem(r, 400, field="captured_at")
        assert not FieldUpload.objects.exists()


def test_a_device_clock_a_little_ahead_is_taken(enumerator, family):
    ahead = (timezone.now() + timedelta(minutes=2)).isoformat()
    r = enumerator.post("/api/v1/field/uploads/", item(family, captured_at=ahead))
    assert r.status_code == 201, r.json()


@pytest.mark.parametrize("version", [2**31, 2**63, 0])
def test_based_on_version_is_range_checked(enumerator, family, version):
    r = enumerator.post("/api/v1/field/uploads/", item(family, version=version))
    assert_problem(r, 400, field="based_on_version")
    assert not FieldUpload.objects.exists()


def test_a_nul_in_an_upload_body_is_400(enumerator, family):
    body = survey_body(family, enumerator_name="Cán bộ\x00A")
    r = enumerator.post("/api/v1/field/uploads/", item(family, body=body))
    assert_problem(r, 400, field="body.enumerator_name")
    assert not FieldUpload.objects.exists()


def test_one_bad_item_never_fails_a_batch(enumerator, family, ward):
    other = f.household(ward)
    good = item(family)
    items = [
        item(other, body=survey_body(other, enumerator_name="Cán bộ\x00A")),
        good,
        item(other, captured_at="2026-10-01T08:30:00+18:52"),
        item(other, version=2**63),
        item(other, kind="member_edit", body={"member": "not-a-uuid"}),
        item(other, kind="member_edit", body={"member": ["a", "list"]}),
        {**item(other), "client_id": "\ud800"},
        "not an object",
    ]
    body = json.dumps({"items": items})  # \ud800 as an escape: no UTF-8 can carry it
    r = enumerator.post("/api/v1/field/uploads/batch/", body, content_type="application/json")
    assert r.status_code == 200, r.content
    rows = r.json()
    assert [row["status"] for row in rows] == ["refused", "applied", *["refused"] * 6]
    assert rows[1]["client_id"] == good["client_id"]
    assert rows[0]["result"]["fields"] == {"body.enumerator_name": ["Contains a NUL character."]}
    assert "captured_at" in rows[2]["result"]["fields"]
    assert "based_on_version" in rows[3]["result"]["fields"]
    assert "body.member" in rows[4]["result"]["fields"]
    assert "body.member" in rows[5]["result"]["fields"]
    assert rows[6]["client_id"] is None and "client_id" in rows[6]["result"]["fields"]
    assert FieldUpload.objects.get().pk == uuid.UUID(good["client_id"])
    assert Survey.objects.get().household == family


def test_a_batch_over_its_limit_is_refused_whole(enumerator, family):
    items = [item(family)] * 1001
    r = enumerator.post("/api/v1/field/uploads/batch/", {"items": items}, format="json")
    assert_problem(r, 400, field="items")
    assert not FieldUpload.objects.exists()


def test_the_download_cursor_of_the_change_feed_is_range_checked(enumerator, family):
    for value in ("abc", "-1", str(2**63)):
        r = enumerator.get("/api/v1/field/households/", {"changes_after": value})
        assert_problem(r, 400, field="changes_after")
    r = enumerator.get("/api/v1/field/households/", {"changes_after": "5"})
    assert r.status_code == 200 and r.json()["changes_after"] == 5
