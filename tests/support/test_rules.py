"""Support rules (pure): eligibility, criteria, multipliers, split to the dong."""

from decimal import Decimal

import pytest

from support.rules import HouseholdProfile, PackageTerms, match, split_amount


def profile(**kw):
    base = {
        "classifications": {"N": "poor"},
        "ethnic_minority": False,
        "commune_code": "06652",
        "commune_kind": "xa",
        "member_ages": (40, 12),
        "deprived": frozenset({"latrine"}),
    }
    return HouseholdProfile(**{**base, **kw})


def terms(**kw):
    base = {
        "code": "P",
        "eligible": {"N": frozenset({"poor"})},
        "base_amount": 1_000_000,
        "default_multiplier": Decimal("1.3"),
        "multipliers": [
            {"when": {"ethnic_minority": True}, "multiplier": "1.5"},
            {"when": {"communes": ["07192"]}, "multiplier": "1.5"},
        ],
        "funding": [("central", Decimal(70)), ("local", Decimal(30))],
    }
    return PackageTerms(**{**base, **kw})


@pytest.mark.parametrize(
    ("p", "t", "eligible"),
    [
        (profile(), terms(), True),
        (profile(classifications={"N": "near_poor"}), terms(), False),
        (profile(classifications={}), terms(), False),
        (profile(), terms(criteria={"ethnic_minority": True}), False),
        (profile(ethnic_minority=True), terms(criteria={"ethnic_minority": True}), True),
        (profile(), terms(criteria={"commune_kinds": ["phuong"]}), False),
        (profile(), terms(criteria={"member_age": {"min": 13, "max": 39}}), False),
        (profile(), terms(criteria={"member_age": {"min": 12, "max": 12}}), True),
        (profile(), terms(criteria={"deprived_in": ["housing_quality"]}), False),
        (profile(), terms(criteria={"deprived_in": ["housing_quality", "latrine"]}), True),
        (profile(received_in_period=1), terms(), False),
        (profile(received_in_period=1), terms(limit_per_period=2), True),
        (profile(), terms(base_amount=None), False),
    ],
)
def test_eligibility(p, t, eligible):
    result = match(p, t)
    assert result.eligible is eligible
    assert result.reasons


@pytest.mark.parametrize(
    ("p", "multiplier", "amount"),
    [
        (profile(), Decimal("1.3"), 1_300_000),
        (profile(ethnic_minority=True), Decimal("1.5"), 1_500_000),
        (profile(commune_code="07192"), Decimal("1.5"), 1_500_000),
    ],
)
def test_amount_is_base_times_the_households_multiplier(p, multiplier, amount):
    result = match(p, terms())
    assert (result.multiplier, result.amount) == (multiplier, amount)
    assert f"{amount:,}" in result.explanation
    assert sum(part for _, part in result.split) == amount


@pytest.mark.parametrize(
    ("amount", "shares", "parts"),
    [
        (100, [("a", Decimal(70)), ("b", Decimal(30))], (("a", 70), ("b", 30))),
        (101, [("a", Decimal(50)), ("b", Decimal(50))], (("a", 51), ("b", 50))),
        (
            10,
            [("a", Decimal(1)), ("b", Decimal(1)), ("c", Decimal(1))],
            (("a", 4), ("b", 3), ("c", 3)),
        ),
        (
            1_333_333,
            [("a", Decimal("33.33")), ("b", Decimal("66.67"))],
            (("a", 444_400), ("b", 888_933)),
        ),
    ],
)
def test_split_adds_up_to_the_dong(amount, shares, parts):
    assert split_amount(amount, shares) == parts
    assert sum(p for _, p in split_amount(amount, shares)) == amount
