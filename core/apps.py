from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Jobs, change feed and audit")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from simple_history.signals import (
            post_create_historical_record,
            pre_create_historical_record,
        )

        from core.audit import current
        from core.feed import on_history_record
        from core.pgtimes import use_fast_reader

        def stamp_channel(sender, history_instance, **kwargs):
            history_instance.history_channel = current().channel

        pre_create_historical_record.connect(stamp_channel, weak=False, dispatch_uid="audit")
        post_create_historical_record.connect(on_history_record, weak=False, dispatch_uid="feed")
        connection_created.connect(use_fast_reader, weak=False, dispatch_uid="pgtimes")


class Admin(admin_apps.AdminConfig):
    """django.contrib.admin, on the project's site (core.admin_site)."""

    default = False  # core's own config is CoreConfig
    default_site = "core.admin_site.AdminSite"
