"""The assessment engine: pure functions from survey facts and one standard to a decision.

No Django imports. Immutable facts in, immutable results out. Every decision carries its reason in
Vietnamese and English so it can be explained to the household and the village meeting, and
ENGINE_VERSION is stored with each result so old decisions can be reproduced.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, NamedTuple

ENGINE_VERSION = "1.0.0"


class MemberFacts(NamedTuple):
    """One member on the survey date (age in whole years at the survey date). Facts are named
    tuples: immutable, and cheap to build by the million for a what-if."""

    age: int
    sex: str  # "male" | "female"
    has_health_insurance: bool = True
    schooling: str | None = None  # poverty.choices.Schooling, or None when not asked
    education_level: str = "none"  # poverty.choices.EducationLevel
    employment: str = "not_in_labour_force"  # poverty.choices.Employment
    receives_social_allowance: bool = False  # monthly social allowance (elderly/disabled)
    nutrition: str | None = None  # poverty.choices.Nutrition, children under 16 only


class HouseholdFacts(NamedTuple):
    is_urban: bool
    annual_income: int  # VND over the last 12 months, all sources
    members: tuple[MemberFacts, ...]
    wall_material: str = "brick_stone"  # poverty.choices.Material
    frame_material: str = "concrete"
    roof_material: str = "tile"
    floor_area_m2: float = 0.0
    water_source: str = "tap"  # poverty.choices.WaterSource
    latrine: str = "septic"  # poverty.choices.Latrine
    uses_internet: bool = True
    devices: frozenset[str] = frozenset()  # poverty.choices.Device values
    waste_treatment: str | None = None  # poverty.choices.WasteTreatment


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    dimension: str
    name_vi: str
    name_en: str
    rule: str  # poverty.choices.Rule value, a key of RULES
    params: Mapping[str, Any] = field(default_factory=dict)

    @functools.cached_property
    def check(self) -> Check:
        """The rule compiled with these params (once per spec; specs are immutable)."""
        return RULES[self.rule](self.params)


@dataclass(frozen=True)
class StandardSpec:
    code: str
    rural_line: int  # VND per person per month; poor and near-poor share the line
    urban_line: int
    rural_average_max: int | None  # top of the average-living-standard band (None: no band)
    urban_average_max: int | None
    min_deprivations: int  # poor when income <= line and deprivations >= this
    indicators: tuple[IndicatorSpec, ...]


@dataclass(frozen=True)
class IndicatorResult:
    code: str
    deprived: bool
    reason_vi: str
    reason_en: str


@dataclass(frozen=True)
class AssessmentResult:
    standard_code: str
    engine_version: str
    household_size: int
    income_per_person_month: int  # floor of annual income / 12 / members
    line: int  # the income line applied (urban or rural)
    is_urban: bool
    deprivation_count: int
    classification: str  # poverty.choices.Classification value
    indicators: tuple[IndicatorResult, ...]
    explanation_vi: str
    explanation_en: str


# --------------------------------------------------------------------------------------------
# Default parameters per rule. A standard's IndicatorSpec.params override these key by key; the
# values below are the Decree 07/2021 thresholds as recorded in domain.md §4.2 (several marked
# "verify" there, which is why they are parameters). Sets are given as sorted tuples so that the
# mapping can be dumped to JSON as it is to seed a standard's indicator params.
# --------------------------------------------------------------------------------------------

DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "employment": {
        "min_age": 15,
        "max_age_male": 61,  # statutory retirement age (whole years), verify each year
        "max_age_female": 56,
        "statuses": ("unemployed", "wage_no_contract"),
    },
    "dependents": {"child_age": 16, "max_share": 0.5},
    "nutrition": {"child_age": 16, "statuses": ("stunted", "underweight")},
    "health_insurance": {"min_age": 6},
    "adult_education": {
        "min_age": 16,
        "upper_age": 18,
        "max_age": 30,
        "lacking_below_upper_age": ("none", "primary"),
        "lacking_from_upper_age": ("lower_secondary", "none", "primary"),
    },
    "child_schooling": {"min_age": 3, "max_age": 16},
    "housing_quality": {
        "non_durable_materials": ("bamboo", "leaves_straw", "mud", "other", "tarpaulin", "timber"),
        "min_non_durable_parts": 2,
    },
    "housing_area": {"min_m2_per_person": 8},
    "domestic_water": {
        "safe_sources": (
            "borehole",
            "bottled",
            "protected_spring",
            "protected_well",
            "rainwater",
            "tap",
        ),
    },
    "latrine": {
        "hygienic": ("double_vault", "pour_flush", "semi_septic", "septic", "ventilated_pit"),
    },
    "telecom": {},
    "info_devices": {
        "devices": ("computer", "loudspeaker", "radio", "smartphone", "tablet", "tv"),
    },
    "waste": {"acceptable": ("buried", "collected", "composted_sorted")},
}

Reasons = tuple[bool, str, str]

_SEX_VI = {"male": "nam", "female": "nữ"}
_LABEL_VI = {
    "unemployed": "không có việc làm",
    "wage_no_contract": "làm công không có hợp đồng lao động",
    "stunted": "thấp còi",
    "underweight": "nhẹ cân",
    "not_attending": "không đi học",
    "attending_below": "học dưới cấp học phù hợp với độ tuổi",
}
_LABEL_EN = {
    "unemployed": "without a job",
    "wage_no_contract": "working for wages without a labour contract",
    "not_attending": "not attending school",
    "attending_below": "attending below the level for the age",
}


def _param(params: Mapping[str, Any], rule: str, name: str) -> Any:
    return params.get(name, DEFAULT_PARAMS[rule][name])


def _set_param(params: Mapping[str, Any], rule: str, name: str) -> frozenset[str]:
    value = _param(params, rule, name)
    if isinstance(value, str):  # a single value typed where a list was expected
        return frozenset((value,))
    return frozenset(value)


@functools.lru_cache(maxsize=8192)
def _num(
    value: Decimal | Fraction | float | int,
    vi: bool,
    places: str = "0.01",
    rounding: str = ROUND_DOWN,
) -> str:
    """A number with at most 2 decimals (rounded down by default, so a value below a threshold
    never prints as the threshold), trailing zeros dropped, decimal comma in Vietnamese."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    d = Decimal(str(value)).quantize(Decimal(places), rounding=rounding).normalize()
    text = f"{d:f}"
    return text.replace(".", ",") if vi else text


@functools.lru_cache(maxsize=256)
def _fraction(text: str) -> Fraction:
    return Fraction(text)


@functools.lru_cache(maxsize=4096)
def _percent(value: Fraction, vi: bool) -> str:
    return _num(value * 100, vi, "0.1", ROUND_HALF_UP) + "%"


def _listing(values: frozenset[str]) -> str:
    return ", ".join(sorted(values))


@dataclass(frozen=True)
class Check:
    """One indicator rule with its parameters applied. ``deprived`` decides (what bulk
    re-assessment calls); ``reasons`` takes the same decision and says why, in Vietnamese and
    English (what ``assess`` calls). Both read the parameters parsed once, when compiled."""

    deprived: Callable[[HouseholdFacts], bool]
    reasons: Callable[[HouseholdFacts], Reasons]


def _member_rule(
    matches: Callable[[MemberFacts], bool],
    found: tuple[str, str],
    none: tuple[str, str],
    detail: Callable[[MemberFacts], tuple[str, str]],
) -> Check:
    """Deprived when at least one member matches; the reason names every matching member.

    ``found`` is the (vi, en) sentence start when deprived, ``none`` the (vi, en) sentence when
    not, ``detail`` describes one matching member (vi, en).
    """

    def deprived(facts: HouseholdFacts) -> bool:
        return any(map(matches, facts.members))

    def reasons(facts: HouseholdFacts) -> Reasons:
        hits = [(i, m) for i, m in enumerate(facts.members, start=1) if matches(m)]
        if not hits:
            return False, none[0], none[1]
        vi = "; ".join(
            f"thành viên {i} ({m.age} tuổi, {_SEX_VI.get(m.sex, m.sex)}): {detail(m)[0]}"
            for i, m in hits
        )
        en = "; ".join(f"member {i} (age {m.age}, {m.sex}): {detail(m)[1]}" for i, m in hits)
        return True, f"{found[0]}: {vi}", f"{found[1]}: {en}"

    return Check(deprived, reasons)


# ------------------------------------------------------------------------------ the 13 rules
# Each takes a standard's indicator params and returns its Check.


def employment(params: Mapping[str, Any]) -> Check:
    """≥1 member of working age (min_age..retirement age by sex, inclusive) with a status in
    ``statuses`` (no job although able and wanting to work, or wage work without a contract)."""
    lo = int(_param(params, "employment", "min_age"))
    hi_m = int(_param(params, "employment", "max_age_male"))
    hi_f = int(_param(params, "employment", "max_age_female"))
    statuses = _set_param(params, "employment", "statuses")

    def matches(m: MemberFacts) -> bool:
        return m.employment in statuses and lo <= m.age <= (hi_f if m.sex == "female" else hi_m)

    ages_vi = f"nam {lo}–{hi_m}, nữ {lo}–{hi_f} tuổi"
    ages_en = f"men {lo}–{hi_m}, women {lo}–{hi_f}"
    return _member_rule(
        matches,
        found=(
            f"Có thành viên trong độ tuổi lao động ({ages_vi}) không có việc làm hoặc làm công "
            "không có hợp đồng lao động",
            f"Member of working age ({ages_en}) without a job or working for wages without a "
            "labour contract",
        ),
        none=(
            f"Không có thành viên trong độ tuổi lao động ({ages_vi}) thất nghiệp hoặc làm công "
            "không có hợp đồng lao động",
            f"No member of working age ({ages_en}) is without a job or working for wages "
            "without a labour contract",
        ),
        detail=lambda m: (
            _LABEL_VI.get(m.employment, m.employment),
            _LABEL_EN.get(m.employment, m.employment),
        ),
    )


def dependents(params: Mapping[str, Any]) -> Check:
    """Dependents (children under child_age, or members receiving the monthly social allowance)
    are more than ``max_share`` of the members; exactly the share is not deprived."""
    child_age = int(_param(params, "dependents", "child_age"))
    max_share = _fraction(str(_param(params, "dependents", "max_share")))

    def counts(facts: HouseholdFacts) -> tuple[int, int]:
        children = allowance = 0
        for m in facts.members:
            if m.age < child_age:
                children += 1
            elif m.receives_social_allowance:
                allowance += 1
        return children, allowance

    def deprived(facts: HouseholdFacts) -> bool:
        n = len(facts.members)
        # count / n > max_share, in whole numbers
        return n > 0 and sum(counts(facts)) * max_share.denominator > max_share.numerator * n

    def reasons(facts: HouseholdFacts) -> Reasons:
        n = len(facts.members)
        if n == 0:
            return False, "Hộ không có thành viên", "The household has no members"
        children, allowance = counts(facts)
        count = children + allowance
        share = Fraction(count, n)
        is_deprived = deprived(facts)
        vi = (
            f"Người phụ thuộc {count}/{n} thành viên ({_percent(share, True)}; trẻ em dưới "
            f"{child_age} tuổi: {children}, người hưởng trợ cấp xã hội hằng tháng: {allowance}), "
            + ("vượt quá " if is_deprived else "không vượt quá ")
            + _percent(max_share, True)
        )
        en = (
            f"Dependents are {count} of {n} members ({_percent(share, False)}; children under "
            f"{child_age}: {children}, receiving the monthly social allowance: {allowance}), "
            + ("more than " if is_deprived else "not more than ")
            + _percent(max_share, False)
        )
        return is_deprived, vi, en

    return Check(deprived, reasons)


def nutrition(params: Mapping[str, Any]) -> Check:
    """≥1 child under child_age whose nutrition status is in ``statuses``."""
    child_age = int(_param(params, "nutrition", "child_age"))
    statuses = _set_param(params, "nutrition", "statuses")
    return _member_rule(
        lambda m: m.nutrition in statuses and m.age < child_age,
        found=(
            f"Có trẻ em dưới {child_age} tuổi suy dinh dưỡng",
            f"Child under {child_age} malnourished",
        ),
        none=(
            f"Không có trẻ em dưới {child_age} tuổi bị suy dinh dưỡng (thấp còi, nhẹ cân)",
            f"No child under {child_age} is stunted or underweight",
        ),
        detail=lambda m: (_LABEL_VI.get(str(m.nutrition), str(m.nutrition)), str(m.nutrition)),
    )


def health_insurance(params: Mapping[str, Any]) -> Check:
    """≥1 member aged min_age or over without health insurance."""
    min_age = int(_param(params, "health_insurance", "min_age"))
    return _member_rule(
        lambda m: not m.has_health_insurance and m.age >= min_age,
        found=(
            f"Có thành viên từ {min_age} tuổi trở lên không có bảo hiểm y tế",
            f"Member aged {min_age} or over without health insurance",
        ),
        none=(
            f"Mọi thành viên từ {min_age} tuổi trở lên đều có bảo hiểm y tế",
            f"Every member aged {min_age} or over has health insurance",
        ),
        detail=lambda m: ("không có thẻ bảo hiểm y tế", "no health insurance"),
    )


def adult_education(params: Mapping[str, Any]) -> Check:
    """≥1 member aged min_age..max_age (inclusive) not in school or training (schooling None or
    "not_attending") whose education level is in ``lacking_below_upper_age`` (min_age <= age <
    upper_age: no lower secondary) or ``lacking_from_upper_age`` (upper_age <= age <= max_age:
    no upper secondary nor vocational training)."""
    lo = int(_param(params, "adult_education", "min_age"))
    mid = int(_param(params, "adult_education", "upper_age"))
    hi = int(_param(params, "adult_education", "max_age"))
    lacking_young = _set_param(params, "adult_education", "lacking_below_upper_age")
    lacking_older = _set_param(params, "adult_education", "lacking_from_upper_age")

    def matches(m: MemberFacts) -> bool:
        if not lo <= m.age <= hi or m.schooling not in (None, "not_attending"):
            return False
        lacking = lacking_young if m.age < mid else lacking_older
        return m.education_level in lacking

    def detail(m: MemberFacts) -> tuple[str, str]:
        if m.age < mid:
            need_vi, need_en = "tốt nghiệp trung học cơ sở", "lower secondary"
        else:
            need_vi = "tốt nghiệp trung học phổ thông hoặc đào tạo nghề"
            need_en = "upper secondary or vocational training"
        return (
            f"không đi học, trình độ {m.education_level} (cần {need_vi})",
            f"not in school, education {m.education_level} (expected {need_en})",
        )

    return _member_rule(
        matches,
        found=(
            f"Có thành viên {lo}–{hi} tuổi không đi học và chưa đạt trình độ theo độ tuổi",
            f"Member aged {lo}–{hi} not in school and lacking the education expected for the age",
        ),
        none=(
            f"Không có thành viên {lo}–{hi} tuổi vừa không đi học vừa chưa đạt trình độ theo "
            "độ tuổi",
            f"No member aged {lo}–{hi} is both out of school and lacking the education expected "
            "for the age",
        ),
        detail=detail,
    )


def child_schooling(params: Mapping[str, Any]) -> Check:
    """≥1 child aged min_age to under max_age whose schooling is not "attending" (not attending,
    attending below the level for the age, or not recorded)."""
    lo = int(_param(params, "child_schooling", "min_age"))
    hi = int(_param(params, "child_schooling", "max_age"))
    return _member_rule(
        lambda m: lo <= m.age < hi and m.schooling != "attending",
        found=(
            f"Có trẻ em từ {lo} đến dưới {hi} tuổi không được đi học đúng bậc, cấp học",
            f"Child aged {lo} to under {hi} not attending the school level right for the age",
        ),
        none=(
            f"Mọi trẻ em từ {lo} đến dưới {hi} tuổi đều đi học đúng bậc, cấp học",
            f"Every child aged {lo} to under {hi} attends the school level right for the age",
        ),
        detail=lambda m: (
            _LABEL_VI.get(str(m.schooling), "chưa ghi nhận tình trạng đi học"),
            _LABEL_EN.get(str(m.schooling), "schooling not recorded"),
        ),
    )


def housing_quality(params: Mapping[str, Any]) -> Check:
    """At least min_non_durable_parts of walls, frame/columns and roof are of a material in
    ``non_durable_materials``."""
    non_durable = _set_param(params, "housing_quality", "non_durable_materials")
    minimum = int(_param(params, "housing_quality", "min_non_durable_parts"))

    def deprived(facts: HouseholdFacts) -> bool:
        parts = (facts.wall_material, facts.frame_material, facts.roof_material)
        return sum(part in non_durable for part in parts) >= minimum

    def reasons(facts: HouseholdFacts) -> Reasons:
        parts = (
            ("tường", "walls", facts.wall_material),
            ("khung/cột", "frame", facts.frame_material),
            ("mái", "roof", facts.roof_material),
        )
        bad = [(vi, en, mat) for vi, en, mat in parts if mat in non_durable]
        k = len(bad)
        list_vi = ", ".join(f"{vi} ({mat})" for vi, _, mat in bad)
        list_en = ", ".join(f"{en} ({mat})" for _, en, mat in bad)
        if deprived(facts):
            return (
                True,
                f"{k}/3 kết cấu chính của nhà không bền chắc: {list_vi}",
                f"{k} of 3 main parts of the house are non-durable: {list_en}",
            )
        if k == 0:
            return (
                False,
                "Cả 3 kết cấu chính của nhà (tường, khung/cột, mái) đều bền chắc",
                "All 3 main parts of the house (walls, frame, roof) are durable",
            )
        return (
            False,
            f"Chỉ {k}/3 kết cấu chính của nhà không bền chắc ({list_vi}), dưới mức {minimum}/3",
            f"Only {k} of 3 main parts of the house {'is' if k == 1 else 'are'} non-durable "
            f"({list_en}), fewer than {minimum}",
        )

    return Check(deprived, reasons)


def housing_area(params: Mapping[str, Any]) -> Check:
    """Floor area per person below min_m2_per_person (exact decimal comparison)."""
    minimum = Decimal(str(_param(params, "housing_area", "min_m2_per_person")))

    def deprived(facts: HouseholdFacts) -> bool:
        n = len(facts.members)
        return n > 0 and Decimal(str(facts.floor_area_m2)) < minimum * n

    def reasons(facts: HouseholdFacts) -> Reasons:
        n = len(facts.members)
        if n == 0:
            return False, "Hộ không có thành viên", "The household has no members"
        area = Decimal(str(facts.floor_area_m2))
        per_person = area / n
        is_deprived = deprived(facts)
        vi = (
            f"Diện tích ở bình quân {_num(per_person, True)} m²/người ({_num(area, True)} m², "
            f"{n} người), "
            + ("dưới " if is_deprived else "không dưới ")
            + f"{_num(minimum, True)} m²"
        )
        en = (
            f"Floor area per person {_num(per_person, False)} m² ({_num(area, False)} m² for "
            f"{n} members), "
            + ("below " if is_deprived else "at least ")
            + f"{_num(minimum, False)} m²"
        )
        return is_deprived, vi, en

    return Check(deprived, reasons)


def domestic_water(params: Mapping[str, Any]) -> Check:
    """The main water source is not in ``safe_sources``."""
    safe = _set_param(params, "domestic_water", "safe_sources")

    def deprived(facts: HouseholdFacts) -> bool:
        return facts.water_source not in safe

    def reasons(facts: HouseholdFacts) -> Reasons:
        src = facts.water_source
        if deprived(facts):
            return (
                True,
                f"Nguồn nước sinh hoạt ({src}) không phải nguồn nước an toàn",
                f"Domestic water source ({src}) is not a safe source",
            )
        return (
            False,
            f"Nguồn nước sinh hoạt ({src}) là nguồn nước an toàn",
            f"Domestic water source ({src}) is safe",
        )

    return Check(deprived, reasons)


def latrine(params: Mapping[str, Any]) -> Check:
    """The latrine type is not in ``hygienic``."""
    hygienic = _set_param(params, "latrine", "hygienic")

    def deprived(facts: HouseholdFacts) -> bool:
        return facts.latrine not in hygienic

    def reasons(facts: HouseholdFacts) -> Reasons:
        kind = facts.latrine
        if deprived(facts):
            return (
                True,
                f"Hộ không có nhà tiêu hợp vệ sinh (hiện có: {kind})",
                f"The household has no hygienic latrine (has: {kind})",
            )
        return False, f"Nhà tiêu ({kind}) hợp vệ sinh", f"The latrine ({kind}) is hygienic"

    return Check(deprived, reasons)


def telecom(params: Mapping[str, Any]) -> Check:
    """No member uses internet services."""

    def deprived(facts: HouseholdFacts) -> bool:
        return not facts.uses_internet

    def reasons(facts: HouseholdFacts) -> Reasons:
        if deprived(facts):
            return (
                True,
                "Không có thành viên nào sử dụng dịch vụ internet",
                "No member uses internet services",
            )
        return (
            False,
            "Có thành viên sử dụng dịch vụ internet",
            "At least one member uses internet services",
        )

    return Check(deprived, reasons)


def info_devices(params: Mapping[str, Any]) -> Check:
    """The household has none of ``devices``."""
    listed = _set_param(params, "info_devices", "devices")

    def deprived(facts: HouseholdFacts) -> bool:
        return listed.isdisjoint(facts.devices)

    def reasons(facts: HouseholdFacts) -> Reasons:
        if deprived(facts):
            return (
                True,
                f"Hộ không có phương tiện tiếp cận thông tin nào trong danh mục "
                f"({_listing(listed)})",
                f"The household has none of the means of accessing information "
                f"({_listing(listed)})",
            )
        owned = listed.intersection(facts.devices)
        return (
            False,
            f"Hộ có phương tiện tiếp cận thông tin: {_listing(owned)}",
            f"The household has means of accessing information: {_listing(owned)}",
        )

    return Check(deprived, reasons)


def waste(params: Mapping[str, Any]) -> Check:
    """Waste treatment not in ``acceptable``; not recorded (None) counts as deprived."""
    acceptable = _set_param(params, "waste", "acceptable")

    def deprived(facts: HouseholdFacts) -> bool:
        return facts.waste_treatment not in acceptable  # None is never acceptable

    def reasons(facts: HouseholdFacts) -> Reasons:
        treatment = facts.waste_treatment
        if treatment is None:
            return (
                True,
                "Chưa ghi nhận cách xử lý rác thải sinh hoạt trong phiếu khảo sát, tính là "
                "thiếu hụt",
                "Waste treatment was not recorded in the survey; counted as deprived",
            )
        if deprived(facts):
            return (
                True,
                f"Rác thải sinh hoạt không được xử lý hợp vệ sinh ({treatment})",
                f"Household waste is not treated properly ({treatment})",
            )
        return (
            False,
            f"Rác thải sinh hoạt được xử lý hợp vệ sinh ({treatment})",
            f"Household waste is treated properly ({treatment})",
        )

    return Check(deprived, reasons)


RuleFn = Callable[[Mapping[str, Any]], Check]

RULES: dict[str, RuleFn] = {
    "employment": employment,
    "dependents": dependents,
    "nutrition": nutrition,
    "health_insurance": health_insurance,
    "adult_education": adult_education,
    "child_schooling": child_schooling,
    "housing_quality": housing_quality,
    "housing_area": housing_area,
    "domestic_water": domestic_water,
    "latrine": latrine,
    "telecom": telecom,
    "info_devices": info_devices,
    "waste": waste,
}


# ------------------------------------------------------------------------------ assessment

POOR = "poor"
NEAR_POOR = "near_poor"
AVERAGE = "average"
NOT_POOR = "not_poor"

_CLASS_VI = {
    POOR: "hộ nghèo",
    NEAR_POOR: "hộ cận nghèo",
    AVERAGE: "hộ có mức sống trung bình",
    NOT_POOR: "hộ không nghèo",
}
_CLASS_EN = {
    POOR: "poor",
    NEAR_POOR: "near-poor",
    AVERAGE: "average living standard",
    NOT_POOR: "not poor",
}


def format_vnd(amount: int, vi: bool) -> str:
    """1500000 -> "1.500.000 đồng" (vi) or "1,500,000 VND" (en)."""
    text = f"{amount:,}"
    return text.replace(",", ".") + " đồng" if vi else text + " VND"


def within_line(annual_income: int, household_size: int, line: int) -> bool:
    """Income at or below the line, compared exactly on annual totals. Only then do the
    deprivations matter to the class."""
    return annual_income <= line * 12 * household_size


def classify(
    annual_income: int,
    household_size: int,
    line: int,
    average_max: int | None,
    deprivation_count: int,
    min_deprivations: int,
) -> str:
    """Decree 07/351 rule: income <= line AND deprivations >= min is poor; income <= line with
    fewer is near-poor; line < income <= band top is average; otherwise not poor. The
    deprivation count is not read when income is above the line."""
    if within_line(annual_income, household_size, line):
        return POOR if deprivation_count >= min_deprivations else NEAR_POOR
    if average_max is not None and annual_income <= average_max * 12 * household_size:
        return AVERAGE
    return NOT_POOR


def assess(facts: HouseholdFacts, standard: StandardSpec) -> AssessmentResult:
    """Evaluate every indicator of ``standard`` on ``facts`` and classify the household."""
    size = len(facts.members)
    if size < 1:
        raise ValueError("a household must have at least one member to be assessed")
    unknown = [spec.rule for spec in standard.indicators if spec.rule not in RULES]
    if unknown:
        raise ValueError(f"unknown indicator rule(s): {', '.join(map(repr, unknown))}")

    results: list[IndicatorResult] = []
    deprived_specs: list[IndicatorSpec] = []
    for spec in standard.indicators:
        deprived, reason_vi, reason_en = spec.check.reasons(facts)
        results.append(IndicatorResult(spec.code, deprived, reason_vi, reason_en))
        if deprived:
            deprived_specs.append(spec)

    line = standard.urban_line if facts.is_urban else standard.rural_line
    band_top = standard.urban_average_max if facts.is_urban else standard.rural_average_max
    count = len(deprived_specs)
    classification = classify(
        facts.annual_income, size, line, band_top, count, standard.min_deprivations
    )
    explanation_vi, explanation_en = _explain(
        facts, standard, size, line, band_top, deprived_specs, classification
    )
    return AssessmentResult(
        standard_code=standard.code,
        engine_version=ENGINE_VERSION,
        household_size=size,
        income_per_person_month=facts.annual_income // (12 * size),
        line=line,
        is_urban=facts.is_urban,
        deprivation_count=count,
        classification=classification,
        indicators=tuple(results),
        explanation_vi=explanation_vi,
        explanation_en=explanation_en,
    )


def _explain(
    facts: HouseholdFacts,
    standard: StandardSpec,
    size: int,
    line: int,
    band_top: int | None,
    deprived: list[IndicatorSpec],
    classification: str,
) -> tuple[str, str]:
    months = 12 * size
    per_person, remainder = divmod(facts.annual_income, months)
    at_or_below = within_line(facts.annual_income, size, line)
    area_vi = "thành thị" if facts.is_urban else "nông thôn"
    area_en = "urban" if facts.is_urban else "rural"
    rounded_vi = " (làm tròn xuống)" if remainder else ""
    rounded_en = " (rounded down)" if remainder else ""
    count, minimum, total = len(deprived), standard.min_deprivations, len(standard.indicators)
    names_vi = ", ".join(s.name_vi for s in deprived) or "không có"
    names_en = ", ".join(s.name_en for s in deprived) or "none"

    vi_line = format_vnd(line, True)
    en_line = format_vnd(line, False)
    if classification == POOR:
        why_vi = f"thu nhập không vượt chuẩn và thiếu hụt từ {minimum} chỉ số trở lên"
        why_en = f"income is at or below the line and there are {minimum} or more deprivations"
    elif classification == NEAR_POOR:
        why_vi = f"thu nhập không vượt chuẩn và thiếu hụt dưới {minimum} chỉ số"
        why_en = f"income is at or below the line and there are fewer than {minimum} deprivations"
    elif classification == AVERAGE:
        top_vi, top_en = format_vnd(band_top or 0, True), format_vnd(band_top or 0, False)
        why_vi = f"thu nhập cao hơn chuẩn {vi_line} và không vượt {top_vi}"
        why_en = f"income is above the line of {en_line} and at or below {top_en}"
    elif band_top is not None:
        top_vi, top_en = format_vnd(band_top, True), format_vnd(band_top, False)
        why_vi = f"thu nhập cao hơn mức trần của hộ có mức sống trung bình {top_vi}"
        why_en = f"income is above the top of the average-living-standard band, {top_en}"
    else:
        why_vi = f"thu nhập cao hơn chuẩn {vi_line}"
        why_en = f"income is above the line of {en_line}"

    vi = (
        f"Thu nhập bình quân {format_vnd(per_person, True)}/người/tháng{rounded_vi}, "
        + ("không vượt" if at_or_below else "cao hơn")
        + f" chuẩn nghèo khu vực {area_vi} {vi_line}. Thiếu hụt {count}/{total} chỉ số "
        f"(hộ nghèo khi từ {minimum} trở lên): {names_vi}. "
        f"Phân loại: {_CLASS_VI[classification]}, vì {why_vi} (chuẩn {standard.code})."
    )
    en = (
        f"Income {format_vnd(per_person, False)} per person per month{rounded_en}, "
        + ("at or below" if at_or_below else "above")
        + f" the {area_en} line of {en_line}. Deprived in {count} of {total} indicators "
        f"(poor needs at least {minimum}): {names_en}. "
        f"Classification: {_CLASS_EN[classification]}, because {why_en} "
        f"(standard {standard.code})."
    )
    return vi, en


@dataclass(frozen=True)
class BulkPlan:
    """Several standards prepared for bulk classification: an indicator that two standards
    share (same rule, same parameters) is evaluated once per household."""

    standards: tuple[StandardSpec, ...]
    unique: tuple[IndicatorSpec, ...]
    uses: tuple[tuple[int, ...], ...]  # per standard: positions in `unique`


def bulk_plan(standards: Sequence[StandardSpec]) -> BulkPlan:
    keys: dict[tuple[str, str], int] = {}
    unique: list[IndicatorSpec] = []
    uses = []
    for standard in standards:
        positions = []
        for spec in standard.indicators:
            if spec.rule not in RULES:
                raise ValueError(f"unknown indicator rule {spec.rule!r}")
            key = (spec.rule, json.dumps(spec.params, sort_keys=True, default=sorted))
            if key not in keys:
                keys[key] = len(unique)
                unique.append(spec)
            positions.append(keys[key])
        uses.append(tuple(positions))
    return BulkPlan(tuple(standards), tuple(unique), tuple(uses))


def classify_bulk(plan: BulkPlan, facts: HouseholdFacts) -> tuple[str, ...]:
    """The class under each standard of the plan; the same answer as ``assess`` gives, without
    reasons or explanations (for re-assessing a whole province). Indicators are evaluated only
    for a standard whose income line the household is within, each at most once."""
    size = len(facts.members)
    if size < 1:
        raise ValueError("a household must have at least one member to be assessed")
    income, urban = facts.annual_income, facts.is_urban
    known: dict[int, bool] = {}
    classes = []
    for standard, positions in zip(plan.standards, plan.uses, strict=True):
        line = standard.urban_line if urban else standard.rural_line
        count = 0
        if within_line(income, size, line):
            for i in positions:
                if i not in known:
                    known[i] = plan.unique[i].check.deprived(facts)
                count += known[i]
        band_top = standard.urban_average_max if urban else standard.rural_average_max
        classes.append(classify(income, size, line, band_top, count, standard.min_deprivations))
    return tuple(classes)
