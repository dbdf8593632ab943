from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class Relationship(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    CHILD_IN_LAW = "child_in_law", _("Child-in-law")
    GRANDCHILD = "grandchild", _("Grandchild")
    PARENT = "parent", _("Parent")
    PARENT_IN_LAW = "parent_in_law", _("Parent-in-law")
    GRANDPARENT = "grandparent", _("Grandparent")
    SIBLING = "sibling", _("Sibling")
    OTHER_RELATIVE = "other_relative", _("Other relative")
    NON_RELATIVE = "non_relative", _("Non-relative")


class HouseholdStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    MOVED_OUT = "moved_out", _("Moved out")
    MERGED = "merged", _("Merged into another household")
    DISSOLVED = "dissolved", _("Dissolved")


class MemberStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    MOVED_OUT = "moved_out", _("Moved out")
    DECEASED = "deceased", _("Deceased")


class Source(models.TextChoices):
    """How a record entered the register (and, for history, the channel of a change)."""

    FIELD_SURVEY = "field_survey", _("Field survey")
    REGISTRY_SYNC = "registry_sync", _("Home Affairs registry sync")
    ADMIN = "admin", _("Administration (admin site)")
    API = "api", _("API")
    SYSTEM = "system", _("System / command")


class DuplicateReason(models.TextChoices):
    NAME_BIRTH_DATE = "name_birth_date", _("Same name and date of birth in the same commune")


class DuplicateStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DISMISSED = "dismissed", _("Dismissed (not the same person)")
    MERGED = "merged", _("Resolved by merging households")
