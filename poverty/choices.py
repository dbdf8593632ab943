from django.db import models


class Classification(models.TextChoices):
    POOR = "poor", "Poor"
    NEAR_POOR = "near_poor", "Near-poor"
    AVERAGE = "average", "Average living standard"
    NOT_POOR = "not_poor", "Not poor"


class Scope(models.TextChoices):
    NATIONAL = "national", "National"
    PROVINCIAL = "provincial", "Provincial"


class StandardStatus(models.TextChoices):
    DRAFT = "draft", "Draft (editable)"
    PUBLISHED = "published", "Published (immutable)"


class Dimension(models.TextChoices):
    EMPLOYMENT = "employment", "Employment"
    HEALTH = "health", "Health"
    EDUCATION = "education", "Education"
    HOUSING = "housing", "Housing"
    WATER_SANITATION = "water_sanitation", "Water, sanitation (and environment)"
    INFORMATION = "information", "Information"


class Rule(models.TextChoices):
    """The decision function an indicator uses (poverty.rules.RULES)."""

    EMPLOYMENT = "employment", "Working-age member without a job or a labour contract"
    DEPENDENTS = "dependents", "Dependents are more than a share of members"
    NUTRITION = "nutrition", "Child stunted or underweight"
    HEALTH_INSURANCE = "health_insurance", "Member without health insurance"
    ADULT_EDUCATION = "adult_education", "Young adult lacking the expected education"
    CHILD_SCHOOLING = "child_schooling", "Child not attending the right school level"
    HOUSING_QUALITY = "housing_quality", "Non-durable house"
    HOUSING_AREA = "housing_area", "Floor area per person below the threshold"
    DOMESTIC_WATER = "domestic_water", "No safe water source"
    LATRINE = "latrine", "No hygienic latrine"
    TELECOM = "telecom", "No member uses internet services"
    INFO_DEVICES = "info_devices", "No means of accessing information"
    WASTE = "waste", "No proper waste treatment"


class Material(models.TextChoices):
    """Main materials of walls, frame/columns and roof, as surveyed."""

    CONCRETE = "concrete", "Reinforced concrete"
    BRICK_STONE = "brick_stone", "Brick / stone"
    STEEL = "steel", "Steel"
    DURABLE_WOOD = "durable_wood", "Durable wood"
    TILE = "tile", "Tile"
    METAL_SHEET = "metal_sheet", "Metal / fibre-cement sheet"
    TIMBER = "timber", "Low-quality timber"
    BAMBOO = "bamboo", "Bamboo"
    MUD = "mud", "Mud / earth"
    LEAVES_STRAW = "leaves_straw", "Leaves / straw"
    TARPAULIN = "tarpaulin", "Tarpaulin / plastic"
    OTHER = "other", "Other"


class WaterSource(models.TextChoices):
    TAP = "tap", "Piped (tap) water"
    BOREHOLE = "borehole", "Borehole"
    PROTECTED_WELL = "protected_well", "Protected dug well"
    PROTECTED_SPRING = "protected_spring", "Protected spring"
    RAINWATER = "rainwater", "Rainwater"
    BOTTLED = "bottled", "Bottled / purchased"
    UNPROTECTED_WELL = "unprotected_well", "Unprotected well"
    UNPROTECTED_SPRING = "unprotected_spring", "Unprotected spring"
    SURFACE = "surface", "River, stream, pond"
    OTHER = "other", "Other"


class Latrine(models.TextChoices):
    SEPTIC = "septic", "Septic tank"
    SEMI_SEPTIC = "semi_septic", "Semi-septic"
    POUR_FLUSH = "pour_flush", "Pour-flush"
    VENTILATED_PIT = "ventilated_pit", "Ventilated improved pit"
    DOUBLE_VAULT = "double_vault", "Double-vault composting"
    SIMPLE_PIT = "simple_pit", "Simple pit"
    OVERHANG = "overhang", "Overhang / fish pond"
    NONE = "none", "None"


class Device(models.TextChoices):
    TV = "tv", "Television"
    RADIO = "radio", "Radio"
    COMPUTER = "computer", "Computer"
    SMARTPHONE = "smartphone", "Smartphone"
    TABLET = "tablet", "Tablet"
    LOUDSPEAKER = "loudspeaker", "Village loudspeaker at home"


class WasteTreatment(models.TextChoices):
    COLLECTED = "collected", "Collected by a service"
    COMPOSTED_SORTED = "composted_sorted", "Sorted / composted at home"
    BURIED = "buried", "Buried hygienically"
    BURNED = "burned", "Burned in the open"
    DUMPED = "dumped", "Dumped"


class EducationLevel(models.TextChoices):
    NONE = "none", "None"
    PRIMARY = "primary", "Primary"
    LOWER_SECONDARY = "lower_secondary", "Lower secondary"
    UPPER_SECONDARY = "upper_secondary", "Upper secondary"
    VOCATIONAL = "vocational", "Vocational / certified training"
    HIGHER = "higher", "College / university"


class Schooling(models.TextChoices):
    ATTENDING = "attending", "Attending at the level right for the age"
    ATTENDING_BELOW = "attending_below", "Attending below the level for the age"
    NOT_ATTENDING = "not_attending", "Not attending"


class Employment(models.TextChoices):
    WAGE_WITH_CONTRACT = "wage_contract", "Wage work with a labour contract"
    WAGE_WITHOUT_CONTRACT = "wage_no_contract", "Wage work without a labour contract"
    SELF_EMPLOYED = "self_employed", "Self-employed / own farm or business"
    UNEMPLOYED = "unemployed", "Able and wanting to work, without a job"
    NOT_IN_LABOUR_FORCE = (
        "not_in_labour_force",
        "Not in the labour force (studying, caring, unable)",
    )


class Nutrition(models.TextChoices):
    NORMAL = "normal", "Normal"
    STUNTED = "stunted", "Stunted"
    UNDERWEIGHT = "underweight", "Underweight"
