from django.db import models


class TokenPurpose(models.TextChoices):
    """What a client uses its API token for: one token per client and purpose."""

    REGISTRY_SYNC = "registry_sync", "Registry sync"
    FIELD_APP = "field_app", "Field-app install"
    REPORTING = "reporting", "Reporting system"
    OTHER = "other", "Other"
