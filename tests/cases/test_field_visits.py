"""A cadre's day from the field app: the download carries each household's open case, and a
visit posted by its client UUID records the follow-up (replays, conflicts as the other kinds)."""

import uuid
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from cases import services
from cases.models import Case, FollowUp
from core.access import SYSTEM
from poverty.models import FieldUpload
from tests import factories as f
from tests.poverty.conftest import decide

pytestmark = pytest.mark.django_db

URL = "/api/v1/field/uploads/"
POOR = {"income": 10_000_000, "poor_housing": True}


@pytest.fixture
def cadre(ward):
    return f.user(Role.FIELD_ENUMERATOR, communes=[ward])


@pytest.fixture
def visit(family, leader, cadre):
    decide(family, leader, day="2026-10-01", decision="2026-10-10", **POOR)
    case = Case.objects.get(household=family)
    services.case_assign_cadre(case=case, cadre_id=cadre.pk, expected_version=1, actor=SYSTEM)
    return services.follow_up_schedule(case=case, scheduled_on=date(2026, 10, 15), actor=SYSTEM)


def upload(visit, **body):
    return {
        "client_id": str(body.pop("client_id", uuid.uuid4())),
        "kind": "visit",
        "based_on_version": body.pop("based_on_version", visit.version),
        "captured_at": "2026-10-15T09:00:00+07:00",
        "body": {
            "follow_up": str(visit.pk),
            "done_on": "2026-10-15",
            "findings": "Đã sửa mái nhà",
            "next_step": "Theo dõi thu nhập",
            "next_visit_on": "2026-12-15",
            **body,
        },
    }


def test_the_download_carries_the_open_case(family, visit, cadre):
    client = f.client_for(cadre)
    r = client.get("/api/v1/field/households/")
    assert r.status_code == 200
    [row] = [h for h in r.json()["results"] if h["id"] == str(family.pk)]
    case = row["case"]
    assert case["state"] == "active" and case["cadre"] == cadre.pk
    assert {g["indicator"] for g in case["goals"]} >= {"income"}
    assert [v["id"] for v in case["follow_ups_due"]] == [str(visit.pk)]
    for _ in range(3):  # flat: the case, goals and visits are prefetched
        f.household(family.commune)
    client.get("/api/v1/field/households/")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/field/households/")
    for _ in range(5):
        other = f.household(family.commune)
        decide(other, SYSTEM, day="2026-10-01", decision="2026-10-10", **POOR)
    with CaptureQueriesContext(connection) as more:
        client.get("/api/v1/field/households/")
    assert len(more.captured_queries) == len(few.captured_queries)


def test_a_visit_posted_from_the_field_records_the_follow_up(visit, cadre):
    client = f.client_for(cadre)
    item = upload(visit)
    r = client.post(URL, item, format="json")
    assert r.status_code == 201, r.json()
    result = r.json()["result"]
    done = FollowUp.objects.get(pk=visit.pk)
    assert (done.done_on, done.findings, done.client_id) == (
        date(2026, 10, 15),
        "Đã sửa mái nhà",
        uuid.UUID(item["client_id"]),
    )
    assert result == {"follow_up": str(visit.pk), "version": 2, "next": result["next"]}
    assert FollowUp.objects.get(pk=result["next"]).scheduled_on == date(2026, 12, 15)
    # The phone retries: the original result; the same UUID with another body: 409.
    again = client.post(URL, item, format="json")
    assert again.status_code == 200 and again.json()["result"] == result
    changed = {**item, "body": {**item["body"], "findings": "Khác"}}
    assert client.post(URL, changed, format="json").status_code == 409
    assert FollowUp.objects.filter(case=visit.case).count() == 2


def test_a_visit_to_a_follow_up_changed_meanwhile_is_kept_as_a_conflict(visit, cadre, ward):
    services.follow_up_record(
        follow_up=visit,
        done_on=date(2026, 10, 14),
        findings="Gọi điện",
        expected_version=1,
        actor=SYSTEM,
    )
    client = f.client_for(cadre)
    r = client.post(URL, upload(visit, based_on_version=1), format="json")
    assert r.status_code == 202 and r.json()["status"] == "conflict"
    assert r.json()["result"]["current_version"] == 2
    assert FollowUp.objects.get(pk=visit.pk).findings == "Gọi điện"  # not applied over it
    officer = f.client_for(f.user(Role.COMMUNE_OFFICER, communes=[ward]))
    pk = r.json()["client_id"]
    r = officer.post(f"{URL}{pk}/resolve/", {"action": "discard"}, format="json")
    assert r.status_code == 200 and FieldUpload.objects.get(pk=pk).status == "resolved_discarded"


def test_a_visit_outside_the_area_is_unknown(visit):
    elsewhere = f.client_for(f.user(Role.FIELD_ENUMERATOR, provinces=["01"]))
    r = elsewhere.post(URL, upload(visit), format="json")
    assert r.status_code == 400 and "body.follow_up" in r.content.decode()
    assert FollowUp.objects.get(pk=visit.pk).done_on is None
