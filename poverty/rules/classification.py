"""The household's class from its income and deprivations (Decree 07/351), and the
explanation of it in Vietnamese and English."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from fractions import Fraction

from .facts import HouseholdFacts
from .specs import IndicatorSpec, StandardSpec

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
    elif standard.average_band_unknown:
        why_vi = (
            f"thu nhập cao hơn chuẩn {vi_line}; mức trần của hộ có mức sống trung bình theo "
            "chuẩn này chưa được công bố, nên chưa xác định được hộ có phải hộ có mức sống "
            "trung bình hay không"
        )
        why_en = (
            f"income is above the line of {en_line}; this standard's average-living-standard "
            "band is not known yet, so whether the household is of average living standard "
            "cannot be told"
        )
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
