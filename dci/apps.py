from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DciConfig(AppConfig):
    """The Digital Convergence Initiative's social registry API (SPDCI v1.0.0) under /dci/:
    partners, their tokens, the transaction log, search, subscriptions and callbacks."""

    name = "dci"
    verbose_name = _("DCI interoperability")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import jobs

        from .callbacks import JOB_KIND, REDELIVER_KIND

        jobs.register(JOB_KIND, "dci.callbacks.run_job")
        jobs.register(REDELIVER_KIND, "dci.callbacks.redeliver")
        jobs.register_periodic(REDELIVER_KIND, every=timedelta(minutes=5))
        jobs.register("dci_notify", "dci.notify.run")
        jobs.register_periodic("dci_notify", every=timedelta(minutes=5))
