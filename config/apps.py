from django.apps import AppConfig


class ConfigConfig(AppConfig):
    name = "config"
    verbose_name = "Configuration and audit"

    def ready(self) -> None:
        from simple_history.signals import pre_create_historical_record

        from config.audit import current

        def stamp_channel(sender, history_instance, **kwargs):
            history_instance.history_channel = current().channel

        pre_create_historical_record.connect(stamp_channel, weak=False, dispatch_uid="audit")
