from django.db import models
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from core.languages import vietnamese

from . import rules


class Classification(models.TextChoices):
    POOR = "poor", _("Poor")
    NEAR_POOR = "near_poor", _("Near-poor")
    AVERAGE = "average", _("Average living standard")
    NOT_POOR = "not_poor", _("Not poor")
    UNDETERMINED = "undetermined", _("Undetermined: facts missing, to be surveyed again")


class Scope(models.TextChoices):
    NATIONAL = "national", _("National")
    PROVINCIAL = "provincial", _("Provincial")


class StandardStatus(models.TextChoices):
    DRAFT = "draft", _("Draft (editable)")
    PUBLISHED = "published", _("Published (immutable)")


class Dimension(models.TextChoices):
    EMPLOYMENT = "employment", _("Employment")
    HEALTH = "health", _("Health")
    EDUCATION = "education", _("Education")
    HOUSING = "housing", _("Housing")
    WATER_SANITATION = "water_sanitation", _("Water, sanitation (and environment)")
    INFORMATION = "information", _("Information")


class Rule(models.TextChoices):
    """The decision function an indicator uses (poverty.rules.RULES)."""

    EMPLOYMENT = "employment", _("Working-age member without a job or a labour contract")
    DEPENDENTS = "dependents", _("Dependents are more than a share of members")
    NUTRITION = "nutrition", _("Child stunted or underweight")
    HEALTH_INSURANCE = "health_insurance", _("Member without health insurance")
    ADULT_EDUCATION = "adult_education", _("Young adult lacking the expected education")
    CHILD_SCHOOLING = "child_schooling", _("Child not attending the right school level")
    HOUSING_QUALITY = "housing_quality", _("Non-durable house")
    HOUSING_AREA = "housing_area", _("Floor area per person below the threshold")
    DOMESTIC_WATER = "domestic_water", _("No safe water source")
    LATRINE = "latrine", _("No hygienic latrine")
    TELECOM = "telecom", _("No member uses internet services")
    INFO_DEVICES = "info_devices", _("No means of accessing information")
    WASTE = "waste", _("No proper waste treatment")


def _name(vi: str, en: str) -> str:
    """The answer's name in the active language: the code table's own Vietnamese and English
    names, so they are written once (no .po entry). English when no language is active
    (migrations are made with translations off: labels stay the English names there)."""
    if vietnamese():
        return vi[:1].upper() + vi[1:]  # a label starts with a capital, as the English ones
    return en


_lazy_name = lazy(_name, str)


def _choices(name: str, kind: str) -> type[models.TextChoices]:
    """Choices of one kind of survey answer, from the engine's code table (poverty.rules
    .CODES: the one list of codes, with their Vietnamese and English names)."""
    return models.TextChoices(
        name,
        [(code.upper(), (code, _lazy_name(*names))) for code, names in rules.CODES[kind].items()],
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


class ReviewKind(models.TextChoices):
    PERIODIC = "periodic", _("Annual periodic review (1 Sep – 14 Dec)")
    REGULAR = "regular", _("Monthly regular review (on application)")


class Application(models.TextChoices):
    NONE = "none", _("Periodic review (no application)")
    ENTER = "enter", _("Application to be recognised poor / near-poor")
    EXIT = "exit", _("Application to be recognised as having escaped")
    VOLUNTARY_EXIT = "voluntary_exit", _("Voluntary exit")


class WorkflowState(models.TextChoices):
    SURVEYED = "surveyed", _("Surveyed and classified")
    VILLAGE_AGREED = "village_agreed", _("Agreed at the village meeting")
    POSTED = "posted", _("Publicly posted")
    APPROVED = "approved", _("Approved by the commune")
    REJECTED = "rejected", _("Rejected")
    RETURNED = "returned", _("Returned to survey")


class ComplaintStatus(models.TextChoices):
    OPEN = "open", _("Open")
    UPHELD = "upheld", _("Upheld (assessment returned to survey)")
    DISMISSED = "dismissed", _("Dismissed")


class StatusEvent(models.TextChoices):
    FIRST = "first_recognised", _("First recognised")
    NEWLY_POOR = "newly_poor", _("Newly poor")
    ESCAPED = "escaped", _("Escaped poverty")
    RELAPSED = "relapsed", _("Relapsed into poverty")
    VOLUNTARY_EXIT = "voluntary_exit", _("Voluntarily exited")
    RECLASSIFIED = "reclassified", _("Reclassified")
    CONFIRMED = "confirmed", _("Confirmed (unchanged)")


class UploadKind(models.TextChoices):
    SURVEY = "survey", _("Household survey")
    HOUSEHOLD_EDIT = "household_edit", _("Household edit")
    MEMBER_EDIT = "member_edit", _("Member edit")
    HOUSEHOLD_CREATE = "household_create", _("Household registration")
    VISIT = "visit", _("Visit record (a case's follow-up)")


class UploadStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    CONFLICT = "conflict", _("Kept: the household changed meanwhile (an officer resolves it)")
    REJECTED = "rejected", _("Rejected (invalid)")
    RESOLVED_APPLIED = "resolved_applied", _("Conflict resolved: applied")
    RESOLVED_DISCARDED = "resolved_discarded", _("Conflict resolved: discarded")
