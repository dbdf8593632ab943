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
    assert result.reasons_en and len(result.reasons_vi) == len(result.reasons_en)
    assert result.reasons_vi != result.reasons_en


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
    assert f"{amount:,} VND" in result.explanation.en
    assert f"{amount:,} đồng".replace(",", ".") in result.explanation.vi
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


@pytest.mark.parametrize(
    ("p", "t", "en", "vi"),
    [
        (profile(), terms(), ["classification: poor under N"], ["phân loại: hộ nghèo theo N"]),
        (
            profile(classifications={"N": "near_poor"}),
            terms(),
            ["not eligible by classification (needs N: poor; has near_poor under N)"],
            ["không đủ điều kiện theo phân loại (cần N: hộ nghèo; hiện là hộ cận nghèo theo N)"],
        ),
        (
            profile(classifications={}),
            terms(),
            ["not eligible by classification (needs N: poor; has none)"],
            ["không đủ điều kiện theo phân loại (cần N: hộ nghèo; hiện là chưa có)"],
        ),
        (
            profile(received_in_period=1),
            terms(criteria={"ethnic_minority": True, "commune_kinds": ["phuong", "dac_khu"]}),
            [
                "classification: poor under N",
                "criterion not met: not an ethnic-minority household",
                "criterion not met: commune type xa is not one of phuong, dac_khu",
                "already received 1 in the period (limit 1)",
            ],
            [
                "phân loại: hộ nghèo theo N",
                "chưa đáp ứng tiêu chí: không phải hộ dân tộc thiểu số",
                "chưa đáp ứng tiêu chí: loại đơn vị xã không thuộc: phường, đặc khu",
                "đã nhận 1 lần trong kỳ (tối đa 1)",
            ],
        ),
        (
            profile(),
            terms(criteria={"communes": ["07192"], "member_age": {"min": 60}}),
            [
                "classification: poor under N",
                "criterion not met: commune 06652 is not on the package's list",
                "criterion not met: no member aged 60–200",
            ],
            [
                "phân loại: hộ nghèo theo N",
                "chưa đáp ứng tiêu chí: xã/phường 06652 không có trong danh sách của gói hỗ trợ",
                "chưa đáp ứng tiêu chí: không có thành viên từ 60 đến 200 tuổi",
            ],
        ),
        (
            profile(),
            terms(criteria={"deprived_in": ["latrine"]}, base_amount=None),
            [
                "classification: poor under N",
                "meets the package's criteria",
                "no base amount in force",
            ],
            [
                "phân loại: hộ nghèo theo N",
                "đáp ứng các tiêu chí của gói hỗ trợ",
                "chưa có mức hỗ trợ cơ sở đang có hiệu lực",
            ],
        ),
    ],
)
def test_reasons_in_english_and_vietnamese(p, t, en, vi):
    result = match(p, t)
    assert (result.reasons_en, result.reasons_vi) == (en, vi)


@pytest.mark.parametrize(
    ("p", "rules", "en", "vi"),
    [
        (
            profile(),
            [],
            "1,000,000 VND × 1.3 (default provincial multiplier) = 1,300,000 VND",
            "1.000.000 đồng × 1,3 (hệ số mặc định của tỉnh) = 1.300.000 đồng",
        ),
        (  # a rule's labels, in each language
            profile(ethnic_minority=True),
            [
                {
                    "when": {"ethnic_minority": True},
                    "multiplier": "1.5",
                    "label": "ethnic-minority household",
                    "label_vi": "hộ dân tộc thiểu số",
                }
            ],
            "1,000,000 VND × 1.5 (ethnic-minority household) = 1,500,000 VND",
            "1.000.000 đồng × 1,5 (hộ dân tộc thiểu số) = 1.500.000 đồng",
        ),
        (  # no label: the conditions in words
            profile(commune_code="07192", commune_kind="dac_khu"),
            [{"when": {"communes": ["07192"], "commune_kinds": ["dac_khu"]}, "multiplier": "2"}],
            "1,000,000 VND × 2 (commune type dac_khu; commune 07192) = 2,000,000 VND",
            "1.000.000 đồng × 2 (loại đơn vị đặc khu; xã/phường 07192) = 2.000.000 đồng",
        ),
        (
            profile(member_ages=(70,), deprived=frozenset({"housing_area"})),
            [
                {
                    "when": {"member_age": {"min": 60}, "deprived_in": ["housing_area"]},
                    "multiplier": "10",
                }
            ],
            "1,000,000 VND × 10 (a member aged 60–200; deprived in housing_area) = 10,000,000 VND",
            "1.000.000 đồng × 10 (có thành viên từ 60 đến 200 tuổi; thiếu hụt chỉ số "
            "housing_area) = 10.000.000 đồng",
        ),
    ],
)
def test_the_amount_explained_in_english_and_vietnamese(p, rules, en, vi):
    result = match(p, terms(multipliers=rules))
    assert (result.explanation.en, result.explanation.vi) == (en, vi)
