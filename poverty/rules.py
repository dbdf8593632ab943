"""The assessment engine: pure functions from survey facts and one standard to a decision.

No Django imports. Immutable facts in, immutable results out. Every decision carries its reason in
Vietnamese and English so it can be explained to the household and the village meeting, and
ENGINE_VERSION is stored with each result so old decisions can be reproduced (`assess(...,
engine=LEGACY_ENGINE)` applies the rules as version 1.0.0 did).

What this module holds, each in one place:
- the survey's answer codes with their Vietnamese and English names (`CODES`; poverty.choices
  is built from them);
- every parameter each rule reads, with its type, default, legal source and whether it is still
  to be confirmed against the text (`PARAMETERS`; the shipped standards are built from it, and
  `compile_params` refuses a standard that would not evaluate);
- the 13 rules, three-valued: a fact the survey did not record makes an indicator *unknown*
  (never a deprivation), and a household whose class depends on it is *undetermined* (to be
  surveyed again), not classified.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, NamedTuple

ENGINE_VERSION = "2.0.0"
LEGACY_ENGINE = "1.0.0"  # fixed working-age window; an unrecorded fact counted as before

# --------------------------------------------------------------------------------------------
# The survey's answer codes and their names (Vietnamese, English). poverty.choices builds the
# model and API choices from these; explanations use the names, never the codes.
# --------------------------------------------------------------------------------------------

CODES: dict[str, dict[str, tuple[str, str]]] = {
    "material": {
        "concrete": ("bê tông cốt thép", "Reinforced concrete"),
        "brick_stone": ("gạch, đá", "Brick / stone"),
        "steel": ("sắt, thép", "Steel"),
        "durable_wood": ("gỗ bền chắc", "Durable wood"),
        "tile": ("ngói", "Tile"),
        "metal_sheet": ("tôn, tấm lợp xi măng", "Metal / fibre-cement sheet"),
        "timber": ("gỗ tạp", "Low-quality timber"),
        "bamboo": ("tre, nứa", "Bamboo"),
        "mud": ("đất", "Mud / earth"),
        "leaves_straw": ("lá, rơm rạ", "Leaves / straw"),
        "tarpaulin": ("bạt, ni lông", "Tarpaulin / plastic"),
        "other": ("vật liệu khác", "Other"),
    },
    "water_source": {
        "tap": ("nước máy", "Piped (tap) water"),
        "borehole": ("giếng khoan", "Borehole"),
        "protected_well": ("giếng đào được bảo vệ", "Protected dug well"),
        "protected_spring": ("nước khe, mó được bảo vệ", "Protected spring"),
        "rainwater": ("nước mưa", "Rainwater"),
        "bottled": ("nước đóng bình, mua", "Bottled / purchased"),
        "unprotected_well": ("giếng đào không được bảo vệ", "Unprotected well"),
        "unprotected_spring": ("nước khe, mó không được bảo vệ", "Unprotected spring"),
        "surface": ("nước sông, suối, ao, hồ", "River, stream, pond"),
        "other": ("nguồn khác", "Other"),
    },
    "latrine": {
        "septic": ("tự hoại", "Septic tank"),
        "semi_septic": ("bán tự hoại", "Semi-septic"),
        "pour_flush": ("thấm dội nước", "Pour-flush"),
        "ventilated_pit": ("chìm có ống thông hơi", "Ventilated improved pit"),
        "double_vault": ("hai ngăn", "Double-vault composting"),
        "biogas": ("biogas (hầm khí sinh học)", "Biogas"),
        "simple_pit": ("hố đào đơn giản", "Simple pit"),
        "overhang": ("cầu tõm, trên ao cá", "Overhang / fish pond"),
        "none": ("không có nhà tiêu", "None"),
    },
    "device": {
        "tv": ("ti vi", "Television"),
        "radio": ("radio", "Radio"),
        "computer": ("máy vi tính", "Computer"),
        "smartphone": ("điện thoại thông minh", "Smartphone"),
        "tablet": ("máy tính bảng", "Tablet"),
        "loudspeaker": ("loa truyền thanh tại nhà", "Village loudspeaker at home"),
    },
    "waste_treatment": {
        "collected": ("được thu gom", "Collected by a service"),
        "composted_sorted": ("phân loại, ủ tại nhà", "Sorted / composted at home"),
        "buried": ("chôn lấp hợp vệ sinh", "Buried hygienically"),
        "burned": ("đốt ngoài trời", "Burned in the open"),
        "dumped": ("vứt bỏ", "Dumped"),
    },
    "education_level": {
        "none": ("chưa tốt nghiệp tiểu học", "None"),
        "primary": ("tiểu học", "Primary"),
        "lower_secondary": ("trung học cơ sở", "Lower secondary"),
        "upper_secondary": ("trung học phổ thông", "Upper secondary"),
        "vocational": ("đào tạo nghề, có chứng chỉ", "Vocational / certified training"),
        "higher": ("cao đẳng, đại học", "College / university"),
    },
    "schooling": {
        "attending": (
            "đi học đúng bậc, cấp học theo độ tuổi",
            "Attending at the level right for the age",
        ),
        "attending_below": (
            "đi học dưới bậc, cấp học phù hợp với độ tuổi",
            "Attending below the level for the age",
        ),
        "not_attending": ("không đi học", "Not attending"),
    },
    "employment": {
        "wage_contract": ("làm công có hợp đồng lao động", "Wage work with a labour contract"),
        "wage_no_contract": (
            "làm công không có hợp đồng lao động",
            "Wage work without a labour contract",
        ),
        "self_employed": ("tự làm, sản xuất kinh doanh", "Self-employed / own farm or business"),
        "unemployed": (
            "có khả năng và mong muốn làm việc nhưng không có việc làm",
            "Able and wanting to work, without a job",
        ),
        "not_in_labour_force": (
            "không tham gia lực lượng lao động (đi học, nội trợ, không có khả năng)",
            "Not in the labour force (studying, caring, unable)",
        ),
    },
    "nutrition": {
        "normal": ("bình thường", "Normal"),
        "stunted": ("thấp còi", "Stunted"),
        "underweight": ("nhẹ cân", "Underweight"),
    },
}


def vi(kind: str, code: str) -> str:
    return CODES[kind].get(code, (code, code))[0]


def en(kind: str, code: str) -> str:
    return CODES[kind].get(code, (code, code))[1].lower()


# --------------------------------------------------------------------------------------------
# Parameters. Every value a rule reads is a parameter of the standard's indicator, stored with
# the standard: a change of the law is a new revision, not a change of code. The defaults are
# the Decree 07/2021 values (domain.md §4.2); the shipped standards (poverty.seed) are built
# from them, with each parameter's source and whether it still has to be confirmed.
# --------------------------------------------------------------------------------------------

_D07 = "Nghị định 07/2021/NĐ-CP, Phụ lục (chỉ số đo lường mức độ thiếu hụt)"
_D07_VERIFY = _D07 + " — wording from secondary sources (domain.md §4.2): to confirm"
_LABOUR = (
    "Bộ luật Lao động 2019, Điều 169; Nghị định 135/2020/NĐ-CP, Điều 4 và Phụ lục I: men 60 "
    "years 3 months in 2021, +3 months a year to 62 (2028); women 55 years 4 months in 2021, "
    "+4 months a year to 60 (2035); reached in the month the age falls (checked against the "
    "appendix's published table by tests)"
)


@dataclass(frozen=True)
class Param:
    """One parameter a rule reads: kind (`int`, `share`, `number`, `codes` of a CODES kind,
    `retirement`), default (the Decree 07 value), legal source, and whether it is still to be
    confirmed against the text."""

    kind: str
    default: Any
    source: str
    to_confirm: bool = False
    codes: str | None = None  # for kind "codes": the CODES kind its values come from


def _codes(kind: str, values: Iterable[str], source: str, to_confirm: bool = True) -> Param:
    return Param("codes", tuple(sorted(values)), source, to_confirm, codes=kind)


RETIREMENT_SCHEDULE = {  # ages in months: 723 = 60 years 3 months
    "male": {"from_year": 2021, "start": 723, "step": 3, "until": 744, "before": 720},
    "female": {"from_year": 2021, "start": 664, "step": 4, "until": 720, "before": 660},
}

PARAMETERS: dict[str, dict[str, Param]] = {
    "employment": {
        "min_age": Param("int", 15, _LABOUR),
        "retirement_age": Param("retirement", RETIREMENT_SCHEDULE, _LABOUR),
        "statuses": _codes("employment", ("unemployed", "wage_no_contract"), _D07_VERIFY),
    },
    "dependents": {
        "child_age": Param("int", 16, _D07_VERIFY, True),
        "max_share": Param("share", "1/2", _D07_VERIFY, True),
    },
    "nutrition": {
        "child_age": Param("int", 16, _D07_VERIFY, True),
        "statuses": _codes("nutrition", ("stunted", "underweight"), _D07_VERIFY),
    },
    "health_insurance": {"min_age": Param("int", 6, _D07_VERIFY, True)},
    "adult_education": {
        "min_age": Param("int", 16, _D07_VERIFY, True),
        "upper_age": Param("int", 18, _D07_VERIFY, True),
        "max_age": Param("int", 30, _D07_VERIFY, True),
        "lacking_below_upper_age": _codes("education_level", ("none", "primary"), _D07_VERIFY),
        "lacking_from_upper_age": _codes(
            "education_level", ("none", "primary", "lower_secondary"), _D07_VERIFY
        ),
    },
    "child_schooling": {
        "min_age": Param("int", 3, _D07_VERIFY, True),
        "max_age": Param("int", 16, _D07_VERIFY, True),
    },
    "housing_quality": {
        "non_durable_materials": _codes(
            "material",
            ("bamboo", "leaves_straw", "mud", "other", "tarpaulin", "timber"),
            _D07 + "; which materials are durable follows the Ministry of Construction's "
            "housing-quality guidance: to confirm",
        ),
        "min_non_durable_parts": Param("int", 2, _D07_VERIFY, True),
    },
    "housing_area": {"min_m2_per_person": Param("number", "8", _D07_VERIFY, True)},
    "domestic_water": {
        "safe_sources": _codes(
            "water_source",
            ("borehole", "bottled", "protected_spring", "protected_well", "rainwater", "tap"),
            _D07 + "; the list of safe sources: to confirm",
        ),
    },
    "latrine": {
        "hygienic": _codes(
            "latrine",
            ("biogas", "double_vault", "pour_flush", "semi_septic", "septic", "ventilated_pit"),
            _D07 + "; hygienic types after the Ministry of Health's latrine regulation "
            "(QCVN 01:2021/BYT), biogas included: to confirm",
        ),
    },
    "telecom": {},
    "info_devices": {
        "devices": _codes(
            "device",
            ("computer", "loudspeaker", "radio", "smartphone", "tablet", "tv"),
            _D07 + "; the list of devices: to confirm",
        ),
    },
    "waste": {
        "acceptable": _codes(
            "waste_treatment",
            ("buried", "collected", "composted_sorted"),
            "Drafts of Nghị định 351/2025/NĐ-CP (waste treatment under a widened water, "
            "sanitation and environment dimension): to confirm against the final text",
        ),
    },
}


def default_params(rule: str) -> dict[str, Any]:
    """The rule's parameters with their default values, as stored with a standard (JSON)."""
    return {
        name: list(p.default) if p.kind == "codes" else json.loads(json.dumps(p.default))
        for name, p in PARAMETERS[rule].items()
    }


def param_sources(rule: str) -> dict[str, dict[str, Any]]:
    """Each parameter's source and whether it is to be confirmed, as stored with a standard."""
    return {
        name: {"source": p.source, "to_confirm": p.to_confirm}
        for name, p in PARAMETERS[rule].items()
    }


class ParamError(ValueError):
    """A parameter a rule cannot evaluate with: its name and why."""

    def __init__(self, name: str, reason: str):
        super().__init__(f"{name}: {reason}")
        self.name, self.reason = name, reason


def _read(value: Any, name: str, p: Param) -> Any:
    if p.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ParamError(name, "a whole number, 0 or more, is required")
        return value
    if p.kind in ("number", "share"):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ParamError(name, 'a number is required (e.g. 8, "8.5" or "1/2")')
        try:
            number = Fraction(str(value))
        except (ValueError, ZeroDivisionError):
            raise ParamError(name, f"{value!r} is not a number") from None
        if number <= 0 or (p.kind == "share" and number >= 1):
            raise ParamError(
                name, "must be more than 0" + (" and less than 1" * (p.kind == "share"))
            )
        return number
    if p.kind == "codes":
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise ParamError(name, f"a list of {p.codes} codes is required")
        unknown = sorted({v for v in value if v not in CODES[p.codes or ""]}, key=str)
        if unknown:
            raise ParamError(name, f"not {p.codes} codes: {', '.join(map(str, unknown))}")
        return frozenset(value)
    if p.kind == "retirement":
        return _read_schedule(value, name)
    raise ParamError(name, f"unknown parameter kind {p.kind}")


_SCHEDULE_KEYS = ("from_year", "start", "step", "until", "before")


def _read_schedule(value: Any, name: str) -> dict[str, tuple[int, ...]]:
    if not isinstance(value, Mapping) or set(value) != {"male", "female"}:
        raise ParamError(name, "a schedule for `male` and `female` is required")
    schedule = {}
    for sex, row in value.items():
        if not isinstance(row, Mapping) or set(row) != set(_SCHEDULE_KEYS):
            raise ParamError(f"{name}.{sex}", f"needs exactly {', '.join(_SCHEDULE_KEYS)}")
        numbers = [row[k] for k in _SCHEDULE_KEYS]
        if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in numbers):
            raise ParamError(f"{name}.{sex}", "whole numbers (ages in months) are required")
        _from_year, start, step, until, before = numbers
        if not before <= start <= until or step < 0 or step >= 12:
            raise ParamError(f"{name}.{sex}", "before ≤ start ≤ until, and 0 ≤ step < 12")
        schedule[sex] = tuple(numbers)
    return schedule


def compile_params(rule: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The rule's parameters read strictly: every one present, of its kind, nothing unknown.
    Raises ParamError naming the first parameter at fault."""
    if rule not in PARAMETERS:
        raise ParamError("rule", f"unknown rule {rule!r}")
    if not isinstance(params, Mapping):
        raise ParamError("params", "an object of parameters is required")
    definitions = PARAMETERS[rule]
    for name in params:
        if name not in definitions:
            known = ", ".join(definitions) or "none"
            raise ParamError(name, f"not a parameter of {rule} (its parameters: {known})")
    read = {}
    for name, p in definitions.items():
        if name not in params:
            raise ParamError(name, "missing")
        read[name] = _read(params[name], name, p)
    return read


# What version 1.0.0 read when a parameter was not stored (its defaults, kept to reproduce the
# decisions it took: shipped standards then stored only the numbers).
LEGACY_DEFAULTS: dict[str, dict[str, Any]] = {
    "employment": {
        "min_age": 15,
        "max_age_male": 61,
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


def _legacy_params(rule: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Version 1.0.0's reading: what is stored, else its default; lists as sets, numbers as
    numbers (no checks: it reproduces decisions already taken)."""
    merged = {
        **LEGACY_DEFAULTS[rule],
        **{k: v for k, v in params.items() if k in LEGACY_DEFAULTS[rule]},
    }
    out: dict[str, Any] = {}
    for name, value in merged.items():
        if isinstance(value, (list, tuple)):
            out[name] = frozenset(value)
        elif isinstance(value, str) and name not in ("max_share",):
            out[name] = frozenset((value,))
        elif name in ("max_share", "min_m2_per_person"):
            out[name] = Fraction(str(value))
        else:
            out[name] = int(value)
    return out


# --------------------------------------------------------------------------------------------
# Facts. None is a fact the survey did not record: unknown, never a deprivation.
# --------------------------------------------------------------------------------------------


def month_index(year: int, month: int) -> int:
    """Months since year 0: consecutive months are consecutive numbers."""
    return year * 12 + month - 1


class MemberFacts(NamedTuple):
    """One member on the survey date. Facts are named tuples: immutable, and cheap to build
    by the million for a what-if. `birth_month`/`survey_month` (month_index) place the
    member on the retirement schedule; without them the member is taken as born in the
    survey's month `age` years before."""

    age: int  # whole years on the survey date
    sex: str  # "male" | "female"
    has_health_insurance: bool | None = None
    schooling: str | None = None  # CODES["schooling"]
    education_level: str | None = None  # CODES["education_level"]
    employment: str | None = None  # CODES["employment"]
    receives_social_allowance: bool | None = None  # monthly social allowance (elderly/disabled)
    nutrition: str | None = None  # CODES["nutrition"], children only
    birth_month: int | None = None
    survey_month: int | None = None


class HouseholdFacts(NamedTuple):
    is_urban: bool
    annual_income: int  # VND over the last 12 months, all sources
    members: tuple[MemberFacts, ...]
    wall_material: str | None = None  # CODES["material"]
    frame_material: str | None = None
    roof_material: str | None = None
    floor_area_m2: float | Decimal | None = None
    water_source: str | None = None  # CODES["water_source"]
    latrine: str | None = None  # CODES["latrine"]
    uses_internet: bool | None = None
    devices: frozenset[str] | None = None  # CODES["device"]; empty: none owned
    waste_treatment: str | None = None  # CODES["waste_treatment"]


def _months(m: MemberFacts) -> tuple[int, int]:
    """(birth month, survey month) indexes of the member (needed for working age)."""
    if m.birth_month is None or m.survey_month is None:
        raise ValueError("working age needs the member's birth_month and survey_month")
    return m.birth_month, m.survey_month


def years_months(months: int) -> tuple[int, int]:
    return divmod(months, 12)


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    dimension: str
    name_vi: str
    name_en: str
    rule: str  # a key of RULES
    params: Mapping[str, Any] = field(default_factory=dict)

    @functools.cached_property
    def check(self) -> Check:
        """The rule compiled with these params, strictly (once per spec)."""
        return RULES[self.rule](compile_params(self.rule, self.params), False)

    @functools.cached_property
    def legacy_check(self) -> Check:
        """The rule as engine 1.0.0 applied it (to reproduce its decisions)."""
        return RULES[self.rule](_legacy_params(self.rule, self.params), True)

    def compiled(self, engine: str = ENGINE_VERSION) -> Check:
        return self.legacy_check if engine == LEGACY_ENGINE else self.check


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
    deprived: bool | None  # None: a fact it needs was not recorded
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
    deprivation_count: int  # indicators known to be deprived
    unknown: tuple[str, ...]  # indicators that could not be assessed (facts missing)
    classification: str  # poor | near_poor | average | not_poor | undetermined
    indicators: tuple[IndicatorResult, ...]
    explanation_vi: str
    explanation_en: str


# --------------------------------------------------------------------------------------------
# Three-valued logic: True, False, or None (cannot tell: a fact is missing).
# --------------------------------------------------------------------------------------------


def _in(value: str | None, codes: frozenset[str]) -> bool | None:
    return None if value is None else value in codes


def _all(*values: bool | None) -> bool | None:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _any(values: Iterable[bool | None]) -> bool | None:
    unknown = False
    for v in values:
        if v:
            return True
        unknown = unknown or v is None
    return None if unknown else False


Reasons = tuple[bool | None, str, str]

_SEX_VI = {"male": "nam", "female": "nữ"}
_SEX_EN = {"male": "man", "female": "woman"}
_FACT_VI = {
    "has_health_insurance": "có thẻ bảo hiểm y tế hay không",
    "schooling": "tình trạng đi học",
    "education_level": "trình độ học vấn",
    "employment": "tình trạng việc làm",
    "receives_social_allowance": "có hưởng trợ cấp xã hội hằng tháng hay không",
    "nutrition": "tình trạng dinh dưỡng",
    "wall_material": "vật liệu tường",
    "frame_material": "vật liệu khung, cột",
    "roof_material": "vật liệu mái",
    "floor_area_m2": "diện tích nhà ở",
    "water_source": "nguồn nước sinh hoạt",
    "latrine": "loại nhà tiêu",
    "uses_internet": "có sử dụng internet hay không",
    "devices": "phương tiện tiếp cận thông tin",
    "waste_treatment": "cách xử lý rác thải sinh hoạt",
}
_FACT_EN = {
    "has_health_insurance": "health insurance",
    "schooling": "schooling",
    "education_level": "education level",
    "employment": "employment",
    "receives_social_allowance": "the monthly social allowance",
    "nutrition": "nutrition status",
    "wall_material": "wall material",
    "frame_material": "frame material",
    "roof_material": "roof material",
    "floor_area_m2": "floor area",
    "water_source": "water source",
    "latrine": "latrine type",
    "uses_internet": "internet use",
    "devices": "means of accessing information",
    "waste_treatment": "waste treatment",
}


def _unknown_reason(missing: Sequence[tuple[str, str]]) -> tuple[str, str]:
    return (
        "Không đánh giá được: chưa ghi nhận " + "; ".join(missing_vi for missing_vi, _ in missing),
        "Cannot assess: not recorded: " + "; ".join(missing_en for _, missing_en in missing),
    )


@functools.lru_cache(maxsize=8192)
def _num(
    value: Decimal | Fraction | float | int,
    vi_: bool,
    places: str = "0.01",
    rounding: str = ROUND_DOWN,
) -> str:
    """A number with at most 2 decimals (rounded down by default, so a value below a threshold
    never prints as the threshold), trailing zeros dropped, decimal comma in Vietnamese."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    d = Decimal(str(value)).quantize(Decimal(places), rounding=rounding).normalize()
    text = f"{d:f}"
    return text.replace(".", ",") if vi_ else text


@functools.lru_cache(maxsize=4096)
def _percent(value: Fraction, vi_: bool) -> str:
    return _num(value * 100, vi_, "0.1", ROUND_HALF_UP) + "%"


def _names(kind: str, codes: Iterable[str], vi_: bool) -> str:
    return ", ".join(sorted(vi(kind, c) if vi_ else en(kind, c) for c in codes))


@dataclass(frozen=True)
class Check:
    """One indicator rule with its parameters applied.

    ``deprived`` decides: True, False, or None when a fact it needs is missing (what bulk
    re-assessment calls). ``reasons`` takes the same decision and says why, in Vietnamese and
    English (what ``assess`` calls). ``needs`` says which facts the rule reads: member facts
    with the members they apply to, and household facts (what the survey API requires)."""

    deprived: Callable[[HouseholdFacts], bool | None]
    reasons: Callable[[HouseholdFacts], Reasons]
    member_needs: tuple[tuple[str, Callable[[MemberFacts], bool]], ...] = ()
    household_needs: tuple[str, ...] = ()


def _member_rule(
    applies: Callable[[MemberFacts], bool],
    condition: Callable[[MemberFacts], bool | None],
    needs: Sequence[str],
    found: tuple[str, str],
    none: tuple[str, str],
    detail: Callable[[MemberFacts], tuple[str, str]],
) -> Check:
    """Deprived when at least one member to whom the rule applies meets the condition; the
    reason names every such member. When none does but the condition cannot be told for some
    (a fact missing), the indicator is unknown and the reason names them and the fact.

    ``found`` is the (vi, en) sentence start when deprived, ``none`` the (vi, en) sentence when
    not, ``detail`` describes one matching member (vi, en)."""

    def matches(m: MemberFacts) -> bool | None:
        return condition(m) if applies(m) else False

    def deprived(facts: HouseholdFacts) -> bool | None:
        return _any(map(matches, facts.members))

    def reasons(facts: HouseholdFacts) -> Reasons:
        results = [(i, m, matches(m)) for i, m in enumerate(facts.members, start=1)]
        hits = [(i, m) for i, m, r in results if r]
        if hits:
            vi_ = "; ".join(
                f"thành viên {i} ({m.age} tuổi, {_SEX_VI.get(m.sex, m.sex)}): {detail(m)[0]}"
                for i, m in hits
            )
            en_ = "; ".join(f"member {i} (age {m.age}, {m.sex}): {detail(m)[1]}" for i, m in hits)
            return True, f"{found[0]}: {vi_}", f"{found[1]}: {en_}"
        unknown = [(i, m) for i, m, r in results if r is None]
        if unknown:
            missing = [
                (
                    f"{', '.join(_FACT_VI[f] for f in needs if getattr(m, f) is None)} của "
                    f"thành viên {i} ({m.age} tuổi)",
                    f"{', '.join(_FACT_EN[f] for f in needs if getattr(m, f) is None)} of "
                    f"member {i} (age {m.age})",
                )
                for i, m in unknown
            ]
            vi_, en_ = _unknown_reason(missing)
            return None, vi_, en_
        return False, none[0], none[1]

    return Check(deprived, reasons, member_needs=tuple((f, applies) for f in needs))


def _household_rule(
    decide: Callable[[HouseholdFacts], bool | None],
    explain: Callable[[HouseholdFacts, bool], tuple[str, str]],
    needs: Sequence[str],
) -> Check:
    """A rule on household facts: unknown when one it needs is missing, else decided and
    explained (``explain(facts, deprived)`` gives the (vi, en) reason)."""

    def deprived(facts: HouseholdFacts) -> bool | None:
        if any(getattr(facts, f) is None for f in needs):
            return None
        return decide(facts)

    def reasons(facts: HouseholdFacts) -> Reasons:
        missing = [f for f in needs if getattr(facts, f) is None]
        if missing:
            vi_, en_ = _unknown_reason([(_FACT_VI[f], _FACT_EN[f]) for f in missing])
            return None, vi_, en_
        result = bool(decide(facts))
        vi_, en_ = explain(facts, result)
        return result, vi_, en_

    return Check(deprived, reasons, household_needs=tuple(needs))


# ------------------------------------------------------------------------------ the 13 rules
# Each takes a standard's indicator params (compiled) and whether it runs as engine 1.0.0, and
# returns its Check.


def retirement_age(schedule: Mapping[str, tuple[int, ...]]) -> Callable[[str, int], int]:
    """The statutory retirement age (in months) of a person of that sex born in that month
    (month_index), under the schedule: from `from_year` the age is `start`, rising by `step`
    a year up to `until`; a person takes the age of the calendar year in which they reach it
    (Decree 135/2020, Appendix I). Who reached `before` ahead of `from_year` retired then."""

    @functools.lru_cache(maxsize=4096)
    def age_of(sex: str, birth_month: int) -> int:
        from_year, start, step, until, before = schedule["female" if sex == "female" else "male"]
        if (birth_month + before) // 12 < from_year:
            return before
        year = from_year
        while True:
            age = min(start + step * (year - from_year), until)
            if (birth_month + age) // 12 <= year:
                return age
            year += 1

    return age_of


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


def _legacy_facts(facts: HouseholdFacts) -> HouseholdFacts:
    """Facts as engine 1.0.0 read them: a schooling not recorded was "not attending" (a child
    deprived, a young adult out of school), a nutrition status not recorded was normal, a
    waste treatment not recorded was deprived; its other facts always had a value."""
    members = tuple(
        m._replace(
            schooling=m.schooling or "not_attending",
            nutrition=m.nutrition or "normal",
            has_health_insurance=True if m.has_health_insurance is None else m.has_health_insurance,
            education_level=m.education_level or "none",
            employment=m.employment or "not_in_labour_force",
            receives_social_allowance=bool(m.receives_social_allowance),
        )
        for m in facts.members
    )
    return facts._replace(
        members=members,
        devices=facts.devices or frozenset(),
        waste_treatment=facts.waste_treatment or "not recorded",
    )


# ------------------------------------------------------------------------------ assessment

POOR = "poor"
NEAR_POOR = "near_poor"
AVERAGE = "average"
NOT_POOR = "not_poor"
UNDETERMINED = "undetermined"  # the class depends on facts the survey did not record

_CLASS_VI = {
    POOR: "hộ nghèo",
    NEAR_POOR: "hộ cận nghèo",
    AVERAGE: "hộ có mức sống trung bình",
    NOT_POOR: "hộ không nghèo",
    UNDETERMINED: "chưa phân loại được (cần khảo sát lại)",
}
_CLASS_EN = {
    POOR: "poor",
    NEAR_POOR: "near-poor",
    AVERAGE: "average living standard",
    NOT_POOR: "not poor",
    UNDETERMINED: "undetermined (to be surveyed again)",
}


def format_vnd(amount: int | Fraction, vi_: bool, rounding: str = ROUND_FLOOR) -> str:
    """1500000 -> "1.500.000 đồng" (vi) or "1,500,000 VND" (en); a fraction of a dong with two
    decimals, rounded as told (1500000.0833 -> "1.500.000,08 đồng")."""
    if isinstance(amount, Fraction) and amount.denominator != 1:
        exact = Decimal(amount.numerator) / Decimal(amount.denominator)
        value = exact.quantize(Decimal("0.01"), rounding=rounding)
        whole, cents = f"{value:,.2f}".split(".")
        text = f"{whole.replace(',', '.')},{cents}" if vi_ else f"{whole}.{cents}"
    else:
        text = f"{int(amount):,}"
        text = text.replace(",", ".") if vi_ else text
    return text + (" đồng" if vi_ else " VND")


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
    unknown_count: int = 0,
) -> str:
    """Decree 07/351 rule: income <= line AND deprivations >= min is poor; income <= line with
    fewer is near-poor; line < income <= band top is average; otherwise not poor. The
    deprivation count is not read when income is above the line. Within the line, indicators
    that could not be assessed decide nothing they could change: poor if the known
    deprivations reach the minimum, near-poor if they could not even with every unknown
    one, and otherwise undetermined."""
    if within_line(annual_income, household_size, line):
        if deprivation_count >= min_deprivations:
            return POOR
        if deprivation_count + unknown_count < min_deprivations:
            return NEAR_POOR
        return UNDETERMINED
    if average_max is not None and annual_income <= average_max * 12 * household_size:
        return AVERAGE
    return NOT_POOR


def assess(
    facts: HouseholdFacts, standard: StandardSpec, engine: str = ENGINE_VERSION
) -> AssessmentResult:
    """Evaluate every indicator of ``standard`` on ``facts`` and classify the household.
    ``engine=LEGACY_ENGINE`` applies the rules as version 1.0.0 did (to reproduce a decision
    it took)."""
    size = len(facts.members)
    if size < 1:
        raise ValueError("a household must have at least one member to be assessed")
    unknown_rules = [spec.rule for spec in standard.indicators if spec.rule not in RULES]
    if unknown_rules:
        raise ValueError(f"unknown indicator rule(s): {', '.join(map(repr, unknown_rules))}")
    if engine == LEGACY_ENGINE:
        facts = _legacy_facts(facts)
    elif engine != ENGINE_VERSION:
        raise ValueError(f"unknown engine version {engine!r}")

    results: list[IndicatorResult] = []
    deprived_specs: list[IndicatorSpec] = []
    unknown_specs: list[IndicatorSpec] = []
    for spec in standard.indicators:
        deprived, reason_vi, reason_en = spec.compiled(engine).reasons(facts)
        results.append(IndicatorResult(spec.code, deprived, reason_vi, reason_en))
        if deprived:
            deprived_specs.append(spec)
        elif deprived is None:
            unknown_specs.append(spec)

    line = standard.urban_line if facts.is_urban else standard.rural_line
    band_top = standard.urban_average_max if facts.is_urban else standard.rural_average_max
    classification = classify(
        facts.annual_income,
        size,
        line,
        band_top,
        len(deprived_specs),
        standard.min_deprivations,
        len(unknown_specs),
    )
    explanation_vi, explanation_en = _explain(
        facts, standard, size, line, band_top, deprived_specs, unknown_specs, classification
    )
    return AssessmentResult(
        standard_code=standard.code,
        engine_version=engine,
        household_size=size,
        income_per_person_month=facts.annual_income // (12 * size),
        line=line,
        is_urban=facts.is_urban,
        deprivation_count=len(deprived_specs),
        unknown=tuple(s.code for s in unknown_specs),
        classification=classification,
        indicators=tuple(results),
        explanation_vi=explanation_vi,
        explanation_en=explanation_en,
    )


def _income_text(
    annual_income: int, size: int, line: int, area: tuple[str, str]
) -> tuple[str, str]:
    """Income per person per month beside the line, exact enough that "above" or "at or
    below" can be seen to be true: a fraction of a dong is shown with two decimals rounded
    away from the line (never onto it), and the gap rounded up (never to nothing)."""
    per_person = Fraction(annual_income, 12 * size)
    difference = per_person - line
    rounding = ROUND_CEILING if difference > 0 else ROUND_FLOOR
    amount_vi = format_vnd(per_person, True, rounding)
    amount_en = format_vnd(per_person, False, rounding)
    line_vi = f"chuẩn nghèo khu vực {area[0]} ({format_vnd(line, True)})"
    line_en = f"the {area[1]} line of {format_vnd(line, False)}"
    gap_vi = format_vnd(abs(difference), True, ROUND_CEILING)
    gap_en = format_vnd(abs(difference), False, ROUND_CEILING)
    if difference > 0:
        relation_vi, relation_en = f"cao hơn {line_vi} {gap_vi}", f"above {line_en} by {gap_en}"
    elif difference < 0:
        relation_vi, relation_en = f"thấp hơn {line_vi} {gap_vi}", f"below {line_en} by {gap_en}"
    else:
        relation_vi, relation_en = f"bằng {line_vi}", f"equal to {line_en}"
    return (
        f"Thu nhập bình quân {amount_vi}/người/tháng, {relation_vi}.",
        f"Income {amount_en} per person per month, {relation_en}.",
    )


def _explain(
    facts: HouseholdFacts,
    standard: StandardSpec,
    size: int,
    line: int,
    band_top: int | None,
    deprived: list[IndicatorSpec],
    unknown: list[IndicatorSpec],
    classification: str,
) -> tuple[str, str]:
    area = ("thành thị", "urban") if facts.is_urban else ("nông thôn", "rural")
    count, minimum, total = len(deprived), standard.min_deprivations, len(standard.indicators)
    names_vi = ", ".join(s.name_vi for s in deprived) or "không có"
    names_en = ", ".join(s.name_en for s in deprived) or "none"
    income_vi, income_en = _income_text(facts.annual_income, size, line, area)

    vi_line, en_line = format_vnd(line, True), format_vnd(line, False)
    if classification == POOR:
        why_vi = f"thu nhập không vượt chuẩn và thiếu hụt từ {minimum} chỉ số trở lên"
        why_en = f"income is at or below the line and there are {minimum} or more deprivations"
    elif classification == NEAR_POOR:
        why_vi = f"thu nhập không vượt chuẩn và thiếu hụt dưới {minimum} chỉ số"
        why_en = f"income is at or below the line and there are fewer than {minimum} deprivations"
    elif classification == UNDETERMINED:
        why_vi = (
            f"thu nhập không vượt chuẩn, đã xác định {count} chỉ số thiếu hụt và còn "
            f"{len(unknown)} chỉ số chưa đánh giá được; tùy các chỉ số đó, hộ là hộ nghèo hoặc "
            "hộ cận nghèo"
        )
        why_en = (
            f"income is at or below the line, {count} deprivations are known and "
            f"{len(unknown)} indicators could not be assessed; they decide between poor and "
            "near-poor"
        )
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

    unknown_vi = unknown_en = ""
    if unknown:
        unknown_vi = (
            " Không đánh giá được (thiếu thông tin): " + ", ".join(s.name_vi for s in unknown) + "."
        )
        unknown_en = (
            " Cannot assess (facts missing): " + ", ".join(s.name_en for s in unknown) + "."
        )
    vi_ = (
        f"{income_vi} Thiếu hụt {count}/{total} chỉ số (hộ nghèo khi từ {minimum} trở lên): "
        f"{names_vi}.{unknown_vi} Phân loại: {_CLASS_VI[classification]}, vì {why_vi} "
        f"(chuẩn {standard.code})."
    )
    en_ = (
        f"{income_en} Deprived in {count} of {total} indicators (poor needs at least "
        f"{minimum}): {names_en}.{unknown_en} Classification: {_CLASS_EN[classification]}, "
        f"because {why_en} (standard {standard.code})."
    )
    return vi_, en_


# ------------------------------------------------------------------------------ what a survey needs


def needed_facts(
    standards: Sequence[StandardSpec], facts: HouseholdFacts
) -> tuple[set[str], list[set[str]]]:
    """The facts the standards' indicators read for this household: household facts, and for
    each member (in order) the member facts that apply to them (by age). A survey records
    each of these, or says explicitly that it is unknown."""
    household: set[str] = set()
    members: list[set[str]] = [set() for _ in facts.members]
    for standard in standards:
        for spec in standard.indicators:
            check = spec.check
            household.update(check.household_needs)
            for name, applies in check.member_needs:
                for i, m in enumerate(facts.members):
                    if applies(m):
                        members[i].add(name)
    return household, members


# ------------------------------------------------------------------------------ bulk


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
    known: dict[int, bool | None] = {}
    classes = []
    for standard, positions in zip(plan.standards, plan.uses, strict=True):
        line = standard.urban_line if urban else standard.rural_line
        count = unknown = 0
        if within_line(income, size, line):
            for i in positions:
                if i not in known:
                    known[i] = plan.unique[i].check.deprived(facts)
                result = known[i]
                count += result is True
                unknown += result is None
        band_top = standard.urban_average_max if urban else standard.rural_average_max
        classes.append(
            classify(income, size, line, band_top, count, standard.min_deprivations, unknown)
        )
    return tuple(classes)
