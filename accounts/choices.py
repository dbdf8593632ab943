from django.db import models
from django.utils.translation import gettext_lazy as _


class TokenPurpose(models.TextChoices):
    """What a client uses its API token for: one token per client and purpose."""

    REGISTRY_SYNC = "registry_sync", _("Registry sync")
    FIELD_APP = "field_app", _("Field-app install")
    REPORTING = "reporting", _("Reporting system")
    OTHER = "other", _("Other")
