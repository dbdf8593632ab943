"""Supervision (cases.supervision): each rule finds a misuse planted directly with the ORM
(as data that came round the services would be), with its reason and evidence, and leaves
the clean case alone; scans do not duplicate; resolution, area scoping, the job and the
list's queries."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.roles import Role
from cases.models import Case, Finding, FollowUp
from cases.supervision import rules
from cases.supervision.services import finding_resolve, scan
from core import jobs
from core.access import SYSTEM
from core.models import Job
from geo.models import Commune
from poverty.models import PovertyStandard
from support import services as support
from support.models import Assignment, AssignmentStep, Disbursement, Program
from tests import factories as f
from tests.poverty.conftest import decide

pytestmark = pytest.mark.django_db

POOR = {"income": 10_000_000, "poor_housing": True}


@pytest.fixture
def package(db):
    program = Program.objects.create(code="P", name="Chương trình", level="program")
    project = Program.objects.create(code="P.1", name="Dự án", level="project", parent=program)
    sub = Program.objects.create(code="P.1.1", name="Nhà ở", level="sub_project", parent=project)
    return support.package_save(
        actor=SYSTEM,
        package=None,
        values={
            "code": "NHA",
            "name": "Hỗ trợ nhà ở",
            "kind": "housing",
            "sub_project": sub,
            "multipliers": [{"when": {"ethnic_minority": True}, "multiplier": "1.5"}],
            "default_multiplier": "1.3",
            "limit_per_period": 1,
        },
        eligibility=[{"standard_code": "VN-ND07-2021", "classification": "poor"}],
        rates=[{"base_amount": 40_000_000, "valid_from": date(2022, 1, 1)}],
        funding=[{"source": "central", "share_percent": "100"}],
    )


@pytest.fixture
def poor(ward):
    """A household officially poor from 2026-10-10."""
    h = f.household(ward, members=[f.member("Sầm Văn Nghèo")])
    decide(h, SYSTEM, day="2026-10-01", decision="2026-10-10", **POOR)
    return h


@pytest.fixture
def not_poor(ward):
    """A household with no official status."""
    return f.household(ward, members=[f.member("Lê Văn Khá")])


def assign(
    household,
    package,
    *,
    amount=52_000_000,
    state="approved",
    by=None,
    approver=None,
    approved_at=None,
    period=2026,
):
    """An assignment as it might have come in (sync, admin, legacy): no checks."""
    a = Assignment.objects.create(
        household=household,
        package=package,
        period=period,
        base_amount=40_000_000,
        multiplier="1.300",
        amount=amount,
        explanation="-",
        split=[{"source": "central", "amount": amount}],
        state=state,
    )
    AssignmentStep.objects.create(assignment=a, action="propose", to_state="proposed", actor=by)
    if state != "proposed":
        step = AssignmentStep.objects.create(
            assignment=a,
            action="approve",
            from_state="proposed",
            to_state="approved",
            actor=approver,
        )
        if approved_at:
            AssignmentStep.objects.filter(pk=step.pk).update(at=approved_at)
    return a


def pay(assignment, amount, on=date(2026, 10, 20)):
    return Disbursement.objects.create(
        assignment=assignment, date=on, amount=amount, evidence_reference="PC-1"
    )


def keys(found) -> set[str]:
    return {x.key for x in found}


# ---------------------------------------------------------------------------- the rules


def test_1_support_for_a_household_not_eligible_on_the_decision_date(package, poor, not_poor):
    clean = assign(poor, package)
    never = assign(not_poor, package)
    early = assign(
        poor, package, period=2025, approved_at=timezone.make_aware(timezone.datetime(2026, 9, 1))
    )
    found = {x.assignment_id: x for x in rules.not_eligible_on_decision()}
    assert set(found) == {never.pk, early.pk}
    assert clean.pk not in found
    x = found[early.pk]
    assert "2026-09-01" in x.reason_en and "poor (VN-ND07-2021)" in x.reason_en
    assert "phê duyệt ngày 01/09/2026" in x.reason_vi  # dates as Vietnamese write them
    assert x.reason_vi.endswith("(cần hộ nghèo theo VN-ND07-2021).")  # no English class code
    assert x.evidence[0] == f"/api/v1/assignments/{early.pk}/"
    assert x.commune_id == poor.commune_id and x.period == 2025


def test_2_support_above_the_entitlement_or_paid_above_its_amount(package, poor, not_poor, ward):
    clean = assign(poor, package, amount=52_000_000)  # 40 M × 1.3 for a Kinh household
    pay(clean, 52_000_000)
    minority = f.household(ward, members=[f.member("Sầm Văn Dân", ethnicity="02")])
    assign(minority, package, amount=60_000_000)  # 40 M × 1.5 for an ethnic-minority one
    kinh_at_minority_rate = assign(poor, package, amount=60_000_000, period=2025)
    above = assign(not_poor, package, amount=70_000_000)
    overpaid = assign(poor, package, amount=52_000_000, period=2024)
    pay(overpaid, 30_000_000)
    pay(overpaid, 30_000_000)
    found = {x.assignment_id: x for x in rules.over_entitlement()}
    assert set(found) == {kinh_at_minority_rate.pk, above.pk, overpaid.pk}
    x = found[kinh_at_minority_rate.pk]
    assert "60,000,000 VND is above the household's entitlement 52,000,000 VND" in x.reason_en
    assert "(base 40,000,000 VND × 1.3, default provincial multiplier)" in x.reason_en
    assert "vượt mức hộ được hưởng 52.000.000 đồng" in x.reason_vi
    assert "(mức cơ sở 40.000.000 đồng × 1,3, hệ số mặc định của tỉnh)" in x.reason_vi  # why
    assert x.figures["entitlement"] == 52_000_000 and x.figures["multiplier"] == "1.3"
    assert "disbursements total 60,000,000 VND" in found[overpaid.pk].reason_en
    assert f"/api/v1/disbursements/?assignment={overpaid.pk}" in found[overpaid.pk].evidence


def test_3_the_same_package_twice_in_a_period(package, poor, not_poor):
    first, second = assign(poor, package), assign(poor, package)
    assign(poor, package, state="cancelled")  # not counted
    assign(not_poor, package)
    assign(not_poor, package, period=2025)  # another period
    [x] = rules.duplicate_support()
    assert x.household_id == poor.pk and x.period == 2026
    assert x.reason_en == f"Household {poor.code} has 2 assignments of NHA in 2026 (limit 1)."
    assert x.evidence == [f"/api/v1/assignments/{first.pk}/", f"/api/v1/assignments/{second.pk}/"]


def test_4_disbursed_after_the_household_moved_out(package, poor, not_poor):
    a, b = assign(poor, package), assign(not_poor, package)
    before = pay(a, 1_000_000, on=date(2026, 10, 14))
    after = pay(a, 1_000_000, on=date(2026, 10, 20))
    pay(b, 1_000_000, on=date(2026, 10, 20))  # still active
    type(poor).objects.filter(pk=poor.pk).update(status="moved_out", status_date=date(2026, 10, 15))
    [x] = rules.disbursed_after_close()
    assert x.disbursement_id == after.pk != before.pk
    assert "after it was moved out on 2026-10-15" in x.reason_en
    assert "sau khi hộ chuyển đi ngày 15/10/2026" in x.reason_vi
    assert x.evidence[0] == f"/api/v1/disbursements/{after.pk}/"


def test_5_approved_by_its_proposer(package, poor, not_poor, ward):
    officer, leader = (
        f.user(Role.COMMUNE_OFFICER, communes=[ward]),
        f.user(Role.COMMUNE_LEADER, communes=[ward]),
    )
    assign(poor, package, by=officer, approver=leader)
    own = assign(not_poor, package, by=leader, approver=leader)
    assign(not_poor, package, period=2025, by=None, approver=None)  # system steps
    [x] = rules.self_approved()
    assert x.assignment_id == own.pk and x.cadre_id == leader.pk
    assert f"proposed and approved by the same user, {leader.username}" in x.reason_en


def _case(household, cadre):
    d07 = PovertyStandard.objects.get(code="VN-ND07-2021")
    case, _ = Case.objects.get_or_create(
        household=household,
        defaults={"standard": d07, "classification": "poor", "opened_on": date(2026, 1, 1)},
    )
    return case


def test_6_cadres_with_follow_ups_overdue(poor, not_poor, ward, settings):
    settings.FOLLOW_UP_OVERDUE_DAYS = 30
    late, punctual = (
        f.user(Role.COMMUNE_OFFICER, communes=[ward]),
        f.user(Role.COMMUNE_OFFICER, communes=[ward]),
    )
    today = date(2026, 11, 29)
    case = _case(poor, late)
    old = FollowUp.objects.create(case=case, cadre=late, scheduled_on=today - timedelta(days=45))
    FollowUp.objects.create(case=case, cadre=late, scheduled_on=today - timedelta(days=40))
    FollowUp.objects.create(case=case, cadre=late, scheduled_on=today - timedelta(days=10))
    FollowUp.objects.create(
        case=case,
        cadre=punctual,
        scheduled_on=today - timedelta(days=60),
        done_on=today - timedelta(days=59),
    )
    FollowUp.objects.create(
        case=_case(not_poor, punctual), cadre=punctual, scheduled_on=today - timedelta(days=20)
    )
    [x] = rules.overdue_follow_ups(today)
    assert x.cadre_id == late.pk and x.commune_id == ward.code and x.period == 2026
    assert "has 2 follow-up(s)" in x.reason_en and "more than 30 days" in x.reason_en
    assert "(the oldest scheduled on 2026-10-15, 45 days ago)" in x.reason_en
    assert "(lần sớm nhất hẹn ngày 15/10/2026, cách đây 45 ngày)" in x.reason_vi
    assert x.evidence[0] == f"/api/v1/follow-ups/{old.pk}/"


def test_7_communes_spending_ahead_of_their_poor_households(package, poor, ward, rural):
    rich = f.household(rural, members=[f.member("Phạm Văn Giàu")])
    pay(assign(poor, package), 50_000_000)
    pay(assign(rich, package), 200_000_000)
    [x] = rules.spending_ahead_of_poverty()
    assert x.commune_id == rural.code and x.period == 2026
    assert x.figures["spending_share_percent"] == 80.0
    assert x.figures["poor_share_percent"] == 0
    assert "received 80.0% of province 22's disbursements in 2026" in x.reason_en
    assert "nhận 80,0% số tiền" in x.reason_vi


def test_7_below_the_minimum_amount_is_not_flagged(package, poor, rural, settings):
    settings.SUPERVISION_SPENDING_MIN_VND = 500_000_000
    pay(assign(f.household(rural), package), 200_000_000)
    pay(assign(poor, package), 50_000_000)
    assert rules.spending_ahead_of_poverty() == []


def test_a_clean_register_has_no_findings(package, poor, ward):
    officer, leader = (
        f.user(Role.COMMUNE_OFFICER, communes=[ward]),
        f.user(Role.COMMUNE_LEADER, communes=[ward]),
    )
    pay(assign(poor, package, by=officer, approver=leader), 52_000_000)
    assert scan()["found"] == []


# ---------------------------------------------------------------------------- the scan


def test_a_scan_again_does_not_duplicate_and_corrected_findings_reopen(package, poor, not_poor):
    assign(not_poor, package, amount=70_000_000)
    first = scan()
    assert len(first["found"]) == 2 and first["new"] == first["found"]  # eligibility, amount
    again = scan()
    assert again["new"] == [] and sorted(again["found"]) == sorted(first["found"])
    assert Finding.objects.count() == 2
    by_rule = {x.rule: x for x in Finding.objects.all()}
    finding_resolve(
        finding=by_rule["not_eligible"],
        expected_version=1,
        actor=SYSTEM,
        status="dismissed",
        note="Hộ được xác nhận nghèo theo quyết định giấy, chưa nhập.",
    )
    finding_resolve(
        finding=by_rule["over_entitlement"],
        expected_version=1,
        actor=SYSTEM,
        status="corrected",
        note="Đã điều chỉnh số tiền.",
    )
    third = scan()
    assert third["reopened"] == [by_rule["over_entitlement"].key]
    states = dict(Finding.objects.values_list("rule", "status"))
    assert states == {"not_eligible": "dismissed", "over_entitlement": "open"}
    reopened = Finding.objects.get(rule="over_entitlement")
    assert reopened.version == 3 and reopened.history.count() == 3


def test_the_job_runs_a_scan_and_the_worker_queues_it_periodically(package, not_poor, monkeypatch):
    monkeypatch.setattr(jobs, "PERIODIC", {"supervision_scan": jobs.PERIODIC["supervision_scan"]})
    assign(not_poor, package)
    [job] = jobs.enqueue_periodic()
    assert job.kind == "supervision_scan"
    assert jobs.enqueue_periodic() == []  # one waiting already
    jobs.work(heartbeat=False, until_empty=True)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert job.counts == {"found": 1, "new": 1, "reopened": 0, "open": 1}
    assert jobs.enqueue_periodic() == []  # not due again within SUPERVISION_SCAN_HOURS
    later = timezone.now() + timedelta(hours=25)
    assert len(jobs.enqueue_periodic(now=later)) == 1


# ---------------------------------------------------------------------------- the API


@pytest.fixture
def findings(package, poor, not_poor, ward):
    """Findings in the ward, and one in another province."""
    hanoi = Commune.objects.filter(province_id="01").order_by("code").first()
    outside = f.household(hanoi, members=[f.member("Kiều Văn Ngoài")])
    assign(not_poor, package)
    assign(outside, package)
    scan()
    return {("ward" if x.commune_id == ward.code else "outside"): x for x in Finding.objects.all()}


def test_the_area_sees_its_findings_only_and_filters(findings, ward):
    officer = f.client_for(f.user(Role.COMMUNE_OFFICER, communes=[ward]))
    r = officer.get("/api/v1/findings/")
    assert r.status_code == 200
    [row] = r.json()["results"]
    assert row["commune"] == ward.code and row["rule"] == "not_eligible"
    assert row["evidence"][0].startswith("/api/v1/assignments/")
    assert officer.get(f"/api/v1/findings/{findings['outside'].pk}/").status_code == 404
    assert officer.get("/api/v1/findings/?rule=self_approved").json()["results"] == []
    assert (
        len(
            officer.get(f"/api/v1/findings/?status=open&period=2026&commune={ward.code}").json()[
                "results"
            ]
        )
        == 1
    )
    national = f.client_for(f.user(None, superuser=True))
    assert len(national.get("/api/v1/findings/").json()["results"]) == 2


def test_auditors_read_their_areas_findings_and_may_not_resolve(findings, ward):
    auditor = f.client_for(f.user(Role.AUDITOR, communes=[ward]))
    [row] = auditor.get("/api/v1/findings/").json()["results"]
    r = auditor.post(
        f"/api/v1/findings/{row['id']}/resolve/",
        {"status": "confirmed", "note": "x"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert r.status_code == 403 and "findings_resolve" in r.json()["detail"]


def test_resolving_a_finding(findings, ward):
    leader = f.user(Role.COMMUNE_LEADER, communes=[ward])
    client = f.client_for(leader)
    url = f"/api/v1/findings/{findings['ward'].pk}/resolve/"
    body = {"status": "confirmed", "note": "Đã xác minh, thu hồi hỗ trợ."}
    assert client.post(url, body, format="json").status_code == 428
    assert client.post(url, body, format="json", HTTP_IF_MATCH='"7"').status_code == 412
    r = client.post(url, {"status": "confirmed"}, format="json", HTTP_IF_MATCH='"1"')
    assert r.status_code == 400
    r = client.post(url, {**body, "status": "open"}, format="json", HTTP_IF_MATCH='"1"')
    assert r.status_code == 400
    r = client.post(url, body, format="json", HTTP_IF_MATCH='"1"')
    assert r.status_code == 200, r.json()
    assert r["ETag"] == '"2"'
    data = r.json()
    assert data["status"] == "confirmed" and data["resolved_by"] == leader.username
    assert data["resolution_note"] == body["note"] and data["resolved_at"]


def test_a_cadre_does_not_resolve_a_finding_about_themselves(package, not_poor, ward):
    leader = f.user(Role.COMMUNE_LEADER, communes=[ward])
    assign(not_poor, package, by=leader, approver=leader)
    scan(rules=["self_approved"])
    finding = Finding.objects.get(rule="self_approved")
    r = f.client_for(leader).post(
        f"/api/v1/findings/{finding.pk}/resolve/",
        {"status": "dismissed", "note": "Không sao."},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert r.status_code == 403 and r.json()["code"] == "own_finding"


def test_a_scan_on_demand_is_a_job(ward):
    client = f.client_for(f.user(Role.PROVINCE_OFFICER, provinces=["22"]))
    r = client.post("/api/v1/supervision/scan/", HTTP_IDEMPOTENCY_KEY="scan-1")
    assert r.status_code == 202 and r.json()["kind"] == "supervision_scan"
    again = client.post("/api/v1/supervision/scan/", HTTP_IDEMPOTENCY_KEY="scan-1")
    assert again.status_code == 202 and again["Idempotent-Replayed"] == "true"
    assert Job.objects.filter(kind="supervision_scan").count() == 1
    officer = f.client_for(f.user(Role.COMMUNE_OFFICER, communes=[ward]))
    assert officer.post("/api/v1/supervision/scan/").status_code == 403


def test_the_list_takes_the_same_queries_for_more_findings(package, ward):
    client = f.client_for(f.user(Role.PROVINCE_OFFICER, provinces=["22"]))
    leader = f.user(Role.COMMUNE_LEADER, communes=[ward])

    def plant(n):
        for i in range(n):
            h = f.household(ward, members=[f.member(f"Hộ Số {i}")])
            assign(h, package, by=leader, approver=leader)
        scan()

    ctx_queries = []

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/findings/").status_code == 200
        ctx_queries[:] = ctx.captured_queries
        return len(ctx.captured_queries)

    plant(1)
    count()  # the token's first use is recorded once
    few = count()
    plant(5)
    assert count() == few
    # authentication and the grant (5 with the savepoint), the page of findings
    assert few <= 10, [q["sql"][:80] for q in ctx_queries]


def test_the_admin_lists_findings_and_resolves_through_the_service(findings, ward, client):
    leader = f.user(Role.COMMUNE_LEADER, communes=[ward])
    leader.is_staff = True
    leader.save()
    client.force_login(leader)
    r = client.get("/admin/cases/finding/?status__exact=open")
    assert r.status_code == 200
    assert str(findings["ward"].pk) in r.content.decode()
    assert str(findings["outside"].pk) not in r.content.decode()
    url = f"/admin/cases/finding/{findings['ward'].pk}/change/"
    r = client.post(
        url,
        {"status": "dismissed", "resolution_note": "Đã kiểm tra.", "based_on_version": "1"},
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    finding = Finding.objects.get(pk=findings["ward"].pk)
    assert (finding.status, finding.resolved_by, finding.version) == ("dismissed", leader, 2)
    history = finding.history.first()
    assert history.history_user == leader and history.history_channel == "admin"


def test_the_admin_lists_findings_with_their_reason_in_the_officers_language(
    findings, ward, client
):
    from django.utils.html import escape

    leader = f.user(Role.COMMUNE_LEADER, communes=[ward])
    leader.is_staff = True
    leader.save()
    client.force_login(leader)
    finding = findings["ward"]
    r = client.get("/admin/cases/finding/", HTTP_ACCEPT_LANGUAGE="vi")
    page = r.content.decode()
    assert escape(finding.reason_vi) in page and escape(finding.reason_en) not in page
    r = client.get("/admin/cases/finding/", HTTP_ACCEPT_LANGUAGE="en")
    page = r.content.decode()
    assert escape(finding.reason_en) in page and escape(finding.reason_vi) not in page
