from django.db import models
from django.utils.translation import gettext_lazy as _


class ProgramLevel(models.TextChoices):
    PROGRAM = "program", _("Program")
    PROJECT = "project", _("Component project")
    SUB_PROJECT = "sub_project", _("Sub-project")


# The program tree: the level each level's nodes sit under (a program is the root).
PARENT_LEVEL = {
    ProgramLevel.PROGRAM: None,
    ProgramLevel.PROJECT: ProgramLevel.PROGRAM,
    ProgramLevel.SUB_PROJECT: ProgramLevel.PROJECT,
}


class CapitalSource(models.TextChoices):
    CENTRAL = "central", _("Central budget")
    LOCAL = "local", _("Local (counterpart) budget")
    SOCIAL = "social", _("Social mobilisation")
    POLICY_CREDIT = "policy_credit", _("Policy credit (VBSP)")


class PackageKind(models.TextChoices):
    HEALTH_INSURANCE = "health_insurance", _("Health insurance")
    PREFERENTIAL_LOAN = "preferential_loan", _("Preferential loan")
    HOUSING = "housing", _("Housing build / repair")
    VOCATIONAL_TRAINING = "vocational_training", _("Vocational training")
    LABOUR_EXPORT = "labour_export", _("Labour export")
    LIVELIHOOD_MODEL = "livelihood_model", _("Livelihood model")
    EDUCATION = "education", _("Education")
    ELECTRICITY = "electricity", _("Electricity")
    CASH = "cash", _("Cash")
    IN_KIND = "in_kind", _("In kind")


class AssignmentState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved (budget committed)")
    DELIVERED = "delivered", _("Delivered (disbursing)")
    COMPLETED = "completed", _("Completed")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_STATES = (
    AssignmentState.PROPOSED,
    AssignmentState.APPROVED,
    AssignmentState.DELIVERED,
    AssignmentState.COMPLETED,
)


class LedgerKind(models.TextChoices):
    COMMIT = "commit", _("Commitment")
    RELEASE = "release", _("Release of an undisbursed commitment")
    DISBURSE = "disburse", _("Disbursement")


# What each kind of ledger entry does to its allocation's running totals: the counter it moves
# and in which direction (available = amount − committed).
LEDGER_EFFECT = {
    LedgerKind.COMMIT: ("committed", 1),
    LedgerKind.RELEASE: ("committed", -1),
    LedgerKind.DISBURSE: ("disbursed", 1),
}


class ModelType(models.TextChoices):
    MEDICINAL_PLANTS = "medicinal_plants", _("Medicinal plants")
    BEES = "bees", _("Bee keeping")
    CAGED_FISH = "caged_fish", _("Fish in cages")
    LIVESTOCK = "livestock", _("Livestock")
    OCOP = "ocop", _("OCOP product")
    COMMUNITY_TOURISM = "community_tourism", _("Community tourism")
    CROPS = "crops", _("Crops / forestry")
    OTHER = "other", _("Other")
