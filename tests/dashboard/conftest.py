"""A small known data set for the dashboard: two communes of Quảng Ninh with households,
official statuses, budget allocations and targets; an officer of the first."""

from dataclasses import dataclass

import pytest

from accounts.roles import Role
from geo.models import Commune
from support.models import BudgetAllocation, Program, Target
from tests import factories as f
from tests.poverty.conftest import decide

POOR = {"income": 10_000_000, "poor_housing": True}
PASSWORD = "pw-not-used-123"  # tests.factories.user's password


@dataclass
class Known:
    ward: Commune
    other: Commune
    officer: object


def staff(role, **area):
    user = f.user(role, **area)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def commune_with(commune: Commune, *, households: int, poor: list[str], leader) -> None:
    """`households` households, of which one poor per decision date in `poor`."""
    homes = [
        f.household(commune, members=[f.member(f"Hộ Số {i}", ethnicity="02")])
        for i in range(households)
    ]
    for home, day in zip(homes, poor, strict=False):
        year = day[:4]
        decide(home, leader, day=f"{year}-10-01", decision=day, **POOR)


@pytest.fixture
def known(ward, rural) -> Known:
    """The ward: 4 households, 1 poor since 2025 and 1 since 2026, 206.100.672 ₫ allocated
    in 2026, a target of 1 household to lift. The rural commune (outside the officer's area):
    3 households, 3 poor, its own money and target."""
    ward_leader = f.user(Role.COMMUNE_LEADER, communes=[ward])
    rural_leader = f.user(Role.COMMUNE_LEADER, communes=[rural])
    commune_with(ward, households=4, poor=["2025-10-10", "2026-10-10"], leader=ward_leader)
    commune_with(rural, households=3, poor=["2025-10-10"] * 3, leader=rural_leader)
    program = Program.objects.create(code="QN-GNBV", name="Giảm nghèo bền vững", level="program")
    project = Program.objects.create(
        code="QN-DA5", name="Hỗ trợ nhà ở", level="project", parent=program
    )
    housing = Program.objects.create(
        code="QN-DA5.1", name="Nhà ở hộ nghèo", level="sub_project", parent=project
    )
    for commune, amount in ((ward, 206_100_672), (rural, 987_654_321)):
        BudgetAllocation.objects.create(
            sub_project=housing,
            source="central",
            year=2026,
            province_id=commune.province_id,
            commune=commune,
            amount=amount,
        )
        Target.objects.create(
            commune=commune, year=2026, households_to_lift=2, poverty_rate_target="10"
        )
    officer = staff(Role.COMMUNE_OFFICER, communes=[ward])
    return Known(ward=ward, other=rural, officer=officer)


@pytest.fixture(autouse=True)
def _english_by_default():
    """The dashboard's tests see the product's real default, Vietnamese when a request names
    no language: this overrides the suite's English default (tests/conftest.py) if it has one."""
    yield
