"""The access matrix, generated from the URL conf.

Every API endpoint and every admin page is called by every role (and anonymously), on an
object inside the role's area and on one outside it (in another province), and answers the
status the spec below gives:

- anonymous: 401 (the schema and docs are public, and so are the routes whose permission
  below is None, the public aggregates: 200 for anyone, anonymous or any role);
- a role without the operation's permission (accounts.roles.ROLE_PERMISSIONS, the one place
  for roles): 403, whether or not the object exists;
- an object outside the area, or another user's job or run: 404, as if it did not exist;
  a province's standard is readable by all and refused (403) to other provinces' writers;
- otherwise the operation is attempted (2xx, or a 4xx about the request itself: 400, 409,
  410, 412, 428), never a 5xx.

And no body seen by any role, error bodies included, contains a name, citizen ID, registry
ID, address or household code from outside its area.

The spec names, per route, the permission each method needs and what its `pk` is; a route
missing from it fails `test_every_route_and_admin_page_is_in_the_matrix`, so a new endpoint
cannot escape the matrix.
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from accounts.roles import ROLE_PERMISSIONS, Role
from cases import services as cases
from cases.models import Case
from core.access import SYSTEM, Perm
from core.models import Job
from geo import services as geo
from geo.models import Commune
from households.models import DuplicateCandidate
from integrations.field import services as field
from poverty import services as poverty
from poverty.models import OfficialStatus, PovertyStandard, WhatIfRun
from support import services as support
from support.models import BudgetAllocation, Disbursement
from tests import factories as f
from tests.poverty.conftest import decide, submit, survey_body
from tests.support.conftest import POOR

pytestmark = pytest.mark.django_db

AREA, OWN, PROVINCE, GLOBAL = "area", "own", "province", "global"
P = Perm

# route name: (world key of its pk, kind of object, {method: permission needed, None: public})
SPEC: dict[str, tuple[str | None, str | None, dict[str, Perm | None]]] = {
    "changes": (None, None, {"get": P.VIEW}),
    "job-list": (None, None, {"get": P.VIEW, "post": P.VIEW}),
    "job-detail": ("job", OWN, {"get": P.VIEW}),
    "job-download": ("job", OWN, {"get": P.VIEW}),
    "job-resume": ("job", OWN, {"post": P.VIEW}),
    "province-list": (None, None, {"get": P.VIEW}),
    "province-detail": ("province", GLOBAL, {"get": P.VIEW}),
    "commune-list": (None, None, {"get": P.VIEW}),
    "commune-detail": ("commune", GLOBAL, {"get": P.VIEW}),
    "ethnic-group-list": (None, None, {"get": P.VIEW}),
    "ethnic-group-detail": ("ethnic_group", GLOBAL, {"get": P.VIEW}),
    "village-list": (None, None, {"get": P.VIEW, "post": P.VILLAGES_MANAGE}),
    "village-detail": (
        "village",
        AREA,
        {"get": P.VIEW, "patch": P.VILLAGES_MANAGE},
    ),
    "household-list": (None, None, {"get": P.VIEW, "post": P.REGISTRY_EDIT}),
    "household-detail": (
        "household",
        AREA,
        {"get": P.VIEW, "put": P.REGISTRY_EDIT, "patch": P.REGISTRY_EDIT},
    ),
    "household-close": ("household", AREA, {"post": P.REGISTRY_LIFECYCLE}),
    "household-history": ("household", AREA, {"get": P.VIEW_PERSONAL}),
    "household-merge": ("household", AREA, {"post": P.REGISTRY_LIFECYCLE}),
    "household-poverty-status": ("household", AREA, {"get": P.VIEW}),
    "household-eligible-packages": ("household", AREA, {"get": P.VIEW}),
    "member-list": (None, None, {"get": P.VIEW, "post": P.REGISTRY_EDIT}),
    "member-detail": (
        "member",
        AREA,
        {"get": P.VIEW, "put": P.REGISTRY_EDIT, "patch": P.REGISTRY_EDIT},
    ),
    "member-move": ("member", AREA, {"post": P.REGISTRY_LIFECYCLE}),
    "duplicate-list": (None, None, {"get": P.VIEW}),
    "duplicate-detail": ("duplicate", AREA, {"get": P.VIEW}),
    "duplicate-dismiss": ("duplicate", AREA, {"post": P.DUPLICATES_REVIEW}),
    "registry-sync": (None, None, {"post": P.REGISTRY_EDIT}),
    "registry-sync-rejected": ("sync_job", OWN, {"get": P.REGISTRY_EDIT}),
    "relapse-watchlist": (None, None, {"get": P.VIEW}),
    "poverty-standard-list": (None, None, {"get": P.VIEW, "post": P.STANDARDS_MANAGE}),
    "poverty-standard-detail": (
        "standard",
        PROVINCE,
        {"get": P.VIEW, "patch": P.STANDARDS_MANAGE},
    ),
    "poverty-standard-new-revision": ("standard", PROVINCE, {"post": P.STANDARDS_MANAGE}),
    "poverty-standard-rules": (None, None, {"get": P.VIEW}),
    "poverty-standard-publish": ("standard", PROVINCE, {"post": P.STANDARDS_MANAGE}),
    "review-round-list": (None, None, {"get": P.VIEW, "post": P.ROUNDS_MANAGE}),
    "review-round-detail": ("review_round", GLOBAL, {"get": P.VIEW}),
    "survey-list": (None, None, {"get": P.VIEW, "post": P.SURVEY_SUBMIT}),
    "survey-detail": ("survey", AREA, {"get": P.VIEW}),
    "assessment-list": (None, None, {"get": P.VIEW}),
    "assessment-detail": ("assessment", AREA, {"get": P.VIEW}),
    "assessment-reproduce": ("assessment", AREA, {"get": P.VIEW}),
    "assessment-village-meeting": ("assessment", AREA, {"post": P.ASSESSMENT_REVIEW}),
    "assessment-post": ("assessment", AREA, {"post": P.ASSESSMENT_REVIEW}),
    "assessment-complaints": ("assessment", AREA, {"post": P.ASSESSMENT_REVIEW}),
    "assessment-approve": ("assessment", AREA, {"post": P.ASSESSMENT_APPROVE}),
    "assessment-reject": ("assessment", AREA, {"post": P.ASSESSMENT_APPROVE}),
    "complaint-list": (None, None, {"get": P.VIEW}),
    "complaint-detail": ("complaint", AREA, {"get": P.VIEW}),
    "complaint-resolve": ("complaint", AREA, {"post": P.ASSESSMENT_REVIEW}),
    "what-if-list": (None, None, {"get": P.VIEW, "post": P.WHAT_IF}),
    "what-if-detail": ("what_if", OWN, {"get": P.VIEW}),
    "what-if-changes": ("what_if", OWN, {"get": P.VIEW}),
    "field-upload-list": (None, None, {"get": P.VIEW, "post": P.SURVEY_SUBMIT}),
    "field-upload-batch": (None, None, {"post": P.SURVEY_SUBMIT}),
    "field-upload-detail": ("upload", AREA, {"get": P.VIEW}),
    "field-upload-resolve": ("upload", AREA, {"post": P.UPLOAD_RESOLVE}),
    "field-household-list": (None, None, {"get": P.VIEW}),
    "budget-execution": (None, None, {"get": P.VIEW}),
    "coverage": (None, None, {"get": P.VIEW}),
    "report-poverty-rates": (None, None, {"get": P.VIEW}),
    "report-transitions": (None, None, {"get": P.VIEW}),
    "report-alkire-foster": (None, None, {"get": P.VIEW}),
    "report-deprivation-profile": (None, None, {"get": P.VIEW}),
    "report-target-progress": (None, None, {"get": P.VIEW}),
    "report-uplift": (None, None, {"get": P.VIEW}),
    "program-list": (None, None, {"get": P.VIEW, "post": P.SUPPORT_MANAGE}),
    "program-detail": (
        "program",
        GLOBAL,
        {"get": P.VIEW, "patch": P.SUPPORT_MANAGE},
    ),
    "budget-allocation-list": (None, None, {"get": P.VIEW, "post": P.SUPPORT_MANAGE}),
    "budget-allocation-detail": (
        "allocation",
        AREA,
        {"get": P.VIEW, "patch": P.SUPPORT_MANAGE},
    ),
    "support-package-list": (None, None, {"get": P.VIEW, "post": P.SUPPORT_MANAGE}),
    "support-package-detail": (
        "package",
        GLOBAL,
        {"get": P.VIEW, "patch": P.SUPPORT_MANAGE},
    ),
    "support-package-coverage-gap": ("package", GLOBAL, {"get": P.VIEW}),
    "assignment-list": (None, None, {"get": P.VIEW, "post": P.ASSIGNMENT_PROPOSE}),
    "assignment-bulk-propose": (None, None, {"post": P.ASSIGNMENT_PROPOSE}),
    "assignment-detail": ("assignment", AREA, {"get": P.VIEW}),
    "assignment-approve": ("assignment", AREA, {"post": P.ASSIGNMENT_APPROVE}),
    "assignment-reject": ("assignment", AREA, {"post": P.ASSIGNMENT_APPROVE}),
    "assignment-cancel": ("assignment", AREA, {"post": P.ASSIGNMENT_APPROVE}),
    "assignment-complete": ("assignment", AREA, {"post": P.ASSIGNMENT_PROPOSE}),
    "assignment-disburse": ("assignment", AREA, {"post": P.ASSIGNMENT_PROPOSE}),
    "disbursement-list": (None, None, {"get": P.VIEW}),
    "disbursement-detail": ("disbursement", AREA, {"get": P.VIEW}),
    "livelihood-model-list": (None, None, {"get": P.VIEW, "post": P.LIVELIHOOD_MANAGE}),
    "livelihood-model-detail": (
        "livelihood",
        AREA,
        {"get": P.VIEW, "patch": P.LIVELIHOOD_MANAGE},
    ),
    "livelihood-model-participants": ("livelihood", AREA, {"post": P.LIVELIHOOD_MANAGE}),
    "case-list": (None, None, {"get": P.VIEW}),
    "case-detail": ("case", AREA, {"get": P.VIEW, "patch": P.CASES_MANAGE}),
    "case-assign-cadre": ("case", AREA, {"post": P.CASES_MANAGE}),
    "case-goals": ("case", AREA, {"post": P.CASES_MANAGE}),
    "case-follow-ups": ("case", AREA, {"post": P.FOLLOW_UP_RECORD}),
    "plan-goal-detail": ("plan_goal", AREA, {"get": P.VIEW, "patch": P.CASES_MANAGE}),
    "follow-up-list": (None, None, {"get": P.VIEW}),
    "follow-up-detail": ("follow_up", AREA, {"get": P.VIEW}),
    "follow-up-record": ("follow_up", AREA, {"post": P.FOLLOW_UP_RECORD}),
    "overdue-follow-ups": (None, None, {"get": P.VIEW}),
    "case-progress": (None, None, {"get": P.VIEW}),
    "target-list": (None, None, {"get": P.VIEW, "post": P.SUPPORT_MANAGE}),
    "target-detail": (
        "target",
        AREA,
        {"get": P.VIEW, "patch": P.SUPPORT_MANAGE},
    ),
    "finding-list": (None, None, {"get": P.FINDINGS_VIEW}),
    "finding-detail": ("finding", AREA, {"get": P.FINDINGS_VIEW}),
    "finding-resolve": ("finding", AREA, {"post": P.FINDINGS_RESOLVE}),
    "supervision-scan": (None, None, {"post": P.FINDINGS_RESOLVE}),
    "public-budget": (None, None, {"get": None}),
    "public-support": (None, None, {"get": None}),
    "public-poverty-rates": (None, None, {"get": None}),
    "public-page": (None, None, {"get": None}),
}
# The DCI routes (/dci/, dci.urls) take partners' bearer tokens only (tests/dci: scopes,
# areas, signatures), never a user's API token or session: route name → the scope a
# partner's token must hold (None: the token endpoint, which takes client credentials).
DCI_SPEC: dict[str, str | None] = {
    "dci-token": None,
    "dci-sync-search": "registry.search",
    "dci-sync-txn-status": "registry.search",
    "dci-search": "registry.search",
    "dci-txn-status": "registry.search",
    "dci-subscribe": "registry.subscribe",
    "dci-unsubscribe": "registry.subscribe",
}

# Open to anyone, data-free: the documents, login, the API root, and the choice of language
# (Django's set_language: it sets a cookie and redirects).
PUBLIC = {"schema", "swagger-ui", "redoc", "login", "logout", "api-root", "set_language", None}

# Admin pages: model → (permission to view, world key of its rows or None). Pages for which
# no role suffices (users, tokens of others, login attempts) are for superusers: None.
ADMIN_SPEC: dict[str, tuple[Perm | None, str | None]] = {
    "geo.province": (P.VIEW, None),
    "geo.commune": (P.VIEW, None),
    "geo.ethnicgroup": (P.VIEW, None),
    "geo.village": (P.VIEW, "village"),
    "households.household": (P.VIEW, "household"),
    "households.member": (P.VIEW, "member"),
    "households.duplicatecandidate": (P.VIEW_PERSONAL, "duplicate"),
    "poverty.povertystandard": (P.VIEW, None),
    "poverty.reviewround": (P.VIEW, None),
    "poverty.survey": (P.VIEW, "survey"),
    "poverty.assessment": (P.VIEW, "assessment"),
    "poverty.officialstatus": (P.VIEW, "official_status"),
    "poverty.whatifrun": (P.VIEW, "what_if"),
    "support.program": (P.VIEW, None),
    "support.budgetallocation": (P.VIEW, "allocation"),
    "support.supportpackage": (P.VIEW, None),
    "support.assignment": (P.VIEW, "assignment"),
    "support.ledgerentry": (P.VIEW, None),
    "support.livelihoodmodel": (P.VIEW, "livelihood"),
    "support.target": (P.VIEW, "target"),
    "cases.finding": (P.FINDINGS_VIEW, "finding"),
    "cases.case": (P.VIEW, "case"),
    "core.personaldataread": (P.AUDIT_READS, None),
    "accounts.apitoken": (P.TOKENS_MANAGE, None),
    "dci.partner": (P.TOKENS_MANAGE, None),
    "dci.transaction": (P.AUDIT_READS, None),
    "auth.user": (None, None),
    "axes.accessattempt": (None, None),
    "axes.accesslog": (None, None),
    "axes.accessfailurelog": (None, None),
}

ROLES = [
    (Role.PROVINCE_OFFICER, {"provinces": ["22"]}),
    (Role.COMMUNE_LEADER, "ward"),
    (Role.COMMUNE_OFFICER, "ward"),
    (Role.FIELD_ENUMERATOR, "ward"),
    (Role.REGISTRY_SYSTEM, "ward"),
    (Role.AUDITOR, "ward"),
    (Role.ANALYST, "ward"),
]
ATTEMPTED = {200, 201, 202, 204, 400, 409, 410, 412, 428}


def api_routes(*, dci: bool = False) -> dict[str, tuple[str, Any]]:
    """Route name → (regex, callback) of every API route, once (format suffixes skipped);
    with `dci`, the DCI routes instead."""

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern), p

    routes = {}
    for route, pattern in walk(get_resolver().url_patterns):
        # The dashboard is a staff page over these endpoints (tests/dashboard/test_views.py).
        if route.startswith(("admin", "dashboard")) or "format" in route or pattern.name in PUBLIC:
            continue
        if route.startswith("dci/") != dci:
            continue
        routes.setdefault(pattern.name, (route, pattern.callback))
    return routes


def methods_of(callback) -> set[str]:
    view = getattr(callback, "cls", None) or callback.view_class
    actions = getattr(callback, "actions", None)
    methods = (
        set(actions)
        if actions
        else {m for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)}
    )
    return (methods & set(view.http_method_names)) - {"head"}  # HEAD is GET (DRF adds it)


def url_of(name: str, pk: Any) -> str:
    return reverse(name, kwargs={"pk": pk} if pk is not None else {})


def test_every_route_and_admin_page_is_in_the_matrix():
    routes = api_routes()
    assert set(routes) == set(SPEC), "add new routes to SPEC (and remove gone ones)"
    for name, (_, callback) in routes.items():
        assert methods_of(callback) == set(SPEC[name][2]), name
    registered = {m._meta.label_lower for m in admin.site._registry}
    assert registered == set(ADMIN_SPEC), "add new admin pages to ADMIN_SPEC"
    dci = api_routes(dci=True)
    assert set(dci) == set(DCI_SPEC), "add new DCI routes to DCI_SPEC"
    for name, (_, callback) in dci.items():
        assert methods_of(callback) == {"post"}, name


# ---------------------------------------------------------------------------- the world


def _household(commune, name: str, cid_seq: int, **extra):
    dob = date(1970, 1, 1)
    return f.household(
        commune,
        members=[
            f.member(name, dob=dob, external_id=f"CD-{commune.code}-{cid_seq}"),
            f.member(
                name.replace("Văn", "Thị"),
                relationship="spouse",
                sex="female",
                dob=dob,
                external_id=f"CD-{commune.code}-{cid_seq + 1}",
            ),
        ],
        address=f"Số {cid_seq} đường {name}",
        external_id=f"HK-{commune.code}-{cid_seq}",
        **extra,
    )


def _side(commune, province_code: str, name: str, tree, package) -> dict[str, Any]:
    """One of each kind of record in `commune`."""
    village = geo.village_save(
        actor=SYSTEM, village=None, values={"commune": commune, "name": f"Thôn {name}"}
    )
    household = _household(commune, name, 1, village=village)
    twin = _household(commune, name, 3)  # same names and birth dates: possible duplicates
    decide(twin, SYSTEM, day="2026-10-01", decision="2026-10-10", **POOR)
    assessment = submit(household).assessments.get(standard__code="VN-ND07-2021")
    assessment = poverty.assessment_record_meeting(
        assessment=assessment,
        expected_version=1,
        actor=SYSTEM,
        meeting_date=date(2026, 10, 5),
        attendees=5,
        agreeing=5,
    )
    assessment = poverty.assessment_post(
        assessment=assessment,
        expected_version=2,
        actor=SYSTEM,
        posted_from=date(2026, 10, 6),
        posted_to=date(2026, 10, 8),
    )
    complaint = poverty.complaint_lodge(
        assessment=assessment,
        lodged_by=f"{name} Khiếu Nại",
        lodged_on=date(2026, 10, 7),
        text=f"Khiếu nại của {name}",
        actor=SYSTEM,
    )
    for source in ("central", "local"):
        support.allocation_save(
            actor=SYSTEM,
            allocation=None,
            values={
                "sub_project": tree,
                "source": source,
                "year": 2026,
                "province_id": province_code,
                "commune": commune,
                "amount": 10**11,
            },
        )
    assignment = support.assignment_propose(
        household=twin, package=package, period=2026, actor=SYSTEM
    )
    assignment = support.assignment_approve(assignment=assignment, expected_version=1, actor=SYSTEM)
    support.disbursement_record(
        assignment=assignment,
        expected_version=2,
        actor=SYSTEM,
        on=date(2026, 10, 20),
        amount=1_000_000,
        evidence_reference="PC-1",
    )
    livelihood = support.livelihood_model_save(
        actor=SYSTEM,
        model=None,
        values={
            "name": f"Nuôi ong {name}",
            "type": "livestock",
            "commune": commune,
            "start_date": date(2026, 1, 1),
        },
    )
    support.participation_save(
        actor=SYSTEM,
        model=livelihood,
        household=twin,
        values={"joined_on": date(2026, 2, 1), "income_before": 12_345_678},
    )
    target = support.target_save(
        actor=SYSTEM,
        target=None,
        values={
            "commune": commune,
            "year": 2026,
            "households_to_lift": 3,
            "poverty_rate_target": "1.5",
        },
    )
    case = Case.objects.get(household=twin)  # opened by its approval as poor
    visit = cases.follow_up_schedule(case=case, scheduled_on=date(2026, 10, 12), actor=SYSTEM)
    _, visit = cases.follow_up_record(
        follow_up=visit,
        done_on=date(2026, 10, 12),
        findings=f"Nhà của {name} dột",
        next_visit_on=date(2026, 10, 30),
        expected_version=1,
        actor=SYSTEM,
    )
    enumerator = f.user(Role.FIELD_ENUMERATOR, communes=[commune])
    upload, _ = field.field_upload_receive(
        {
            "client_id": uuid.uuid4(),
            "kind": "survey",
            "based_on_version": household.version,
            "captured_at": "2026-10-01T08:00:00+07:00",
            "body": survey_body(household, day="2026-10-02"),
        },
        user=enumerator,
    )
    return {
        "village": village.pk,
        "household": household.pk,
        "member": household.members.order_by("relationship").first().pk,
        "duplicate": DuplicateCandidate.objects.filter(commune=commune).first().pk,
        "survey": assessment.survey_id,
        "assessment": assessment.pk,
        "complaint": complaint.pk,
        "official_status": OfficialStatus.objects.get(household=twin).pk,
        "upload": upload.pk,
        "assignment": assignment.pk,
        "disbursement": Disbursement.objects.get(assignment=assignment).pk,
        "allocation": BudgetAllocation.objects.filter(commune=commune).first().pk,
        "livelihood": livelihood.pk,
        "target": target.pk,
        "finding": _finding(commune, twin, assignment),
        "case": case.pk,
        "plan_goal": case.goals.first().pk,
        "follow_up": visit.pk,
        "_secrets": [h.code for h in (household, twin)]
        + [h.external_id for h in (household, twin)]
        + [h.address for h in (household, twin)]
        + [
            v
            for h in (household, twin)
            for m in h.members.all()
            for v in (m.full_name, m.citizen_id, m.external_id)
        ]
        + [complaint.lodged_by, complaint.text, f"Nhà của {name} dột"],
    }


def _finding(commune, household, assignment):
    """A supervision finding about the side's assignment (cases.supervision)."""
    from django.utils import timezone

    from cases.models import Finding

    return Finding.objects.create(
        rule="self_approved",
        key=f"self_approved:{assignment.pk}:2026",
        commune=commune,
        household=household,
        assignment=assignment,
        period=2026,
        reason_en=f"A finding in {commune.code}.",
        reason_vi=f"Phát hiện tại {commune.code}.",
        evidence=[f"/api/v1/assignments/{assignment.pk}/"],
        first_seen=timezone.now(),
        last_seen=timezone.now(),
    ).pk


@pytest.fixture
def world(ward):
    outside = Commune.objects.filter(province_id="01").order_by("code").first()
    tree = support.program_save(
        actor=SYSTEM,
        program=None,
        values={"code": "CT", "name": "Chương trình", "level": "program"},
    )
    project = support.program_save(
        actor=SYSTEM,
        program=None,
        values={"code": "DA", "name": "Dự án", "level": "project", "parent": tree},
    )
    sub = support.program_save(
        actor=SYSTEM,
        program=None,
        values={"code": "TDA", "name": "Tiểu dự án", "level": "sub_project", "parent": project},
    )
    package = support.package_save(
        actor=SYSTEM,
        package=None,
        values={"code": "NHA", "name": "Nhà ở", "kind": "housing", "sub_project": sub},
        eligibility=[{"standard_code": "VN-ND07-2021", "classification": "poor"}],
        rates=[{"base_amount": 40_000_000, "valid_from": date(2022, 1, 1)}],
        funding=[
            {"source": "central", "share_percent": "70"},
            {"source": "local", "share_percent": "30"},
        ],
    )
    inside = _side(ward, "22", "Phạm Văn Trong", sub, package)
    out = _side(outside, "01", "Kiều Văn Ngoài", sub, package)
    drafts = {
        code: PovertyStandard.objects.create(
            code=f"DRAFT-{code}",
            name="Dự thảo",
            legal_basis="-",
            scope="provincial",
            province_id=code,
            valid_from=date(2027, 1, 1),
            rural_line=1,
            urban_line=1,
        ).pk
        for code in ("22", "01")
    }
    review_round = poverty.review_round_create(
        actor=SYSTEM, values={"province": ward.province, "kind": "periodic", "year": 2026}
    )
    shared = {
        "province": "22",
        "commune": ward.code,
        "ethnic_group": "01",
        "review_round": review_round.pk,
        "program": sub.pk,
        "package": package.pk,
    }
    return {
        "inside": {**inside, **shared, "standard": drafts["22"]},
        "outside": {**out, **shared, "standard": drafts["01"]},
        "secrets": [s for s in out["_secrets"] if s],
        "outside_commune": outside,
    }


def _own(user) -> dict[str, Any]:
    """A job and a what-if run of `user`'s own, and another user's."""
    other = f.user(None, superuser=True)
    d07 = PovertyStandard.objects.get(code="VN-ND07-2021")
    ids = {}
    for where, owner in (("inside", user), ("outside", other)):
        ids[where] = {
            "job": Job.objects.create(kind="export_households", created_by=owner).pk,
            "sync_job": Job.objects.create(kind="registry_sync", created_by=owner).pk,
            "what_if": WhatIfRun.objects.create(standard=d07, baseline=d07, requested_by=owner).pk,
        }
    return ids


def _out_body(name: str, world: dict) -> Any:
    """For routes that create: a body that points at what lies outside the area."""
    out, commune = world["outside"], world["outside_commune"]
    member = {
        "full_name": "Người Mới",
        "date_of_birth": "1970-01-01",
        "sex": "male",
        "ethnicity": "01",
        "relationship": "head",
    }
    outside_member_cid = next(s for s in world["secrets"] if len(s) == 12 and s.isdigit())
    return {
        "household-list": {  # in the area, with a citizen ID someone outside it holds
            "commune": ward_code(world),
            "address": "x",
            "members": [{**member, "citizen_id": outside_member_cid}],
        },
        "member-list": {"household": str(out["household"]), **member},
        "village-list": {"commune": commune.code, "name": "Thôn lạ"},
        "survey-list": {"household": str(out["household"]), "survey_date": "2026-10-01"},
        "assignment-list": {
            "household": str(out["household"]),
            "package": str(out["package"]),
            "period": 2026,
        },
        "assignment-bulk-propose": {
            "package": str(out["package"]),
            "commune": commune.code,
            "period": 2026,
        },
        "field-upload-list": {
            "client_id": str(uuid.uuid4()),
            "kind": "household_edit",
            "based_on_version": 1,
            "captured_at": "2026-10-01T08:00:00+07:00",
            "body": {"household": str(out["household"]), "address": "x"},
        },
        "livelihood-model-list": {
            "name": "x",
            "type": "livestock",
            "commune": commune.code,
            "start_date": "2026-01-01",
        },
        "target-list": {
            "commune": commune.code,
            "year": 2026,
            "households_to_lift": 1,
            "poverty_rate_target": "1",
        },
        "registry-sync": [
            {
                "external_id": "HK-MOI",
                "commune": ward_code(world),
                "address": "x",
                "members": [{**member, "external_id": "CD-MOI", "citizen_id": outside_member_cid}],
            }
        ],
        "what-if-list": {
            "standard": str(PovertyStandard.objects.get(code="VN-ND351-2025").pk),
            "commune": commune.code,
        },
    }.get(name, {})


def ward_code(world) -> str:
    return world["inside"]["commune"]


def _call(client, method: str, url: str, body: Any):
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def _text(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _expected(perms, perm: Perm | None, kind: str | None, where: str, method: str) -> set[int]:
    if perm is None:
        return {200}
    if perm not in perms:
        return {403}
    if where == "outside" and kind in (AREA, OWN):
        return {404}
    if where == "outside" and kind == PROVINCE and method != "get":
        return {403}
    return ATTEMPTED


@pytest.mark.parametrize("role, area", ROLES, ids=[r for r, _ in ROLES])
def test_the_api_matrix(role, area, ward, world):
    grant = {"communes": [ward]} if area == "ward" else area
    user = f.user(role, **grant)
    own = _own(user)
    client = f.client_for(user)
    anonymous = Client()
    perms = ROLE_PERMISSIONS[role]
    failures = []
    for name in sorted(api_routes()):
        key, kind, methods = SPEC[name]
        for method, perm in sorted(methods.items()):
            for where in ("inside", "outside") if key else ("inside",):
                ids = {**world[where], **own[where]}
                url = url_of(name, ids.get(key) if key else None)
                body = _out_body(name, world) if where == "outside" or not key else {}
                if key is None and where == "inside":
                    body = {} if name not in ("registry-sync",) else []
                r = _call(client, method, url, body)
                expected = _expected(perms, perm, kind, where, method)
                if r.status_code not in expected:
                    failures.append(f"{role} {method.upper()} {name} {where}: {r.status_code}")
                text = _text(r)
                leaked = [s for s in world["secrets"] if s in text]
                if leaked:
                    failures.append(f"{role} {method.upper()} {name} {where} leaks {leaked}")
                if key is None and where == "inside" and method != "get":
                    # the same create, pointing outside the area: refused, or one outcome
                    # per record that refuses it; either way nothing about what is there
                    r = _call(client, method, url, _out_body(name, world))
                    leaked = [s for s in world["secrets"] if s in _text(r)]
                    if leaked or r.status_code >= 500:
                        failures.append(
                            f"{role} {method.upper()} {name} pointing outside: "
                            f"{r.status_code} {leaked}"
                        )
                if role == Role.PROVINCE_OFFICER:
                    a = _call(anonymous, method, url, body)
                    if a.status_code != (200 if perm is None else 401):
                        failures.append(f"anonymous {method.upper()} {name}: {a.status_code}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role, area", ROLES, ids=[r for r, _ in ROLES])
def test_dci_routes_refuse_users(role, area, ward, world):
    """A user's API token (any role) or no token opens no DCI route: 401 (the token
    endpoint: 400, no client credentials), and nothing from anywhere in the body."""
    grant = {"communes": [ward]} if area == "ward" else area
    client = f.client_for(f.user(role, **grant))
    failures = []
    for name in sorted(api_routes(dci=True)):
        url = reverse(name)
        for who, c in (("token", client), ("anonymous", Client())):
            r = _call(c, "post", url, {"header": {}, "message": {}})
            if r.status_code != (401 if DCI_SPEC[name] else 400):
                failures.append(f"{role} {who} POST {name}: {r.status_code}")
            leaked = [s for s in world["secrets"] if s in _text(r)]
            if leaked:
                failures.append(f"{role} {who} POST {name} leaks {leaked}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role, area", ROLES, ids=[r for r, _ in ROLES])
def test_the_admin_matrix(role, area, ward, world, client):
    grant = {"communes": [ward]} if area == "ward" else area
    user = f.user(role, **grant)
    user.is_staff = True
    user.save()
    own = _own(user)
    client.force_login(user)
    perms = ROLE_PERMISSIONS[role]
    failures = []
    for model in admin.site._registry:
        label = model._meta.label_lower
        perm, key = ADMIN_SPEC[label]
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        can = perm is not None and perm in perms
        pages = [(base, "list"), (f"{base}add/", "add")]
        if key:
            for where in ("inside", "outside"):
                pk = {**world[where], **own[where]}[key]
                pages += [(f"{base}{pk}/change/", where), (f"{base}{pk}/history/", where)]
        for url, where in pages:
            r = client.get(url)
            text = _text(r)
            leaked = [s for s in world["secrets"] if s in text]
            if leaked:
                failures.append(f"{role} {url} leaks {leaked}")
            if r.status_code >= 500 or (where == "list" and r.status_code != (200 if can else 403)):
                failures.append(f"{role} {url}: {r.status_code}")
            elif where == "outside" and can and r.status_code not in (302, 403, 404):
                failures.append(f"{role} {url} (outside the area): {r.status_code}")
            elif where == "inside" and not can and r.status_code != 403:
                failures.append(f"{role} {url} (no right): {r.status_code}")
    assert not failures, "\n".join(failures)
