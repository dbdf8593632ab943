from django.apps import AppConfig


class ConfigConfig(AppConfig):
    name = "config"
    verbose_name = "Configuration and audit"

    def ready(self) -> None:
        from simple_history.signals import (
            post_create_historical_record,
            pre_create_historical_record,
        )

        from config.audit import current
        from config.feed import on_history_record

        def stamp_channel(sender, history_instance, **kwargs):
            history_instance.history_channel = current().channel

        pre_create_historical_record.connect(stamp_channel, weak=False, dispatch_uid="audit")
        post_create_historical_record.connect(on_history_record, weak=False, dispatch_uid="feed")
