"""A small known data set for the reports: its figures are counted by hand in the tests.

Ward W (urban), 2026 decisions under Decree 07 (VN-ND07-2021):
- w_poor: 1 member, Kinh man head, poor (income 10M a year, poor housing: 6 deprivations:
  housing quality, housing area, water, latrine, telecom, devices), decided 2026-03-10.
- w_near: 1 member, Dao (02) woman head, near-poor (income 10M, no deprivation), 2026-03-10.
- w_escaped: 1 member, Kinh man head: poor on 2026-03-10, then not poor (income 60M, good
  housing) on 2026-06-20: an escape.
- w_none: 1 member, never assessed.
Rural commune R:
- r_poor: 1 member, Tày (03) woman head, poor (as w_poor), decided 2026-04-15.
- r_none: never assessed.
"""

from datetime import date

import pytest

from accounts.roles import Role
from core.access import SYSTEM
from support import services
from tests import factories as f
from tests.poverty.conftest import decide
from tests.support.conftest import allocate, housing_package, tree  # noqa: F401 (support fixtures)

POOR = {"income": 10_000_000, "poor_housing": True}
NEAR = {"income": 10_000_000}
WELL = {"income": 60_000_000}


def one(commune, name, *, sex="male", ethnicity="01"):
    return f.household(
        commune, members=[f.member(name, sex=sex, ethnicity=ethnicity, dob=date(1980, 1, 1))]
    )


@pytest.fixture
def known(ward, rural):
    w_leader = f.user(Role.COMMUNE_LEADER, communes=[ward])
    r_leader = f.user(Role.COMMUNE_LEADER, communes=[rural])
    h = {
        "w_poor": one(ward, "Nguyễn Văn Một"),
        "w_near": one(ward, "Triệu Thị Hai", sex="female", ethnicity="02"),
        "w_escaped": one(ward, "Trần Văn Ba"),
        "w_none": one(ward, "Lê Văn Bốn"),
        "r_poor": one(rural, "Hoàng Thị Năm", sex="female", ethnicity="03"),
        "r_none": one(rural, "Phạm Văn Sáu"),
    }
    decide(h["w_poor"], w_leader, day="2026-03-01", decision="2026-03-10", **POOR)
    decide(h["w_near"], w_leader, day="2026-03-01", decision="2026-03-10", **NEAR)
    decide(h["w_escaped"], w_leader, day="2026-03-01", decision="2026-03-10", **POOR)
    decide(h["w_escaped"], w_leader, day="2026-06-10", decision="2026-06-20", **WELL)
    decide(h["r_poor"], r_leader, day="2026-04-01", decision="2026-04-15", **POOR)
    return h


@pytest.fixture
def paid(known, tree, housing_package, ward):  # noqa: F811 (the imported fixtures)
    """Housing (central base 40,000,000; ×1.3, ×1.5 for an ethnic-minority head) for w_poor
    (Kinh: 52,000,000, half paid on 1 May) and r_poor (Tày: 60,000,000, all paid on 1 June)."""
    allocate(tree, ward, central=500_000_000, local=500_000_000)
    out = {}
    for name, day, amount in (("w_poor", 1, 26_000_000), ("r_poor", 2, 60_000_000)):
        a = services.assignment_propose(
            household=known[name], package=housing_package, period=2026, actor=SYSTEM
        )
        a = services.assignment_approve(assignment=a, expected_version=a.version, actor=SYSTEM)
        services.disbursement_record(
            assignment=a,
            expected_version=a.version,
            actor=SYSTEM,
            on=date(2026, 4 + day, 1),
            amount=amount,
            evidence_reference=f"PC-{name}",
        )
        out[name] = a
    assert (out["w_poor"].amount, out["r_poor"].amount) == (52_000_000, 60_000_000)
    return out
