"""Support eligibility and amounts: pure functions, no Django.

A package is for households of certain classifications (per standard), may add criteria
(ethnic minority, commune type or list, member age, a deprivation), is limited per household
per period, and pays a central base amount raised by the province's multiplier for the
household; the amount is split across capital sources by fixed shares. Reasons and the
amount's explanation come in English and Vietnamese (`Text`); a multiplier rule may carry a
`label` and a `label_vi`, otherwise its conditions are put in words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from poverty.rules import format_vnd


@dataclass(frozen=True)
class HouseholdProfile:
    classifications: Mapping[str, str]  # standard code → current official classification
    ethnic_minority: bool  # the head belongs to an ethnic minority
    commune_code: str
    commune_kind: str  # "xa" | "phuong" | "dac_khu"
    member_ages: tuple[int, ...]
    deprived: frozenset[str] = frozenset()  # indicators deprived in the deciding assessment
    received_in_period: int = 0  # active assignments of this package in the period


@dataclass(frozen=True)
class PackageTerms:
    code: str
    eligible: Mapping[str, frozenset[str]]  # standard code → eligible classifications
    base_amount: int | None  # central base in force (None: no rate in force)
    criteria: Mapping[str, Any] = field(default_factory=dict)
    multipliers: Sequence[Mapping[str, Any]] = ()
    default_multiplier: Decimal = Decimal(1)
    limit_per_period: int = 1
    funding: Sequence[tuple[str, Decimal]] = ()  # (capital source, share in percent)


class Text(NamedTuple):
    """The same sentence in English and in Vietnamese."""

    en: str
    vi: str


@dataclass(frozen=True)
class Match:
    eligible: bool
    reasons: tuple[Text, ...]  # why (or why not)
    base_amount: int | None
    multiplier: Decimal | None
    amount: int | None
    explanation: Text  # how the amount is reached
    split: tuple[tuple[str, int], ...]

    @property
    def reasons_en(self) -> list[str]:
        return [r.en for r in self.reasons]

    @property
    def reasons_vi(self) -> list[str]:
        return [r.vi for r in self.reasons]


CLASS_VI = {
    "poor": "hộ nghèo",
    "near_poor": "hộ cận nghèo",
    "average": "hộ có mức sống trung bình",
    "not_poor": "hộ không nghèo",
}
COMMUNE_KIND_VI = {"xa": "xã", "phuong": "phường", "dac_khu": "đặc khu"}


def _class_vi(classification: str) -> str:
    return CLASS_VI.get(classification, classification)


def _kinds_vi(kinds: Sequence[str]) -> str:
    return ", ".join(COMMUNE_KIND_VI.get(k, k) for k in kinds)


def _ages(criteria: Mapping[str, Any]) -> tuple[int, int]:
    ages = criteria["member_age"]
    return ages.get("min", 0), ages.get("max", 200)


def criteria_failures(profile: HouseholdProfile, criteria: Mapping[str, Any]) -> list[Text]:
    """The extra criteria the household does not meet (empty: all met)."""
    failures = []
    if criteria.get("ethnic_minority") and not profile.ethnic_minority:
        failures.append(Text("not an ethnic-minority household", "không phải hộ dân tộc thiểu số"))
    kinds = criteria.get("commune_kinds")
    if kinds and profile.commune_kind not in kinds:
        failures.append(
            Text(
                f"commune type {profile.commune_kind} is not one of {', '.join(kinds)}",
                f"loại đơn vị {_kinds_vi([profile.commune_kind])} không thuộc: {_kinds_vi(kinds)}",
            )
        )
    communes = criteria.get("communes")
    if communes and profile.commune_code not in communes:
        failures.append(
            Text(
                f"commune {profile.commune_code} is not on the package's list",
                f"xã/phường {profile.commune_code} không có trong danh sách của gói hỗ trợ",
            )
        )
    if criteria.get("member_age"):
        low, high = _ages(criteria)
        if not any(low <= age <= high for age in profile.member_ages):
            failures.append(
                Text(
                    f"no member aged {low}–{high}", f"không có thành viên từ {low} đến {high} tuổi"
                )
            )
    deprived_in = criteria.get("deprived_in")
    if deprived_in and not profile.deprived & set(deprived_in):
        failures.append(
            Text(
                f"not deprived in {' or '.join(deprived_in)}",
                f"không thiếu hụt chỉ số {' hoặc '.join(deprived_in)}",
            )
        )
    return failures


def describe(criteria: Mapping[str, Any]) -> Text:
    """Criteria (a multiplier's conditions) in words."""
    parts: list[Text] = []
    if criteria.get("ethnic_minority"):
        parts.append(Text("ethnic-minority household", "hộ dân tộc thiểu số"))
    if criteria.get("commune_kinds"):
        kinds = criteria["commune_kinds"]
        parts.append(Text(f"commune type {', '.join(kinds)}", f"loại đơn vị {_kinds_vi(kinds)}"))
    if criteria.get("communes"):
        communes = ", ".join(criteria["communes"])
        parts.append(Text(f"commune {communes}", f"xã/phường {communes}"))
    if criteria.get("member_age"):
        low, high = _ages(criteria)
        parts.append(Text(f"a member aged {low}–{high}", f"có thành viên từ {low} đến {high} tuổi"))
    if criteria.get("deprived_in"):
        codes = criteria["deprived_in"]
        parts.append(
            Text(f"deprived in {' or '.join(codes)}", f"thiếu hụt chỉ số {' hoặc '.join(codes)}")
        )
    return Text("; ".join(p.en for p in parts), "; ".join(p.vi for p in parts))


def multiplier_for(profile: HouseholdProfile, terms: PackageTerms) -> tuple[Decimal, Text]:
    """The highest multiplier whose conditions the household meets, else the default; with
    why: the rule's `label` / `label_vi`, else its conditions in words."""
    best, why = (
        Decimal(terms.default_multiplier),
        Text("default provincial multiplier", "hệ số mặc định của tỉnh"),
    )
    for rule in terms.multipliers:
        value = Decimal(str(rule["multiplier"]))
        when = rule.get("when", {})
        if value > best and not criteria_failures(profile, when):
            described = describe(when)
            best, why = (
                value,
                Text(rule.get("label") or described.en, rule.get("label_vi") or described.vi),
            )
    return best, why


def split_amount(
    amount: int, funding: Sequence[tuple[str, Decimal]]
) -> tuple[tuple[str, int], ...]:
    """Split by shares to the dong: the largest remainders get the leftover dong (ties: the
    source listed first), so the parts always add up to the amount."""
    if not funding:
        return ()
    total_share = sum(Decimal(share) for _, share in funding)
    exact = [(source, Decimal(amount) * Decimal(share) / total_share) for source, share in funding]
    parts = {source: int(value) for source, value in exact}
    leftover = amount - sum(parts.values())
    # ties go to the source listed first
    by_remainder = sorted(exact, key=lambda p: -(p[1] - int(p[1])))
    for source, _ in by_remainder[:leftover]:
        parts[source] += 1
    return tuple((source, parts[source]) for source, _ in funding)


def _number(value: Decimal, vi: bool) -> str:
    """Decimal("1.500") -> "1.5" (en) or "1,5" (vi: the decimal comma); 10 stays "10"."""
    text = f"{value.normalize():f}"
    return text.replace(".", ",") if vi else text


def match(profile: HouseholdProfile, terms: PackageTerms) -> Match:
    reasons: list[Text] = []
    qualifying = [
        (code, cls)
        for code, cls in profile.classifications.items()
        if cls in terms.eligible.get(code, frozenset())
    ]
    if qualifying:
        reasons.append(
            Text(
                "classification: " + ", ".join(f"{cls} under {code}" for code, cls in qualifying),
                "phân loại: "
                + ", ".join(f"{_class_vi(cls)} theo {code}" for code, cls in qualifying),
            )
        )
    else:
        wanted = sorted(terms.eligible.items())
        held = profile.classifications.items()
        reasons.append(
            Text(
                "not eligible by classification (needs "
                + "; ".join(f"{code}: {', '.join(sorted(classes))}" for code, classes in wanted)
                + "; has "
                + (", ".join(f"{cls} under {code}" for code, cls in held) or "none")
                + ")",
                "không đủ điều kiện theo phân loại (cần "
                + "; ".join(
                    f"{code}: {', '.join(_class_vi(c) for c in sorted(classes))}"
                    for code, classes in wanted
                )
                + "; hiện là "
                + (", ".join(f"{_class_vi(cls)} theo {code}" for code, cls in held) or "chưa có")
                + ")",
            )
        )
    failures = criteria_failures(profile, terms.criteria)
    reasons += [
        Text(f"criterion not met: {f.en}", f"chưa đáp ứng tiêu chí: {f.vi}") for f in failures
    ]
    if terms.criteria and not failures:
        reasons.append(Text("meets the package's criteria", "đáp ứng các tiêu chí của gói hỗ trợ"))
    over_limit = profile.received_in_period >= terms.limit_per_period
    if over_limit:
        reasons.append(
            Text(
                f"already received {profile.received_in_period} in the period "
                f"(limit {terms.limit_per_period})",
                f"đã nhận {profile.received_in_period} lần trong kỳ "
                f"(tối đa {terms.limit_per_period})",
            )
        )
    if terms.base_amount is None:
        reasons.append(Text("no base amount in force", "chưa có mức hỗ trợ cơ sở đang có hiệu lực"))
    eligible = (
        bool(qualifying) and not failures and not over_limit and terms.base_amount is not None
    )
    if terms.base_amount is None:
        explanation = Text("No base amount in force.", "Chưa có mức hỗ trợ cơ sở đang có hiệu lực.")
        return Match(eligible, tuple(reasons), None, None, None, explanation, ())
    multiplier, why = multiplier_for(profile, terms)
    amount = int((Decimal(terms.base_amount) * multiplier).quantize(Decimal(1), ROUND_HALF_UP))
    explanation = Text(
        f"{format_vnd(terms.base_amount, False)} × {_number(multiplier, False)} ({why.en}) "
        f"= {format_vnd(amount, False)}",
        f"{format_vnd(terms.base_amount, True)} × {_number(multiplier, True)} ({why.vi}) "
        f"= {format_vnd(amount, True)}",
    )
    return Match(
        eligible,
        tuple(reasons),
        terms.base_amount,
        multiplier,
        amount,
        explanation,
        split_amount(amount, terms.funding),
    )
