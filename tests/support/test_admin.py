"""The support and standards pages of the admin write through the services: the role table
decides who may, the province decides where, and a refusal saves nothing."""

import pytest
from django.utils import translation

from core.admin import refused
from core.errors import Conflict
from geo.models import Province
from poverty.models import PovertyStandard
from support.models import BudgetAllocation, Program
from support.services import plans
from tests import factories as f

# The fields a second allocation for the same sub-project, source, year and area is refused on.
FIELDS = ("sub_project", "source", "year", "province")

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def test_programs_and_allocations_of_ones_own_province(client, tree, ward):
    officer = f.staff_login(client, "province_officer", provinces=["22"])
    r = officer.post(
        "/admin/support/program/add/",
        {
            "code": "QN-DA5.2",
            "name": "Sửa nhà",
            "level": "sub_project",
            "parent": tree["project"].pk,
        },
    )
    assert r.status_code == 302 and Program.objects.filter(code="QN-DA5.2").exists()
    allocation = {
        "sub_project": tree["housing"].pk,
        "source": "central",
        "year": "2026",
        "amount": "1000000",
        "notes": "",
    }
    r = officer.post("/admin/support/budgetallocation/add/", {**allocation, "province": "01"})
    assert r.status_code == 302 and any("outside your area" in m for m in messages_of(r))
    assert not BudgetAllocation.objects.exists()
    r = officer.post("/admin/support/budgetallocation/add/", {**allocation, "province": "22"})
    assert r.status_code == 302 and BudgetAllocation.objects.get().province_id == "22"


def test_roles_without_the_right_only_read(client, tree, ward):
    reader = f.staff_login(client, "commune_officer", communes=[ward])
    assert reader.get("/admin/support/program/").status_code == 200
    assert reader.get("/admin/support/program/add/").status_code == 403
    r = reader.post(
        f"/admin/support/program/{tree['program'].pk}/change/",
        {"code": "X", "name": "X", "level": "program"},
    )
    assert r.status_code == 403
    assert Program.objects.get(pk=tree["program"].pk).code == "QN-GNBV"


def test_a_standard_drafted_and_published_in_the_admin(client):
    officer = f.staff_login(client, "province_officer", provinces=["22"])
    data = {
        "code": "QN-2027",
        "name": "Chuẩn nghèo tỉnh 2027",
        "legal_basis": "Nghị quyết (dự thảo)",
        "scope": "provincial",
        "province": "22",
        "valid_from": "2027-01-01",
        "valid_to": "",
        "rural_line": "2500000",
        "urban_line": "3000000",
        "rural_average_max": "",
        "urban_average_max": "",
        "min_deprivations": "3",
        "notes": "",
        "indicators-TOTAL_FORMS": "1",
        "indicators-INITIAL_FORMS": "0",
        "indicators-MIN_NUM_FORMS": "0",
        "indicators-MAX_NUM_FORMS": "1000",
        "indicators-0-code": "housing_area",
        "indicators-0-position": "1",
        "indicators-0-dimension": "housing",
        "indicators-0-name_vi": "Diện tích nhà ở",
        "indicators-0-name_en": "Housing area",
        "indicators-0-rule": "housing_area",
        "indicators-0-params": '{"min_m2_per_person": 8}',
    }
    r = officer.post("/admin/poverty/povertystandard/add/", data)
    assert r.status_code == 302, [
        (fs.formset.errors, fs.formset.non_form_errors())
        for fs in r.context["inline_admin_formsets"]
    ] + [r.context["adminform"].form.errors]
    draft = PovertyStandard.objects.get(code="QN-2027")
    assert draft.status == "draft" and draft.revision == 1 and draft.indicators.count() == 1
    r = officer.post(
        "/admin/poverty/povertystandard/",
        {"action": "publish", "_selected_action": [str(draft.pk)]},
    )
    draft.refresh_from_db()
    assert draft.status == "published"
    # published: read-only, and another province's officer cannot publish or draft for 22
    assert officer.get(f"/admin/poverty/povertystandard/{draft.pk}/change/").status_code == 200
    other = f.staff_login(client, "province_officer", provinces=["01"])
    r = other.post("/admin/poverty/povertystandard/add/", {**data, "code": "QN-2028"})
    assert not PovertyStandard.objects.filter(code="QN-2028").exists()
    assert any("outside your area" in m for m in messages_of(r))


def second_allocation(tree) -> Conflict:
    """The service's refusal of a second allocation on the same key (as when another save
    took the key at the same moment), raised in the current language."""
    officer = f.user("province_officer", provinces=["22"])
    values = {
        "sub_project": tree["housing"],
        "source": "central",
        "year": 2026,
        "province": Province.objects.get(code="22"),
        "amount": 1_000_000,
    }
    plans.allocation_save(actor=officer, allocation=None, values=dict(values))
    with pytest.raises(Conflict) as taken:
        plans.allocation_save(actor=officer, allocation=None, values=dict(values))
    return taken.value


def test_a_refusal_names_the_fields_of_a_taken_key_once_with_their_reason(tree):
    """The admin's message when a save is refused on a key of several fields."""
    assert refused(second_allocation(tree), BudgetAllocation) == (
        "Nothing was saved: An allocation for this sub-project, source, year and area exists; "
        "change its amount instead. (sub-project, source, year, province: Another allocation "
        "has the same sub-project, source, year and area.)"
    )


def test_a_refusal_reads_in_vietnamese_for_a_vietnamese_officer(tree):
    with translation.override("vi"):
        taken = second_allocation(tree)
        message = refused(taken, BudgetAllocation)
        labels = [str(BudgetAllocation._meta.get_field(name).verbose_name) for name in FIELDS]
    assert message.startswith(f"Không lưu được: {taken.detail}")
    assert "Nothing was saved" not in message
    # The fields by their Vietnamese labels, not their codes.
    assert f"({', '.join(labels)}: " in message and "sub_project" not in message
    assert labels[0] != "sub-project"
