"""The program tree's rule lives in the service (program_save), so every door keeps it: a
component project sits under a program, a sub-project under a component project. The admin
shows a refusal on its form; the API answers as before (a validation error on `parent`); and
the budget report grouped by program keeps working."""

import pytest

from core.access import SYSTEM
from core.errors import InvalidInput
from support import services
from support.models import Program
from tests import factories as f

pytestmark = pytest.mark.django_db

UNDER_A_PROJECT = "A sub_project sits under a project."


def node(code, level, parent=None):
    values = {"code": code, "name": code, "level": level}
    if parent is not None:
        values["parent"] = parent
    return services.program_save(actor=SYSTEM, program=None, values=values)


@pytest.mark.parametrize(
    ("level", "parent", "reason"),
    [
        ("sub_project", "program", UNDER_A_PROJECT),
        ("sub_project", "housing", UNDER_A_PROJECT),
        ("project", "project", "A project sits under a program."),
        ("program", "program", "A program has no parent."),
        ("sub_project", None, UNDER_A_PROJECT),
    ],
)
def test_program_save_refuses_a_node_out_of_its_place(tree, level, parent, reason):
    with pytest.raises(InvalidInput) as caught:
        node("X", level, tree[parent] if parent else None)
    assert caught.value.fields == {"parent": [reason]} and caught.value.detail == reason
    assert not Program.objects.filter(code="X").exists()


def test_program_save_refuses_moving_a_sub_project_under_a_program(tree):
    housing = tree["housing"]
    with pytest.raises(InvalidInput) as caught:
        services.program_save(actor=SYSTEM, program=housing, values={"parent": tree["program"]})
    assert caught.value.fields == {"parent": [UNDER_A_PROJECT]}
    assert Program.objects.get(pk=housing.pk).parent_id == tree["project"].pk


def test_a_level_change_keeps_the_children_in_place(tree):
    project = tree["project"]
    with pytest.raises(InvalidInput) as caught:
        services.program_save(
            actor=SYSTEM, program=project, values={"level": "program", "parent": None}
        )
    assert list(caught.value.fields) == ["level"]
    assert Program.objects.get(pk=project.pk).level == "project"
    # a component with no children may become a program
    lone = node("DA-LONE", "project", tree["program"])
    services.program_save(actor=SYSTEM, program=lone, values={"level": "program", "parent": None})
    assert Program.objects.get(pk=lone.pk).parent is None


def test_the_admin_shows_the_rule_on_its_form(client, tree):
    officer = f.staff_login(client, "province_officer", provinces=["22"])
    r = officer.post(
        "/admin/support/program/add/",
        {"code": "QN-X", "name": "Lạc chỗ", "level": "sub_project", "parent": tree["program"].pk},
    )
    assert r.status_code == 200 and UNDER_A_PROJECT in r.content.decode()
    assert 'value="QN-X"' in r.content.decode()  # what was typed is kept
    assert not Program.objects.filter(code="QN-X").exists()
    housing = tree["housing"]
    r = officer.post(
        f"/admin/support/program/{housing.pk}/change/",
        {
            "code": housing.code,
            "name": housing.name,
            "level": "sub_project",
            "parent": tree["program"].pk,
            "legal_basis": "",
            "description": "",
        },
    )
    assert r.status_code == 200 and UNDER_A_PROJECT in r.content.decode()
    assert Program.objects.get(pk=housing.pk).parent_id == tree["project"].pk
    # the budget report grouped by program still answers
    services.allocation_save(
        actor=SYSTEM,
        allocation=None,
        values={
            "sub_project": housing,
            "source": "central",
            "year": 2026,
            "province_id": "22",
            "amount": 1_000_000,
        },
    )
    api = f.client_for(f.user("province_officer", provinces=["22"]))
    r = api.get("/api/v1/reports/budget-execution/", {"group_by": "program"})
    assert r.status_code == 200, r.content


def test_the_api_answers_as_before(api, tree):
    r = api.post(
        "/api/v1/programs/",
        {"code": "X", "name": "x", "level": "sub_project", "parent": str(tree["program"].pk)},
    )
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "validation_error"
    assert body["detail"] == f"parent: {UNDER_A_PROJECT}"
    assert body["errors"] == [{"field": "parent", "code": "invalid", "reason": UNDER_A_PROJECT}]
    r = api.post(
        "/api/v1/programs/",
        {"code": "X", "name": "x", "level": "sub_project", "parent": str(tree["project"].pk)},
    )
    assert r.status_code == 201, r.content
