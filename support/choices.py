from django.db import models


class ProgramLevel(models.TextChoices):
    PROGRAM = "program", "Program"
    PROJECT = "project", "Component project"
    SUB_PROJECT = "sub_project", "Sub-project"


# The program tree: the level each level's nodes sit under (a program is the root).
PARENT_LEVEL = {
    ProgramLevel.PROGRAM: None,
    ProgramLevel.PROJECT: ProgramLevel.PROGRAM,
    ProgramLevel.SUB_PROJECT: ProgramLevel.PROJECT,
}


class CapitalSource(models.TextChoices):
    CENTRAL = "central", "Central budget"
    LOCAL = "local", "Local (counterpart) budget"
    SOCIAL = "social", "Social mobilisation"
    POLICY_CREDIT = "policy_credit", "Policy credit (VBSP)"


class PackageKind(models.TextChoices):
    HEALTH_INSURANCE = "health_insurance", "Health insurance"
    PREFERENTIAL_LOAN = "preferential_loan", "Preferential loan"
    HOUSING = "housing", "Housing build / repair"
    VOCATIONAL_TRAINING = "vocational_training", "Vocational training"
    LABOUR_EXPORT = "labour_export", "Labour export"
    LIVELIHOOD_MODEL = "livelihood_model", "Livelihood model"
    EDUCATION = "education", "Education"
    ELECTRICITY = "electricity", "Electricity"
    CASH = "cash", "Cash"
    IN_KIND = "in_kind", "In kind"


class AssignmentState(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved (budget committed)"
    DELIVERED = "delivered", "Delivered (disbursing)"
    COMPLETED = "completed", "Completed"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_STATES = (
    AssignmentState.PROPOSED,
    AssignmentState.APPROVED,
    AssignmentState.DELIVERED,
    AssignmentState.COMPLETED,
)


class LedgerKind(models.TextChoices):
    COMMIT = "commit", "Commitment"
    RELEASE = "release", "Release of an undisbursed commitment"
    DISBURSE = "disburse", "Disbursement"


# What each kind of ledger entry does to its allocation's running totals: the counter it moves
# and in which direction (available = amount − committed).
LEDGER_EFFECT = {
    LedgerKind.COMMIT: ("committed", 1),
    LedgerKind.RELEASE: ("committed", -1),
    LedgerKind.DISBURSE: ("disbursed", 1),
}


class ModelType(models.TextChoices):
    MEDICINAL_PLANTS = "medicinal_plants", "Medicinal plants"
    BEES = "bees", "Bee keeping"
    CAGED_FISH = "caged_fish", "Fish in cages"
    LIVESTOCK = "livestock", "Livestock"
    OCOP = "ocop", "OCOP product"
    COMMUNITY_TOURISM = "community_tourism", "Community tourism"
    CROPS = "crops", "Crops / forestry"
    OTHER = "other", "Other"
