"""A Python client generated from the committed openapi.yaml with openapi-python-client (the
settings in openapi-python-client.yaml, as the README's quick start generates it) covers
every operation, imports, and drives one whole case by itself: find a commune and a village,
register a household with its members, survey it, read the assessment and its explanation,
review it (village meeting, posting, approval), find the support packages it qualifies for,
propose, approve and disburse support, and read the change feed. The README's Python example
runs too.

Requests go through the WSGI app in this process (`httpx.WSGITransport`), in the test's
transaction (the `wsgi_database` fixture); users and their tokens come from the factories,
everything else from the client.
"""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
import yaml
from django.core.handlers.wsgi import WSGIHandler

from accounts.roles import Role
from core.text import fold
from tests import factories as f

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "openapi-python-client.yaml"
PACKAGE = "poverty_client"
BASE_URL = "http://testserver"


@dataclass
class Generated:
    path: Path  # the package
    output: str  # what the generator printed


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The client, generated once for the module and importable while it runs."""
    where = tmp_path_factory.mktemp("generated")
    command = [
        *(sys.executable, "-m", "openapi_python_client", "generate"),
        *("--path", str(ROOT / "openapi.yaml"), "--config", str(CONFIG)),
        *("--meta", "none", "--output-path", str(where / PACKAGE)),
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    sys.path.insert(0, str(where))
    importlib.invalidate_caches()
    try:
        yield Generated(where / PACKAGE, output)
    finally:
        sys.path.remove(str(where))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def operation_ids() -> set[str]:
    schema = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    return {
        operation["operationId"]
        for operations in schema["paths"].values()
        for operation in operations.values()
    }


def test_the_generator_takes_every_operation_without_a_warning(generated):
    skipped = [
        f"{operation}: {reason}"
        for operation, reason in re.findall(
            r"^(?:WARNING|ERROR) parsing (\S+ \S+) within \S+\s+(.+)$", generated.output, re.M
        )
    ]
    assert not skipped, "The generator skipped parts of these operations:\n" + "\n".join(skipped)
    assert generated.output.strip() == f"Generating {generated.path}", generated.output
    modules = {p.stem for p in generated.path.glob("api/*/*.py") if p.stem != "__init__"}
    assert sorted(operation_ids() - modules) == [], "operations without a module"


def test_every_generated_module_imports(generated):
    failed, imported = {}, 0
    for path in sorted(generated.path.rglob("*.py")):
        parts = path.relative_to(generated.path).with_suffix("").parts
        name = ".".join((PACKAGE, *parts)).removesuffix(".__init__")
        try:
            importlib.import_module(name)
            imported += 1
        except Exception as exc:
            failed[name] = f"{type(exc).__name__}: {exc}"
    assert not failed, "\n".join(f"{name}: {error}" for name, error in failed.items())
    assert imported > len(operation_ids())  # the operations, the models and the rest


# --------------------------------------------------------------------------- the whole case


@pytest.fixture
def connect(generated, wsgi_database):
    """`connect(user)`: the generated client, authenticated with a new token of the user,
    talking to the WSGI app in this process. An answer the document does not list raises."""
    from poverty_client import AuthenticatedClient

    def connect(user) -> AuthenticatedClient:
        return AuthenticatedClient(
            base_url=BASE_URL,
            token=f.auth_header(user).removeprefix("Token "),
            prefix="Token",
            raise_on_unexpected_status=True,
            httpx_args={"transport": httpx.WSGITransport(app=WSGIHandler())},
        )

    yield connect
    assert not wsgi_database, "\n".join(wsgi_database)  # no server error on the way


def ok(response, status: int = 200):
    """The parsed answer, once its status is the one expected (else the problem it is)."""
    assert response.status_code == status, (response.status_code, response.content.decode())
    return response.parsed


def etag(response) -> str:
    """The ETag of an answer, checked to be the version of what it answers."""
    tag = response.headers["ETag"]
    assert tag == f'"{response.parsed.version}"'
    return tag


def feed_end(client) -> int:
    """Where the change feed ends now (a consumer that is up to date stored this)."""
    from poverty_client.api.changes import changes_retrieve

    after = 0
    while True:
        page = ok(changes_retrieve.sync_detailed(client=client, after=after))
        after = page.next_after
        if not page.has_more:
            return after


def test_one_whole_case_through_the_generated_client(connect, ward):
    from poverty_client.api.assessments import (
        assessments_approve_create,
        assessments_list,
        assessments_post_create,
        assessments_retrieve,
        assessments_village_meeting_create,
    )
    from poverty_client.api.assignments import (
        assignments_approve_create,
        assignments_create,
        assignments_disburse_create,
        assignments_retrieve,
    )
    from poverty_client.api.budget_allocations import (
        budget_allocations_create,
        budget_allocations_retrieve,
    )
    from poverty_client.api.changes import changes_retrieve
    from poverty_client.api.communes import communes_list
    from poverty_client.api.households import (
        households_create,
        households_eligible_packages_list,
        households_poverty_status_list,
        households_retrieve,
    )
    from poverty_client.api.programs import programs_create
    from poverty_client.api.support_packages import support_packages_create
    from poverty_client.api.surveys import surveys_create
    from poverty_client.api.villages import villages_create, villages_list
    from poverty_client.models import (
        AllocationRequest,
        ApproveRequest,
        DisburseRequest,
        EligibilityRequest,
        FundingRequest,
        HouseholdCreateRequest,
        MeetingRequest,
        MemberNewRequest,
        NotesRequest,
        PackageRequest,
        PostingRequest,
        ProgramRequest,
        ProposeRequest,
        RateRequest,
        SurveyMemberRequest,
        SurveyRequest,
        VillageRequest,
    )

    # A province officer of Quảng Ninh does the work; the ward's chairperson decides.
    chairperson = f.user(Role.COMMUNE_LEADER, communes=[ward])
    officer = connect(f.user(Role.PROVINCE_OFFICER, provinces=["22"]))
    chair = connect(chairperson)
    bookmark = feed_end(officer)

    # --- find the commune (by name, diacritics optional) and its village
    communes = ok(communes_list.sync_detailed(client=officer, province="22", q=fold(ward.name)))
    [commune] = [c for c in communes.results if c.name == ward.name]
    assert commune.code == ward.code and commune.is_urban
    ok(
        villages_create.sync_detailed(
            client=officer,
            body=VillageRequest(commune=commune.code, name="Tổ dân phố 5", kind="to_dan_pho"),
        ),
        201,
    )
    villages = ok(villages_list.sync_detailed(client=officer, commune=commune.code))
    [village] = [v for v in villages.results if v.name == "Tổ dân phố 5"]

    # --- register the household with its members
    head_dob = date(1979, 3, 8)
    created = households_create.sync_detailed(
        client=officer,
        body=HouseholdCreateRequest(
            commune=commune.code,
            village=village.id,
            address="Số 12, tổ 5",
            phone="0912345678",
            members=[
                MemberNewRequest(
                    full_name="Hoàng Văn Pủ",
                    date_of_birth=head_dob,
                    sex="male",
                    ethnicity="02",  # Tày
                    relationship="head",
                    citizen_id=f.citizen_id(head_dob, "male"),
                ),
                MemberNewRequest(
                    full_name="Nông Thị Dung",
                    date_of_birth=date(1983, 7, 19),
                    sex="female",
                    ethnicity="02",
                    relationship="spouse",
                ),
                MemberNewRequest(
                    full_name="Hoàng Văn Tú",
                    date_of_birth=date(2015, 9, 1),
                    sex="male",
                    ethnicity="02",
                    relationship="child",
                ),
            ],
        ),
    )
    household = ok(created, 201)
    assert created.headers["Location"] == f"{BASE_URL}/api/v1/households/{household.id}/"
    assert etag(created) == '"1"'
    assert household.code.startswith(f"{commune.code}-") and household.village == village.id
    assert household.status == "active" and household.source == "api"
    head, spouse, child = sorted(household.members, key=lambda m: m.date_of_birth)
    assert head.relationship == "head" and child.relationship == "child"
    assert ok(households_retrieve.sync_detailed(household.id, client=officer)).version == 1

    # --- survey it: a poor household (little income, a makeshift house, no clean water...)
    adult = {
        "has_health_insurance": True,
        "schooling": None,  # over 30: not asked
        "education_level": "lower_secondary",
        "employment": "wage_no_contract",
        "receives_social_allowance": False,
        "nutrition": None,
    }
    survey = ok(
        surveys_create.sync_detailed(
            client=officer,
            body=SurveyRequest(
                household=household.id,
                survey_date=date(2026, 10, 1),
                form="b2",
                enumerator_name="Cán bộ Lưu Thị Mai",
                income_wages=9_000_000,
                income_agriculture=3_000_000,
                wall_material="bamboo",
                frame_material="timber",
                roof_material="leaves_straw",
                floor_area_m2="18.00",
                water_source="unprotected_well",
                latrine="simple_pit",
                uses_internet=False,
                devices=[],
                waste_treatment="collected",
                members=[
                    SurveyMemberRequest(member=head.id, **adult),
                    SurveyMemberRequest(member=spouse.id, **adult),
                    SurveyMemberRequest(
                        member=child.id,
                        has_health_insurance=True,
                        schooling="attending",
                        education_level="primary",
                        employment="not_in_labour_force",
                        receives_social_allowance=False,
                        nutrition="normal",
                    ),
                ],
            ),
        ),
        201,
    )
    assert survey.is_latest and survey.assessments

    # --- read the assessment under Decree 07/2021 and its explanation
    found = ok(
        assessments_list.sync_detailed(
            client=officer, household=household.id, standard_code="VN-ND07-2021"
        )
    )
    [summary] = found.results
    assert summary.id in survey.assessments
    read = assessments_retrieve.sync_detailed(summary.id, client=officer)
    assessment = ok(read)
    assert assessment.classification == "poor" and assessment.state == "surveyed"
    assert assessment.income_per_person_month == 333_333  # 12,000,000 a year for 3 people
    assert assessment.income_per_person_month <= assessment.line
    deprived = {i.code for i in assessment.indicators if i.deprived}
    assert {"housing_quality", "housing_area", "domestic_water", "latrine"} <= deprived
    assert assessment.deprivation_count == len(deprived) >= 3
    assert "below the urban line" in assessment.explanation_en
    assert "Classification: poor" in assessment.explanation_en
    assert "333.333,33 đồng/người/tháng" in assessment.explanation_vi
    assert "Phân loại: hộ nghèo" in assessment.explanation_vi
    quality = next(i for i in assessment.indicators if i.code == "housing_quality")
    assert "tường (tre, nứa)" in quality.reason_vi and "walls (bamboo)" in quality.reason_en
    tag = etag(read)

    # --- the review: village meeting, public posting (over by now), the chairperson's decision
    met = assessments_village_meeting_create.sync_detailed(
        assessment.id,
        client=officer,
        if_match=tag,
        body=MeetingRequest(
            meeting_date=date(2026, 10, 2),
            attendees=24,
            agreeing=21,
            notes="Họp thôn",
            attachments=["BB-hop-thon-05.pdf"],
        ),
    )
    assert ok(met).state == "village_agreed" and etag(met) == '"2"'
    posted = assessments_post_create.sync_detailed(
        assessment.id,
        client=officer,
        if_match=etag(met),
        body=PostingRequest(posted_from=date(2026, 10, 5), posted_to=date(2026, 10, 9)),
    )
    assert ok(posted).state == "posted" and etag(posted) == '"3"'
    approved = assessments_approve_create.sync_detailed(
        assessment.id,
        client=chair,
        if_match=etag(posted),
        body=ApproveRequest(
            decision_number="152/QĐ-UBND",
            decision_date=date(2026, 10, 12),
            certificate_number="GCN-2026-0012",
        ),
    )
    decided = ok(approved)
    assert decided.state == "approved" and etag(approved) == '"4"'
    assert decided.decision_number == "152/QĐ-UBND"
    assert [s.action for s in decided.steps] == ["village_meeting", "post", "approve"]
    [status] = ok(households_poverty_status_list.sync_detailed(household.id, client=officer))
    assert (status.standard_code, status.classification) == ("VN-ND07-2021", "poor")
    assert status.event == "newly_poor" and status.assessment == assessment.id

    # --- support: a program tree, a housing package and this year's budget
    def program(code, name, level, parent=None):
        body = ProgramRequest(code=code, name=name, level=level, parent=parent)
        return ok(programs_create.sync_detailed(client=officer, body=body), 201)

    root = program("QN-GNBV", "Giảm nghèo bền vững", "program")
    project = program("QN-DA5", "Hỗ trợ nhà ở", "project", root.id)
    sub_project = program("QN-DA5.1", "Nhà ở hộ nghèo", "sub_project", project.id)
    package = ok(
        support_packages_create.sync_detailed(
            client=officer,
            body=PackageRequest(
                code="NHA-O",
                name="Hỗ trợ xây nhà",
                kind="housing",
                sub_project=sub_project.id,
                eligibility=[
                    EligibilityRequest(standard_code="VN-ND07-2021", classification="poor")
                ],
                criteria={"deprived_in": ["housing_quality"]},
                rates=[RateRequest(base_amount=40_000_000, valid_from=date(2022, 1, 1))],
                multipliers=[
                    {
                        "when": {"ethnic_minority": True},
                        "multiplier": "1.5",
                        "label": "ethnic-minority household",
                        "label_vi": "hộ dân tộc thiểu số",
                    }
                ],
                default_multiplier="1.3",
                funding=[
                    FundingRequest(source="central", share_percent="70"),
                    FundingRequest(source="local", share_percent="30"),
                ],
                limit_per_period=1,
            ),
        ),
        201,
    )
    budgets = {
        source: ok(
            budget_allocations_create.sync_detailed(
                client=officer,
                body=AllocationRequest(
                    sub_project=sub_project.id,
                    source=source,
                    year=2026,
                    province="22",
                    amount=amount,
                ),
            ),
            201,
        )
        for source, amount in (("central", 700_000_000), ("local", 300_000_000))
    }

    # --- the packages it qualifies for, and why
    matches = ok(
        households_eligible_packages_list.sync_detailed(household.id, client=officer, period=2026)
    )
    [match] = [m for m in matches if m.package == package.id]
    assert match.eligible and match.amount == 60_000_000
    assert (
        match.explanation_en == "40,000,000 VND × 1.5 (ethnic-minority household) = 60,000,000 VND"
    )
    assert match.explanation_vi == "40.000.000 đồng × 1,5 (hộ dân tộc thiểu số) = 60.000.000 đồng"
    assert match.reasons_en and match.reasons_vi

    # --- propose, approve (the chairperson: commits the budget), disburse
    proposed = assignments_create.sync_detailed(
        client=officer,
        body=ProposeRequest(household=household.id, package=package.id, period=2026),
    )
    assignment = ok(proposed, 201)
    assert assignment.state == "proposed" and assignment.amount == 60_000_000
    assert {(s.source, s.amount) for s in assignment.split} == {
        ("central", 42_000_000),
        ("local", 18_000_000),
    }
    approved = assignments_approve_create.sync_detailed(
        assignment.id, client=chair, if_match=etag(proposed), body=NotesRequest(notes="Đồng ý")
    )
    assert ok(approved).state == "approved" and etag(approved) == '"2"'
    for source, committed in (("central", 42_000_000), ("local", 18_000_000)):
        budget = ok(budget_allocations_retrieve.sync_detailed(budgets[source].id, client=officer))
        assert (budget.committed, budget.disbursed) == (committed, 0)
        assert budget.available == budget.amount - committed
    paid = assignments_disburse_create.sync_detailed(
        assignment.id,
        client=officer,
        if_match=etag(approved),
        body=DisburseRequest(
            date=date(2026, 11, 2), amount=60_000_000, evidence_reference="PC-0457"
        ),
    )
    disbursement = ok(paid, 201)
    assert disbursement.amount == 60_000_000 and disbursement.assignment_version == 3
    assert paid.headers["ETag"] == '"3"'  # the assignment's new version
    done = ok(assignments_retrieve.sync_detailed(assignment.id, client=officer))
    assert done.state == "completed" and done.disbursed == 60_000_000 and done.version == 3
    for source, spent in (("central", 42_000_000), ("local", 18_000_000)):
        budget = ok(budget_allocations_retrieve.sync_detailed(budgets[source].id, client=officer))
        assert (budget.committed, budget.disbursed) == (spent, spent)

    # --- the change feed since the bookmark tells the whole story, in order
    events, after = [], bookmark
    while True:
        page = ok(changes_retrieve.sync_detailed(client=officer, after=after, commune=commune.code))
        events += page.results
        after = page.next_after
        if not page.has_more:
            break
    assert [e.seq for e in events] == sorted({e.seq for e in events})  # in order, once each
    assert {e.commune for e in events} == {commune.code}
    # The approval opened the household's case, with a plan goal per deprivation (cases/).
    case_events = [e for e in events if e.entity in ("case", "plan_goal")]
    assert [(e.entity, e.action) for e in case_events][:2] == [
        ("case", "created"),
        ("plan_goal", "created"),
    ]
    assert case_events[0].payload["household_id"] == str(household.id)
    events = [e for e in events if e not in case_events]
    assert [(e.entity, e.action) for e in events] == [
        ("household", "created"),
        *[("member", "created")] * 3,
        ("survey", "created"),
        ("assessment", "created"),
        *[("assessment", "updated")] * 3,  # meeting, posting, approval
        ("official_status", "created"),
        ("assignment", "created"),
        ("assignment", "updated"),  # approved
        ("disbursement", "created"),
        ("assignment", "updated"),  # completed
    ]
    ids = {
        household.id,
        *(m.id for m in household.members),
        survey.id,
        assessment.id,
        status.id,
        assignment.id,
        disbursement.id,
    }
    assert {e.entity_id for e in events} == ids
    decisions = [e for e in events if e.entity in ("official_status", "assessment")][-2:]
    assert {e.user for e in decisions} == {chairperson.username}
    assert events[0].payload["code"] == household.code
    assert events[-1].payload["state"] == "completed"


# ---------------------------------------------------------------------- the README example


def readme_example() -> str:
    """The README's one Python block (the quick start)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```$", readme, re.M | re.S)
    assert len(blocks) == 1, "README.md: expected one ```python block, the quick start"
    return blocks[0]


def test_the_readme_quick_start_works(generated, wsgi_database, ward, capsys):
    """The block runs as written against this process's app: its client gets this test's
    address, the key of a commune officer of the ward (as `./dev serve`'s `commune` user) and
    the in-process transport, instead of the address and key a reader fills in."""
    key = f.auth_header(f.user(Role.COMMUNE_OFFICER, communes=[ward])).removeprefix("Token ")
    tree = ast.parse(readme_example())
    [call] = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "AuthenticatedClient"
    ]
    given = {keyword.arg: keyword for keyword in call.keywords}
    assert given["base_url"].value.value == "http://127.0.0.1:8000"
    assert given["token"].value.value.startswith("pvk_")
    given["base_url"].value = ast.Constant(BASE_URL)
    given["token"].value = ast.Constant(key)
    call.keywords.append(ast.keyword("httpx_args", ast.Name("HTTPX_ARGS", ast.Load())))
    code = compile(ast.fix_missing_locations(tree), "README.md", "exec")
    namespace = {"HTTPX_ARGS": {"transport": httpx.WSGITransport(app=WSGIHandler())}}
    exec(code, namespace)
    assert not wsgi_database, "\n".join(wsgi_database)
    printed = capsys.readouterr().out
    household, assessment = namespace["household"], namespace["assessment"]
    assert household.commune == ward.code and len(household.members) == 2
    assert assessment.household == household.id
    assert assessment.classification == "near_poor"  # as the README says
    assert printed.splitlines()[-2:] == [assessment.classification, assessment.explanation_en]
    assert "Classification: near-poor" in assessment.explanation_en


# ------------------------------------------------------------------- the registry sync


def test_the_registry_sync_through_the_generated_client(connect, ward):
    from poverty_client.api.registry_sync import registry_sync_create
    from poverty_client.models import (
        RegistryBatchRequest,
        RegistryMemberRequest,
        RegistryRecordRequest,
    )

    officer = connect(f.user(Role.PROVINCE_OFFICER, provinces=["22"]))
    record = RegistryRecordRequest(
        external_id="HK-22-000001",
        commune=ward.code,
        address="Số 1, tổ 1",
        members=[
            RegistryMemberRequest(
                external_id="CD-22-000001",
                full_name="Vi Văn Lành",
                date_of_birth=date(1970, 1, 2),
                sex="male",
                ethnicity="02",
                relationship="head",
            )
        ],
    )
    report = ok(
        registry_sync_create.sync_detailed(
            client=officer, body=RegistryBatchRequest(records=[record]), dry_run=True
        )
    )
    assert report.dry_run and [r.outcome for r in report.records] == ["created"]
