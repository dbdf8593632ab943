"""Every list endpoint, and every detail that nests a list, runs a fixed number of queries
however many rows it shows: counted with a few rows, then with more (other communes,
villages, households, users, packages...), the two counts are equal.

The register grows by "units": each in a commune of its own (Quảng Ninh's, in code order),
with its village, leader, cadre, a poor household with its survey, assessments, complaint,
case, goal and follow-up, support (an allocation, an assignment paid once), a livelihood
model, a target, a review round, a standard, a package, a finding, a job, a what-if run
and a field upload: every relation a row could read differs from one row to the next."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from cases import services as cases
from cases.models import Case, FollowUp, PlanGoal
from cases.supervision.services import scan
from core import jobs
from core.access import SYSTEM, access_digest
from core.api.root import list_endpoints
from core.models import Job, JobStatus
from geo.models import Commune, Village
from households.services import detect_all_duplicates
from poverty.fields import INDICATOR_FIELDS
from poverty.models import AssessmentStep, Complaint, Indicator, PovertyStandard, ReviewRound
from poverty.records import WhatIfChange, WhatIfRun
from support import services as support
from support.models import (
    AssignmentStep,
    BudgetAllocation,
    LivelihoodModel,
    Participation,
    Program,
    Target,
)
from tests import factories as f
from tests.cases.test_field_visits import upload
from tests.cases.test_supervision import assign
from tests.poverty.conftest import decide

pytestmark = pytest.mark.django_db

POOR = {"income": 10_000_000, "poor_housing": True}


@dataclass
class World:
    officer: object  # a Quảng Ninh province officer: reads every row of the units
    sub_project: Program
    package: object
    standard: PovertyStandard
    run: WhatIfRun | None = None  # the first unit's what-if run: every unit's household in it
    first_package: object = None  # the first unit's package: nobody has it (coverage gap)
    households: list = field(default_factory=list)
    # the first unit's case, assessment, assignment, livelihood model and standard: each
    # later unit adds to their nested lists (a follow-up and a goal, a step and a complaint,
    # a step, a participant, an indicator), by its own users
    first: dict = field(default_factory=dict)


def communes() -> list[Commune]:
    return list(Commune.objects.filter(province_id="22").order_by("code")[:40])


def new_package(sub_project, code: str):
    return support.package_save(
        actor=SYSTEM,
        package=None,
        values={
            "code": code,
            "name": f"Hỗ trợ {code}",
            "kind": "housing",
            "sub_project": sub_project,
            "multipliers": [{"when": {"ethnic_minority": True}, "multiplier": "1.5"}],
            "default_multiplier": "1.3",
            "limit_per_period": 1,
        },
        eligibility=[{"standard_code": "VN-ND07-2021", "classification": "poor"}],
        rates=[{"base_amount": 40_000_000, "valid_from": date(2022, 1, 1)}],
        funding=[
            {"source": "central", "share_percent": "70"},
            {"source": "local", "share_percent": "30"},
        ],
    )


def new_standard(i: int) -> PovertyStandard:
    """A provincial draft standard copied from Decree 07 (its indicators too)."""
    base = PovertyStandard.objects.get(code="VN-ND07-2021")
    copy = PovertyStandard.objects.get(pk=base.pk)
    copy.pk = copy.id = None
    copy._state.adding = True
    copy.code, copy.scope, copy.province_id = f"QN-THU-{i}", "provincial", "22"
    copy.status = "draft"
    copy.published_at, copy.supersedes = None, None
    copy.save()
    Indicator.objects.bulk_create(
        Indicator(standard=copy, **{name: getattr(x, name) for name in INDICATOR_FIELDS})
        for x in base.indicators.all()
    )
    return copy


@pytest.fixture
def world(db) -> World:
    program = Program.objects.create(code="QN", name="Giảm nghèo", level="program")
    project = Program.objects.create(code="QN.1", name="Nhà ở", level="project", parent=program)
    sub = Program.objects.create(code="QN.1.1", name="Nhà", level="sub_project", parent=project)
    return World(
        officer=f.user(Role.PROVINCE_OFFICER, provinces=["22"]),
        sub_project=sub,
        package=new_package(sub, "NHA"),
        standard=PovertyStandard.objects.get(code="VN-ND07-2021"),
    )


def grow(w: World, n: int) -> None:
    """`n` more units, each in the next commune."""
    start = len(w.households)
    for i in range(start, start + n):
        unit(w, i, communes()[i])
    scan()
    detect_all_duplicates()


def unit(w: World, i: int, commune: Commune) -> None:
    village = Village.objects.create(commune=commune, name=f"Thôn Đếm {i}")
    leader = f.user(Role.COMMUNE_LEADER, communes=[commune])
    cadre = f.user(Role.COMMUNE_OFFICER, communes=[commune])
    enumerator = f.user(Role.FIELD_ENUMERATOR, communes=[commune])
    h = f.household(
        commune,
        village=village,
        members=[
            f.member("Nguyễn Văn Trùng", with_citizen_id=False),
            f.member(f"Lê Thị {i}", relationship="spouse", sex="female", ethnicity="02"),
        ],
    )
    assessment = decide(h, leader, day="2026-10-01", decision="2026-10-10", **POOR)
    # the same head again (a duplicate), who escaped poverty just above the line: on the
    # relapse watchlist (2,200,000 VND a person a month in a ward, the line 2,000,000)
    twin = f.household(
        commune,
        village=village,
        members=[
            f.member("Nguyễn Văn Trùng", with_citizen_id=False),
            f.member(f"Lò Thị {i}", relationship="spouse", sex="female"),
        ],
    )
    decide(twin, leader, day="2026-03-01", decision="2026-03-10", **POOR)
    decide(twin, leader, day="2026-06-01", decision="2026-06-10", income=2 * 2_200_000 * 12)
    Complaint.objects.create(
        assessment=assessment,
        lodged_by=f"Người {i}",
        lodged_on=date(2026, 10, 3),
        text="Khiếu nại",
        status="dismissed",
        resolved_by=leader,
        resolution="Không có căn cứ",
    )
    case = Case.objects.get(household=h)
    case = cases.case_assign_cadre(
        case=case, cadre_id=enumerator.pk, expected_version=case.version, actor=SYSTEM
    )
    # (opening the case planned a goal for each deprivation)
    visit = cases.follow_up_schedule(case=case, scheduled_on=date(2026, 10, 12), actor=SYSTEM)
    # the cadre's field app uploads the visit
    r = f.client_for(enumerator).post("/api/v1/field/uploads/", upload(visit), format="json")
    assert r.status_code == 201, r.content
    cases.follow_up_schedule(case=case, scheduled_on=date(2026, 10, 20), actor=SYSTEM)  # overdue
    # support: the commune's allocations, an assignment approved and paid
    for source in ("central", "local"):
        BudgetAllocation.objects.create(
            sub_project=w.sub_project,
            source=source,
            year=2026,
            province_id="22",
            commune=commune,
            amount=500_000_000,
        )
    a = support.assignment_propose(household=h, package=w.package, period=2026, actor=SYSTEM)
    a = support.assignment_approve(assignment=a, expected_version=a.version, actor=leader)
    support.disbursement_record(
        assignment=a,
        expected_version=a.version,
        actor=cadre,
        on=date(2026, 11, 1),
        amount=1_000_000,
        evidence_reference=f"PC-{i}",
    )
    # a finding (approved by its proposer), in the commune
    assign(h, w.package, by=leader, approver=leader, period=2025)
    model = LivelihoodModel.objects.create(
        name=f"Mô hình {i}",
        type="livestock",
        commune=commune,
        program=w.sub_project,
        start_date=date(2026, 1, 1),
    )
    Participation.objects.create(
        model=model, household=h, joined_on=date(2026, 2, 1), income_before=10_000_000
    )
    Target.objects.create(
        commune=commune,
        village=village,
        year=2026,
        households_to_lift=1,
        poverty_rate_target=Decimal("1"),
    )
    ReviewRound.objects.create(
        province_id="22",
        kind="regular",
        year=2020 + i // 12,
        month=i % 12 + 1,
        opens=date(2020 + i // 12, i % 12 + 1, 15),
        closes=date(2020 + i // 12, i % 12 + 1, 28),
        name=f"Đợt {i}",
    )
    standard = new_standard(i)
    package = new_package(w.sub_project, f"GOI-{i}")
    w.first_package = w.first_package or package
    Program.objects.create(
        code=f"QN.{i + 2}", name=f"Dự án {i}", level="project", parent=w.sub_project.parent.parent
    )
    for requester in (w.officer, cadre):
        job = jobs.enqueue("export_households", {"commune": commune.code}, user=requester)
        Job.objects.filter(pk=job.pk).update(status=JobStatus.SUCCEEDED)
    run = WhatIfRun.objects.create(
        standard=PovertyStandard.objects.get(code="VN-ND351-2025"),
        baseline=w.standard,
        commune=commune,
        requested_by=w.officer,
        access=access_digest(w.officer),
        households=1,
        changed=1,
        summary=[
            {
                "commune": commune.code,
                "from_class": "poor",
                "to_class": "near_poor",
                "households": 1,
            }
        ],
    )
    w.run = w.run or run
    WhatIfChange.objects.create(
        run=w.run, household=h, commune=commune, from_class="poor", to_class="near_poor"
    )
    w.households.append(h)
    nest(w, i, case=case, assessment=assessment, assignment=a, model=model, standard=standard)
    w.first = w.first or {
        "case": case,
        "assessment": assessment,
        "assignment": a,
        "model": model,
        "standard": standard,
    }


def nest(w: World, i: int, **records) -> None:
    """The unit's rows in the first unit's nested lists, by the unit's own users (the
    records' own actors, cadres and households)."""
    if not w.first:
        return
    case, assessment = w.first["case"], w.first["assessment"]
    FollowUp.objects.create(
        case=case, cadre=records["case"].cadre, scheduled_on=date(2026, 11, i % 28 + 1)
    )
    PlanGoal.objects.create(case=case, indicator=f"extra_{i}", text="Mục tiêu thêm")
    leader = assessment_actor(records["assessment"])
    AssessmentStep.objects.create(
        assessment=assessment,
        action="note",
        from_state="approved",
        to_state="approved",
        actor=leader,
    )
    Complaint.objects.create(
        assessment=assessment,
        lodged_by=f"Người khác {i}",
        lodged_on=date(2026, 10, 4),
        text="Khiếu nại",
        status="dismissed",
        resolved_by=leader,
    )
    AssignmentStep.objects.create(
        assignment=w.first["assignment"],
        action="note",
        from_state="approved",
        to_state="approved",
        actor=leader,
    )
    Participation.objects.create(
        model=w.first["model"],
        household=records["assignment"].household,
        joined_on=date(2026, 3, 1),
        income_before=10_000_000,
    )
    indicator = records["standard"].indicators.first()
    indicator.pk, indicator.id, indicator._state.adding = None, None, True
    indicator.standard, indicator.code = w.first["standard"], f"extra_{i}"
    indicator.save()


def assessment_actor(assessment):
    return assessment.steps.exclude(actor=None).first().actor


def rows_of(data) -> int:
    """The rows a response shows: a page's results, a list, a report's or a public table's
    rows."""
    if isinstance(data, list):
        return len(data)
    for key in ("results", "rows"):
        if key in data:
            return len(data[key])
    raise AssertionError(f"no rows in {sorted(data)}")


def measured(api, url: str) -> tuple[int, int]:
    """The queries of a GET (after a first one: a token's first request records its use, the
    caller's area is resolved once), and the rows it showed."""
    r = api.get(url)
    assert r.status_code == 200, (url, r.status_code, r.content[:300])
    with CaptureQueriesContext(connection) as ctx:
        r = api.get(url)
    return len(ctx.captured_queries), rows_of(r.json())


LISTS = [
    "/api/v1/households/",
    "/api/v1/members/",
    "/api/v1/duplicates/",
    "/api/v1/villages/",
    "/api/v1/changes/",
    "/api/v1/poverty-standards/",
    "/api/v1/review-rounds/",
    "/api/v1/surveys/",
    "/api/v1/assessments/",
    "/api/v1/complaints/",
    "/api/v1/relapse-watchlist/",
    "/api/v1/what-if/",
    "/api/v1/what-if/{run}/changes/",
    "/api/v1/programs/",
    "/api/v1/budget-allocations/",
    "/api/v1/support-packages/",
    "/api/v1/support-packages/{package}/coverage-gap/?period=2026",
    "/api/v1/assignments/",
    "/api/v1/disbursements/",
    "/api/v1/livelihood-models/",
    "/api/v1/targets/",
    "/api/v1/cases/",
    "/api/v1/follow-ups/",
    "/api/v1/findings/",
    "/api/v1/jobs/",
    "/api/v1/field/households/",
    "/api/v1/field/uploads/",
    "/api/v1/households/{household}/eligible-packages/?period=2026",
    "/api/v1/reports/alkire-foster/",
    "/api/v1/reports/budget-execution/?group_by=commune",
    "/api/v1/reports/case-progress/?group_by=cadre",
    "/api/v1/reports/deprivation-profile/",
    "/api/v1/reports/overdue-follow-ups/?group_by=commune",
    "/api/v1/reports/poverty-rates/",
    "/api/v1/reports/target-progress/",
    "/api/v1/reports/transitions/",
    "/api/v1/reports/uplift/",
    "/api/v1/reports/case-progress/?group_by=village",
    "/api/v1/reports/case-progress/?group_by=commune",
    "/api/v1/reports/deprivation-profile/?group_by=village",
    "/api/v1/reports/overdue-follow-ups/?group_by=cadre",
    "/api/v1/reports/poverty-rates/?group_by=village",
    "/api/v1/reports/transitions/?group_by=village",
    "/api/v1/reports/coverage/?period=2026&group_by=package_type",
    "/api/v1/cases/?overdue=true",
    "/api/v1/follow-ups/?overdue=true",
    "/api/v1/public/budget/",
    "/api/v1/public/poverty-rates/",
    "/api/v1/public/support/",
]
# Lists whose rows do not grow with the register (reference data, one household's own
# records, reports by program, source or year): counted all the same. A household's history
# and status periods grow with its own changes (tests/api/test_history.py counts the
# history as they grow).
FIXED = [
    "/api/v1/provinces/",
    "/api/v1/communes/",
    "/api/v1/ethnic-groups/",
    "/api/v1/poverty-standards/rules/",
    "/api/v1/households/{household}/history/",
    "/api/v1/households/{household}/poverty-status/",
    "/api/v1/reports/alkire-foster/?group_by=none",
    "/api/v1/reports/budget-execution/?group_by=program",
    "/api/v1/reports/budget-execution/?group_by=sub_project",
    "/api/v1/reports/budget-execution/?group_by=source",
    "/api/v1/reports/budget-execution/?group_by=year",
    "/api/v1/reports/poverty-rates/?group_by=year",
    "/api/v1/reports/uplift/?group_by=package_type",
]
# The coverage report counts each package's households in a query of its own (its rows are
# per commune and package): one more query for each package in the catalog, not for each
# household or commune.
PER_PACKAGE = "/api/v1/reports/coverage/?period=2026"


def url_of(w: World, template: str) -> str:
    return template.format(
        household=w.households[0].pk,
        run=w.run.pk if w.run else "",
        package=w.first_package.pk if w.first_package else "",
    )


def test_every_list_endpoint_is_counted():
    """A new list endpoint (the API root lists them all) joins the lists counted here."""
    counted = {t.split("?")[0] for t in [*LISTS, *FIXED, PER_PACKAGE]}
    assert set(list_endpoints().values()) <= counted


@pytest.mark.parametrize("reader", ["province_officer", "national_admin"])
def test_list_query_counts_flat_as_rows_grow(world, reader):
    """One register grown once for every list (a register per list would take minutes), read
    by the province's officer, or by a national administrator (who also sees the jobs and
    what-if runs of others)."""
    if reader == "province_officer":
        api = f.client_for(world.officer)
    else:
        api = f.client_for(f.user(None, superuser=True))
    everything = [*LISTS, *FIXED, PER_PACKAGE]
    grow(world, 2)
    small = {t: measured(api, url_of(world, t)) for t in everything}
    grow(world, 4)
    large = {t: measured(api, url_of(world, t)) for t in everything}
    assert not [t for t in LISTS if large[t][1] <= small[t][1]], "each list shows more rows"
    grew = {t: (small[t][0], large[t][0]) for t in [*LISTS, *FIXED] if large[t][0] != small[t][0]}
    assert not grew, grew
    assert large[PER_PACKAGE][0] == small[PER_PACKAGE][0] + 4  # 4 more packages


DETAILS = {
    "/api/v1/cases/{case}/": "follow_ups",
    "/api/v1/assessments/{assessment}/": "complaints",
    "/api/v1/assignments/{assignment}/": "steps",
    "/api/v1/livelihood-models/{model}/": "participants",
    "/api/v1/poverty-standards/{standard}/": "indicators",
}


def test_details_query_counts_flat_as_nested_rows_grow(world):
    """A record whose response nests lists (a case's follow-ups and goals, an assessment's
    steps and complaints...) is read in the same queries however long the lists."""
    api = f.client_for(world.officer)
    grow(world, 2)

    def measure() -> dict[str, tuple[int, int]]:
        out = {}
        for template, nested in DETAILS.items():
            url = template.format(**{k: r.pk for k, r in world.first.items()})
            r = api.get(url)
            assert r.status_code == 200, (url, r.content[:300])
            with CaptureQueriesContext(connection) as ctx:
                r = api.get(url)
            out[template] = (len(ctx.captured_queries), len(r.json()[nested]))
        return out

    small = measure()
    grow(world, 4)
    large = measure()
    assert all(large[t][1] > small[t][1] for t in DETAILS), (small, large)
    grew = {t: (small[t][0], large[t][0]) for t in DETAILS if large[t][0] != small[t][0]}
    assert not grew, grew
