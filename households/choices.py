from django.db import models


class Sex(models.TextChoices):
    MALE = "male", "Male"
    FEMALE = "female", "Female"


class Relationship(models.TextChoices):
    HEAD = "head", "Head of household"
    SPOUSE = "spouse", "Spouse"
    CHILD = "child", "Child"
    CHILD_IN_LAW = "child_in_law", "Child-in-law"
    GRANDCHILD = "grandchild", "Grandchild"
    PARENT = "parent", "Parent"
    PARENT_IN_LAW = "parent_in_law", "Parent-in-law"
    GRANDPARENT = "grandparent", "Grandparent"
    SIBLING = "sibling", "Sibling"
    OTHER_RELATIVE = "other_relative", "Other relative"
    NON_RELATIVE = "non_relative", "Non-relative"


class HouseholdStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    MOVED_OUT = "moved_out", "Moved out"
    MERGED = "merged", "Merged into another household"
    DISSOLVED = "dissolved", "Dissolved"


class MemberStatus(models.TextChoices):
    PRESENT = "present", "Present"
    MOVED_OUT = "moved_out", "Moved out"
    DECEASED = "deceased", "Deceased"


class Source(models.TextChoices):
    """How a record entered the register (and, for history, the channel of a change)."""

    FIELD_SURVEY = "field_survey", "Field survey"
    REGISTRY_SYNC = "registry_sync", "Home Affairs registry sync"
    ADMIN = "admin", "Administration (admin site)"
    API = "api", "API"
    SYSTEM = "system", "System / command"


class DuplicateReason(models.TextChoices):
    NAME_BIRTH_DATE = "name_birth_date", "Same name and date of birth in the same commune"


class DuplicateStatus(models.TextChoices):
    OPEN = "open", "Open"
    DISMISSED = "dismissed", "Dismissed (not the same person)"
    MERGED = "merged", "Resolved by merging households"
