"""The survey's answer codes and their names (Vietnamese, English). poverty.choices builds the
model and API choices from these; explanations use the names, never the codes."""

from __future__ import annotations

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


# Engine 1.0.0 read a waste treatment the survey did not record as this value (rules.legacy):
# its explanations name it in words too, never as the raw value.
NOT_RECORDED = "not recorded"
_NOT_RECORDED_NAMES = ("chưa ghi nhận", "Not recorded")


def _names(kind: str, code: str) -> tuple[str, str]:
    if code == NOT_RECORDED:
        return _NOT_RECORDED_NAMES
    return CODES[kind].get(code, (code, code))


def vi(kind: str, code: str) -> str:
    """The Vietnamese name of an answer code, as explanations write it (lower case)."""
    return _names(kind, code)[0]


def en(kind: str, code: str) -> str:
    """The English name of an answer code, as explanations write it (lower case)."""
    return _names(kind, code)[1].lower()
