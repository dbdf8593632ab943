"""A demo program, budgets and support packages for Quảng Ninh (idempotent, by code)."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from core.access import SYSTEM
from support import services
from support.models import BudgetAllocation, Program, SupportPackage

TREE = [  # (code, name, parent code); the level follows from the depth
    ("QN-GNBV", "Chương trình giảm nghèo bền vững tỉnh Quảng Ninh", None),
    ("QN-DA1", "Đa dạng hoá sinh kế, phát triển mô hình giảm nghèo", "QN-GNBV"),
    ("QN-DA1.1", "Mô hình sinh kế (dược liệu, nuôi ong, nuôi cá lồng, OCOP)", "QN-DA1"),
    ("QN-DA2", "Hỗ trợ nhà ở và y tế cho hộ nghèo, hộ cận nghèo", "QN-GNBV"),
    ("QN-DA2.1", "Hỗ trợ xây dựng, sửa chữa nhà ở", "QN-DA2"),
    ("QN-DA2.2", "Hỗ trợ mua thẻ bảo hiểm y tế", "QN-DA2"),
    ("QN-DA3", "Giáo dục nghề nghiệp, việc làm bền vững", "QN-GNBV"),
    ("QN-DA3.1", "Đào tạo nghề cho lao động hộ nghèo", "QN-DA3"),
]
CHILD_LEVEL = {None: "program", "program": "project", "project": "sub_project"}
ELIGIBLE = [
    {"standard_code": "VN-ND07-2021", "classification": "poor"},
    {"standard_code": "VN-ND07-2021", "classification": "near_poor"},
]
MINORITY_OR_ISLAND = [
    {
        "when": {"ethnic_minority": True},
        "multiplier": "1.5",
        "label": "ethnic-minority household",
        "label_vi": "hộ dân tộc thiểu số",
    },
    {
        "when": {"communes": ["06994", "07192"]},
        "multiplier": "1.5",
        "label": "island special zone",
        "label_vi": "đặc khu hải đảo",
    },
]
PACKAGES = [
    {
        "code": "NHA-O",
        "name": "Hỗ trợ xây mới nhà ở",
        "kind": "housing",
        "sub": "QN-DA2.1",
        "criteria": {"deprived_in": ["housing_quality", "housing_area"]},
        "base": 40_000_000,
    },
    {
        "code": "BHYT",
        "name": "Hỗ trợ thẻ bảo hiểm y tế",
        "kind": "health_insurance",
        "sub": "QN-DA2.2",
        "criteria": {},
        "base": 1_105_650,
    },
    {
        "code": "SINH-KE",
        "name": "Tham gia mô hình sinh kế",
        "kind": "livelihood_model",
        "sub": "QN-DA1.1",
        "criteria": {"member_age": {"min": 18, "max": 60}},
        "base": 15_000_000,
    },
]


@transaction.atomic
def load(year: int) -> int:
    """Create what is missing; returns the number of packages created."""
    nodes: dict[str, Program] = {}
    for code, name, parent_code in TREE:
        parent = nodes.get(parent_code)
        nodes[code], _ = Program.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "parent": parent,
                "level": CHILD_LEVEL[parent.level if parent else None],
            },
        )
    created = 0
    for spec in PACKAGES:
        if SupportPackage.objects.filter(code=spec["code"]).exists():
            continue
        services.package_save(
            actor=SYSTEM,
            package=None,
            values={
                "code": spec["code"],
                "name": spec["name"],
                "kind": spec["kind"],
                "sub_project": nodes[spec["sub"]],
                "criteria": spec["criteria"],
                "multipliers": MINORITY_OR_ISLAND,
                "default_multiplier": "1.3",
            },
            eligibility=ELIGIBLE,
            rates=[{"base_amount": spec["base"], "valid_from": date(year, 1, 1)}],
            funding=[
                {"source": "central", "share_percent": "70"},
                {"source": "local", "share_percent": "30"},
            ],
        )
        created += 1
        for source, amount in (("central", 20_000_000_000), ("local", 8_000_000_000)):
            BudgetAllocation.objects.get_or_create(
                sub_project=nodes[spec["sub"]],
                source=source,
                year=year,
                province_id="22",
                commune=None,
                defaults={"amount": amount},
            )
    return created
