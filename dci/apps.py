from datetime import timedelta

from django.apps import AppConfig
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
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
        checks.register(signing_key_usable, checks.Tags.security)
        checks.register(signing_key_present, checks.Tags.security, deploy=True)


def signing_key_usable(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """At every start: a key file that is there can sign (else every DCI answer would fail)."""
    from .signatures import signing_key

    try:
        signing_key()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="dci.E001")]
    return []


def signing_key_present(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """With --deploy: the registry's DCI messages are signed."""
    from django.conf import settings

    from .signatures import signing_key

    try:
        key = signing_key()
    except ImproperlyConfigured:
        return []  # dci.E001 says it
    if key is None:
        return [
            checks.Warning(
                "DCI answers, callbacks and notifications are sent unsigned: no key at "
                f"DCI_SIGNING_KEY_FILE ({settings.DCI_SIGNING_KEY_FILE or 'empty'}).",
                hint="manage.py dci_signing_key --create, then give partners its public key.",
                id="dci.W001",
            )
        ]
    return []
