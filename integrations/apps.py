from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    """Protocols with other systems: the Home Affairs registry sync, the field-app protocol
    and the change-feed API. No models: it writes through the domain apps' services (the
    sync, set-based, through its own SQL kept equal to them by households.twins)."""

    name = "integrations"
    verbose_name = _("Integrations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import jobs

        jobs.register("registry_sync", "integrations.sync.run_job")
