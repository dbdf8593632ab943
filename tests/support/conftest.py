from datetime import date

import pytest

from accounts.roles import Role
from core.access import SYSTEM
from support import services
from support.models import BudgetAllocation, Program
from tests import factories as f
from tests.poverty.conftest import decide

POOR = {"income": 10_000_000, "poor_housing": True}


@pytest.fixture
def tree(db):
    program = Program.objects.create(
        code="QN-GNBV", name="Giảm nghèo bền vững 2021–2025", level="program"
    )
    project = Program.objects.create(
        code="QN-DA5", name="Hỗ trợ nhà ở", level="project", parent=program
    )
    housing = Program.objects.create(
        code="QN-DA5.1", name="Nhà ở hộ nghèo", level="sub_project", parent=project
    )
    return {"program": program, "project": project, "housing": housing}


@pytest.fixture
def housing_package(tree):
    return services.package_save(
        actor=SYSTEM,
        package=None,
        values={
            "code": "NHA-O",
            "name": "Hỗ trợ xây nhà",
            "kind": "housing",
            "sub_project": tree["housing"],
            "criteria": {"deprived_in": ["housing_quality"]},
            "multipliers": [
                {
                    "when": {"ethnic_minority": True},
                    "multiplier": "1.5",
                    "label": "ethnic-minority household",
                }
            ],
            "default_multiplier": "1.3",
            "limit_per_period": 1,
        },
        eligibility=[
            {"standard_code": "VN-ND07-2021", "classification": "poor"},
            {"standard_code": "VN-ND07-2021", "classification": "near_poor"},
        ],
        rates=[{"base_amount": 40_000_000, "valid_from": date(2022, 1, 1)}],
        funding=[
            {"source": "central", "share_percent": "70"},
            {"source": "local", "share_percent": "30"},
        ],
    )


def allocate(tree, ward, *, central: int, local: int, commune=None, year: int = 2026):
    for source, amount in (("central", central), ("local", local)):
        BudgetAllocation.objects.create(
            sub_project=tree["housing"],
            source=source,
            year=year,
            province_id="22",
            commune=commune,
            amount=amount,
        )


@pytest.fixture
def poor_household(ward, leader):
    h = f.household(
        ward,
        members=[
            f.member("Sầm Văn Nghèo", ethnicity="02"),
            f.member("Sầm Thị Vợ", relationship="spouse", sex="female"),
        ],
    )
    decide(h, leader, day="2026-10-01", decision="2026-10-10", **POOR)
    return h


@pytest.fixture
def leader(ward):
    return f.user(Role.COMMUNE_LEADER, communes=[ward])


@pytest.fixture
def leader_api(leader):
    return f.client_for(leader)
