"""The 13 indicator rules. Each takes a standard's indicator params (compiled) and whether it
runs as engine 1.0.0, and returns its Check."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from .checks import (
    _FACT_EN,
    _FACT_VI,
    _SEX_EN,
    _SEX_VI,
    Check,
    Reasons,
    _all,
    _household_rule,
    _in,
    _member_rule,
    _names,
    _num,
    _percent,
    _unknown_reason,
)
from .codes import en, vi
from .facts import HouseholdFacts, MemberFacts, _months, years_months
from .retirement import retirement_age


def _age_text(months: int, vi_: bool) -> str:
    years, rest = years_months(months)
    if vi_:
        return f"{years} tuổi" + (f" {rest} tháng" if rest else "")
    return f"{years} years" + (f" {rest} months" if rest else "")


def employment(params: Mapping[str, Any], legacy: bool) -> Check:
    """≥1 member of working age with a status in ``statuses`` (no job although able and wanting
    to work, or wage work without a contract). Working age: from ``min_age`` until the member
    reaches the statutory retirement age for their sex and birth date (``retirement_age``),
    working through the month in which they reach it (Decree 135/2020: retirement is at the end
    of that month). Engine 1.0.0 used a fixed window of whole years instead. The reason names
    who is not counted because they have reached the retirement age."""
    lo = params["min_age"]
    statuses = params["statuses"]
    if legacy:
        hi_m, hi_f = params["max_age_male"], params["max_age_female"]

        def working(m: MemberFacts) -> bool:
            return lo <= m.age <= (hi_f if m.sex == "female" else hi_m)

        def age_detail(m: MemberFacts) -> tuple[str, str]:
            return "", ""

        window = (f"nam {lo}–{hi_m}, nữ {lo}–{hi_f} tuổi", f"men {lo}–{hi_m}, women {lo}–{hi_f}")
    else:
        retires_at = retirement_age(params["retirement_age"])

        def ages(m: MemberFacts) -> tuple[int, int]:
            birth, survey = _months(m)
            return survey - birth, retires_at(m.sex, birth)

        def working(m: MemberFacts) -> bool:
            age, limit = ages(m)
            return m.age >= lo and age <= limit

        def age_detail(m: MemberFacts) -> tuple[str, str]:
            age, limit = ages(m)
            return (
                f"{_SEX_VI.get(m.sex, m.sex)}, {_age_text(age, True)}; tuổi nghỉ hưu "
                f"{_age_text(limit, True)}",
                f"{_SEX_EN.get(m.sex, m.sex)}, {_age_text(age, False)}; retirement age "
                f"{_age_text(limit, False)}",
            )

        window = (
            f"từ {lo} tuổi đến tuổi nghỉ hưu theo giới tính và ngày sinh",
            f"{lo} to the retirement age for their sex and birth date",
        )
    check = _member_rule(
        working,
        lambda m: _in(m.employment, statuses),
        ("employment",),
        found=(
            f"Có thành viên trong độ tuổi lao động ({window[0]}) không có việc làm hoặc làm "
            "công không có hợp đồng lao động",
            f"Member of working age ({window[1]}) without a job or working for wages without a "
            "labour contract",
        ),
        none=(
            f"Không có thành viên trong độ tuổi lao động ({window[0]}) thất nghiệp hoặc làm công "
            "không có hợp đồng lao động",
            f"No member of working age ({window[1]}) is without a job or working for wages "
            "without a labour contract",
        ),
        detail=lambda m: (
            "; ".join(filter(None, (age_detail(m)[0], vi("employment", str(m.employment))))),
            "; ".join(filter(None, (age_detail(m)[1], en("employment", str(m.employment))))),
        ),
    )

    def reasons(facts: HouseholdFacts) -> Reasons:
        result, vi_, en_ = check.reasons(facts)
        retired = [
            (i, m)
            for i, m in enumerate(facts.members, start=1)
            if m.age >= lo and m.employment in statuses and not working(m)
        ]
        if retired and not legacy:
            vi_ += "; không tính: " + "; ".join(
                f"thành viên {i} ({age_detail(m)[0]}) đã đến tuổi nghỉ hưu" for i, m in retired
            )
            en_ += "; not counted: " + "; ".join(
                f"member {i} ({age_detail(m)[1]}) has reached the retirement age"
                for i, m in retired
            )
        return result, vi_, en_

    return Check(check.deprived, reasons, check.member_needs)


def dependents(params: Mapping[str, Any], legacy: bool) -> Check:
    """Dependents (children under child_age, or members receiving the monthly social allowance)
    are more than ``max_share`` of the members; exactly the share is not deprived. Unknown when
    an adult's allowance is not recorded and it would decide."""
    child_age = params["child_age"]
    max_share: Fraction = params["max_share"]

    def counts(facts: HouseholdFacts) -> tuple[int, int, int]:
        children = allowance = unknown = 0
        for m in facts.members:
            if m.age < child_age:
                children += 1
            elif m.receives_social_allowance is None:
                unknown += 1
            elif m.receives_social_allowance:
                allowance += 1
        return children, allowance, unknown

    def more_than_share(count: int, n: int) -> bool:
        return count * max_share.denominator > max_share.numerator * n

    def deprived(facts: HouseholdFacts) -> bool | None:
        n = len(facts.members)
        if n == 0:
            return False
        children, allowance, unknown = counts(facts)
        if more_than_share(children + allowance, n):
            return True
        return None if unknown and more_than_share(children + allowance + unknown, n) else False

    def reasons(facts: HouseholdFacts) -> Reasons:
        n = len(facts.members)
        if n == 0:
            return False, "Hộ không có thành viên", "The household has no members"
        children, allowance, unknown = counts(facts)
        result = deprived(facts)
        if result is None:
            vi_, en_ = _unknown_reason(
                [
                    (
                        f"{_FACT_VI['receives_social_allowance']} của {unknown} thành viên từ "
                        f"{child_age} tuổi",
                        f"{_FACT_EN['receives_social_allowance']} for {unknown} member(s) aged "
                        f"{child_age} or over",
                    )
                ]
            )
            return None, vi_, en_
        count = children + allowance
        share = Fraction(count, n)
        vi_ = (
            f"Người phụ thuộc {count}/{n} thành viên ({_percent(share, True)}; trẻ em dưới "
            f"{child_age} tuổi: {children}, người hưởng trợ cấp xã hội hằng tháng: {allowance}), "
            + ("vượt quá " if result else "không vượt quá ")
            + _percent(max_share, True)
        )
        en_ = (
            f"Dependents are {count} of {n} members ({_percent(share, False)}; children under "
            f"{child_age}: {children}, receiving the monthly social allowance: {allowance}), "
            + ("more than " if result else "not more than ")
            + _percent(max_share, False)
        )
        return result, vi_, en_

    return Check(
        deprived,
        reasons,
        member_needs=(("receives_social_allowance", lambda m: m.age >= child_age),),
    )


def nutrition(params: Mapping[str, Any], legacy: bool) -> Check:
    """≥1 child under child_age whose nutrition status is in ``statuses``."""
    child_age = params["child_age"]
    statuses = params["statuses"]
    return _member_rule(
        lambda m: m.age < child_age,
        lambda m: _in(m.nutrition, statuses),
        ("nutrition",),
        found=(
            f"Có trẻ em dưới {child_age} tuổi suy dinh dưỡng",
            f"Child under {child_age} malnourished",
        ),
        none=(
            f"Không có trẻ em dưới {child_age} tuổi bị suy dinh dưỡng (thấp còi, nhẹ cân)",
            f"No child under {child_age} is stunted or underweight",
        ),
        detail=lambda m: (vi("nutrition", str(m.nutrition)), en("nutrition", str(m.nutrition))),
    )


def health_insurance(params: Mapping[str, Any], legacy: bool) -> Check:
    """≥1 member aged min_age or over without health insurance."""
    min_age = params["min_age"]
    return _member_rule(
        lambda m: m.age >= min_age,
        lambda m: None if m.has_health_insurance is None else not m.has_health_insurance,
        ("has_health_insurance",),
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


def adult_education(params: Mapping[str, Any], legacy: bool) -> Check:
    """≥1 member aged min_age..max_age (inclusive) not in school or training whose education
    level is in ``lacking_below_upper_age`` (min_age <= age < upper_age: no lower secondary) or
    ``lacking_from_upper_age`` (upper_age <= age <= max_age: no upper secondary nor vocational
    training). Known in school, or known to have the level, is enough to tell it is not."""
    lo, mid, hi = params["min_age"], params["upper_age"], params["max_age"]
    lacking_young = params["lacking_below_upper_age"]
    lacking_older = params["lacking_from_upper_age"]
    out_of_school = frozenset({"not_attending"})

    def condition(m: MemberFacts) -> bool | None:
        lacking = lacking_young if m.age < mid else lacking_older
        return _all(_in(m.schooling, out_of_school), _in(m.education_level, lacking))

    def detail(m: MemberFacts) -> tuple[str, str]:
        if m.age < mid:
            need_vi, need_en = "tốt nghiệp trung học cơ sở", "lower secondary"
        else:
            need_vi = "tốt nghiệp trung học phổ thông hoặc đào tạo nghề"
            need_en = "upper secondary or vocational training"
        level = str(m.education_level)
        return (
            f"không đi học, trình độ {vi('education_level', level)} (cần {need_vi})",
            f"not in school, education {en('education_level', level)} (expected {need_en})",
        )

    return _member_rule(
        lambda m: lo <= m.age <= hi,
        condition,
        ("schooling", "education_level"),
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


def child_schooling(params: Mapping[str, Any], legacy: bool) -> Check:
    """≥1 child aged min_age to under max_age who does not attend the school level right for
    the age (not attending, or attending below it)."""
    lo, hi = params["min_age"], params["max_age"]
    return _member_rule(
        lambda m: lo <= m.age < hi,
        lambda m: None if m.schooling is None else m.schooling != "attending",
        ("schooling",),
        found=(
            f"Có trẻ em từ {lo} đến dưới {hi} tuổi không được đi học đúng bậc, cấp học",
            f"Child aged {lo} to under {hi} not attending the school level right for the age",
        ),
        none=(
            f"Mọi trẻ em từ {lo} đến dưới {hi} tuổi đều đi học đúng bậc, cấp học",
            f"Every child aged {lo} to under {hi} attends the school level right for the age",
        ),
        detail=lambda m: (vi("schooling", str(m.schooling)), en("schooling", str(m.schooling))),
    )


_PARTS = (
    ("wall_material", "tường", "walls"),
    ("frame_material", "khung, cột", "frame"),
    ("roof_material", "mái", "roof"),
)


def housing_quality(params: Mapping[str, Any], legacy: bool) -> Check:
    """At least min_non_durable_parts of walls, frame/columns and roof are of a material in
    ``non_durable_materials``. A part not recorded makes it unknown only if it would decide."""
    non_durable = params["non_durable_materials"]
    minimum = params["min_non_durable_parts"]

    def tally(facts: HouseholdFacts) -> tuple[list[tuple[str, str, str]], int]:
        bad, unknown = [], 0
        for attr, part_vi, part_en in _PARTS:
            material = getattr(facts, attr)
            if material is None:
                unknown += 1
            elif material in non_durable:
                bad.append((part_vi, part_en, material))
        return bad, unknown

    def deprived(facts: HouseholdFacts) -> bool | None:
        bad, unknown = tally(facts)
        if len(bad) >= minimum:
            return True
        return None if len(bad) + unknown >= minimum else False

    def reasons(facts: HouseholdFacts) -> Reasons:
        bad, _unknown = tally(facts)
        result = deprived(facts)
        if result is None:
            missing = [
                (_FACT_VI[a], _FACT_EN[a]) for a, _, _ in _PARTS if getattr(facts, a) is None
            ]
            vi_, en_ = _unknown_reason(missing)
            return None, vi_, en_
        k = len(bad)
        list_vi = ", ".join(f"{p} ({vi('material', mat)})" for p, _, mat in bad)
        list_en = ", ".join(f"{p} ({en('material', mat)})" for _, p, mat in bad)
        if result:
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

    return Check(deprived, reasons, household_needs=tuple(a for a, _, _ in _PARTS))


def housing_area(params: Mapping[str, Any], legacy: bool) -> Check:
    """Floor area per person below min_m2_per_person (exact comparison)."""
    minimum: Fraction = params["min_m2_per_person"]

    def area(facts: HouseholdFacts) -> Fraction:
        return Fraction(str(facts.floor_area_m2))

    def decide(facts: HouseholdFacts) -> bool:
        n = len(facts.members)
        return n > 0 and area(facts) < minimum * n

    def explain(facts: HouseholdFacts, result: bool) -> tuple[str, str]:
        n = len(facts.members)
        if n == 0:
            return "Hộ không có thành viên", "The household has no members"
        per_person = area(facts) / n
        return (
            f"Diện tích ở bình quân {_num(per_person, True)} m²/người ({_num(area(facts), True)} "
            f"m², {n} người), "
            + ("dưới " if result else "không dưới ")
            + f"{_num(minimum, True)} m²",
            f"Floor area per person {_num(per_person, False)} m² ({_num(area(facts), False)} m² "
            f"for {n} members), "
            + ("below " if result else "at least ")
            + f"{_num(minimum, False)} m²",
        )

    return _household_rule(decide, explain, ("floor_area_m2",))


def domestic_water(params: Mapping[str, Any], legacy: bool) -> Check:
    """The main water source is not in ``safe_sources``."""
    safe = params["safe_sources"]
    return _household_rule(
        lambda f: f.water_source not in safe,
        lambda f, d: (
            f"Nguồn nước sinh hoạt ({vi('water_source', f.water_source)}) "
            + ("không phải nguồn nước an toàn" if d else "là nguồn nước an toàn"),
            f"Domestic water source ({en('water_source', f.water_source)}) "
            + ("is not a safe source" if d else "is safe"),
        ),
        ("water_source",),
    )


def latrine(params: Mapping[str, Any], legacy: bool) -> Check:
    """The latrine type is not in ``hygienic``."""
    hygienic = params["hygienic"]
    return _household_rule(
        lambda f: f.latrine not in hygienic,
        lambda f, d: (
            f"Hộ không có nhà tiêu hợp vệ sinh (hiện có: {vi('latrine', f.latrine)})"
            if d
            else f"Nhà tiêu ({vi('latrine', f.latrine)}) hợp vệ sinh",
            f"The household has no hygienic latrine (has: {en('latrine', f.latrine)})"
            if d
            else f"The latrine ({en('latrine', f.latrine)}) is hygienic",
        ),
        ("latrine",),
    )


def telecom(params: Mapping[str, Any], legacy: bool) -> Check:
    """No member uses internet services."""
    return _household_rule(
        lambda f: not f.uses_internet,
        lambda f, d: (
            "Không có thành viên nào sử dụng dịch vụ internet"
            if d
            else "Có thành viên sử dụng dịch vụ internet",
            "No member uses internet services"
            if d
            else "At least one member uses internet services",
        ),
        ("uses_internet",),
    )


def info_devices(params: Mapping[str, Any], legacy: bool) -> Check:
    """The household has none of ``devices``."""
    listed = params["devices"]
    return _household_rule(
        lambda f: listed.isdisjoint(f.devices),
        lambda f, d: (
            f"Hộ không có phương tiện tiếp cận thông tin nào trong danh mục "
            f"({_names('device', listed, True)})"
            if d
            else "Hộ có phương tiện tiếp cận thông tin: "
            + _names("device", listed.intersection(f.devices), True),
            f"The household has none of the means of accessing information "
            f"({_names('device', listed, False)})"
            if d
            else "The household has means of accessing information: "
            + _names("device", listed.intersection(f.devices), False),
        ),
        ("devices",),
    )


def waste(params: Mapping[str, Any], legacy: bool) -> Check:
    """Waste treatment not in ``acceptable``."""
    acceptable = params["acceptable"]
    return _household_rule(
        lambda f: f.waste_treatment not in acceptable,
        lambda f, d: (
            "Rác thải sinh hoạt "
            + ("không được xử lý hợp vệ sinh" if d else "được xử lý hợp vệ sinh")
            + f" ({vi('waste_treatment', f.waste_treatment)})",
            "Household waste is "
            + ("not treated properly" if d else "treated properly")
            + f" ({en('waste_treatment', f.waste_treatment)})",
        ),
        ("waste_treatment",),
    )


RuleFn = Callable[[Mapping[str, Any], bool], Check]

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
