"""The pure assessment engine (poverty.rules): every boundary, no database."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from poverty import choices, rules
from poverty.rules import (
    ENGINE_VERSION,
    PARAMETERS,
    RULES,
    AssessmentResult,
    HouseholdFacts,
    IndicatorSpec,
    MemberFacts,
    ParamError,
    StandardSpec,
    assess,
    compile_params,
    default_params,
    format_vnd,
    month_index,
    retirement_age,
)

# ----------------------------------------------------------------------------- builders

D07_INDICATORS = (
    ("employment", "employment", "Việc làm", "Employment"),
    ("dependents", "employment", "Người phụ thuộc trong hộ gia đình", "Dependents"),
    ("nutrition", "health", "Dinh dưỡng", "Nutrition"),
    ("health_insurance", "health", "Bảo hiểm y tế", "Health insurance"),
    ("adult_education", "education", "Trình độ giáo dục của người lớn", "Adult education"),
    (
        "child_schooling",
        "education",
        "Tình trạng đi học của trẻ em",
        "Children's school attendance",
    ),
    ("housing_quality", "housing", "Chất lượng nhà ở", "Housing quality"),
    (
        "housing_area",
        "housing",
        "Diện tích nhà ở bình quân đầu người",
        "Housing area per person",
    ),
    ("domestic_water", "water_sanitation", "Nguồn nước sinh hoạt", "Domestic water"),
    ("latrine", "water_sanitation", "Nhà tiêu hợp vệ sinh", "Hygienic latrine"),
    ("telecom", "information", "Sử dụng dịch vụ viễn thông", "Telecom use"),
    (
        "info_devices",
        "information",
        "Phương tiện phục vụ tiếp cận thông tin",
        "Information devices",
    ),
)
WASTE = ("waste", "water_sanitation", "Thu gom, xử lý rác thải", "Waste treatment")


def spec(code: str, dimension: str, name_vi: str, name_en: str, **params: Any) -> IndicatorSpec:
    """An indicator with every parameter at its default but those given."""
    return IndicatorSpec(
        code, dimension, name_vi, name_en, rule=code, params={**default_params(code), **params}
    )


def d07(**overrides: Any) -> StandardSpec:
    """National standard, Decree 07/2021/NĐ-CP."""
    fields: dict[str, Any] = {
        "code": "ND07-2021",
        "rural_line": 1_500_000,
        "urban_line": 2_000_000,
        "rural_average_max": 2_250_000,
        "urban_average_max": 3_000_000,
        "min_deprivations": 3,
        "indicators": tuple(spec(*row) for row in D07_INDICATORS),
    }
    fields.update(overrides)
    return StandardSpec(**fields)


def draft_351() -> StandardSpec:
    """A different indicator set: no information devices, with waste treatment."""
    rows = [row for row in D07_INDICATORS if row[0] != "info_devices"] + [WASTE]
    return d07(
        code="ND351-draft",
        rural_line=2_200_000,
        urban_line=2_800_000,
        rural_average_max=None,
        urban_average_max=None,
        average_band_unknown=True,
        indicators=tuple(spec(*row) for row in rows),
    )


SURVEY = (2026, 6)  # survey month of the facts built here


def member(age: int = 40, sex: str = "male", months: int = 0, **kw: Any) -> MemberFacts:
    """A member deprived in nothing, every fact recorded, unless told otherwise; `age` years
    and `months` months old in the survey month (June 2026)."""
    survey = month_index(*SURVEY)
    kw.setdefault("birth_month", survey - age * 12 - months)
    kw.setdefault("survey_month", survey)
    kw.setdefault("has_health_insurance", True)
    kw.setdefault("education_level", "upper_secondary")
    kw.setdefault("employment", "self_employed")
    kw.setdefault("receives_social_allowance", False)
    if age <= 30:
        kw.setdefault("schooling", "attending" if age < 16 else "not_attending")
    if age < 16:
        kw.setdefault("nutrition", "normal")
    return MemberFacts(age=age, sex=sex, **kw)


def household(*members: MemberFacts, **kw: Any) -> HouseholdFacts:
    """A household deprived in nothing unless told otherwise (one adult by default)."""
    kw.setdefault("is_urban", False)
    kw.setdefault("annual_income", 1_000_000_000)
    kw.setdefault("wall_material", "brick_stone")
    kw.setdefault("frame_material", "concrete")
    kw.setdefault("roof_material", "tile")
    kw.setdefault("floor_area_m2", 100.0)
    kw.setdefault("water_source", "tap")
    kw.setdefault("latrine", "septic")
    kw.setdefault("uses_internet", True)
    kw.setdefault("devices", frozenset({"tv"}))
    kw.setdefault("waste_treatment", "collected")
    return HouseholdFacts(members=members or (member(),), **kw)


def reasons(rule: str, facts: HouseholdFacts, **params: Any) -> tuple[bool | None, str, str]:
    """The rule's explained decision, checked against its fast decision (what-if uses that)."""
    check = RULES[rule](compile_params(rule, {**default_params(rule), **params}), False)
    result = check.reasons(facts)
    assert check.deprived(facts) is result[0]
    return result


def deprived(rule: str, facts: HouseholdFacts, **params: Any) -> bool:
    result, reason_vi, reason_en = reasons(rule, facts, **params)
    assert reason_vi and reason_en
    return result


# Household-level facts that each switch on exactly one Decree 07 deprivation.
SWITCHES: tuple[dict[str, Any], ...] = (
    {"uses_internet": False},
    {"latrine": "none"},
    {"water_source": "surface"},
    {"devices": frozenset()},
)


def with_deprivations(k: int, **kw: Any) -> dict[str, Any]:
    for switch in SWITCHES[:k]:
        kw.update(switch)
    return kw


# ----------------------------------------------------------------------------- registry


def test_rules_cover_exactly_the_rule_choices() -> None:
    assert set(RULES) == set(choices.Rule.values)
    assert set(PARAMETERS) == set(RULES)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_default_params_are_json_and_compile(rule: str) -> None:
    """What a standard stores (JSON) is what the rule compiles with."""
    stored = json.loads(json.dumps(default_params(rule)))
    assert stored == default_params(rule)
    compile_params(rule, stored)


def test_classification_values_match_choices() -> None:
    values = {
        assess(household(**with_deprivations(k), annual_income=income), d07()).classification
        for income, k in [(0, 3), (0, 0), (18_000_001, 0), (10**9, 0)]
    }
    undetermined = assess(
        household(**with_deprivations(2), annual_income=0, waste_treatment=None), draft_351()
    ).classification
    assert values | {undetermined} == set(choices.Classification.values)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_baseline_household_is_deprived_in_nothing(rule: str) -> None:
    facts = household(member(40), member(38, "female"), member(10), member(4))
    assert not deprived(rule, facts)


# ----------------------------------------------------------------------------- classification


@pytest.mark.parametrize(
    ("is_urban", "size", "annual_income", "k", "expected", "per_person"),
    [
        # rural line 1,500,000: exactly at the line, poor vs near-poor on 3 vs 2 deprivations
        (False, 1, 18_000_000, 3, "poor", 1_500_000),
        (False, 1, 18_000_000, 4, "poor", 1_500_000),
        (False, 1, 18_000_000, 2, "near_poor", 1_500_000),
        (False, 1, 18_000_000, 0, "near_poor", 1_500_000),
        (False, 1, 0, 0, "near_poor", 0),
        # one dong above the line: average, whatever the deprivations
        (False, 1, 18_000_001, 4, "average", 1_500_000),
        (False, 1, 18_000_001, 0, "average", 1_500_000),
        # rural band top 2,250,000: exactly at it, and one dong above
        (False, 1, 27_000_000, 4, "average", 2_250_000),
        (False, 1, 27_000_001, 4, "not_poor", 2_250_000),
        # urban line 2,000,000 and band top 3,000,000
        (True, 1, 24_000_000, 3, "poor", 2_000_000),
        (True, 1, 24_000_000, 2, "near_poor", 2_000_000),
        (True, 1, 24_000_001, 3, "average", 2_000_000),
        (True, 1, 36_000_000, 3, "average", 3_000_000),
        (True, 1, 36_000_001, 3, "not_poor", 3_000_000),
        # same income, urban vs rural line: 1,666,666 per person per month
        (False, 1, 20_000_000, 3, "average", 1_666_666),
        (True, 1, 20_000_000, 3, "poor", 1_666_666),
        (True, 1, 20_000_000, 2, "near_poor", 1_666_666),
        # same income, rural above the band top, urban inside it
        (False, 1, 30_000_000, 3, "not_poor", 2_500_000),
        (True, 1, 30_000_000, 3, "average", 2_500_000),
        # bigger households: the line is per person
        (False, 4, 72_000_000, 3, "poor", 1_500_000),
        (False, 4, 72_000_001, 3, "average", 1_500_000),
        (False, 4, 108_000_000, 3, "average", 2_250_000),
        (False, 4, 108_000_001, 3, "not_poor", 2_250_000),
        # uneven division: the floored figure equals the line but the income is above it
        (False, 3, 54_000_001, 3, "average", 1_500_000),
        (False, 3, 54_000_002, 3, "average", 1_500_000),
        (False, 7, 126_000_000, 3, "poor", 1_500_000),
        (False, 7, 126_000_001, 3, "average", 1_500_000),
        (False, 7, 126_000_083, 3, "average", 1_500_000),
        (False, 7, 125_999_999, 3, "poor", 1_499_999),
        (True, 7, 252_000_000, 2, "average", 3_000_000),
        (True, 7, 252_000_001, 2, "not_poor", 3_000_000),
        (True, 7, 252_000_084, 2, "not_poor", 3_000_001),
    ],
)
def test_classification_boundaries(
    is_urban: bool, size: int, annual_income: int, k: int, expected: str, per_person: int
) -> None:
    members = tuple(member(40 + i) for i in range(size))
    facts = household(*members, **with_deprivations(k, is_urban=is_urban))
    facts = facts._replace(annual_income=annual_income)
    result = assess(facts, d07())
    assert result.classification == expected
    assert result.deprivation_count == k
    assert result.income_per_person_month == per_person
    assert result.household_size == size
    assert result.line == (2_000_000 if is_urban else 1_500_000)
    assert result.is_urban is is_urban


@pytest.mark.parametrize(
    ("annual_income", "expected"),
    [(18_000_000, "poor"), (18_000_001, "not_poor"), (10**12, "not_poor")],
)
def test_no_average_band_means_not_poor_above_the_line(annual_income: int, expected: str) -> None:
    standard = d07(rural_average_max=None, urban_average_max=None)
    facts = household(**with_deprivations(3, annual_income=annual_income))
    assert assess(facts, standard).classification == expected


def test_a_band_not_known_yet_is_said_not_guessed() -> None:
    """Decree 351 sets an average-living-standard band whose figures are not known yet: above
    the line the class is not poor, and the explanation says the band cannot be told, where a
    standard without a band says only that the income is above the line."""
    facts = household(annual_income=30_000_000)  # 2,500,000 a month, above 2,200,000
    unknown = assess(facts, draft_351())
    assert unknown.classification == "not_poor"
    assert "band is not known yet" in unknown.explanation_en
    assert "chưa được công bố" in unknown.explanation_vi
    no_band = assess(facts, replace(draft_351(), average_band_unknown=False))
    assert no_band.classification == "not_poor"
    assert "not known" not in no_band.explanation_en
    below = assess(household(annual_income=12_000_000), draft_351())
    assert "not known" not in below.explanation_en


@pytest.mark.parametrize(("k", "expected"), [(1, "near_poor"), (2, "poor"), (3, "poor")])
def test_min_deprivations_comes_from_the_standard(k: int, expected: str) -> None:
    facts = household(**with_deprivations(k, annual_income=0))
    assert assess(facts, d07(min_deprivations=2)).classification == expected


def test_empty_household_is_rejected() -> None:
    facts = HouseholdFacts(is_urban=False, annual_income=0, members=())
    with pytest.raises(ValueError, match="at least one member"):
        assess(facts, d07())


def test_unknown_rule_is_rejected_by_name() -> None:
    bad = d07(indicators=(IndicatorSpec("x", "health", "X", "X", rule="astrology"),))
    with pytest.raises(ValueError, match="astrology"):
        assess(household(), bad)


def test_result_lists_indicators_in_the_standards_order() -> None:
    standard = d07()
    result = assess(household(), standard)
    assert [r.code for r in result.indicators] == [s.code for s in standard.indicators]
    assert result.engine_version == ENGINE_VERSION
    assert result.standard_code == "ND07-2021"
    assert result.deprivation_count == 0
    assert result.classification == "not_poor"


# ----------------------------------------------------------------------------- indicator sets


@pytest.mark.parametrize(
    ("kw", "count_d07", "count_draft"),
    [
        ({"devices": frozenset()}, 1, 0),  # information devices only in Decree 07
        ({"waste_treatment": "dumped"}, 0, 1),  # waste only in the draft
        ({"waste_treatment": "dumped", "devices": frozenset()}, 1, 1),
        ({"uses_internet": False}, 1, 1),
    ],
)
def test_a_different_indicator_set_gives_a_different_count(
    kw: dict[str, Any], count_d07: int, count_draft: int
) -> None:
    facts = household(**kw)
    assert assess(facts, d07()).deprivation_count == count_d07
    result = assess(facts, draft_351())
    assert result.deprivation_count == count_draft
    assert "info_devices" not in {r.code for r in result.indicators}
    assert "waste" in {r.code for r in result.indicators}


def test_the_indicator_set_can_change_the_class() -> None:
    # 1,500,000 per person: at the line of both standards; devices count only in Decree 07
    facts = household(
        annual_income=18_000_000, uses_internet=False, latrine="none", devices=frozenset()
    )
    assert assess(facts, d07()).classification == "poor"
    assert assess(facts, draft_351()).classification == "near_poor"


def test_indicator_params_override_defaults_per_standard() -> None:
    facts = household(floor_area_m2=9.0)
    strict = d07(
        indicators=(spec("housing_area", "housing", "Diện tích", "Area", min_m2_per_person=10),)
    )
    assert assess(facts, d07()).deprivation_count == 0
    assert assess(facts, strict).deprivation_count == 1


# ----------------------------------------------------------------------------- determinism


def test_assessment_is_deterministic() -> None:
    def facts() -> HouseholdFacts:
        return household(
            member(34, employment="unemployed"),
            member(9, schooling="not_attending", nutrition="stunted"),
            member(70, "female", receives_social_allowance=True, has_health_insurance=False),
            annual_income=30_000_000,
            devices=frozenset({"car", "boat"}),
            wall_material="bamboo",
            roof_material="leaves_straw",
        )

    first: AssessmentResult = assess(facts(), d07())
    second = assess(facts(), d07())
    assert first == second
    assert first.indicators == second.indicators
    assert first.explanation_en == second.explanation_en


# ----------------------------------------------------------------------------- explanation


def test_explanation_names_class_and_deprived_indicators_in_both_languages() -> None:
    facts = household(**with_deprivations(3, annual_income=18_000_000))
    result = assess(facts, d07())
    assert result.classification == "poor"
    vi, en = result.explanation_vi, result.explanation_en
    assert "hộ nghèo" in vi
    assert "Classification: poor" in en
    for name_vi, name_en in [
        ("Sử dụng dịch vụ viễn thông", "Telecom use"),
        ("Nhà tiêu hợp vệ sinh", "Hygienic latrine"),
        ("Nguồn nước sinh hoạt", "Domestic water"),
    ]:
        assert name_vi in vi
        assert name_en in en
    assert "Information devices" not in en
    assert "1.500.000 đồng" in vi
    assert "1,500,000 VND" in en
    assert "nông thôn" in vi
    assert "rural" in en
    assert "3/12" in vi
    assert "3 of 12" in en


@pytest.mark.parametrize(
    ("is_urban", "annual_income", "k", "class_vi", "class_en"),
    [
        (False, 18_000_000, 2, "hộ cận nghèo", "near-poor"),
        (False, 18_000_001, 2, "hộ có mức sống trung bình", "average living standard"),
        (True, 36_000_001, 0, "hộ không nghèo", "not poor"),
    ],
)
def test_explanation_names_each_class(
    is_urban: bool, annual_income: int, k: int, class_vi: str, class_en: str
) -> None:
    facts = household(**with_deprivations(k, is_urban=is_urban, annual_income=annual_income))
    result = assess(facts, d07())
    assert f"Phân loại: {class_vi}" in result.explanation_vi
    assert f"Classification: {class_en}" in result.explanation_en
    if is_urban:
        assert "thành thị" in result.explanation_vi
        assert "urban line of 2,000,000 VND" in result.explanation_en


@pytest.mark.parametrize(
    ("annual_income", "en", "vi"),
    [
        # 54,000,001 / 36 = 1,500,000.0277…: above the line, shown rounded up, never onto it
        (
            54_000_001,
            "Income 1,500,000.03 VND per person per month, above the rural line of 1,500,000 VND "
            "by 0.03 VND.",
            "Thu nhập bình quân 1.500.000,03 đồng/người/tháng, cao hơn chuẩn nghèo khu vực nông "
            "thôn (1.500.000 đồng) 0,03 đồng.",
        ),
        (
            54_000_000,
            "Income 1,500,000 VND per person per month, equal to the rural line of 1,500,000 VND.",
            "Thu nhập bình quân 1.500.000 đồng/người/tháng, bằng chuẩn nghèo khu vực nông thôn "
            "(1.500.000 đồng).",
        ),
        # 53,999,999 / 36 = 1,499,999.97…: below, shown rounded down
        (
            53_999_999,
            "Income 1,499,999.97 VND per person per month, below the rural line of 1,500,000 VND "
            "by 0.03 VND.",
            "Thu nhập bình quân 1.499.999,97 đồng/người/tháng, thấp hơn chuẩn nghèo khu vực nông "
            "thôn (1.500.000 đồng) 0,03 đồng.",
        ),
    ],
)
def test_explanation_states_income_and_line_exactly_enough(
    annual_income: int, en: str, vi: str
) -> None:
    result = assess(household(member(), member(), member(), annual_income=annual_income), d07())
    assert result.explanation_en.startswith(en)
    assert result.explanation_vi.startswith(vi)


@pytest.mark.parametrize(
    ("amount", "vi", "en"),
    [
        (0, "0 đồng", "0 VND"),
        (999, "999 đồng", "999 VND"),
        (1_500_000, "1.500.000 đồng", "1,500,000 VND"),
        (2_250_000, "2.250.000 đồng", "2,250,000 VND"),
    ],
)
def test_format_vnd(amount: int, vi: str, en: str) -> None:
    assert format_vnd(amount, True) == vi
    assert format_vnd(amount, False) == en


# ----------------------------------------------------------------------------- 1 employment


@pytest.mark.parametrize(
    ("age", "sex", "employment", "expected"),
    [
        (14, "male", "unemployed", False),
        (14, "female", "wage_no_contract", False),
        (15, "male", "unemployed", True),
        (15, "female", "wage_no_contract", True),
        (40, "male", "wage_no_contract", True),
        (40, "male", "wage_contract", False),
        (40, "male", "self_employed", False),
        (40, "male", "not_in_labour_force", False),
        (40, "male", None, None),  # not recorded: unknown
        # June 2026: a man born June 1965 retires at 61 years 6 months, a woman born June
        # 1970 at 57 years 4 months (Decree 135/2020, Appendix I)
        (61, "male", "unemployed", True),
        (62, "male", "unemployed", False),
        (56, "female", "unemployed", True),
        (57, "female", "unemployed", True),  # the fixed 15–56 window left her out
        (58, "female", "unemployed", False),
        (57, "male", "unemployed", True),
    ],
)
def test_employment(age: int, sex: str, employment: str | None, expected: bool | None) -> None:
    facts = household(member(), member(age, sex, employment=employment))
    assert deprived("employment", facts) is expected


def at(year: int, month: int, age: tuple[int, int], sex: str, **kw: Any) -> MemberFacts:
    """A member `age` (years, months) old in that survey month."""
    survey = month_index(year, month)
    return member(
        age[0],
        sex,
        birth_month=survey - age[0] * 12 - age[1],
        survey_month=survey,
        employment="unemployed",
        **kw,
    )


@pytest.mark.parametrize(
    ("member_", "expected"),
    [
        # the cases the fixed window of whole years got wrong (issue 11)
        (at(2025, 6, (61, 7), "male"), False),  # retired: counted before
        (at(2025, 6, (56, 9), "female"), False),  # retired: counted before
        (at(2029, 6, (57, 5), "female"), True),  # of working age: left out before
    ],
)
def test_working_age_follows_the_retirement_schedule(member_: MemberFacts, expected: bool) -> None:
    assert deprived("employment", household(member(), member_)) is expected


def test_a_retired_member_is_named_with_the_retirement_age() -> None:
    facts = household(member(), at(2025, 6, (61, 7), "male"))
    _, vi, en = reasons("employment", facts)
    assert "not counted: member 2 (man, 61 years 7 months; retirement age 61 years" in en
    assert "has reached the retirement age" in en
    assert "không tính: thành viên 2 (nam, 61 tuổi 7 tháng; tuổi nghỉ hưu 61 tuổi" in vi


# Rows of Decree 135/2020, Appendix I (birth month → retirement age): its first rows, and
# rows worked out from its rule at each step of the schedule.
APPENDIX_ROWS = [
    ("male", 1961, 1, 60 * 12 + 3),  # retires 5/2021
    ("male", 1961, 9, 60 * 12 + 3),
    ("male", 1961, 10, 60 * 12 + 6),  # reaches 60y3m only in 2022, when the age is 60y6m
    ("male", 1962, 7, 60 * 12 + 9),
    ("male", 1966, 1, 61 * 12 + 9),
    ("male", 1966, 4, 62 * 12),  # 62 from 2028
    ("female", 1966, 1, 55 * 12 + 4),  # retires 5/2021
    ("female", 1966, 9, 55 * 12 + 8),
    ("female", 1980, 1, 60 * 12),  # 60 from 2035
    ("male", 1960, 12, 60 * 12),  # reached 60 in December 2020: retired under the old law
    ("female", 1965, 12, 55 * 12),
]


@pytest.mark.parametrize(("sex", "year", "month", "expected"), APPENDIX_ROWS)
def test_retirement_age_matches_the_appendix(
    sex: str, year: int, month: int, expected: int
) -> None:
    schedule = compile_params("employment", default_params("employment"))["retirement_age"]
    assert retirement_age(schedule)(sex, month_index(year, month)) == expected


def _reference_retirement(sex: str, birth: int) -> int:
    """An independent reading of the schedule: month by month from the birth month, the
    first month in which the age reached is at least that year's statutory age."""
    start, step, until, before = (723, 3, 744, 720) if sex == "male" else (664, 4, 720, 660)
    month = birth
    while True:
        year = month // 12
        required = before if year < 2021 else min(start + step * (year - 2021), until)
        if month - birth >= required:
            return month - birth
        month += 1


BIRTHS = [
    (sex, month_index(year, month))
    for sex in ("male", "female")
    for year in range(1955, 1982)
    for month in range(1, 13)
]


def test_retirement_schedule_month_by_month() -> None:
    """Every birth month from 1955 to 1981, both sexes, against the reference reading."""
    schedule = compile_params("employment", default_params("employment"))["retirement_age"]
    age_of = retirement_age(schedule)
    wrong = [
        (sex, divmod(birth, 12), age_of(sex, birth), _reference_retirement(sex, birth))
        for sex, birth in BIRTHS
        if age_of(sex, birth) != _reference_retirement(sex, birth)
    ]
    assert not wrong


@pytest.mark.parametrize("sex", ["male", "female"])
@pytest.mark.parametrize("year", range(2021, 2036))
def test_working_age_ends_with_the_month_the_retirement_age_is_reached(sex: str, year: int) -> None:
    """For someone who reaches the retirement age in each year from 2021 to 2035: of working
    age through that month, not the month after."""
    schedule = compile_params("employment", default_params("employment"))["retirement_age"]
    age_of = retirement_age(schedule)
    birth = next(b for s, b in BIRTHS if s == sex and (b + age_of(sex, b)) // 12 == year)
    reached = birth + age_of(sex, birth)

    def of_working_age(survey: int) -> bool | None:
        m = member(
            (survey - birth) // 12,
            sex,
            birth_month=birth,
            survey_month=survey,
            employment="unemployed",
        )
        return deprived("employment", household(member(), m))

    assert of_working_age(reached - 1) is True
    assert of_working_age(reached) is True
    assert of_working_age(reached + 1) is False


def test_employment_parameters() -> None:
    facts = household(member(62, employment="unemployed"))
    assert not deprived("employment", facts)
    later = json.loads(json.dumps(default_params("employment")["retirement_age"]))
    later["male"]["until"] = later["male"]["start"] = 63 * 12
    assert deprived("employment", facts, retirement_age=later)
    facts = household(member(14, "female", employment="unemployed"))
    assert deprived("employment", facts, min_age=14)
    with pytest.raises(ParamError, match="max_age_male: not a parameter of employment"):
        deprived("employment", facts, max_age_male=62)


def test_employment_reason_names_the_member() -> None:
    facts = household(member(), member(34, employment="unemployed"))
    _, vi, en = reasons("employment", facts)
    assert (
        "member 2 (age 34, male): man, 34 years; retirement age 62 years; able and wanting to "
        "work, without a job" in en
    )
    assert "thành viên 2 (34 tuổi, nam): nam, 34 tuổi; tuổi nghỉ hưu 62 tuổi;" in vi
    _, vi, en = reasons("employment", household())
    assert en.startswith(
        "No member of working age (15 to the retirement age for their sex and birth date)"
    )


# ----------------------------------------------------------------------------- 2 dependents


def m(age: int, allowance: bool = False) -> MemberFacts:
    return member(age, receives_social_allowance=allowance)


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        ((m(10), m(40)), False),  # exactly half
        ((m(10), m(5), m(40)), True),  # 2/3
        ((m(10), m(5), m(40), m(38)), False),  # 2/4
        ((m(10), m(5), m(1), m(38)), True),  # 3/4
        ((m(15), m(40)), False),
        ((m(15), m(15), m(40)), True),
        ((m(16), m(16), m(40)), False),  # 16 is not a child
        ((m(70), m(70), m(40)), False),  # elderly without allowance are not dependents
        ((m(70, True), m(70, True), m(40)), True),
        ((m(30, True), m(40)), False),  # disabled on allowance: half
        ((m(10, True), m(40)), False),  # a child on allowance counts once
        ((m(75, True),), True),  # 1/1
        ((m(40),), False),
        ((m(10), m(70, True), m(40), m(38), m(1)), True),  # 3/5
        ((m(10), m(70, True), m(40), m(38), m(39), m(2)), False),  # 3/6
    ],
)
def test_dependents(members: tuple[MemberFacts, ...], expected: bool) -> None:
    assert deprived("dependents", household(*members)) is expected


@pytest.mark.parametrize(
    ("max_share", "n_dependents", "expected"),
    [(0.6, 3, False), (0.6, 4, True), ("0.6", 3, False), (0.4, 2, False), (0.4, 3, True)],
)
def test_dependents_share_is_a_parameter(
    max_share: float | str, n_dependents: int, expected: bool
) -> None:
    members = tuple(m(5) for _ in range(n_dependents)) + tuple(
        m(40) for _ in range(5 - n_dependents)
    )
    assert deprived("dependents", household(*members), max_share=max_share) is expected


def test_dependents_reason() -> None:
    _, vi, en = reasons("dependents", household(m(10), m(70, True), m(40)))
    assert en.startswith("Dependents are 2 of 3 members (66.7%")
    assert "more than 50%" in en
    assert vi.startswith("Người phụ thuộc 2/3 thành viên (66,7%")
    _, vi, en = reasons("dependents", household(m(10), m(40)))
    assert "not more than 50%" in en
    assert "không vượt quá 50%" in vi


# ----------------------------------------------------------------------------- 3 nutrition


@pytest.mark.parametrize(
    ("age", "status", "expected"),
    [
        (0, "underweight", True),
        (15, "stunted", True),
        (15, "underweight", True),
        (15, "normal", False),
        (15, None, None),  # not recorded: unknown, never a deprivation
        (16, "stunted", False),
        (16, "underweight", False),
    ],
)
def test_nutrition(age: int, status: str | None, expected: bool | None) -> None:
    facts = household(member(), member(age, nutrition=status))
    assert deprived("nutrition", facts) is expected


# ----------------------------------------------------------------------------- 4 health insurance


@pytest.mark.parametrize(
    ("age", "insured", "expected"),
    [
        (0, False, False),
        (5, False, False),
        (6, False, True),
        (6, True, False),
        (7, False, True),
        (80, False, True),
        (80, True, False),
    ],
)
def test_health_insurance(age: int, insured: bool, expected: bool) -> None:
    facts = household(member(), member(age, has_health_insurance=insured))
    assert deprived("health_insurance", facts) is expected


# ----------------------------------------------------------------------------- 5 adult education

LEVELS = ("none", "primary", "lower_secondary", "upper_secondary", "vocational", "higher")
LACKING_BY_AGE = {
    15: set(),
    16: {"none", "primary"},
    17: {"none", "primary"},
    18: {"none", "primary", "lower_secondary"},
    30: {"none", "primary", "lower_secondary"},
    31: set(),
}


@pytest.mark.parametrize(
    ("age", "level", "expected"),
    [(age, level, level in lacking) for age, lacking in LACKING_BY_AGE.items() for level in LEVELS],
)
def test_adult_education_out_of_school(age: int, level: str, expected: bool) -> None:
    facts = household(member(), member(age, schooling="not_attending", education_level=level))
    assert deprived("adult_education", facts) is expected


@pytest.mark.parametrize(
    ("schooling", "level", "expected"),
    [
        (None, "primary", None),  # lacking the level, school not recorded: cannot tell
        (None, "upper_secondary", False),  # the level is enough to tell
        ("attending", None, False),  # in school is enough to tell
        ("not_attending", None, None),
    ],
)
def test_adult_education_with_a_fact_missing(
    schooling: str | None, level: str | None, expected: bool | None
) -> None:
    facts = household(member(), member(20, schooling=schooling, education_level=level))
    assert deprived("adult_education", facts) is expected


@pytest.mark.parametrize("schooling", ["attending", "attending_below"])
@pytest.mark.parametrize("age", [16, 17, 18, 30])
def test_adult_education_in_school_is_not_deprived(schooling: str, age: int) -> None:
    facts = household(member(age, schooling=schooling, education_level="none"))
    assert not deprived("adult_education", facts)


def test_adult_education_reason_states_the_expected_level() -> None:
    _, vi, en = reasons("adult_education", household(member(17, education_level="primary")))
    assert "member 1 (age 17, male): not in school, education primary" in en
    assert "expected lower secondary" in en
    assert "tốt nghiệp trung học cơ sở" in vi


# ----------------------------------------------------------------------------- 6 child schooling


@pytest.mark.parametrize(
    ("age", "schooling", "expected"),
    [
        (2, None, False),
        (2, "not_attending", False),
        (3, "not_attending", True),
        (3, "attending_below", True),
        (3, None, None),
        (3, "attending", False),
        (10, "attending_below", True),
        (15, "not_attending", True),
        (15, "attending_below", True),
        (15, "attending", False),
        (16, "not_attending", False),
        (16, None, False),
    ],
)
def test_child_schooling(age: int, schooling: str | None, expected: bool | None) -> None:
    facts = household(member(), member(age, schooling=schooling))
    assert deprived("child_schooling", facts) is expected


def test_child_schooling_reason_when_not_recorded() -> None:
    result, vi, en = reasons("child_schooling", household(member(5, schooling=None)))
    assert result is None
    assert en == "Cannot assess: not recorded: schooling of member 1 (age 5)"
    assert vi == "Không đánh giá được: chưa ghi nhận tình trạng đi học của thành viên 1 (5 tuổi)"


# ----------------------------------------------------------------------------- 7 housing quality

NON_DURABLE = ("timber", "bamboo", "mud", "leaves_straw", "tarpaulin", "other")
DURABLE = ("concrete", "brick_stone", "steel", "durable_wood", "tile", "metal_sheet")


def test_material_tables_cover_every_material_choice() -> None:
    assert set(NON_DURABLE) | set(DURABLE) == set(choices.Material.values)
    assert set(NON_DURABLE) == set(default_params("housing_quality")["non_durable_materials"])


@pytest.mark.parametrize(
    ("wall", "frame", "roof", "expected"),
    [
        ("brick_stone", "concrete", "tile", False),
        ("bamboo", "concrete", "tile", False),
        ("brick_stone", "timber", "tile", False),
        ("brick_stone", "concrete", "leaves_straw", False),
        ("bamboo", "timber", "tile", True),
        ("bamboo", "concrete", "leaves_straw", True),
        ("brick_stone", "timber", "leaves_straw", True),
        ("mud", "bamboo", "tarpaulin", True),
    ],
)
def test_housing_quality_parts(wall: str, frame: str, roof: str, expected: bool) -> None:
    facts = household(wall_material=wall, frame_material=frame, roof_material=roof)
    assert deprived("housing_quality", facts) is expected


@pytest.mark.parametrize(
    ("material", "expected"),
    [(mat, True) for mat in NON_DURABLE] + [(mat, False) for mat in DURABLE],
)
def test_housing_quality_materials(material: str, expected: bool) -> None:
    facts = household(wall_material=material, roof_material=material)
    assert deprived("housing_quality", facts) is expected


def test_housing_quality_reason_and_params() -> None:
    facts = household(wall_material="bamboo", roof_material="leaves_straw")
    assert reasons("housing_quality", facts) == (
        True,
        "2/3 kết cấu chính của nhà không bền chắc: tường (tre, nứa), mái (lá, rơm rạ)",
        "2 of 3 main parts of the house are non-durable: walls (bamboo), roof (leaves / straw)",
    )
    one = household(wall_material="bamboo")
    ok, vi, en = reasons("housing_quality", one)
    assert not ok
    assert en == "Only 1 of 3 main parts of the house is non-durable (walls (bamboo)), fewer than 2"
    assert vi.startswith("Chỉ 1/3 kết cấu chính của nhà không bền chắc")
    assert deprived("housing_quality", one, min_non_durable_parts=1)
    assert not deprived("housing_quality", facts, non_durable_materials=["mud"])


# ----------------------------------------------------------------------------- 8 housing area


@pytest.mark.parametrize(
    ("n", "area", "params", "expected"),
    [
        (1, 7.99, {}, True),
        (1, 8.0, {}, False),
        (1, 8, {}, False),
        (3, 23.97, {}, True),  # 7.99 per person
        (3, 24.0, {}, False),  # exactly 8
        (3, 23.999, {}, True),
        (7, 55.93, {}, True),
        (7, 56.0, {}, False),
        (1, 0.0, {}, True),  # area not surveyed counts as deprived
        (2, 19.99, {"min_m2_per_person": 10}, True),
        (2, 20, {"min_m2_per_person": 10}, False),
        # 7.3 * 3 is 21.900000000000002 in floating point: must not be deprived
        (3, 21.9, {"min_m2_per_person": 7.3}, False),
        (3, 21.89, {"min_m2_per_person": 7.3}, True),
        # 16.2 / 3 is 5.3999999999999995 in floating point: must not be deprived either
        (3, 16.2, {"min_m2_per_person": 5.4}, False),
        (3, 16.19, {"min_m2_per_person": 5.4}, True),
        (10, 80.0, {"min_m2_per_person": "8"}, False),
    ],
)
def test_housing_area(n: int, area: float, params: dict[str, Any], expected: bool) -> None:
    facts = household(*(member() for _ in range(n)), floor_area_m2=area)
    assert deprived("housing_area", facts, **params) is expected


@pytest.mark.parametrize(
    ("n", "area", "vi", "en"),
    [
        (
            2,
            15.0,
            "Diện tích ở bình quân 7,5 m²/người (15 m², 2 người), dưới 8 m²",
            "Floor area per person 7.5 m² (15 m² for 2 members), below 8 m²",
        ),
        (
            3,
            23.999,
            "Diện tích ở bình quân 7,99 m²/người (23,99 m², 3 người), dưới 8 m²",
            "Floor area per person 7.99 m² (23.99 m² for 3 members), below 8 m²",
        ),
        (
            3,
            24.0,
            "Diện tích ở bình quân 8 m²/người (24 m², 3 người), không dưới 8 m²",
            "Floor area per person 8 m² (24 m² for 3 members), at least 8 m²",
        ),
    ],
)
def test_housing_area_reason(n: int, area: float, vi: str, en: str) -> None:
    facts = household(*(member() for _ in range(n)), floor_area_m2=area)
    assert reasons("housing_area", facts)[1:] == (vi, en)


# ----------------------------------------------------------------------------- 9 water, 10 latrine

WATER = {
    "tap": False,
    "borehole": False,
    "protected_well": False,
    "protected_spring": False,
    "rainwater": False,
    "bottled": False,
    "unprotected_well": True,
    "unprotected_spring": True,
    "surface": True,
    "other": True,
}
LATRINE = {
    "septic": False,
    "semi_septic": False,
    "pour_flush": False,
    "ventilated_pit": False,
    "double_vault": False,
    "biogas": False,  # to be confirmed against the Ministry of Health's regulation
    "simple_pit": True,
    "overhang": True,
    "none": True,
}


def test_water_and_latrine_tables_cover_every_choice() -> None:
    assert set(WATER) == set(choices.WaterSource.values)
    assert set(LATRINE) == set(choices.Latrine.values)


@pytest.mark.parametrize(("source", "expected"), WATER.items())
def test_domestic_water(source: str, expected: bool) -> None:
    facts = household(water_source=source)
    assert deprived("domestic_water", facts) is expected
    _, vi, en = reasons("domestic_water", facts)
    assert f"({choices.WaterSource(source).label.lower()})" in en  # names, never codes
    assert f"({rules.vi('water_source', source)})" in vi and source not in vi


def test_domestic_water_params_are_a_json_list_of_codes() -> None:
    assert deprived("domestic_water", household(water_source="borehole"), safe_sources=["tap"])
    with pytest.raises(ParamError, match="safe_sources: a list of water_source codes"):
        deprived("domestic_water", household(water_source="tap"), safe_sources="tap")


@pytest.mark.parametrize(("kind", "expected"), LATRINE.items())
def test_latrine(kind: str, expected: bool) -> None:
    assert deprived("latrine", household(latrine=kind)) is expected


# ----------------------------------------------------------------------------- 11, 12 information


@pytest.mark.parametrize(("uses_internet", "expected"), [(True, False), (False, True)])
def test_telecom(uses_internet: bool, expected: bool) -> None:
    assert deprived("telecom", household(uses_internet=uses_internet)) is expected


@pytest.mark.parametrize(
    ("devices", "params", "expected"),
    [
        (frozenset(), {}, True),
        (frozenset({"car"}), {}, True),  # not a means of accessing information
        (frozenset({"tv", "car"}), {}, False),
        (frozenset({"radio"}), {"devices": ["tv"]}, True),
        (frozenset({"radio"}), {"devices": ["tv", "radio"]}, False),
    ]
    + [(frozenset({device}), {}, False) for device in choices.Device.values],
)
def test_info_devices(devices: frozenset[str], params: dict[str, Any], expected: bool) -> None:
    assert deprived("info_devices", household(devices=devices), **params) is expected


def test_info_devices_reason_is_sorted() -> None:
    _, _, en = reasons("info_devices", household(devices=frozenset({"tv", "radio"})))
    assert en == "The household has means of accessing information: radio, television"


# ----------------------------------------------------------------------------- waste


@pytest.mark.parametrize(
    ("treatment", "expected"),
    [
        (None, None),  # not recorded: unknown, never a deprivation
        ("dumped", True),
        ("burned", True),
        ("collected", False),
        ("composted_sorted", False),
        ("buried", False),
    ],
)
def test_waste(treatment: str | None, expected: bool | None) -> None:
    assert deprived("waste", household(waste_treatment=treatment)) is expected


def test_waste_not_recorded_says_so() -> None:
    result, vi, en = reasons("waste", household(waste_treatment=None))
    assert result is None
    assert en == "Cannot assess: not recorded: waste treatment"
    assert vi == "Không đánh giá được: chưa ghi nhận cách xử lý rác thải sinh hoạt"


def test_waste_table_covers_every_choice() -> None:
    assert {"dumped", "burned", "collected", "composted_sorted", "buried"} == set(
        choices.WasteTreatment.values
    )


# ----------------------------------------------------------------------------- reasons


@pytest.mark.parametrize("rule", sorted(RULES))
def test_every_rule_explains_both_outcomes_differently(rule: str) -> None:
    bad = household(
        member(30, employment="unemployed", has_health_insurance=False),
        member(10, schooling="not_attending", nutrition="stunted"),
        member(5),
        wall_material="bamboo",
        roof_material="leaves_straw",
        floor_area_m2=10.0,
        water_source="surface",
        latrine="none",
        uses_internet=False,
        devices=frozenset(),
        waste_treatment="dumped",
    )
    good = household()
    yes = reasons(rule, bad)
    no = reasons(rule, good)
    if rule == "adult_education":
        yes = reasons(rule, household(member(20, education_level="primary")))
    assert yes[0] is True
    assert no[0] is False
    for text in (*yes[1:], *no[1:]):
        assert isinstance(text, str)
        assert len(text) > 20
    assert yes[1] != no[1]
    assert yes[2] != no[2]
