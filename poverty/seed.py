"""The standards shipped with the product, as data. Loaded by a data
migration; administrators correct them by publishing new revisions, never by editing."""

from __future__ import annotations

from datetime import date
from typing import Any

from . import rules


def _indicator(
    code: str, dimension: str, name_vi: str, name_en: str, notes: str = ""
) -> dict[str, Any]:
    """An indicator whose rule is its code, with every parameter the rule reads at its
    default (the one source of thresholds: poverty.rules.PARAMETERS) and each parameter's
    legal source. The indicators' wording comes from secondary sources: to
    be confirmed, each of them, whatever their parameters."""
    return {
        "code": code,
        "dimension": dimension,
        "name_vi": name_vi,
        "name_en": name_en,
        "rule": code,
        "params": rules.default_params(code),
        "sources": rules.param_sources(code),
        "to_confirm": True,
        "notes": notes,
    }


DECREE_07_INDICATORS = [
    _indicator("employment", "employment", "Việc làm", "Employment"),
    _indicator(
        "dependents",
        "employment",
        "Người phụ thuộc trong hộ gia đình",
        "Dependents in the household",
    ),
    _indicator("nutrition", "health", "Dinh dưỡng", "Nutrition"),
    _indicator("health_insurance", "health", "Bảo hiểm y tế", "Health insurance"),
    _indicator(
        "adult_education", "education", "Trình độ giáo dục của người lớn", "Adult education"
    ),
    _indicator(
        "child_schooling",
        "education",
        "Tình trạng đi học của trẻ em",
        "Children's school attendance",
    ),
    _indicator("housing_quality", "housing", "Chất lượng nhà ở", "Housing quality"),
    _indicator(
        "housing_area",
        "housing",
        "Diện tích nhà ở bình quân đầu người",
        "Housing area per person",
    ),
    _indicator(
        "domestic_water", "water_sanitation", "Nguồn nước sinh hoạt", "Domestic water source"
    ),
    _indicator("latrine", "water_sanitation", "Nhà tiêu hợp vệ sinh", "Hygienic latrine"),
    _indicator(
        "telecom",
        "information",
        "Sử dụng dịch vụ viễn thông",
        "Use of telecommunication services",
    ),
    _indicator(
        "info_devices",
        "information",
        "Phương tiện phục vụ tiếp cận thông tin",
        "Means of accessing information",
    ),
]

# Decree 351/2025: 6 dimensions, 12 indicators; drafts dropped information devices and added
# waste treatment under a widened water-sanitation-environment dimension (to be confirmed).
DECREE_351_INDICATORS = [i for i in DECREE_07_INDICATORS if i["code"] != "info_devices"] + [
    _indicator(
        "waste",
        "water_sanitation",
        "Thu gom, xử lý rác thải sinh hoạt",
        "Household waste treatment",
        "Added in drafts of Decree 351/2025; verify against the final text.",
    ),
]

STANDARDS: list[dict[str, Any]] = [
    {
        "code": "VN-ND07-2021",
        "name": "Chuẩn nghèo đa chiều quốc gia giai đoạn 2022–2025",
        "legal_basis": "Nghị định 07/2021/NĐ-CP; kept for 2026 by Nghị định 351/2025/NĐ-CP",
        "scope": "national",
        "province": None,
        "valid_from": date(2022, 1, 1),
        "valid_to": date(2026, 12, 31),
        "rural_line": 1_500_000,
        "urban_line": 2_000_000,
        "rural_average_max": 2_250_000,
        "urban_average_max": 3_000_000,
        "min_deprivations": 3,
        "indicators": DECREE_07_INDICATORS,
        "notes": "Poor: income ≤ line AND ≥ 3 deprivations; near-poor: income ≤ line AND < 3.",
    },
    {
        "code": "VN-ND351-2025",
        "name": "Chuẩn nghèo đa chiều quốc gia giai đoạn 2027–2030",
        "legal_basis": "Nghị định 351/2025/NĐ-CP",
        "scope": "national",
        "province": None,
        "valid_from": date(2027, 1, 1),
        "valid_to": date(2030, 12, 31),
        "rural_line": 2_200_000,
        "urban_line": 2_800_000,
        "rural_average_max": None,
        "urban_average_max": None,
        "average_band_unknown": True,
        "min_deprivations": 3,
        "indicators": DECREE_351_INDICATORS,
        "notes": "Average-living-standard band not known yet; indicator list to be confirmed.",
    },
    {
        "code": "QN-NQ13-2023",
        "name": "Chuẩn nghèo đa chiều tỉnh Quảng Ninh giai đoạn 2023–2025",
        "legal_basis": "Nghị quyết 13/2023/NQ-HĐND tỉnh Quảng Ninh",
        "scope": "provincial",
        "province": "22",
        "valid_from": date(2023, 1, 1),
        "valid_to": date(2025, 12, 31),
        "rural_line": 2_100_000,
        "urban_line": 2_600_000,
        "rural_average_max": None,
        "urban_average_max": None,
        "min_deprivations": 3,
        "indicators": DECREE_07_INDICATORS,
        "notes": "Same rule and indicators as the national standard, higher income lines.",
    },
]


def load_standards(standard_model, indicator_model, now) -> int:
    """Create the shipped standards (published) where their code is not present yet."""
    created = 0
    for spec in STANDARDS:
        if standard_model.objects.filter(code=spec["code"]).exists():
            continue
        # Only the columns the model has at this migration (a later one fills its own).
        columns = {f.name for f in standard_model._meta.get_fields()}
        values = {
            k: v for k, v in spec.items() if k in columns and k not in ("indicators", "province")
        }
        standard = standard_model.objects.create(
            **values, province_id=spec["province"], status="published", published_at=now
        )
        fields = {f.name for f in indicator_model._meta.fields}  # as the migration's model has
        indicator_model.objects.bulk_create(
            indicator_model(
                standard=standard, position=i, **{k: v for k, v in ind.items() if k in fields}
            )
            for i, ind in enumerate(spec["indicators"], start=1)
        )
        created += 1
    return created
