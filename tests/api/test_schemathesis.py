"""Schemathesis over every operation of the committed openapi.yaml, against the WSGI app as
served: no server error; status codes, content types and response bodies as documented.

Each operation is a test that starts from the same seeded rows (households, a decided poor
household, surveys, assessments in review, a complaint, duplicates, programs, a package,
budgets, an assignment, a livelihood model, a target, a review round, jobs, a what-if run).
Ids in paths are drawn from those rows as often as generated, so that actions reach real
objects. Requests alternate between a province officer of Quảng Ninh (22) and a superuser.
Random requests per operation: SCHEMATHESIS_MAX_EXAMPLES (default 15), positive and negative.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection, transaction
from django.test import override_settings
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.roles import Role
from geo.models import Commune, Village
from tests import factories as f
from tests.jobs import run_jobs
from tests.poverty.conftest import decide, submit

ROOT = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "15"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    missing_required_header,
    response_headers_conformance,
]
# A request the document says is invalid is refused (4xx), except where items are checked one
# by one and a bad item is answered in the results beside the others (200).
ITEMWISE = {"/api/v1/field/uploads/batch/", "/api/v1/registry-sync/"}
# The coverage phase sends the boundary values of every field (NUL and other control
# characters, the largest integers, wrong types...): about 12,000 requests. It runs on
# PostgreSQL, the production database; SQLite gets the random phase alone.
COVERAGE = os.environ.get("SCHEMATHESIS_COVERAGE", str(int(connection.vendor == "postgresql")))

schema = schemathesis.openapi.from_path(
    ROOT / "openapi.yaml",
    config=schemathesis.Config.from_dict(
        {
            "generation": {"mode": "all", "max-examples": MAX_EXAMPLES},
            "phases": {
                "examples": {"enabled": False},
                "coverage": {"enabled": COVERAGE == "1"},
                "stateful": {"enabled": False},
            },
        }
    ),
)
schema.app = WSGIHandler()
schemathesis.serializer.alias("application/x-ndjson", "text/plain")  # a registry-sync body

# Ids of the seeded rows by the first segment of the path after /api/v1/.
SEEDED: dict[str, list[str]] = {}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    ids = SEEDED.get(context.operation.path.split("/")[3])
    if not ids or not path_parameters or len(path_parameters) != 1:
        return st.just(path_parameters)
    [name] = path_parameters
    return st.sampled_from([path_parameters, *({name: value} for value in ids)])


def seed(officer) -> dict[str, list[str]]:
    """A little of everything, written through the API where a helper does not exist."""
    ward = Commune.objects.filter(province_id="22", kind="phuong").order_by("code").first()
    leader = f.user(Role.COMMUNE_LEADER, communes=[ward])
    api, chair = f.client_for(officer), f.client_for(leader)

    def post(path, body, client=api):
        r = client.post(f"/api/v1/{path}", body, format="json")
        assert r.status_code in (200, 201, 202), (path, r.content)
        return r.json()

    village = Village.objects.create(commune=ward, name="Thôn 1")
    poor = f.household(
        ward,
        village=village,
        members=[
            f.member("Sầm Văn Nghèo", ethnicity="02"),
            f.member("Sầm Thị Vợ", relationship="spouse", sex="female"),
        ],
    )
    decide(poor, leader, day="2026-10-01", decision="2026-10-10", income=1, poor_housing=True)
    twin = f.member("Nguyễn Văn An", with_citizen_id=False)
    other = f.household(ward, members=[twin])
    f.household(ward, members=[{**twin, "relationship": "head"}])  # a possible duplicate
    survey = submit(other, income=20_000_000, poor_housing=True)
    review = survey.assessments.get(standard__code="VN-ND07-2021")
    meeting = {"meeting_date": "2026-10-02", "attendees": 10, "agreeing": 8}
    post(f"assessments/{review.id}/village-meeting/", {**meeting, "version": 1})
    posting = {"posted_from": "2026-10-03", "posted_to": "2099-01-01", "version": 2}
    post(f"assessments/{review.id}/post/", posting)
    complaint = post(
        f"assessments/{review.id}/complaints/",
        {"lodged_by": "Lê Văn C", "lodged_on": "2026-10-04", "text": "Sai thu nhập"},
    )
    program = post("programs/", {"code": "P", "name": "Giảm nghèo", "level": "program"})
    project = post(
        "programs/", {"code": "P.1", "name": "Nhà ở", "level": "project", "parent": program["id"]}
    )
    sub = post(
        "programs/",
        {"code": "P.1.1", "name": "Nhà", "level": "sub_project", "parent": project["id"]},
    )
    package = post(
        "support-packages/",
        {
            "code": "NHA-O",
            "name": "Hỗ trợ xây nhà",
            "kind": "housing",
            "sub_project": sub["id"],
            "default_multiplier": "1.300",
            "eligibility": [{"standard_code": "VN-ND07-2021", "classification": "poor"}],
            "rates": [{"base_amount": 40_000_000, "valid_from": "2022-01-01"}],
            "funding": [{"source": "central", "share_percent": "100"}],
        },
    )
    allocation = post(
        "budget-allocations/",
        {
            "sub_project": sub["id"],
            "source": "central",
            "year": 2026,
            "province": "22",
            "amount": 500_000_000,
        },
    )
    assignment = post(
        "assignments/", {"household": str(poor.id), "package": package["id"], "period": 2026}
    )
    post(f"assignments/{assignment['id']}/approve/", {"version": 1}, client=chair)
    disbursement = post(
        f"assignments/{assignment['id']}/disburse/",
        {"date": "2026-11-01", "amount": 1_000_000, "evidence_reference": "PC-1", "version": 2},
    )
    model = post(
        "livelihood-models/",
        {"name": "Nuôi ong", "type": "bees", "commune": ward.code, "start_date": "2026-03-01"},
    )
    participant = {"household": str(poor.id), "joined_on": "2026-03-01", "income_before": 1}
    post(f"livelihood-models/{model['id']}/participants/", participant)
    target = post(
        "targets/",
        {"commune": ward.code, "year": 2026, "households_to_lift": 2, "poverty_rate_target": "5"},
    )
    review_round = post("review-rounds/", {"province": "22", "kind": "periodic", "year": 2026})
    export = post("jobs/", {"kind": "export_households"})
    what_if = post("what-if/", {"standard": str(review.standard_id), "commune": ward.code})
    run_jobs()
    what_if = api.get(f"/api/v1/jobs/{what_if['id']}/").json()
    standards = [s["id"] for s in api.get("/api/v1/poverty-standards/").json()["results"]]
    duplicates = [d["id"] for d in api.get("/api/v1/duplicates/").json()["results"]]
    return {
        "households": [str(poor.id), str(other.id)],
        "members": [str(m.id) for m in poor.members.all()],
        "villages": [str(village.id)],
        "communes": [ward.code],
        "provinces": ["22"],
        "ethnic-groups": ["01"],
        "duplicates": duplicates,
        "surveys": [str(survey.id)],
        "assessments": [str(review.id)],
        "complaints": [complaint["id"]],
        "poverty-standards": standards,
        "review-rounds": [review_round["id"]],
        "programs": [program["id"], sub["id"]],
        "support-packages": [package["id"]],
        "budget-allocations": [allocation["id"]],
        "assignments": [assignment["id"]],
        "disbursements": [disbursement["id"]],
        "livelihood-models": [model["id"]],
        "targets": [target["id"]],
        "jobs": [export["id"], what_if["id"]],
        "what-if": [what_if["report"]["what_if_run"]],
    }


@pytest.fixture(scope="module")
def users(django_db_setup, django_db_blocker, tmp_path_factory):
    """Seeded once for the module, in a transaction rolled back at its end; each test runs in
    a savepoint inside it (the `db` fixture), so every operation starts from the same rows."""
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        officer = f.user(Role.PROVINCE_OFFICER, provinces=["22"])
        SEEDED.update(seed(officer))
        admin = f.user(None, superuser=True)
        headers = [{"Authorization": f.auth_header(user)} for user in (officer, admin)]
        yield itertools.cycle(headers)
        SEEDED.clear()
        transaction.set_rollback(True)


@schema.parametrize()
@settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api(case, users, db, wsgi_database):
    try:
        checks = CHECKS if case.operation.path in ITEMWISE else [*CHECKS, negative_data_rejection]
        case.call_and_validate(headers=next(users), checks=checks)
    except Exception:
        if wsgi_database:
            pytest.fail("\n".join(wsgi_database), pytrace=False)
        raise
