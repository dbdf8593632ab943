"""The review workflow: village meeting, posting, complaints, commune approval; only an
approved result changes the official status."""

from datetime import date, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from accounts.roles import Role
from core.errors import Conflict, InvalidInput
from poverty import services
from poverty.models import OfficialStatus
from tests import factories as f
from tests.api.test_errors import assert_problem

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
    p = assert_problem(r, 409, code="illegal_transition")
    assert p["allowed"] == [] and "the review is over" in p["detail"]


def test_exactly_half_agreeing_is_enough(ward_api, family):
    assert (
        meeting(ward_api, _assessment(family), attendees=10, agreeing=5).json()["state"]
        == "village_agreed"
    )


def test_illegal_transitions_and_bad_input(ward_api, leader_api, family):
    a = _assessment(family)
    r = approve(leader_api, a, version=1)
    p = assert_problem(r, 409, field="state", code="illegal_transition")
    assert p["allowed"] == ["village-meeting", "reject"]
    assert "Allowed now: village-meeting, reject." in p["detail"]
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
    p = assert_problem(r, 409, code="open_complaints")
    assert p["allowed"] == ["reject", "complaints"]  # not approve, until it is handled
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


# ---------------------------------------------------------------- posting period and the clock


def _national(household, day: date):
    """The assessment under the national standard in force on `day` (the survey's date)."""
    return submit(household, day=day.isoformat()).assessments.get(standard__scope="national")


def _agreed(client, household, day: date):
    """An assessment agreed at a village meeting held on `day`, surveyed the same day."""
    a = _national(household, day)
    body = {"meeting_date": day.isoformat(), "attendees": 10, "agreeing": 8}
    assert act(client, a, "village-meeting", body, 1).status_code == 200
    return a


@pytest.mark.parametrize(
    ("posted_from", "posted_to", "ok"),
    [
        ("2026-10-01", "2026-10-01", False),  # Thu: 1 working day
        ("2026-10-01", "2026-10-02", False),  # Thu–Fri: 2
        ("2026-10-01", "2026-10-04", False),  # Thu–Sun: still 2, the weekend does not count
        ("2026-10-01", "2026-10-05", True),  # Thu–Mon: 3
        ("2026-10-02", "2026-10-05", False),  # Fri–Mon: 2
        ("2026-10-02", "2026-10-06", True),  # Fri–Tue: 3
        ("2026-10-03", "2026-10-06", False),  # Sat–Tue: 2
        ("2026-10-03", "2026-10-07", True),  # Sat–Wed: 3
        ("2026-10-05", "2026-10-01", False),  # ends before it starts
    ],
)
def test_posting_lasts_at_least_three_working_days(ward_api, family, posted_from, posted_to, ok):
    a = _agreed(ward_api, family, date(2026, 10, 1))
    r = act(ward_api, a, "post", {"posted_from": posted_from, "posted_to": posted_to}, 2)
    a.refresh_from_db()
    if ok:
        assert r.status_code == 200, r.json()
        assert (a.state, str(a.posted_to)) == ("posted", posted_to)
    else:
        p = assert_problem(r, 400, field="posted_to")
        assert "at least 3 working days" in p["detail"] or "ends before" in p["detail"]
        assert (a.state, a.version, a.posted_from) == ("village_agreed", 2, None)


@override_settings(POVERTY_PUBLIC_HOLIDAYS=(date(2026, 10, 5),))
@pytest.mark.parametrize(("posted_to", "ok"), [("2026-10-05", False), ("2026-10-06", True)])
def test_public_holidays_are_not_working_days(ward_api, family, posted_to, ok):
    a = _agreed(ward_api, family, date(2026, 10, 1))
    r = act(ward_api, a, "post", {"posted_from": "2026-10-01", "posted_to": posted_to}, 2)
    assert r.status_code == (200 if ok else 400), r.json()


@override_settings(POVERTY_POSTING_MIN_WORKING_DAYS=5)
@pytest.mark.parametrize(("posted_to", "ok"), [("2026-10-06", False), ("2026-10-07", True)])
def test_the_minimum_is_a_setting(ward_api, family, posted_to, ok):
    a = _agreed(ward_api, family, date(2026, 10, 1))
    r = act(ward_api, a, "post", {"posted_from": "2026-10-01", "posted_to": posted_to}, 2)
    assert r.status_code == (200 if ok else 400), r.json()
    if not ok:
        assert "at least 5 working days" in r.json()["detail"]


def _posted_until(client, household, posted_to: date):
    """Surveyed and agreed 20 days ago, posted from 12 days ago until `posted_to`."""
    today = timezone.localdate()
    a = _agreed(client, household, today - timedelta(days=20))
    body = {
        "posted_from": (today - timedelta(days=12)).isoformat(),
        "posted_to": posted_to.isoformat(),
    }
    r = act(client, a, "post", body, 2)
    assert r.status_code == 200, r.json()
    return a


def test_no_approval_on_the_last_day_of_posting(ward_api, leader_api, family):
    today = timezone.localdate()
    a = _posted_until(ward_api, family, today)
    r = approve(leader_api, a, day=today.isoformat())
    p = assert_problem(r, 409, field="state", code="posting_in_progress")
    assert p["allowed"] == ["reject", "complaints"]
    assert f"posted until {today}" in p["detail"]
    assert f"approved from {today + timedelta(days=1)}" in p["detail"]
    a.refresh_from_db()
    assert (a.state, a.version) == ("posted", 3)
    assert not OfficialStatus.objects.exists()


def test_approval_the_day_after_the_posting_ends(ward_api, leader_api, family):
    today = timezone.localdate()
    a = _posted_until(ward_api, family, today - timedelta(days=1))
    r = approve(leader_api, a, day=today.isoformat())
    assert r.status_code == 200, r.json()
    assert r.json()["state"] == "approved" and r.json()["decision_date"] == today.isoformat()
    assert OfficialStatus.objects.get(household=family).valid_from == today


def test_a_decision_dated_within_the_posting_is_refused(ward_api, leader_api, family):
    today = timezone.localdate()
    a = _posted_until(ward_api, family, today - timedelta(days=1))
    r = approve(leader_api, a, day=(today - timedelta(days=1)).isoformat())
    p = assert_problem(r, 400, field="decision_date")
    assert "posted until" in p["detail"]


def test_a_posting_announced_ahead_holds_approval_back(ward_api, leader_api, leader, family):
    """The end of a posting may be announced ahead; the approval waits for it, whatever date
    the decision carries (the audit: a decision dated ten days ahead passed)."""
    today = timezone.localdate()
    a = _posted_until(ward_api, family, today + timedelta(days=5))
    assert approve(leader_api, a, day=today.isoformat()).status_code == 409
    with pytest.raises(Conflict) as refused:  # another door: the service itself
        services.assessment_approve(
            assessment=a,
            expected_version=3,
            actor=leader,
            decision_number="1/QĐ",
            decision_date=today + timedelta(days=10),
        )
    assert (refused.value.status, refused.value.code) == (409, "posting_in_progress")
    assert refused.value.extra == {"allowed": ["reject", "complaints"]}


@pytest.mark.parametrize("days_ahead", [1, 10])
def test_the_services_refuse_dates_in_the_future(family, ward_officer, leader, days_ahead):
    """Whatever door calls them (the API's fields refuse these first): 400 naming the field,
    nothing written."""
    today = timezone.localdate()
    ahead = today + timedelta(days=days_ahead)
    a = _national(family, today - timedelta(days=20))

    def refused(step, field, **kwargs):
        with pytest.raises(InvalidInput) as exc:
            step(**kwargs)
        assert exc.value.status == 400 and field in exc.value.fields

    meeting = {"assessment": a, "actor": ward_officer, "attendees": 5, "agreeing": 5}
    refused(
        services.assessment_record_meeting,
        "meeting_date",
        expected_version=1,
        meeting_date=ahead,
        **meeting,
    )
    a = services.assessment_record_meeting(
        expected_version=1, meeting_date=today - timedelta(days=15), **meeting
    )
    posting = {"assessment": a, "actor": ward_officer, "expected_version": 2}
    refused(
        services.assessment_post,
        "posted_from",
        posted_from=ahead,
        posted_to=ahead + timedelta(days=7),
        **posting,
    )
    a = services.assessment_post(
        posted_from=today - timedelta(days=12), posted_to=today - timedelta(days=1), **posting
    )
    refused(
        services.complaint_lodge,
        "lodged_on",
        assessment=a,
        lodged_by="X",
        lodged_on=ahead,
        text="Sai",
        actor=ward_officer,
    )
    refused(
        services.assessment_approve,
        "decision_date",
        assessment=a,
        expected_version=3,
        actor=leader,
        decision_number="1/QĐ",
        decision_date=ahead,
    )
    a.refresh_from_db()
    assert (a.state, a.version, a.decision_date) == ("posted", 3, None)
    assert not a.complaints.exists()


def test_no_step_after_the_decision(ward_api, leader_api, family):
    today = timezone.localdate()
    a = _posted_until(ward_api, family, today - timedelta(days=1))
    assert approve(leader_api, a, day=today.isoformat()).status_code == 200
    for client, action, body in [
        (leader_api, "reject", {"reason": "Sai"}),
        (leader_api, "approve", {"decision_number": "2/QĐ", "decision_date": str(today)}),
        (ward_api, "village-meeting", {"meeting_date": str(today), "attendees": 1, "agreeing": 1}),
    ]:
        p = assert_problem(act(client, a, action, body, 4), 409, code="illegal_transition")
        assert p["allowed"] == [] and "approved" in p["detail"]
    r = ward_api.post(
        f"/api/v1/assessments/{a.id}/complaints/",
        {"lodged_by": "X", "lodged_on": str(today), "text": "Sai"},
    )
    assert assert_problem(r, 409, code="illegal_transition")["allowed"] == []


def test_an_upheld_complaint_needs_a_posted_assessment(ward_api, leader_api, family):
    a = _posted_until(ward_api, family, timezone.localdate())
    c = ward_api.post(
        f"/api/v1/assessments/{a.id}/complaints/",
        {"lodged_by": "X", "lodged_on": str(timezone.localdate()), "text": "Sai"},
    ).json()
    assert act(leader_api, a, "reject", {"reason": "Hồ sơ không đủ"}, 3).status_code == 200
    r = ward_api.post(f"/api/v1/complaints/{c['id']}/resolve/", {"upheld": True, "resolution": "."})
    assert assert_problem(r, 409, code="illegal_transition")["allowed"] == []
    r = ward_api.post(
        f"/api/v1/complaints/{c['id']}/resolve/", {"upheld": False, "resolution": "."}
    )
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
