"""The review workflow: village meeting, posting, complaints, commune approval; only an
approved result changes the official status."""

import pytest

from config.access import Role
from poverty.models import OfficialStatus
from tests import factories as f

from .conftest import submit

pytestmark = pytest.mark.django_db


def _assessment(household, **kwargs):
    return submit(household, **kwargs).assessments.get(standard__code="VN-ND07-2021")


def act(client, a, action, body, version):
    return client.post(f"/api/v1/assessments/{a.id}/{action}/", body, HTTP_IF_MATCH=f'"{version}"')


def meeting(client, a, attendees=20, agreeing=12, version=1):
    return act(
        client,
        a,
        "village-meeting",
        {
            "meeting_date": "2026-10-05",
            "attendees": attendees,
            "agreeing": agreeing,
            "notes": "Biên bản họp thôn",
            "attachments": ["minutes/2026/thon-3.pdf"],
        },
        version,
    )


def post(client, a, version=2):
    return act(client, a, "post", {"posted_from": "2026-10-06", "posted_to": "2026-10-08"}, version)


def approve(client, a, version=3, day="2026-10-10"):
    return act(
        client,
        a,
        "approve",
        {"decision_number": "123/QĐ-UBND", "decision_date": day, "certificate_number": "GCN-001"},
        version,
    )


def test_full_workflow_sets_official_status(ward_api, leader_api, leader, family):
    a = _assessment(family, income=10_000_000, poor_housing=True)
    assert not OfficialStatus.objects.exists()
    r = meeting(ward_api, a)
    assert r.status_code == 200, r.json()
    assert r.json()["state"] == "village_agreed"
    assert post(ward_api, a).json()["state"] == "posted"
    assert not OfficialStatus.objects.exists()  # nothing official before approval
    r = approve(leader_api, a)
    assert r.status_code == 200, r.json()
    data = r.json()
    assert data["state"] == "approved" and data["decision_number"] == "123/QĐ-UBND"
    steps = data["steps"]
    assert [s["action"] for s in steps] == ["village_meeting", "post", "approve"]
    assert steps[0]["attachments"] == ["minutes/2026/thon-3.pdf"]
    assert steps[0]["data"]["share"] == 0.6
    assert steps[2]["actor"] == leader.username
    status = ward_api.get(f"/api/v1/households/{family.id}/poverty-status/").json()
    assert len(status) == 1
    assert status[0]["classification"] == "poor" and status[0]["event"] == "newly_poor"
    assert status[0]["valid_from"] == "2026-10-10" and status[0]["valid_to"] is None


def test_meeting_below_half_sends_back_to_survey(ward_api, family):
    a = _assessment(family)
    r = meeting(ward_api, a, attendees=20, agreeing=9)
    assert r.json()["state"] == "returned"
    r = post(ward_api, a, version=2)
    assert r.status_code == 409 and r.json()["code"] == "illegal_transition"


def test_exactly_half_agreeing_is_enough(ward_api, family):
    assert (
        meeting(ward_api, _assessment(family), attendees=10, agreeing=5).json()["state"]
        == "village_agreed"
    )


def test_illegal_transitions_and_bad_input(ward_api, leader_api, family):
    a = _assessment(family)
    r = approve(leader_api, a, version=1)
    assert r.status_code == 409 and r.json()["code"] == "illegal_transition"
    r = meeting(ward_api, a, attendees=5, agreeing=6)
    assert r.status_code == 400
    r = act(
        ward_api,
        a,
        "village-meeting",
        {"meeting_date": "2026-01-01", "attendees": 5, "agreeing": 4},
        1,
    )
    assert r.status_code == 400  # before the survey
    meeting(ward_api, a)
    r = act(ward_api, a, "post", {"posted_from": "2026-10-09", "posted_to": "2026-10-06"}, 2)
    assert r.status_code == 400
    post(ward_api, a)
    r = approve(leader_api, a, day="2026-10-07")  # within the posting period
    assert r.status_code == 400
    r = approve(leader_api, a, version=2)  # stale
    assert r.status_code == 412


def test_only_the_areas_commune_leader_approves(ward_api, family, rural):
    a = _assessment(family)
    meeting(ward_api, a)
    post(ward_api, a)
    assert approve(ward_api, a).status_code == 403  # commune officer: records, not decides
    other_leader = f.client_for(f.user(Role.COMMUNE_LEADER, communes=[rural]))
    assert approve(other_leader, a).status_code == 404
    province = f.client_for(f.user(Role.PROVINCE_OFFICER, provinces=["22"]))
    assert approve(province, a).status_code == 403
    assert not OfficialStatus.objects.exists()


def test_complaints_must_be_handled_before_approval(ward_api, leader_api, family):
    a = _assessment(family)
    meeting(ward_api, a)
    post(ward_api, a)
    r = ward_api.post(
        f"/api/v1/assessments/{a.id}/complaints/",
        {"lodged_by": "Nguyễn Văn Khiếu", "lodged_on": "2026-10-07", "text": "Hộ này có xe ô tô"},
    )
    assert r.status_code == 201
    complaint = r.json()["id"]
    r = approve(leader_api, a)
    assert r.status_code == 409 and r.json()["code"] == "open_complaints"
    r = ward_api.post(
        f"/api/v1/complaints/{complaint}/resolve/",
        {"upheld": False, "resolution": "Xe của người thân, đã kiểm tra"},
    )
    assert r.json()["status"] == "dismissed"
    assert approve(leader_api, a).status_code == 200


def test_upheld_complaint_returns_the_assessment(ward_api, family):
    a = _assessment(family)
    meeting(ward_api, a)
    post(ward_api, a)
    c = ward_api.post(
        f"/api/v1/assessments/{a.id}/complaints/",
        {"lodged_by": "X", "lodged_on": "2026-10-07", "text": "Sai thu nhập"},
    ).json()
    ward_api.post(
        f"/api/v1/complaints/{c['id']}/resolve/", {"upheld": True, "resolution": "Khảo sát lại"}
    )
    a.refresh_from_db()
    assert a.state == "returned"


def test_reject(leader_api, family):
    a = _assessment(family)
    r = act(leader_api, a, "reject", {"reason": "Hồ sơ không đủ"}, 1)
    assert r.json()["state"] == "rejected" and r.json()["rejection_reason"] == "Hồ sơ không đủ"
    assert not OfficialStatus.objects.exists()
