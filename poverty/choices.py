from django.db import models

from . import rules


class Classification(models.TextChoices):
    POOR = "poor", "Poor"
    NEAR_POOR = "near_poor", "Near-poor"
    AVERAGE = "average", "Average living standard"
    NOT_POOR = "not_poor", "Not poor"
    UNDETERMINED = "undetermined", "Undetermined: facts missing, to be surveyed again"


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


def _choices(name: str, kind: str) -> type[models.TextChoices]:
    """Choices of one kind of survey answer, from the engine's code table (poverty.rules
    .CODES: the one list of codes, with their Vietnamese and English names)."""
    return models.TextChoices(
        name, [(code.upper(), (code, names[1])) for code, names in rules.CODES[kind].items()]
    )


# Main materials of walls, frame/columns and roof, as surveyed.
Material = _choices("Material", "material")
WaterSource = _choices("WaterSource", "water_source")
Latrine = _choices("Latrine", "latrine")
Device = _choices("Device", "device")
WasteTreatment = _choices("WasteTreatment", "waste_treatment")
EducationLevel = _choices("EducationLevel", "education_level")
Schooling = _choices("Schooling", "schooling")
Employment = _choices("Employment", "employment")
Nutrition = _choices("Nutrition", "nutrition")
