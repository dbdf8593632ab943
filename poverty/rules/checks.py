"""How an indicator rule is built: three-valued logic (a fact the survey did not record makes an
indicator unknown, never a deprivation), the Check each rule returns, the two shapes of rule
(on members, on the household) and the wording their reasons share."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction

from .codes import en, vi
from .facts import HouseholdFacts, MemberFacts


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
